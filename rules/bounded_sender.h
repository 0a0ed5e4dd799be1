#pragma once
// A bounded queue drained by one sender thread in batches, retried with backoff: the delivery core
// that the Alertmanager notifier and remote write share.
//
// Invariants:
// - push() never blocks on the network; when the queue is over capacity the oldest items go first
//   and every one of them is reported once through on_dropped.
// - The batch being sent stays at the head of the queue until its outcome is known, so a retried
//   batch keeps its place; items that overflow evicts from it meanwhile are reported as dropped only
//   when the send retries (a delivered batch got them through).
// - Every item pushed is reported exactly once: delivered or refused (on_settled) or dropped.
// - stop() (and the destructor) keep sending until the queue is empty or drain_timeout passes; what
//   is left then is dropped.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "rules/client_auth.h"
#include "rules/rule_config.h"

namespace promcast::rules {

enum class SendOutcome {
  kDelivered,  ///< the receiver has the batch
  kRefused,    ///< a non-retryable answer (4xx): sending it again cannot help
  kRetry,      ///< connection error, 5xx or 429: keep the batch and try again after a backoff
};

struct BoundedSenderOptions {
  std::size_t capacity = 10000;
  std::size_t max_batch = 64;
  /// How long the first queued item may wait for a full batch; zero sends at once.
  std::chrono::milliseconds batch_deadline{0};
  std::chrono::milliseconds drain_timeout{5000};
  ClientConfig backoff;  ///< min_backoff and max_backoff are used
};

template <class Item>
struct BoundedSenderHooks {
  using Clock = std::chrono::steady_clock;
  /// Sends one batch (called on the sender thread without the queue's lock). `deadline` is set while
  /// draining at shutdown (the send should give up by then) and default-constructed otherwise.
  std::function<SendOutcome(const std::vector<Item>& batch, Clock::time_point deadline)> send;
  /// Items settled after a send: delivered or refused.
  std::function<void(std::size_t count, SendOutcome outcome)> settled = [](std::size_t, SendOutcome) {};
  /// Items lost: the oldest of a full queue, or left at shutdown.
  std::function<void(std::size_t count)> dropped = [](std::size_t) {};
  std::function<void()> retried = [] {};
  std::function<void(std::size_t length)> queue_length = [](std::size_t) {};
};

template <class Item>
class BoundedSender {
 public:
  using Clock = std::chrono::steady_clock;

  BoundedSender(BoundedSenderOptions options, BoundedSenderHooks<Item> hooks)
      : options_(normalized(std::move(options))), hooks_(std::move(hooks)), thread_([this] { run(); }) {}
  ~BoundedSender() { stop(); }
  BoundedSender(const BoundedSender&) = delete;
  BoundedSender& operator=(const BoundedSender&) = delete;

  void push(std::vector<Item> items) {
    if (items.empty()) return;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) batch_started_ = Clock::now();
      for (Item& item : items) queue_.push_back(std::move(item));
      std::size_t dropped = 0;
      while (queue_.size() > options_.capacity) {
        queue_.pop_front();
        if (in_flight_ > 0) {
          --in_flight_;
          ++evicted_;
        } else {
          ++dropped;
        }
      }
      if (dropped > 0) hooks_.dropped(dropped);
      hooks_.queue_length(queue_.size());
    }
    wake_.notify_all();
  }

  /// Blocks until the queue is empty or `timeout` passes; true when empty. Sends a partial batch at
  /// once instead of waiting for its deadline.
  bool flush(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    ++flush_waiters_;
    wake_.notify_all();
    const bool empty = idle_.wait_for(lock, timeout, [&] { return queue_.empty(); });
    --flush_waiters_;
    return empty;
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        stopping_ = true;
        drain_deadline_ = Clock::now() + options_.drain_timeout;
      }
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  static BoundedSenderOptions normalized(BoundedSenderOptions o) {
    o.max_batch = std::max<std::size_t>(o.max_batch, 1);
    o.capacity = std::max(o.capacity, o.max_batch);
    return o;
  }

  bool batch_ready(Clock::time_point now) const {
    return queue_.size() >= options_.max_batch || stopping_ || flush_waiters_ > 0 ||
           now >= batch_started_ + options_.batch_deadline;
  }

  void run() {
    std::unique_lock lock(mutex_);
    int attempt = 0;  // consecutive failed tries of the batch at the head
    while (true) {
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping with nothing left
      if (stopping_ && Clock::now() >= drain_deadline_) break;
      if (!batch_ready(Clock::now())) {
        wake_.wait_until(lock, batch_started_ + options_.batch_deadline,
                         [&] { return batch_ready(Clock::now()); });
        continue;
      }

      in_flight_ = std::min(queue_.size(), options_.max_batch);
      evicted_ = 0;
      const std::vector<Item> batch(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(in_flight_));
      const Clock::time_point deadline = stopping_ ? drain_deadline_ : Clock::time_point{};
      lock.unlock();
      const SendOutcome outcome = hooks_.send(batch, deadline);
      lock.lock();

      if (outcome == SendOutcome::kRetry) {
        // The batch stays queued, minus what overflow evicted meanwhile (now lost).
        if (evicted_ > 0) hooks_.dropped(evicted_);
        in_flight_ = 0;
        evicted_ = 0;
        hooks_.retried();
        // Backoff, cut short by stop() (one more try in the drain time) and by the end of the drain time,
        // so that shutdown never waits out a long max_backoff.
        const bool was_stopping = stopping_;
        auto until = Clock::now() + backoff_delay(options_.backoff, attempt++);
        if (stopping_) until = std::min(until, drain_deadline_);
        wake_.wait_until(lock, until,
                         [&] { return stopping_ && (!was_stopping || Clock::now() >= drain_deadline_); });
        continue;
      }
      attempt = 0;
      // Items overflow evicted from the batch were sent all the same: settle the whole batch.
      hooks_.settled(batch.size(), outcome);
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(in_flight_));
      in_flight_ = 0;
      evicted_ = 0;
      batch_started_ = Clock::now();
      hooks_.queue_length(queue_.size());
      if (queue_.empty()) idle_.notify_all();
    }
    if (!queue_.empty()) {
      hooks_.dropped(queue_.size());
      queue_.clear();
      hooks_.queue_length(0);
    }
    idle_.notify_all();
  }

  const BoundedSenderOptions options_;
  const BoundedSenderHooks<Item> hooks_;

  std::mutex mutex_;
  std::condition_variable wake_;  // the sender: new items, flush requests, stop
  std::condition_variable idle_;  // flush(): the queue became empty
  std::deque<Item> queue_;
  std::size_t in_flight_ = 0;  ///< the batch being sent is the first in_flight_ items of queue_
  std::size_t evicted_ = 0;    ///< items overflow took from the batch being sent
  Clock::time_point batch_started_{};
  int flush_waiters_ = 0;
  bool stopping_ = false;
  Clock::time_point drain_deadline_{};
  std::thread thread_;  // last: started once everything above is initialised
};

}  // namespace promcast::rules
