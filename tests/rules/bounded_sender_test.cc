// The delivery core shared by the notifier and remote write: batches in order, retries keep their
// place, overflow drops the oldest, and every item is accounted for exactly once.
#include "rules/bounded_sender.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <numeric>
#include <vector>

namespace promcast::rules {
namespace {

using namespace std::chrono_literals;

// Records every batch and answers with the outcomes it is given (then kDelivered).
struct Receiver {
  std::mutex mutex;
  std::vector<std::vector<int>> batches;
  std::vector<SendOutcome> script;
  std::size_t delivered = 0, refused = 0, dropped = 0, retried = 0;

  BoundedSenderHooks<int> hooks() {
    BoundedSenderHooks<int> h;
    h.send = [this](const std::vector<int>& batch, auto) {
      std::lock_guard lock(mutex);
      batches.push_back(batch);
      if (script.empty()) return SendOutcome::kDelivered;
      const SendOutcome next = script.front();
      script.erase(script.begin());
      return next;
    };
    h.settled = [this](std::size_t n, SendOutcome o) {
      std::lock_guard lock(mutex);
      (o == SendOutcome::kDelivered ? delivered : refused) += n;
    };
    h.dropped = [this](std::size_t n) { dropped += n; };  // called under the sender's lock
    h.retried = [this] { ++retried; };
    return h;
  }
};

BoundedSenderOptions fast(std::size_t capacity, std::size_t batch) {
  BoundedSenderOptions o;
  o.capacity = capacity;
  o.max_batch = batch;
  o.backoff.min_backoff = 1ms;
  o.backoff.max_backoff = 5ms;
  o.drain_timeout = 200ms;
  return o;
}

std::vector<int> iota(int from, int count) {
  std::vector<int> v(static_cast<std::size_t>(count));
  std::iota(v.begin(), v.end(), from);
  return v;
}

TEST(BoundedSender, SendsInBatchesInOrder) {
  Receiver r;
  {
    BoundedSender<int> sender(fast(100, 4), r.hooks());
    sender.push(iota(0, 10));
    ASSERT_TRUE(sender.flush(5s));
  }
  std::vector<int> all;
  for (const auto& b : r.batches) {
    EXPECT_LE(b.size(), 4u);
    all.insert(all.end(), b.begin(), b.end());
  }
  EXPECT_EQ(all, iota(0, 10));
  EXPECT_EQ(r.delivered, 10u);
  EXPECT_EQ(r.dropped, 0u);
}

TEST(BoundedSender, RetriedBatchKeepsItsPlaceAndIsDeliveredOnce) {
  Receiver r;
  r.script = {SendOutcome::kRetry, SendOutcome::kRetry};
  {
    BoundedSender<int> sender(fast(100, 8), r.hooks());
    sender.push(iota(0, 3));
    ASSERT_TRUE(sender.flush(5s));
  }
  ASSERT_EQ(r.batches.size(), 3u);
  for (const auto& b : r.batches) EXPECT_EQ(b, iota(0, 3));
  EXPECT_EQ(r.retried, 2u);
  EXPECT_EQ(r.delivered, 3u);
}

TEST(BoundedSender, RefusedBatchIsSettledNotRetried) {
  Receiver r;
  r.script = {SendOutcome::kRefused};
  {
    BoundedSender<int> sender(fast(100, 8), r.hooks());
    sender.push(iota(0, 5));
    ASSERT_TRUE(sender.flush(5s));
  }
  EXPECT_EQ(r.batches.size(), 1u);
  EXPECT_EQ(r.refused, 5u);
  EXPECT_EQ(r.delivered, 0u);
}

TEST(BoundedSender, OverflowDropsTheOldestAndEveryItemIsCountedOnce) {
  Receiver r;
  std::atomic<bool> release{false};
  auto hooks = r.hooks();
  auto deliver = hooks.send;
  // The receiver is down until released, so the queue overflows while a batch is in flight or waits.
  hooks.send = [&](const std::vector<int>& batch, auto deadline) {
    return release ? deliver(batch, deadline) : SendOutcome::kRetry;
  };
  {
    BoundedSender<int> sender(fast(10, 4), std::move(hooks));
    sender.push(iota(0, 6));
    std::this_thread::sleep_for(20ms);
    sender.push(iota(100, 8));  // 14 > 10: the 4 oldest go
    release = true;
    ASSERT_TRUE(sender.flush(5s));
  }
  EXPECT_EQ(r.dropped, 4u);
  EXPECT_EQ(r.delivered, 10u);
  std::vector<int> delivered;
  for (const auto& b : r.batches) delivered.insert(delivered.end(), b.begin(), b.end());
  std::vector<int> expected{4, 5};
  for (int v : iota(100, 8)) expected.push_back(v);
  EXPECT_EQ(delivered, expected);
}

TEST(BoundedSender, WaitsForAFullBatchUntilItsDeadline) {
  Receiver r;
  auto options = fast(100, 50);
  options.batch_deadline = 100ms;
  BoundedSender<int> sender(options, r.hooks());
  sender.push(iota(0, 3));
  std::this_thread::sleep_for(30ms);
  {
    std::lock_guard lock(r.mutex);
    EXPECT_TRUE(r.batches.empty()) << "a partial batch waits for more items";
  }
  std::this_thread::sleep_for(300ms);
  std::lock_guard lock(r.mutex);
  ASSERT_EQ(r.batches.size(), 1u);
  EXPECT_EQ(r.batches[0], iota(0, 3));
}

TEST(BoundedSender, WhatIsLeftAtShutdownIsDroppedAfterTheDrainTime) {
  Receiver r;
  auto hooks = r.hooks();
  hooks.send = [](const std::vector<int>&, auto) { return SendOutcome::kRetry; };  // never up
  const auto started = std::chrono::steady_clock::now();
  {
    BoundedSender<int> sender(fast(100, 4), std::move(hooks));
    sender.push(iota(0, 7));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s) << "bounded by the drain timeout";
  EXPECT_EQ(r.dropped, 7u);
  EXPECT_EQ(r.delivered, 0u);
}

TEST(BoundedSender, StopDoesNotWaitOutALongBackoff) {
  Receiver r;
  auto options = fast(100, 4);
  options.backoff.min_backoff = 10s;  // a receiver that has been down for a while
  options.backoff.max_backoff = 30s;
  options.drain_timeout = 300ms;
  auto hooks = r.hooks();
  std::atomic<int> sends{0};
  hooks.send = [&](const std::vector<int>&, auto) {
    ++sends;
    return SendOutcome::kRetry;
  };
  auto sender = std::make_unique<BoundedSender<int>>(options, std::move(hooks));
  sender->push(iota(0, 3));
  while (sends == 0) std::this_thread::sleep_for(1ms);  // now in its 10 s backoff
  const auto started = std::chrono::steady_clock::now();
  sender.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "bounded by the drain time, not the backoff";
  EXPECT_GE(sends.load(), 2) << "one more try once stopping";
  EXPECT_EQ(r.dropped, 3u);
}

}  // namespace
}  // namespace promcast::rules
