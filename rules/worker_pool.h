#pragma once
// A fixed set of threads that run the per-series work of rule evaluations (--rules.workers). Groups
// submit a batch and wait for it; batches of different groups share the threads.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace promcast::rules {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Runs every task on the pool and returns when all have finished. Tasks must not throw.
  void run_all(std::vector<std::function<void()>> tasks);
  [[nodiscard]] std::size_t threads() const { return threads_.size(); }

 private:
  void work();
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace promcast::rules
