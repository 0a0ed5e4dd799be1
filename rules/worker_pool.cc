#include "rules/worker_pool.h"

#include <algorithm>
#include <memory>

namespace promcast::rules {

WorkerPool::WorkerPool(std::size_t threads) {
  for (std::size_t i = 0; i < std::max<std::size_t>(1, threads); ++i)
    threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

void WorkerPool::run_all(std::vector<std::function<void()>> tasks) {
  if (tasks.empty()) return;
  struct Batch {
    std::mutex mutex;
    std::condition_variable done;
    std::size_t left;
  };
  auto batch = std::make_shared<Batch>();
  batch->left = tasks.size();
  {
    std::lock_guard lock(mutex_);
    for (auto& t : tasks) {
      queue_.emplace_back([batch, task = std::move(t)] {
        task();
        std::lock_guard l(batch->mutex);
        if (--batch->left == 0) batch->done.notify_all();
      });
    }
  }
  wake_.notify_all();
  std::unique_lock lock(batch->mutex);
  batch->done.wait(lock, [&] { return batch->left == 0; });
}

}  // namespace promcast::rules
