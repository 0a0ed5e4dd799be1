#pragma once
// Forecast-residual detector: a point is anomalous when it falls outside the SARIMAX one-step-ahead
// prediction interval at `level`. Score = |residual| / (z_level * predicted sd), i.e. the issue's
// |residual| / predicted sd divided by the interval's half-width in sd units, so 1.0 is the interval edge.
// With k-of-n (k > 1 or n > 1) each point's score becomes the k-th largest of the last n points' own scores
// (a point not judged counts 0): above 1.0 exactly when at least k of them are outside their intervals.
#include <cstddef>
#include <deque>
#include <expected>
#include <memory>
#include <span>
#include <vector>

#include "common/error.h"
#include "forecaster/detector.h"
#include "forecaster/sarimax.h"

namespace promcast::forecaster {

struct ResidualOptions {
  SarimaxSpec spec;     ///< the model (orders, trend); no exogenous regressors here
  double level = 99.0;  ///< prediction interval level in percent
  /// Flag a point when at least k of the last n points (itself included) are outside their interval:
  /// k = n = 1 flags every point outside. Applied by apply_k_of_n, over the whole stream.
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
  /// Judges `value` as the next observation on its own (no k-of-n: a model lives only until the next
  /// refit, so the streaming layer counts k-of-n with apply_k_of_n), then absorbs it.
  Judgement judge_next(double value);

 private:
  ResidualModel(Sarimax model, const ResidualOptions& options);
  Sarimax model_;
  ResidualOptions options_;
  double z_ = 0.0;
};

/// The k-of-n rule one point at a time, for a stream judged in pieces (the rule engine's evaluations, or a
/// refit model's judgements): fed every point of the stream in order, judged or not, it gives what
/// apply_k_of_n gives over the whole stream.
class KOfN {
 public:
  KOfN(int k, int n);
  /// The next point's judgement with the k-of-n score and verdict (a point not judged passes unchanged).
  Judgement next(Judgement own);

 private:
  std::size_t k_, n_;
  std::deque<double> recent_;    // the own scores of the last n points (0 when not judged)
  std::vector<double> scratch_;  // reused for the selection
};

/// The k-of-n rule over index-aligned judgements of consecutive points (batch and streaming alike): each
/// judged point's score becomes the k-th largest own score of the last n points (itself included, points
/// not judged count 0) and it is anomalous when that exceeds 1. k = n = 1 changes nothing.
void apply_k_of_n(Detection& detection, int k, int n);

}  // namespace promcast::forecaster
