#pragma once
// Evaluates a forecast rule: every series the expr selects gets a SARIMAX model (automatic search or
// the given orders, seasonal period and Fourier terms converted to steps), refitted every `refit`,
// fed the new points in between (Sarimax::update, no re-estimation), and forecast at every horizon.
// Outputs per series with labels L (source labels without __name__, rule labels over them):
//   R:yhat{L,horizon="1h"}                     forecast for the last grid point + 1h, exported now
//   R:yhat_lower{L,horizon="1h",level="0.95"}  and R:yhat_upper: central prediction interval
//   horizon="0s"                               the one-step expectation for the current step
// With a remote-write future window, the path R:yhat_path{L} (+ _lower/_upper{level}) is also written
// at its future timestamps.
//
// Restored models (--storage.path): a stored model is rebuilt at its stored parameters on the series'
// freshly read window (Sarimax::from_params, one filter pass), with the time axis, and so the Fourier
// phase and the drift, continued from the stored origin; the rule's next refit is due at the stored
// fit time + refit. A restore is not a fit (RuleEvaluation::restored).
#include <memory>
#include <string>

#include "rules/rule_evaluator.h"

namespace promcast::rules {

std::unique_ptr<RuleEvaluator> make_forecast_evaluator(const ForecastRule& rule, Shard shard = {});

/// What a forecast rule's fitted models depend on (expr, source, step, history, model), as JSON text: a
/// change of anything else (name, labels, horizons, intervals, refit) keeps stored models usable.
std::string forecast_model_fingerprint(const ForecastRule& rule);

}  // namespace promcast::rules
