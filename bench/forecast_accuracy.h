#pragma once
// The evaluation loop of bench/forecast_accuracy_tool.cc, in a header so that tests/app can check it
// on a tiny series against R (tests/app/forecast_accuracy_test.cc).
//
// One series at a time: its values on a regular grid (index i at time i * step) are replayed by
// `promcast backtest`'s own replay (app::backtest_forecast, which runs the rule engine's forecast
// evaluator), at origins spaced one season apart and ending one longest horizon before the data
// ends, so that every forecast can be checked. The figures (MASE scaled by the origin window's
// seasonal-naive Q, sMAPE, interval coverage) are forecaster/backtest.h's; bench/forecast_accuracy.R
// computes the same for R's models at the same origins on the same grid.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <expected>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "app/backtest.h"
#include "rules/rule_config.h"

namespace promcast::bench {

struct AccuracyPlan {
  rules::Duration step{5 * 60 * 1000};
  int period = 288;                    ///< seasonal period in steps (also the MASE scaling lag)
  std::vector<int> horizons{12, 72, 288};  ///< in steps; the longest is how far each origin forecasts
  int history = 2016;                  ///< training window in steps (the rule's `history`)
  int min_history = 2016;              ///< earliest origin: this many points at or before it
  int spacing = 288;                   ///< steps between origins
  std::size_t max_origins = 7;         ///< the latest this many origins (0: all)
  std::vector<double> levels{0.8, 0.95};
  /// The model: `order: auto` with `seasonal: {period, order: auto}` by default (the automatic
  /// search; periods above 48 steps go to Fourier terms there), or a fixed order for tests.
  bool auto_order = true;
  int p = 0, d = 0, q = 0;
};

/// The forecast rule the plan evaluates: what a rule file with `step`, `history`, `horizons`,
/// `intervals` and `model: {order: auto, seasonal: {period: <period>, order: auto}}` loads to.
inline rules::ForecastRule accuracy_rule(const AccuracyPlan& plan) {
  rules::ForecastRule rule;
  rule.common.name = "accuracy";
  rule.common.expr = "accuracy";
  rule.common.step = plan.step;
  rule.common.history = plan.step * plan.history;
  rule.refit = plan.step;  // every origin is a full re-estimation (origins are a season apart anyway)
  for (int h : plan.horizons) rule.horizons.push_back(plan.step * h);
  rule.intervals = plan.levels;
  rule.model.auto_order = plan.auto_order;
  rule.model.p = plan.p;
  rule.model.d = plan.d;
  rule.model.q = plan.q;
  if (plan.period >= 2) {
    rule.model.seasonal_period = plan.step * plan.period;
    rule.model.seasonal_auto = plan.auto_order;
  }
  return rule;
}

/// The origins (indices into the series) for a series of n points: n - 1 - longest horizon, then
/// back by `spacing` while at least `min_history` points precede, at most `max_origins`, oldest first.
inline std::vector<long long> accuracy_origins(std::size_t n, const AccuracyPlan& plan) {
  const int longest = *std::max_element(plan.horizons.begin(), plan.horizons.end());
  std::vector<long long> out;
  for (long long c = static_cast<long long>(n) - 1 - longest; c >= plan.min_history - 1; c -= plan.spacing) {
    out.push_back(c);
    if (plan.max_origins > 0 && out.size() == plan.max_origins) break;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

/// Places timestamped values (Unix seconds, increasing or with repeats) on the grid
/// t0, t0 + step, ...: each value at its nearest grid point (a later value at the same point wins,
/// as the rule engine's windows place samples); grid points without a value are NaN.
inline std::vector<double> to_grid(std::span<const double> times, std::span<const double> values,
                                   double step_seconds) {
  std::vector<double> out;
  if (times.empty()) return out;
  const double t0 = times.front();
  for (std::size_t i = 0; i < times.size(); ++i) {
    const auto k = static_cast<std::size_t>(std::llround((times[i] - t0) / step_seconds));
    if (k >= out.size()) out.resize(k + 1, std::numeric_limits<double>::quiet_NaN());
    out[k] = values[i];
  }
  return out;
}

/// Replays the plan's rule over one gridded series (missing values NaN) at accuracy_origins().
/// Errors: no origin fits (too short a series), or app::backtest_forecast's (no forecast at all).
inline std::expected<app::ForecastBacktest, Error> evaluate_series(std::span<const double> values,
                                                                  const AccuracyPlan& plan) {
  const std::vector<long long> origins = accuracy_origins(values.size(), plan);
  if (origins.empty())
    return std::unexpected(Error{fmt::format("{} points: too short for one origin with {} points of history",
                                             values.size(), plan.min_history),
                                 {}, 0, 0});
  const rules::TimestampMs step = plan.step.count();
  app::PastData data;
  data.origin = "grid";
  rules::Series s;
  s.labels = {{"series", "s"}};
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) continue;
    s.timestamps.push_back(static_cast<rules::TimestampMs>(i) * step);
    s.values.push_back(values[i]);
  }
  data.series.push_back(std::move(s));
  app::ForecastBacktestOptions options;
  options.from = origins.front() * step;
  options.to = (origins.back() + *std::max_element(plan.horizons.begin(), plan.horizons.end())) * step;
  options.cuts = 0;
  options.cut_every = plan.step * plan.spacing;
  options.season = plan.period;
  return app::backtest_forecast(accuracy_rule(plan), data, options);
}

}  // namespace promcast::bench
