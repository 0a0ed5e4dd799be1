#pragma once
// Numenta's anomaly likelihood (Ahmad et al. 2017, "Unsupervised real-time anomaly detection for streaming
// data"; the post-processing of HTM's NAB detector) over any detector's scores, plus NAB's "new range" rule.
//
// A detector's raw score is noisy: a regularly spiky stream scores high all the time. The likelihood asks
// instead how unusual the recent scores are for this stream: the mean of the last `averaging_window` scores
// is compared with a normal distribution fitted to the stream's earlier averaged scores, and its Gaussian
// tail probability p is the verdict. Only the first point of a run of red tail probabilities (p <= red)
// stays red; the following ones are lowered to `yellow`, so a long excursion alerts once.
#include <cstddef>
#include <deque>
#include <span>
#include <vector>

#include "forecaster/detector.h"

namespace promcast::forecaster {

struct AnomalyLikelihoodOptions {
  /// Scores ignored when fitting the distribution (the detector's own warm-up: its first scores are
  /// unreliable); they still enter the moving average.
  std::size_t learning_period = 300;
  /// Averaged scores after the learning period before the first estimate; no verdict (p = 0.5) until then.
  std::size_t estimation_samples = 300;
  std::size_t history = 8640;          ///< averaged scores the distribution is fitted on (30 days of 5 min)
  std::size_t reestimate_every = 100;  ///< refit the distribution after this many points
  std::size_t averaging_window = 10;   ///< the moving average of raw scores that is judged
  double red = 1e-5;                   ///< tail probability at or below which a point alerts (score 1.0)
  double yellow = 1e-3;      ///< tail probability a red point directly after another red point is raised to
  double mean_floor = 0.03;  ///< the fitted mean is at least this (near-zero score streams)
  double variance_floor = 0.0003;  ///< the fitted variance is at least this
};

/// Streaming state: feed the scores of consecutive points, get each point's tail probability.
class AnomalyLikelihood {
 public:
  explicit AnomalyLikelihood(const AnomalyLikelihoodOptions& options);

  /// The tail probability (after the red/yellow filter) of the point whose bounded score in [0, 1] is
  /// `score`, judged on the points fed before it; 0.5 until `learning_period + estimation_samples` points
  /// were seen.
  double next(double score);

 private:
  void estimate();

  AnomalyLikelihoodOptions options_;
  std::deque<double> recent_;  ///< the last averaging_window scores
  double recent_sum_ = 0.0;
  std::deque<double> averaged_;  ///< moving averages of earlier points, oldest first (at most history)
  std::size_t seen_ = 0;
  bool estimated_ = false;
  double mean_ = 0.0;
  double sd_ = 1.0;
  double previous_unfiltered_ = 0.5;
};

/// The likelihood's raw score: log(p) / log(red), so 1.0 is the red boundary (monotone decreasing in p).
double likelihood_score(double tail_probability, double red);

/// Replaces every judged point's score by the likelihood score of its bounded score
/// (`bounded_anomaly_score`), and its flag by score >= 1. Unjudged points are not fed and stay unjudged.
/// Expected value and bounds are kept: they are the detector's.
void apply_anomaly_likelihood(Detection& detection, const AnomalyLikelihoodOptions& options);

/// The score a new-range point gets (the likelihood score of p = 1e-10, the cap of NAB's log-likelihood).
inline constexpr double kNewRangeScore = 2.0;

/// NAB's spatial-anomaly rule: a judged point whose value lies outside [min - f * range, max + f * range] of
/// every earlier finite value (range = max - min > 0) is flagged with score max(score, kNewRangeScore).
/// The rule stays silent until `min_points` finite values were seen (a new stream sets new extremes all
/// the time; NAB's probation hides that, a live stream would alert).
void apply_new_range_rule(Detection& detection, std::span<const double> values, double tolerance,
                          std::size_t min_points = 0);

}  // namespace promcast::forecaster
