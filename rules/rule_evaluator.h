#pragma once
// What one evaluation of one rule produces, and the interface both rule kinds implement. An evaluator
// owns the rule's state across evaluations (series windows, fitted models, alert state); the engine
// calls evaluate() from the rule's group loop, one call at a time.
#include <cstddef>
#include <expected>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "rules/model_snapshot.h"
#include "rules/notifier.h"
#include "rules/output_store.h"
#include "rules/remote_write.h"
#include "rules/rule_config.h"
#include "rules/series_windows.h"
#include "rules/worker_pool.h"

namespace promcast::rules {

/// Per-series state for the status pages and the API.
struct SeriesStatus {
  Labels labels;
  std::string model;  ///< e.g. "SARIMAX(1,0,1)(0,1,1,24)" or the detector
  double aicc = 0;    ///< NaN when not applicable
  TimestampMs last_fit = 0;
  double value = 0;                           ///< last observed value (NaN when none)
  double expected = 0, lower = 0, upper = 0;  ///< one-step expectation and its widest band
  double score = 0;                           ///< anomaly rules
  std::string state;  ///< "ok", "insufficient history", "constant", "fit failed: ...", "pending", "firing"
  /// Forecast rules: Ljung-Box p-value of the last fit's standardized residuals (NaN when unknown).
  double ljung_box_p = std::numeric_limits<double>::quiet_NaN();
  Labels annotations;  ///< anomaly rules: the expanded annotations of the series' pending or firing alert
};

struct RuleEvaluation {
  std::vector<OutputSample> samples;  ///< to /metrics (replaces the rule's previous samples)
  std::vector<Sample> remote;         ///< to remote write (labels include __name__)
  std::vector<Alert> alerts;          ///< due to Alertmanager now
  std::vector<SeriesStatus> series;
  std::size_t insufficient = 0;
  std::size_t fits = 0;
  std::size_t fit_failures = 0;
  std::size_t restored = 0;  ///< series whose stored model was rebuilt instead of fitted (not in fits)
  std::size_t restore_failures = 0;  ///< stored models that could not be rebuilt: those series were fitted
  std::size_t samples_read = 0;
  std::size_t queries = 0;
};

/// What evaluations need from the engine besides the rule.
struct EvalEnv {
  Labels external_labels;
  Duration interval{60 * 1000};
  Duration resend_delay{60 * 1000};
  Duration future_window{0};  ///< forecast path written ahead of now (0 = none)
  std::string generator_url;  ///< link to the rule's page
  WorkerPool* pool = nullptr;
};

/// What a chart of one series shows (status pages, backtest reports): the history on the rule's grid,
/// the model's expectation for each point with its band, the forecast after the last point, anomalies.
struct SeriesChart {
  Labels labels;          ///< the source series' labels
  TimestampMs start = 0;  ///< grid time of values[0]
  Duration step{};
  std::vector<double> values;
  std::vector<double> expected, lower, upper;  ///< aligned with values; NaN where there is none
  std::vector<double> forecast_mean, forecast_lower, forecast_upper;  ///< from start + values.size() * step
  double level = 0;                    ///< the band's level (the widest interval), e.g. 0.95
  std::vector<std::size_t> anomalies;  ///< indices into values
  std::string model;
};

/// One series' forecast path kept compactly: mean and standard error per step, the bounds per level
/// derived when read. The engine holds these between evaluations for remote read and the query API
/// (a fifth of the memory of the expanded series at two levels).
struct ForecastPath {
  std::string rule;  ///< R of R:yhat_path
  Labels labels;     ///< output labels, without __name__
  TimestampMs start = 0;  ///< time of mean[0]
  Duration step{};
  std::vector<double> mean, std_err;
  std::vector<double> levels;  ///< interval levels, e.g. 0.8, 0.95
  std::vector<double> z;       ///< the normal quantile of each level: bound = mean -/+ z * std_err

  /// Appends R:yhat_path{L} and R:yhat_path_lower/_upper{L,level} (labels with __name__) to `out`.
  void expand(std::vector<Series>& out) const;
};

/// Every path expanded.
std::vector<Series> expand_paths(const std::vector<ForecastPath>& paths);

class RuleEvaluator {
 public:
  virtual ~RuleEvaluator() = default;
  /// The chart of the series with this labels_hash, if the rule has it. Call between evaluations (the
  /// engine holds the rule's evaluation lock).
  [[nodiscard]] virtual std::optional<SeriesChart> chart(std::uint64_t series_hash) const = 0;
  /// Forecast rules: every series' forecast path at its future timestamps. Empty for anomaly rules.
  [[nodiscard]] virtual std::vector<ForecastPath> forecast_path_set() const { return {}; }
  /// The same expanded: R:yhat_path{L} and R:yhat_path_lower/_upper{L,level}, labels with __name__.
  [[nodiscard]] std::vector<Series> forecast_paths() const { return expand_paths(forecast_path_set()); }
  /// One evaluation at `now`. An error (query failed, limits exceeded) leaves the state as it was.
  virtual std::expected<RuleEvaluation, Error> evaluate(TimestampMs now, const QueryFn& query,
                                                        const EvalEnv& env) = 0;
  [[nodiscard]] virtual const RuleCommon& common() const = 0;

  // Fitted models kept across restarts (--storage.path, model_snapshot.h). Rules without models worth
  // keeping (anomaly rules refit in milliseconds) leave these as they are.
  /// What the fitted models depend on; stored models are handed back only to an equal fingerprint.
  /// Empty: nothing to keep.
  [[nodiscard]] virtual std::string model_fingerprint() const { return {}; }
  /// The models of the series this evaluator owns (and stored ones not used yet). Call between
  /// evaluations.
  [[nodiscard]] virtual RuleModelSnapshot export_models() const { return {}; }
  /// Stored models to use for their series when they appear, instead of fitting, until the next refit
  /// (due at their fit time + refit). Returns how many were taken: 0 when the fingerprint differs.
  virtual std::size_t restore_models(RuleModelSnapshot /*snapshot*/) { return 0; }
};

/// The read of a rule's expr with its limits (the windows set the range and step).
RangeQuery rule_query(const RuleCommon& rule);

/// Runs per-series tasks on the engine's pool, or on the calling thread when there is none (tests).
void run_tasks(const EvalEnv& env, std::vector<std::function<void()>> tasks);

/// The evaluator for a rule of either kind.
std::unique_ptr<RuleEvaluator> make_evaluator(const Rule& rule, Shard shard = {});

/// The rule's labels for one series: values with {{ ... }} are expanded as alert templates with the
/// series' labels (without __name__) and `value` as $value; others are taken as they are.
Labels expand_rule_labels(const Labels& series, const Labels& rule_labels, double value);

/// Output labels of a source series: its labels without __name__, then the rule's labels over them.
Labels output_labels(const Labels& series, const Labels& rule_labels);

}  // namespace promcast::rules
