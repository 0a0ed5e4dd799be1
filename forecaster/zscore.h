#pragma once
// z-score and robust z-score (median / MAD) of each point against the trailing window before it, so the
// batch and the streaming verdicts are the same thing.
#include <cstddef>
#include <expected>
#include <span>

#include "common/error.h"
#include "forecaster/detector.h"

namespace promcast::forecaster {

struct ZscoreOptions {
  std::size_t window = 288;    ///< number of finite points before t that form its reference
  std::size_t min_points = 0;  ///< points needed before judging; 0 = min(window, 10)
  double threshold = 3.0;      ///< |z| above this is anomalous (score = |z| / threshold)
  bool robust = false;         ///< median and MAD * 1.4826 instead of mean and standard deviation
  Direction direction = Direction::kBoth;
  /// Floor on the scale relative to |center|, for (nearly) constant windows; 0 = off.
  double min_relative_scale = 0.0;
};

/// Judges every finite point t against the (up to) `window` finite points before it.
std::expected<Detection, Error> zscore_detect(std::span<const double> x, const ZscoreOptions& options);

}  // namespace promcast::forecaster
