// AlertTracker against Prometheus' alerting semantics (rules/alerting.go): pending for `for`, firing,
// resolved and re-sent, resend delay, validity window, keep_firing_for.
#include "rules/alert_state.h"

#include <gtest/gtest.h>

namespace promcast::rules {
namespace {

constexpr TimestampMs kMinute = 60'000;

AlertInput input(const std::string& series) {
  AlertInput in;
  in.labels = {{"alertname", "DriftAnomaly"}, {"column", series}};
  in.annotations = {{"summary", "drift on " + series}};
  in.value = 42;
  return in;
}

TEST(AlertTracker, PendingThenFiringAfterHoldThenResolved) {
  AlertTracker t;
  const Duration hold{5 * kMinute};
  t.update(0, {input("a")}, hold, Duration{0});
  ASSERT_EQ(t.active().size(), 1u);
  EXPECT_EQ(t.active()[0]->status, AlertStatus::kPending);
  EXPECT_TRUE(t.due(0, Duration{kMinute}, Duration{kMinute}, "u").empty()) << "pending alerts are not sent";

  t.update(4 * kMinute, {input("a")}, hold, Duration{0});
  EXPECT_EQ(t.active()[0]->status, AlertStatus::kPending);
  t.update(5 * kMinute, {input("a")}, hold, Duration{0});
  EXPECT_EQ(t.active()[0]->status, AlertStatus::kFiring);

  auto sent = t.due(5 * kMinute, Duration{kMinute}, Duration{kMinute}, "http://x/rules/DriftAnomaly");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].starts_at, 5 * kMinute);
  EXPECT_EQ(sent[0].ends_at, 5 * kMinute + 4 * kMinute) << "valid for 4 x max(interval, resend delay)";
  EXPECT_EQ(sent[0].generator_url, "http://x/rules/DriftAnomaly");
  EXPECT_EQ(label_value(sent[0].annotations, "summary"), "drift on a");

  // not re-sent before the resend delay has passed
  t.update(5 * kMinute + 30'000, {input("a")}, hold, Duration{0});
  EXPECT_TRUE(t.due(5 * kMinute + 30'000, Duration{kMinute}, Duration{kMinute}, "u").empty());
  t.update(6 * kMinute + 1, {input("a")}, hold, Duration{0});
  EXPECT_EQ(t.due(6 * kMinute + 1, Duration{kMinute}, Duration{kMinute}, "u").size(), 1u);

  // resolution: sent at once with endsAt = resolution time, then kept and re-sent, then forgotten
  t.update(7 * kMinute, {}, hold, Duration{0});
  EXPECT_TRUE(t.active().empty());
  auto resolved = t.due(7 * kMinute, Duration{kMinute}, Duration{kMinute}, "u");
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].ends_at, 7 * kMinute);
  EXPECT_EQ(t.due(9 * kMinute, Duration{kMinute}, Duration{kMinute}, "u").size(), 1u)
      << "re-sent while retained";
  t.update(7 * kMinute + AlertTracker::kResolvedRetention.count() + 1, {}, hold, Duration{0});
  EXPECT_EQ(t.size(), 0u);
}

TEST(AlertTracker, PendingAlertThatStopsIsDroppedWithoutNotification) {
  AlertTracker t;
  t.update(0, {input("a")}, Duration{5 * kMinute}, Duration{0});
  t.update(kMinute, {}, Duration{5 * kMinute}, Duration{0});
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(t.due(kMinute, Duration{kMinute}, Duration{kMinute}, "u").empty());
}

TEST(AlertTracker, ZeroHoldFiresAtOnceAndSeriesAreIndependent) {
  AlertTracker t;
  t.update(0, {input("a"), input("b")}, Duration{0}, Duration{0});
  auto active = t.active();
  ASSERT_EQ(active.size(), 2u);
  EXPECT_EQ(active[0]->status, AlertStatus::kFiring);
  EXPECT_EQ(active[1]->status, AlertStatus::kFiring);
  t.update(kMinute, {input("b")}, Duration{0}, Duration{0});
  ASSERT_EQ(t.active().size(), 1u);
  EXPECT_EQ(label_value(t.active()[0]->labels, "column"), "b");
}

TEST(AlertTracker, KeepFiringForDelaysResolution) {
  AlertTracker t;
  const Duration keep{3 * kMinute};
  t.update(0, {input("a")}, Duration{0}, keep);
  t.update(kMinute, {}, Duration{0}, keep);
  EXPECT_EQ(t.active().size(), 1u) << "still firing within keep_firing_for";
  t.update(4 * kMinute, {}, Duration{0}, keep);
  EXPECT_TRUE(t.active().empty());
}

TEST(AlertTracker, ResolvedAlertThatReturnsStartsPendingAgain) {
  AlertTracker t;
  t.update(0, {input("a")}, Duration{2 * kMinute}, Duration{0});
  t.update(2 * kMinute, {input("a")}, Duration{2 * kMinute}, Duration{0});
  ASSERT_EQ(t.active()[0]->status, AlertStatus::kFiring);
  t.update(3 * kMinute, {}, Duration{2 * kMinute}, Duration{0});
  t.update(4 * kMinute, {input("a")}, Duration{2 * kMinute}, Duration{0});
  ASSERT_EQ(t.active().size(), 1u);
  EXPECT_EQ(t.active()[0]->status, AlertStatus::kPending);
  EXPECT_EQ(t.active()[0]->active_at, 4 * kMinute);
}

}  // namespace
}  // namespace promcast::rules
