#pragma once
// Seasonal-Hybrid ESD with the semantics of Twitter's AnomalyDetection (AnomalyDetectionVec/detect_anoms):
// robust periodic STL, residual = value - seasonal - median(value), generalized ESD with median and MAD,
// optional longterm pieces, threshold filters on per-period maxima and only_last.
#include <cstddef>
#include <expected>
#include <span>
#include <vector>

#include "common/error.h"
#include "forecaster/detector.h"
#include "forecaster/esd.h"

namespace promcast::forecaster {

/// Twitter's `threshold`: keep only anomalies whose value is at least this statistic of the per-period
/// maxima.
enum class ShesdThreshold { kNone, kMedMax, kP95, kP99 };

struct ShesdOptions {
  int period = 0;           ///< observations per season (e.g. 1440 for minutes in a day)
  double max_anoms = 0.10;  ///< fraction of the points (of each piece); below 1/n becomes 1/n
  Direction direction = Direction::kPositive;  ///< Twitter's default is 'pos'
  double alpha = 0.05;
  /// Twitter's longterm_period (points): detect in consecutive pieces of this length, the last piece being
  /// the last longterm_period points. 0 = one piece. Twitter's AnomalyDetectionTs uses
  /// period * 7 * piecewise_median_period_weeks.
  std::size_t longterm_period = 0;
  ShesdThreshold threshold = ShesdThreshold::kNone;
  bool only_last = false;  ///< report only anomalies in the last period
  /// Floor on the residual scale relative to |median of the values| (see EsdOptions); 0 = off (Twitter).
  double min_relative_scale = 0.0;
};

/// A fitted S-H-ESD model that judges later points (the streaming / rule-engine use): the periodic seasonal
/// pattern by phase (index modulo period), the median of the fitted values and the ESD model on residuals.
struct ShesdModel {
  int period = 0;
  std::size_t origin = 0;        ///< absolute index of the first fitted point (phase reference)
  std::vector<double> seasonal;  ///< pattern indexed by (absolute index - origin) mod period
  double median = 0.0;
  EsdModel esd;

  /// Judges the value at absolute index `index`.
  [[nodiscard]] Judgement judge(std::size_t index, double value) const;
};

/// Runs S-H-ESD over the whole series. Interior NaN gaps are filled linearly for the decomposition (Twitter
/// refuses them) and never judged; leading/trailing NaNs are dropped as Twitter's na.omit does.
/// Needs more than two full periods (per piece).
std::expected<Detection, Error> shesd_detect(std::span<const double> x, const ShesdOptions& options);

/// Fits the model on `x` (whose first point has absolute index `origin`) with one piece.
std::expected<ShesdModel, Error> shesd_fit(std::span<const double> x, std::size_t origin,
                                           const ShesdOptions& options);

}  // namespace promcast::forecaster
