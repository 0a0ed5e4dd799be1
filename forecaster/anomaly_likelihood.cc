#include "forecaster/anomaly_likelihood.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace promcast::forecaster {

AnomalyLikelihood::AnomalyLikelihood(const AnomalyLikelihoodOptions& options) : options_(options) {
  options_.averaging_window = std::max<std::size_t>(options_.averaging_window, 1);
  options_.reestimate_every = std::max<std::size_t>(options_.reestimate_every, 1);
  options_.history = std::max<std::size_t>(options_.history, 1);
}

void AnomalyLikelihood::estimate() {
  // The learning period's averages are skipped while they are still in the history.
  const std::size_t shifted_out = seen_ > options_.history ? seen_ - options_.history : 0;
  const std::size_t skip = std::min(
      averaged_.size(), options_.learning_period > shifted_out ? options_.learning_period - shifted_out : 0);
  const std::size_t n = averaged_.size() - skip;
  double mean = 0.0;
  double variance = 0.0;
  if (n > 0) {
    // two passes (mean, then squared deviations): exact enough for long flat streams
    for (std::size_t i = skip; i < averaged_.size(); ++i) mean += averaged_[i];
    mean /= static_cast<double>(n);
    for (std::size_t i = skip; i < averaged_.size(); ++i)
      variance += (averaged_[i] - mean) * (averaged_[i] - mean);
    variance /= static_cast<double>(n);  // population variance, as numpy.var
  }
  mean_ = std::max(mean, options_.mean_floor);
  sd_ = std::sqrt(std::max(variance, options_.variance_floor));
  estimated_ = true;
}

double AnomalyLikelihood::next(double score) {
  if (!std::isfinite(score)) score = 0.0;
  recent_.push_back(score);
  recent_sum_ += score;
  if (recent_.size() > options_.averaging_window) {
    recent_sum_ -= recent_.front();
    recent_.pop_front();
  }
  // re-sum now and then: the running sum must not drift on long streams
  if (seen_ % 4096 == 4095) {
    recent_sum_ = 0.0;
    for (double s : recent_) recent_sum_ += s;
  }
  const double average = recent_sum_ / static_cast<double>(recent_.size());
  double p = 0.5;
  if (seen_ >= options_.learning_period + options_.estimation_samples) {
    if (!estimated_ || seen_ % options_.reestimate_every == 0) estimate();
    // the normal is symmetric: a low average is judged by its mirror image (as Numenta's tailProbability)
    const double x = average >= mean_ ? average : 2.0 * mean_ - average;
    const double unfiltered = 0.5 * std::erfc((x - mean_) / (sd_ * std::sqrt(2.0)));
    p = unfiltered;
    if (unfiltered <= options_.red && previous_unfiltered_ <= options_.red) p = options_.yellow;
    previous_unfiltered_ = unfiltered;
  }
  averaged_.push_back(average);
  if (averaged_.size() > options_.history) averaged_.pop_front();
  ++seen_;
  return p;
}

double likelihood_score(double tail_probability, double red) {
  const double p = std::max(tail_probability, std::numeric_limits<double>::min());
  return std::log(p) / std::log(red);
}

void apply_anomaly_likelihood(Detection& detection, const AnomalyLikelihoodOptions& options) {
  AnomalyLikelihood likelihood(options);
  for (auto& j : detection.points) {
    if (!j.judged) continue;
    const double p = likelihood.next(bounded_anomaly_score(j.score));
    j.score = likelihood_score(p, options.red);
    j.anomaly = p <= options.red;
  }
}

void apply_new_range_rule(Detection& detection, std::span<const double> values, double tolerance,
                          std::size_t min_points) {
  std::size_t seen = 0;
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  for (std::size_t t = 0; t < detection.points.size() && t < values.size(); ++t) {
    const double v = values[t];
    if (!std::isfinite(v)) continue;
    auto& j = detection.points[t];
    if (j.judged && hi > lo && seen >= min_points) {
      const double margin = tolerance * (hi - lo);
      if (v > hi + margin || v < lo - margin) {
        j.score = std::max(j.score, kNewRangeScore);
        j.anomaly = true;
      }
    }
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    ++seen;
  }
}

}  // namespace promcast::forecaster
