#include "forecaster/zscore.h"

#include "forecaster/sorted_deviations.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <vector>

namespace promcast::forecaster {
namespace {

constexpr double kMad = 1.4826;

double mad_sorted(const std::vector<double>& v, double c) {
  return detail::median_abs_deviation_sorted([&](std::size_t i) { return v[i]; }, v.size(), c);
}

}  // namespace

std::expected<Detection, Error> zscore_detect(std::span<const double> x, const ZscoreOptions& o) {
  if (o.window < 2) return detector_error("zscore: the window must hold at least 2 points");
  if (!(o.threshold > 0.0)) return detector_error("zscore: the threshold must be positive");
  const std::size_t min_points =
      std::max<std::size_t>(2, o.min_points > 0 ? o.min_points : std::min<std::size_t>(o.window, 10));
  Detection d;
  d.points.resize(x.size());
  std::deque<double> recent;   // the window, in time order
  std::vector<double> sorted;  // the same values, sorted (robust mode)
  double shift = std::numeric_limits<double>::quiet_NaN();
  double sum = 0.0;
  double sumsq = 0.0;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  for (std::size_t t = 0; t < x.size(); ++t) {
    const double v = x[t];
    if (!std::isfinite(v)) continue;
    if (recent.size() >= min_points) {
      const double m = static_cast<double>(recent.size());
      double center = 0.0;
      double scale = 0.0;
      if (o.robust) {
        const std::size_t k = sorted.size();
        center = k % 2 == 1 ? sorted[k / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2.0;
        scale = kMad * mad_sorted(sorted, center);
      } else {
        center = shift + sum / m;
        const double var = (sumsq - sum * sum / m) / (m - 1.0);
        scale = var > 0.0 ? std::sqrt(var) : 0.0;
      }
      scale = std::max(scale, o.min_relative_scale * std::abs(center));
      double dev = v - center;
      if (o.direction == Direction::kNegative) dev = -dev;
      if (o.direction == Direction::kBoth) dev = std::abs(dev);
      Judgement& j = d.points[t];
      j.judged = true;
      const double half = o.threshold * scale;
      j.score = dev <= 0.0 ? 0.0 : (half > 0.0 ? dev / half : kInf);
      j.anomaly = j.score > 1.0;
      j.expected = center;
      j.lower = o.direction == Direction::kPositive ? -kInf : center - half;
      j.upper = o.direction == Direction::kNegative ? kInf : center + half;
    }
    // slide the window
    if (std::isnan(shift)) shift = v;
    recent.push_back(v);
    sum += v - shift;
    sumsq += (v - shift) * (v - shift);
    if (o.robust) sorted.insert(std::upper_bound(sorted.begin(), sorted.end(), v), v);
    if (recent.size() > o.window) {
      const double old = recent.front();
      recent.pop_front();
      sum -= old - shift;
      sumsq -= (old - shift) * (old - shift);
      if (o.robust) sorted.erase(std::lower_bound(sorted.begin(), sorted.end(), old));
    }
    // re-anchor now and then so the running sums never lose precision on long series
    if (!o.robust && t % 4096 == 4095 && !recent.empty()) {
      shift = recent.front();
      sum = 0.0;
      sumsq = 0.0;
      for (double r : recent) {
        sum += r - shift;
        sumsq += (r - shift) * (r - shift);
      }
    }
  }
  return d;
}

}  // namespace promcast::forecaster
