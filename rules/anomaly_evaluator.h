#pragma once
// Evaluates an anomaly rule as `promcast detect --online` judges a stream: each series (its trailing
// `history` on the rule's grid, read incrementally) keeps a detector fitted on its window, which judges
// every new point on the points before it and is fitted again every `refit` (the detector's
// refit_every); a series seen for the first time is judged by the method over its whole window and
// fitted at once. Each judgement goes through the streaming post-processing kept per series (k-of-n,
// recent-maximum rule, anomaly likelihood, new-range rule, in `detect --online`'s order), and a series
// whose new points include an anomaly is active for alerting (pending, then firing after `for`,
// resolved when it stops, as Prometheus alerts).
// Outputs per series with labels L: A:anomaly_score{L} (1.0 on the boundary), A:yhat, A:yhat_lower,
// A:yhat_upper, and promcast_alerts{alertname="A",alertstate="pending|firing",L} shaped like ALERTS.
#include <memory>

#include "rules/rule_evaluator.h"

namespace promcast::rules {

std::unique_ptr<RuleEvaluator> make_anomaly_evaluator(const AnomalyRule& rule, Shard shard = {});

}  // namespace promcast::rules
