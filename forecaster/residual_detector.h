#pragma once
// Forecast-residual detector: a point is anomalous when it falls outside the SARIMAX one-step-ahead
// prediction interval at `level`. Score = |residual| / (z_level * predicted sd), i.e. the issue's
// |residual| / predicted sd divided by the interval's half-width in sd units, so 1.0 is the interval edge.
#include <cstddef>
#include <expected>
#include <memory>
#include <span>

#include "common/error.h"
#include "forecaster/detector.h"
#include "forecaster/sarimax.h"

namespace promcast::forecaster {

struct ResidualOptions {
  SarimaxSpec spec;     ///< the model (orders, trend); no exogenous regressors here
  double level = 99.0;  ///< prediction interval level in percent
  /// Flag a point when at least k of the last n points (itself included) are outside their interval:
  /// k = n = 1 flags every point outside.
  int k = 1;
  int n = 1;
  FitOptions fit;  ///< estimation knobs (standard errors are never needed here)
};

/// Batch: fits on the whole series, judges each point by its one-step-ahead prediction.
std::expected<Detection, Error> residual_detect(std::span<const double> y, const ResidualOptions& options);

/// Streaming: fitted on a history, judges the next points one at a time and absorbs them without
/// re-estimating (Kalman update), as the rule engine does between refits.
class ResidualModel {
 public:
  static std::expected<ResidualModel, Error> fit(std::span<const double> history,
                                                 const ResidualOptions& options);
  /// Judges `value` as the next observation, then absorbs it. k-of-n counts within this model's lifetime.
  Judgement judge_next(double value);

 private:
  ResidualModel(Sarimax model, const ResidualOptions& options);
  Sarimax model_;
  ResidualOptions options_;
  double z_ = 0.0;
  std::vector<char> recent_outside_;  ///< ring of the last n verdicts
  std::size_t seen_ = 0;
};

/// Shared with the batch path: the k-of-n rule over a sequence of outside/inside verdicts.
bool k_of_n(std::span<const char> recent, int k);

}  // namespace promcast::forecaster
