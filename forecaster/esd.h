#pragma once
// Generalized ESD test for up to r outliers (Rosner 1983), with either the classic mean / standard deviation
// statistic or the median / MAD one that Twitter's Seasonal-Hybrid ESD uses.
#include <cstddef>
#include <expected>
#include <span>
#include <vector>

#include "common/error.h"
#include "forecaster/detector.h"

namespace promcast::forecaster {

enum class EsdStatistic {
  kMeanSd,     ///< Rosner's test: mean and sample standard deviation
  kMedianMad,  ///< the "hybrid" test: median and MAD scaled by 1.4826 (R's mad())
};

struct EsdOptions {
  double alpha = 0.05;
  /// Upper bound r on the number of anomalies: max_count when > 0, else floor(max_fraction * n)
  /// (truncation as Twitter's code does). At most n - 2.
  std::size_t max_count = 0;
  double max_fraction = 0.1;
  Direction direction = Direction::kBoth;
  EsdStatistic statistic = EsdStatistic::kMeanSd;
  /// Floor on the fitted model's scale, relative to |center|: keeps the verdict on a later point finite
  /// when the retained points are (nearly) constant, e.g. quantized metrics. 0 = off (Rosner / Twitter).
  double min_relative_scale = 0.0;
};

/// The location/scale/critical value left once the anomalies are removed: judges any value, inside or
/// outside the sample, with score = deviation / (critical * scale), 1.0 on the boundary.
struct EsdModel {
  double center = 0.0;
  double scale = 0.0;
  double critical = 0.0;  ///< lambda_{k+1}: the critical value the next candidate would have faced
  Direction direction = Direction::kBoth;

  /// Score of `value` relative to `center` (expected = center + offset by the caller).
  [[nodiscard]] double score(double value) const;
  /// Fills score/expected/lower/upper for a value whose expected level is `expected_offset + center`.
  [[nodiscard]] Judgement judge(double value, double expected_offset = 0.0) const;
};

struct EsdResult {
  std::vector<std::size_t> removed;  ///< candidate indices in removal order (r of them at most)
  std::vector<double> statistic;     ///< R_i for each removed candidate
  std::vector<double> critical;      ///< lambda_i for each removed candidate
  std::size_t num_anomalies = 0;     ///< k = largest i with R_i > lambda_i; the anomalies are removed[0..k)
  EsdModel model;                    ///< fitted on the points left after removing the k anomalies
};

/// Rosner's critical value lambda_i for step i (1-based) with n points.
double esd_critical_value(std::size_t n, std::size_t i, double alpha, bool one_sided);

/// Runs the test on finite values. Stops early (as Twitter's code) when the scale becomes zero.
std::expected<EsdResult, Error> generalized_esd(std::span<const double> x, const EsdOptions& options);

/// The test as a detector: every point judged against the fitted model, the k anomalies flagged.
std::expected<Detection, Error> esd_detect(std::span<const double> x, const EsdOptions& options);

}  // namespace promcast::forecaster
