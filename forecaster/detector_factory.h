#pragma once
// One entry point for every detector, in batch (whole series) and streaming (each point judged only on the
// points before it, refitting on a cadence) form: what `promcast detect` and the rule engine call.
#include <cstddef>
#include <expected>
#include <optional>
#include <span>
#include <string_view>

#include "common/error.h"
#include "forecaster/anomaly_likelihood.h"
#include "forecaster/detector.h"
#include "forecaster/esd.h"
#include "forecaster/isolation_forest.h"
#include "forecaster/residual_detector.h"
#include "forecaster/shesd.h"
#include "forecaster/zscore.h"

namespace promcast::forecaster {

enum class Method { kEsd, kShesd, kZscore, kResidual, kIforest };

/// "esd", "shesd", "zscore", "residual", "iforest".
std::expected<Method, Error> parse_method(std::string_view name);
std::string_view to_string(Method method);

/// The chosen method and the options of each (only the chosen one's are used).
struct DetectorConfig {
  Method method = Method::kShesd;
  EsdOptions esd;
  ShesdOptions shesd;
  ZscoreOptions zscore;
  ResidualOptions residual;
  IsolationForestOptions iforest;
  IforestFeatures iforest_features;
};

/// Batch: the method sees the whole series.
std::expected<Detection, Error> detect(const DetectorConfig& config, std::span<const double> x);

struct OnlineOptions {
  std::size_t refit_every = 1;  ///< refit after this many judged points (the model judges in between)
  std::size_t history = 0;      ///< points the model is fitted on; 0 = the method's default (see .cc)
  /// When > 0, each score is divided by max(1, the largest score of the previous `recent_max_window`
  /// judged points): a point is then anomalous only when it is beyond the method's boundary AND worse than
  /// anything the stream showed recently, which keeps regularly spiky streams from alerting on every spike.
  std::size_t recent_max_window = 0;
  /// When set, each score (after the recent-maximum rule) is replaced by its anomaly likelihood score
  /// (anomaly_likelihood.h): 1.0 when the recent scores' tail probability reaches `red`.
  std::optional<AnomalyLikelihoodOptions> likelihood;
  /// When set (>= 0), NAB's new-range rule runs last: a value beyond every earlier value's range by this
  /// fraction of the range is flagged with score at least kNewRangeScore.
  std::optional<double> range_tolerance;
  std::size_t range_min_points = 0;  ///< finite values seen before the new-range rule may flag
};

/// Streaming: point t is judged by a model fitted on at most `history` points before t, refitted every
/// `refit_every` points; points before the method has enough history are not judged. Errors only for
/// invalid options: a fit that fails on some window (e.g. a constant stretch) leaves points unjudged.
/// Post-processing order: recent-maximum rule, anomaly likelihood, new-range rule.
std::expected<Detection, Error> detect_online(const DetectorConfig& config, std::span<const double> x,
                                              const OnlineOptions& options);

}  // namespace promcast::forecaster
