#pragma once
// Seasonal-trend decomposition by loess (Cleveland, Cleveland, McRae and Terpenning 1990), with the same
// defaults and the same numerical steps as R's stats::stl(), including s.window = "periodic" and the
// robust outer loop with bisquare weights.
#include <expected>
#include <span>
#include <vector>

#include "common/error.h"

namespace promcast::forecaster {

struct StlOptions {
  int period = 0;           ///< observations per cycle (>= 2)
  bool periodic = true;     ///< R's s.window = "periodic": seasonal = mean of each cycle position
  int seasonal_window = 0;  ///< s.window when not periodic (odd, >= 3; ignored when periodic)
  int seasonal_degree = 0;  ///< s.degree (0 or 1; forced to 0 when periodic)
  int trend_window = 0;     ///< t.window; 0 = R's default nextodd(ceil(1.5 period / (1 - 1.5 / s.window)))
  int trend_degree = 1;     ///< t.degree
  int lowpass_window = 0;   ///< l.window; 0 = nextodd(period)
  int lowpass_degree = -1;  ///< l.degree; -1 = trend_degree
  bool robust = false;      ///< robust = TRUE: inner 1, outer 15 (unless given)
  int inner = -1;           ///< -1 = R's default (robust ? 1 : 2)
  int outer = -1;           ///< -1 = R's default (robust ? 15 : 0)
};

struct StlResult {
  std::vector<double> seasonal;
  std::vector<double> trend;
  std::vector<double> remainder;
  std::vector<double> weights;  ///< final robustness weights (all 1 when not robust)
};

/// Decomposes `y` (no NaN) into seasonal + trend + remainder. Needs more than two full periods, like R.
std::expected<StlResult, Error> stl(std::span<const double> y, const StlOptions& options);

}  // namespace promcast::forecaster
