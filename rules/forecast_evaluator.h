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
#include <memory>

#include "rules/rule_evaluator.h"

namespace promcast::rules {

std::unique_ptr<RuleEvaluator> make_forecast_evaluator(const ForecastRule& rule, Shard shard = {});

}  // namespace promcast::rules
