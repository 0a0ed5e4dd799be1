#pragma once
// Alert state of one anomaly rule with Prometheus' semantics (rules/alerting.go): a series that turns
// anomalous becomes pending, firing once it stayed anomalous for `for`; a firing alert whose series is
// no longer anomalous (after keep_firing_for) is resolved, kept 15 minutes and re-sent as resolved;
// a pending one is simply dropped. Pure state, no clock of its own: every call takes the evaluation time.
// Not thread-safe: one rule evaluation at a time owns it.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "rules/duration.h"
#include "rules/notifier.h"
#include "rules/series.h"

namespace promcast::rules {

enum class AlertStatus { kPending, kFiring, kInactive };

/// One anomalous series at an evaluation: its alert labels (already with alertname and rule labels),
/// expanded annotations and the value that triggered.
struct AlertInput {
  Labels labels;
  Labels annotations;
  double value = 0;
};

struct ActiveAlert {
  Labels labels;
  Labels annotations;
  double value = 0;
  AlertStatus status = AlertStatus::kPending;
  TimestampMs active_at = 0;    ///< first evaluation it was anomalous
  TimestampMs fired_at = 0;     ///< 0 while pending
  TimestampMs resolved_at = 0;  ///< 0 unless resolved
  TimestampMs last_sent_at = 0;
  TimestampMs valid_until = 0;
  TimestampMs keep_firing_since = 0;  ///< first evaluation it was no longer anomalous while firing
};

class AlertTracker {
 public:
  /// How long resolved alerts are kept (and re-sent) after resolution, as Prometheus.
  static constexpr Duration kResolvedRetention{15 * 60 * 1000};

  /// Applies one evaluation's anomalous series at time `now`.
  void update(TimestampMs now, const std::vector<AlertInput>& anomalous, Duration hold,
              Duration keep_firing_for);

  /// The alerts due to be sent at `now` (firing: first time, or resend_delay since the last send;
  /// resolved: once, then every resend_delay while retained), with startsAt = firing time and endsAt =
  /// resolution time, or now + 4 * max(interval, resend_delay) while firing. Marks them sent.
  std::vector<Alert> due(TimestampMs now, Duration resend_delay, Duration interval,
                         const std::string& generator_url);

  /// Pending and firing alerts (resolved ones excluded), for promcast_alerts and the pages.
  [[nodiscard]] std::vector<const ActiveAlert*> active() const;
  [[nodiscard]] std::size_t size() const { return alerts_.size(); }

 private:
  std::unordered_map<std::uint64_t, ActiveAlert> alerts_;  // by labels_hash
};

}  // namespace promcast::rules
