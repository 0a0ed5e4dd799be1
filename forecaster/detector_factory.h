#pragma once
// One entry point for every detector, in batch (whole series) and streaming (each point judged only on the
// points before it, refitting on a cadence) form: what `promcast detect` and the rule engine call.
#include <cstddef>
#include <expected>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

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

/// A detector fitted on a stretch of a stream, judging the points after it one at a time: what
/// detect_online does between refits, and what the rule engine keeps per series between evaluations (so a
/// SARIMAX fit over a week of points happens every `refit`, not at every evaluation).
///
/// Stream coordinates: index 0 is the stream's first point. A caller that keeps only the recent part of a
/// stream (the rule engine's sliding window) passes the index of its first kept point as `first`, so that
/// S-H-ESD's seasonal phase stays where the fit put it while the window slides.
///
/// zscore has no fitted model (it judges each point on the `window` finite points before it, as its batch
/// form does): its fit only checks the options, and refitting it changes nothing. The residual method's
/// k-of-n is not applied here: it counts over the whole stream, across refits (KOfN in residual_detector.h,
/// or apply_k_of_n). Move-only (the residual model owns its filter state).
class StreamDetector {
 public:
  /// Fits on x[from, to). x[0] is the stream's point `first`; x holds the points before `from` too,
  /// since iforest's seasonal-peer and difference features look back past the fitted stretch.
  static std::expected<StreamDetector, Error> fit(const DetectorConfig& config, std::span<const double> x,
                                                  std::size_t from, std::size_t to, std::size_t first = 0);

  /// The fewest finite points a fit is tried on (fewer always fail, or judge nothing useful).
  static std::size_t min_points(const DetectorConfig& config);

  /// Judges through.back() given the points before it (through[0] is the stream's point `first`). Points
  /// must come in order, each once: the residual model absorbs every point it judges.
  Judgement judge(std::span<const double> through, std::size_t first = 0);

 private:
  struct NoModel {};  // zscore
  using Model = std::variant<NoModel, EsdModel, ShesdModel, ResidualModel, IsolationForest>;
  StreamDetector(const DetectorConfig& config, Model model);

  Method method_;
  ZscoreOptions zscore_;
  IforestFeatures features_;
  Model model_;
  std::vector<double> row_;  // iforest's feature row, reused
};

/// Streaming: point t is judged by a model fitted on at most `history` points before t, refitted every
/// `refit_every` points; points before the method has enough history are not judged. Errors only for
/// invalid options: a fit that fails on some window (e.g. a constant stretch) leaves points unjudged.
/// Post-processing order: recent-maximum rule, anomaly likelihood, new-range rule.
std::expected<Detection, Error> detect_online(const DetectorConfig& config, std::span<const double> x,
                                              const OnlineOptions& options);

}  // namespace promcast::forecaster
