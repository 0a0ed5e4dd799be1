#pragma once
// `promcast backtest`: replays one rule over past data and says how it would have done.
//
// The replay drives the rule engine's own evaluators (rules::make_evaluator) against the past data
// held in memory, so the backtest fits exactly what the live rule would fit: the same windows, model
// search or orders, Fourier terms, detector, post-processing and `for:`.
//   - Forecast rules: one evaluation at each cut (rolling origin, oldest first): the window is the
//     rule's `history` up to the cut, the model is refitted when `refit` has passed since the last
//     refit and otherwise fed the new points (as the live rule), and its forecast path from the cut is
//     compared with what happened at every horizon, next to a seasonal-naive forecast from the same
//     window (forecaster/backtest.h has the definitions of MASE, sMAPE and coverage).
//   - Anomaly rules: an evaluation every `interval` from `from` to `to`; the series' alert states
//     (pending, firing after `for:`) become alert episodes with their peak anomaly score; with known
//     incidents, which were caught, how early, and the false alerts per day.
// Files: backtest_replay.cc (the replay), backtest_report.cc (text, JSON, HTML), backtest_command.cc
// (flags, data from Prometheus or a CSV, incidents file).
#include <cstddef>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "forecaster/backtest.h"
#include "rules/rule_config.h"
#include "rules/rule_evaluator.h"
#include "rules/series.h"

namespace promcast::app {

using rules::TimestampMs;

/// Called after each evaluation of the replay: evaluations done, evaluations in all.
using ProgressFn = std::function<void(std::size_t done, std::size_t total)>;

/// Past data in memory, served to the evaluators as query_range answers.
struct PastData {
  std::vector<rules::Series> series;
  std::string origin;  ///< "prometheus <source name>" or the CSV file, for reports
};

/// A query function over `data`: every series with its samples in [start, end] (limits not applied).
rules::QueryFn memory_query(const PastData& data);

// ---- forecast rules ----

struct ForecastBacktestOptions {
  TimestampMs from = 0;  ///< forecast targets lie in (from, to]; the first cut is `from` (aligned up)
  TimestampMs to = 0;
  std::size_t cuts = 10;         ///< evenly spread cuts (when cut_every is 0)
  rules::Duration cut_every{0};  ///< > 0: a cut every this long from `from` (at most `cuts` if set)
  std::optional<int> season;     ///< baseline period in steps; default: the rule's season (see .cc)
};

/// Accuracy of the rule's model and of the seasonal-naive baseline on the same forecasts.
struct AccuracyPair {
  forecaster::AccuracySum model, baseline;
  explicit AccuracyPair(std::size_t levels = 0) : model(levels), baseline(levels) {}
  void merge(const AccuracyPair& o) {
    model.merge(o.model);
    baseline.merge(o.baseline);
  }
};

struct SeriesForecastBacktest {
  rules::Labels labels;                ///< the source series' labels without __name__
  std::string model;                   ///< the model of the last cut that fitted, e.g. "SARIMAX(1,0,1)..."
  std::vector<AccuracyPair> horizons;  ///< aligned with ForecastBacktest::horizon_steps
  AccuracyPair all;                    ///< every lead time 1..max horizon pooled
  std::size_t cuts_forecast = 0;
  std::vector<std::pair<TimestampMs, std::string>> skipped;  ///< cut time, why (e.g. insufficient history)
  rules::SeriesChart chart;  ///< the data, and the out-of-sample forecasts of the cuts as its band
};

struct ForecastBacktest {
  std::string rule;
  rules::Duration step{};
  std::vector<TimestampMs> cuts;
  std::vector<int> horizon_steps;  ///< the rule's horizons > 0 in steps (1 when it has none)
  std::vector<double> levels;      ///< the rule's intervals, e.g. 0.8, 0.95
  int season = 1;                  ///< the baseline's and the MASE scaling's period in steps
  std::vector<SeriesForecastBacktest> series;
  std::vector<AccuracyPair> horizons;  ///< over every series
  AccuracyPair all;
};

/// Replays a forecast rule. Errors: no cut fits between from and to ("too little data"), no series
/// in the data, or no series with enough history at any cut (naming the first reason).
std::expected<ForecastBacktest, Error> backtest_forecast(const rules::ForecastRule& rule,
                                                         const PastData& data,
                                                         const ForecastBacktestOptions& options,
                                                         const ProgressFn& progress = {});

// ---- anomaly rules ----

struct AnomalyBacktestOptions {
  TimestampMs from = 0;
  TimestampMs to = 0;
  rules::Duration interval{60 * 1000};  ///< evaluation cadence (the rule's group interval)
};

/// One alert that would have fired.
struct ReplayedAlert {
  TimestampMs pending_since = 0;  ///< first evaluation of the episode (pending, or firing when `for:` is 0)
  TimestampMs start = 0;          ///< first evaluation at which it was firing
  TimestampMs end = 0;            ///< last evaluation at which it was firing
  bool ongoing = false;           ///< still firing at the replay's end
  double peak_score = 0;          ///< the highest anomaly score from pending_since to end
};

struct SeriesAnomalyBacktest {
  rules::Labels labels;
  std::vector<ReplayedAlert> alerts;
  std::size_t pending_only = 0;  ///< episodes that were pending but resolved before `for:` passed
  std::size_t evaluations = 0, judged = 0;
  std::string last_problem;  ///< e.g. "insufficient history: ..." (the last one seen)
  rules::SeriesChart chart;  ///< data from `from` to `to`, the detector's band, anomalous points
};

struct Incident {
  TimestampMs start = 0, end = 0;
  std::string name;
};

struct AnomalyBacktest {
  std::string rule;
  rules::Duration step{}, interval{}, for_{};
  TimestampMs from = 0, to = 0;
  std::size_t evaluations = 0;
  std::vector<SeriesAnomalyBacktest> series;
  // with incidents
  std::vector<Incident> incidents;
  forecaster::IncidentReport incident_report;  ///< times in seconds; alerts in series order
};

/// Replays an anomaly rule. Errors: to <= from, no series in the data, no point judged ("too little
/// data", with the detector's reason).
std::expected<AnomalyBacktest, Error> backtest_anomaly(const rules::AnomalyRule& rule, const PastData& data,
                                                       const AnomalyBacktestOptions& options,
                                                       const ProgressFn& progress = {});

/// Matches the replay's alerts against known incidents (fills incidents and incident_report).
void score_incidents(AnomalyBacktest& backtest, std::vector<Incident> incidents);

// ---- reports (backtest_report.cc) ----

/// One rule's report as JSON (the shape docs/backtest.md describes).
json::Json to_json(const ForecastBacktest& b);
json::Json to_json(const AnomalyBacktest& b);
/// One rule's report as text tables for a terminal.
std::string to_text(const ForecastBacktest& b);
std::string to_text(const AnomalyBacktest& b);
/// The self-contained HTML report (no scripts, no external resources) of every rule replayed, with
/// one chart per series (web::render_chart_svg); every user string escaped.
std::string to_html(const std::vector<ForecastBacktest>& forecasts,
                    const std::vector<AnomalyBacktest>& anomalies, const std::string& title);

/// A time as RFC 3339 in UTC ("2026-11-23T12:00:00Z", with milliseconds only when not whole seconds).
std::string format_rfc3339(TimestampMs ms);

}  // namespace promcast::app
