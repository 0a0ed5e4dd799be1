#pragma once
// The result every anomaly detector returns, so that callers (the detect CLI, the rule engine) can write
// anomaly_score, yhat, yhat_lower and yhat_upper the same way whatever the method.
#include <cmath>
#include <cstddef>
#include <expected>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace promcast::forecaster {

/// Which side of the expected value counts as anomalous.
enum class Direction { kBoth, kPositive, kNegative };

/// The error value detectors return for bad input (the message only: detectors see no files).
inline std::unexpected<Error> detector_error(std::string message) {
  return std::unexpected(Error{std::move(message), {}, 0, 0});
}

inline constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

/// Observed (finite) points: what detectors and their callers count against a method's minimum history.
inline std::size_t count_finite(std::span<const double> x) {
  std::size_t n = 0;
  for (double v : x) n += std::isfinite(v) ? 1 : 0;
  return n;
}

/// The verdict on one point.
struct Judgement {
  bool judged = false;   ///< false for points the method cannot judge (warm-up, NaN input)
  bool anomaly = false;  ///< the method's own decision
  /// Distance from the expected value in units of the method's decision threshold: 1.0 is exactly on the
  /// boundary, above 1 is anomalous. Always >= 0 (+inf against a zero scale, e.g. a spike in a constant
  /// series); NaN when not judged.
  double score = kNoValue;
  double expected = kNoValue;  ///< the value the method expected here (NaN if the method has none)
  double lower = kNoValue;     ///< lowest value not anomalous (-inf when only positive deviations count)
  double upper = kNoValue;     ///< highest value not anomalous (+inf when only negative deviations count)
};

/// One judgement per input point, index-aligned with the input.
struct Detection {
  std::vector<Judgement> points;

  /// Indices of the points flagged anomalous, ascending.
  [[nodiscard]] std::vector<std::size_t> anomalies() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < points.size(); ++i)
      if (points[i].anomaly) out.push_back(i);
    return out;
  }
};

/// The documented monotone map of a raw score (1.0 = boundary) into [0, 1] for NAB-style scoring:
/// s / (1 + s), so the boundary maps to 0.5; NaN (not judged) maps to 0.
inline double bounded_anomaly_score(double raw) {
  if (!(raw >= 0.0)) return 0.0;
  if (std::isinf(raw)) return 1.0;
  return raw / (1.0 + raw);
}

}  // namespace promcast::forecaster
