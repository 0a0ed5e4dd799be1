#pragma once
// Evaluates an anomaly rule: at each evaluation the configured detector judges every series' window
// (the trailing `history` on the rule's grid, read incrementally), each new point goes through the
// streaming post-processing kept per series (recent-maximum rule, anomaly likelihood, new-range rule,
// in `promcast detect --online`'s order), and a series whose new points include an anomaly is active
// for alerting (pending, then firing after `for`, resolved when it stops, as Prometheus alerts).
// Outputs per series with labels L: A:anomaly_score{L} (1.0 on the boundary), A:yhat, A:yhat_lower,
// A:yhat_upper, and promcast_alerts{alertname="A",alertstate="pending|firing",L} shaped like ALERTS.
#include <memory>

#include "rules/rule_evaluator.h"

namespace promcast::rules {

std::unique_ptr<RuleEvaluator> make_anomaly_evaluator(const AnomalyRule& rule, Shard shard = {});

}  // namespace promcast::rules
