#pragma once
// The evaluation loop of bench/forecast_accuracy_tool.cc, in a header so that tests/app can check it
// on a tiny series against R (tests/app/forecast_accuracy_test.cc).
//
// One series at a time: its values on a regular grid (index i at time i * step) are replayed by
// `promcast backtest`'s own replay (app::backtest_forecast, which runs the rule engine's forecast
// evaluator), at origins spaced one season apart and ending one longest horizon before the data
// ends, so that every forecast can be checked; origins where a reference method failed can be left
// out, so every method is scored on the same forecasts. The figures (MASE scaled by the origin window's
// seasonal-naive Q, sMAPE, interval coverage) are forecaster/backtest.h's; bench/forecast_accuracy.R
// computes the same for R's models at the same origins on the same grid.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <expected>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "app/backtest.h"
#include "rules/rule_config.h"

namespace promcast::bench {

struct AccuracyPlan {
  rules::Duration step{5 * 60 * 1000};
  int period = 288;                        ///< seasonal period in steps (also the MASE scaling lag)
  std::vector<int> horizons{12, 72, 288};  ///< in steps; the longest is how far each origin forecasts
  int history = 2016;                      ///< training window in steps (the rule's `history`)
  int min_history = 2016;                  ///< earliest origin: this many points at or before it
  int spacing = 288;                       ///< steps between origins
  std::size_t max_origins = 7;             ///< the latest this many origins (0: all)
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

/// One series' figures, pooled over its origins.
struct SeriesAccuracy {
  std::vector<app::AccuracyPair> horizons;                 ///< aligned with AccuracyPlan::horizons
  app::AccuracyPair all;                                   ///< every lead 1..longest horizon
  std::vector<long long> forecast;                         ///< origins with a forecast
  std::vector<std::pair<long long, std::string>> skipped;  ///< origin, why there was no forecast
  std::string model;                                       ///< the model of the latest origin that forecast
};

/// Replays the plan's rule over one gridded series (missing values NaN) at the given origins
/// (indices; accuracy_origins() by default), one replay per origin (a full re-estimation at each, as
/// with origins a refit interval apart), so that any origin can be left out.
inline SeriesAccuracy evaluate_series(std::span<const double> values, const AccuracyPlan& plan,
                                      std::vector<long long> origins = {}) {
  if (origins.empty()) origins = accuracy_origins(values.size(), plan);
  const int longest = *std::max_element(plan.horizons.begin(), plan.horizons.end());
  SeriesAccuracy out;
  out.horizons.assign(plan.horizons.size(), app::AccuracyPair(plan.levels.size()));
  out.all = app::AccuracyPair(plan.levels.size());
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
  const rules::ForecastRule rule = accuracy_rule(plan);
  for (long long c : origins) {
    app::ForecastBacktestOptions options;
    options.from = c * step;
    options.to = (c + longest) * step;
    options.cuts = 1;
    options.season = plan.period;
    auto b = app::backtest_forecast(rule, data, options);
    if (!b) {
      out.skipped.emplace_back(c, b.error().message);
      continue;
    }
    const auto& r = b->series.front();
    if (r.cuts_forecast == 0) {
      out.skipped.emplace_back(c, r.skipped.empty() ? "no forecast" : r.skipped.front().second);
      continue;
    }
    out.forecast.push_back(c);
    out.model = r.model;
    for (std::size_t j = 0; j < out.horizons.size(); ++j) out.horizons[j].merge(r.horizons[j]);
    out.all.merge(r.all);
  }
  return out;
}

}  // namespace promcast::bench
