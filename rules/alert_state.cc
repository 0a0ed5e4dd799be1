#include "rules/alert_state.h"

#include <algorithm>
#include <unordered_set>

namespace promcast::rules {

void AlertTracker::update(TimestampMs now, const std::vector<AlertInput>& anomalous, Duration hold,
                          Duration keep_firing_for) {
  std::unordered_set<std::uint64_t> seen;
  seen.reserve(anomalous.size());
  for (const auto& input : anomalous) {
    const std::uint64_t key = labels_hash(input.labels);
    seen.insert(key);
    auto it = alerts_.find(key);
    if (it != alerts_.end() && it->second.status != AlertStatus::kInactive) {
      it->second.value = input.value;
      it->second.annotations = input.annotations;
      it->second.keep_firing_since = 0;
      continue;
    }
    // new, or resolved and anomalous again: a fresh alert (Prometheus replaces the inactive one)
    ActiveAlert a;
    a.labels = input.labels;
    a.annotations = input.annotations;
    a.value = input.value;
    a.active_at = now;
    alerts_[key] = std::move(a);
  }
  for (auto it = alerts_.begin(); it != alerts_.end();) {
    ActiveAlert& a = it->second;
    if (!seen.contains(it->first)) {
      if (a.status == AlertStatus::kPending) {
        it = alerts_.erase(it);
        continue;
      }
      if (a.status == AlertStatus::kFiring) {
        if (a.keep_firing_since == 0) a.keep_firing_since = now;
        if (now - a.keep_firing_since >= keep_firing_for.count()) {
          a.status = AlertStatus::kInactive;
          a.resolved_at = now;
        }
      }
      if (a.status == AlertStatus::kInactive && now - a.resolved_at > kResolvedRetention.count()) {
        it = alerts_.erase(it);
        continue;
      }
    } else if (a.status == AlertStatus::kPending && now - a.active_at >= hold.count()) {
      a.status = AlertStatus::kFiring;
      a.fired_at = now;
    }
    ++it;
  }
}

std::vector<Alert> AlertTracker::due(TimestampMs now, Duration resend_delay, Duration interval,
                                     const std::string& generator_url) {
  std::vector<Alert> out;
  const TimestampMs delta = std::max(resend_delay, interval).count();
  for (auto& [key, a] : alerts_) {
    if (a.status == AlertStatus::kPending) continue;
    const bool resolved_unsent = a.resolved_at != 0 && a.resolved_at > a.last_sent_at;
    if (!(a.last_sent_at == 0 || resolved_unsent || a.last_sent_at + resend_delay.count() < now)) continue;
    a.last_sent_at = now;
    a.valid_until = now + 4 * delta;
    Alert alert;
    alert.labels = a.labels;
    alert.annotations = a.annotations;
    alert.starts_at = a.fired_at;
    alert.ends_at = a.resolved_at != 0 ? a.resolved_at : a.valid_until;
    alert.generator_url = generator_url;
    out.push_back(std::move(alert));
  }
  // deterministic order: tests and Alertmanager logs read better sorted
  std::sort(out.begin(), out.end(), [](const Alert& x, const Alert& y) { return x.labels < y.labels; });
  return out;
}

std::vector<const ActiveAlert*> AlertTracker::active() const {
  std::vector<const ActiveAlert*> out;
  for (const auto& [key, a] : alerts_)
    if (a.status != AlertStatus::kInactive) out.push_back(&a);
  std::sort(out.begin(), out.end(),
            [](const ActiveAlert* x, const ActiveAlert* y) { return x->labels < y->labels; });
  return out;
}

}  // namespace promcast::rules
