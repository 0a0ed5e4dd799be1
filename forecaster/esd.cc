// Each step removes the point farthest from the centre, which is always the smallest or the largest of the
// points left. Keeping the points sorted turns each step into O(1) for mean/sd and into a half merge for
// the MAD, instead of a full pass; ties are broken towards the earliest index, as R's which()[1] and
// numpy's argmax do.
#include "forecaster/esd.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <numeric>

#include "forecaster/sorted_deviations.h"

namespace promcast::forecaster {
namespace {

constexpr double kMadConstant = 1.4826;

struct Item {
  double value;
  std::size_t index;
};

// Median of the sorted values a[lo..hi] (inclusive), R's definition.
double sorted_median(const std::vector<Item>& a, std::size_t lo, std::size_t hi) {
  const std::size_t m = hi - lo + 1;
  const std::size_t half = lo + m / 2;
  if (m % 2 == 1) return a[half].value;
  return (a[half - 1].value + a[half].value) / 2.0;
}

// Median of |a[i] - c| over the sorted a[lo..hi], O(log n) per ESD step.
double sorted_mad(const std::vector<Item>& a, std::size_t lo, std::size_t hi, double c) {
  return kMadConstant *
         detail::median_abs_deviation_sorted([&](std::size_t i) { return a[lo + i].value; }, hi - lo + 1, c);
}

}  // namespace

double esd_critical_value(std::size_t n, std::size_t i, double alpha, bool one_sided) {
  const double ni = static_cast<double>(n);
  const double fi = static_cast<double>(i);
  const double df = ni - fi - 1.0;
  if (df < 1.0) return std::numeric_limits<double>::infinity();
  const double p = one_sided ? 1.0 - alpha / (ni - fi + 1.0) : 1.0 - alpha / (2.0 * (ni - fi + 1.0));
  const boost::math::students_t dist(df);
  const double t = boost::math::quantile(dist, p);
  return t * (ni - fi) / std::sqrt((ni - fi - 1.0 + t * t) * (ni - fi + 1.0));
}

double EsdModel::score(double value) const {
  double dev = value - center;
  if (direction == Direction::kNegative) dev = -dev;
  if (direction == Direction::kBoth) dev = std::abs(dev);
  if (dev <= 0.0) return 0.0;
  const double bound = critical * scale;
  if (!(bound > 0.0)) return std::numeric_limits<double>::infinity();
  return dev / bound;
}

Judgement EsdModel::judge(double value, double expected_offset) const {
  Judgement j;
  j.judged = std::isfinite(value);
  if (!j.judged) return j;
  j.score = score(value);
  j.anomaly = j.score > 1.0;
  j.expected = expected_offset + center;
  const double half = critical * scale;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  j.lower = direction == Direction::kPositive ? -kInf : j.expected - half;
  j.upper = direction == Direction::kNegative ? kInf : j.expected + half;
  return j;
}

std::expected<EsdResult, Error> generalized_esd(std::span<const double> x, const EsdOptions& o) {
  const std::size_t n = x.size();
  if (n < 3) return detector_error("esd: needs at least 3 points");
  if (!(o.alpha > 0.0 && o.alpha < 1.0)) return detector_error("esd: alpha must be in (0, 1)");
  // a negative or NaN fraction cast to size_t is undefined behaviour (it used to flag almost everything)
  if (o.max_count == 0 && !(o.max_fraction > 0.0 && o.max_fraction < 1.0))
    return detector_error(
        fmt::format("esd: max_anoms as a fraction must be in (0, 1), got {}", o.max_fraction));
  std::size_t r = o.max_count > 0 ? o.max_count : static_cast<std::size_t>(std::trunc(o.max_fraction * n));
  r = std::min(r, n - 2);
  if (r == 0)
    return detector_error(fmt::format("esd: the maximum number of anomalies is 0 for {} points", n));

  std::vector<Item> a(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) return detector_error("esd: the series holds NaN or infinite values");
    a[i] = {x[i], i};
  }
  std::sort(a.begin(), a.end(), [](const Item& l, const Item& rr) {
    return l.value < rr.value || (l.value == rr.value && l.index < rr.index);
  });

  const bool mean_sd = o.statistic == EsdStatistic::kMeanSd;
  const bool one_sided = o.direction != Direction::kBoth;
  // running sums for mean/sd, shifted by the first mean to keep the variance well conditioned
  double shift = 0.0;
  for (double v : x) shift += v;
  shift /= static_cast<double>(n);
  double sum = 0.0;
  double sumsq = 0.0;
  for (double v : x) {
    sum += v - shift;
    sumsq += (v - shift) * (v - shift);
  }
  auto location_scale = [&](std::size_t lo, std::size_t hi, double& c, double& s) {
    const double m = static_cast<double>(hi - lo + 1);
    if (mean_sd) {
      c = shift + sum / m;
      const double var = (sumsq - sum * sum / m) / (m - 1.0);
      s = var > 0.0 ? std::sqrt(var) : 0.0;
    } else {
      c = sorted_median(a, lo, hi);
      s = sorted_mad(a, lo, hi, c);
    }
  };

  EsdResult res;
  std::size_t lo = 0;
  std::size_t hi = n - 1;
  for (std::size_t i = 1; i <= r; ++i) {
    double c = 0.0;
    double s = 0.0;
    location_scale(lo, hi, c, s);
    if (s == 0.0) break;
    // candidates: the top run (largest value, earliest index) and the bottom one
    std::size_t top = hi;
    while (top > lo && a[top - 1].value == a[hi].value) --top;
    const double r_hi = (a[top].value - c) / s;
    const double r_lo = (c - a[lo].value) / s;
    bool take_top = false;
    double stat = 0.0;
    if (o.direction == Direction::kPositive) {
      take_top = true;
      stat = r_hi;
    } else if (o.direction == Direction::kNegative) {
      stat = r_lo;
    } else {
      const double ah = std::abs(a[top].value - c) / s;
      const double al = std::abs(a[lo].value - c) / s;
      take_top = ah > al || (ah == al && a[top].index < a[lo].index);
      stat = take_top ? ah : al;
    }
    double removed_value = 0.0;
    if (take_top) {
      // equal values: move the earliest index to the end, keeping the rest of the run in index order
      std::rotate(a.begin() + static_cast<std::ptrdiff_t>(top),
                  a.begin() + static_cast<std::ptrdiff_t>(top) + 1,
                  a.begin() + static_cast<std::ptrdiff_t>(hi) + 1);
      res.removed.push_back(a[hi].index);
      removed_value = a[hi].value;
      --hi;
    } else {
      res.removed.push_back(a[lo].index);
      removed_value = a[lo].value;
      ++lo;
    }
    sum -= removed_value - shift;
    sumsq -= (removed_value - shift) * (removed_value - shift);
    const double lambda = esd_critical_value(n, i, o.alpha, one_sided);
    res.statistic.push_back(stat);
    res.critical.push_back(lambda);
    if (stat > lambda) res.num_anomalies = i;
  }

  // The model: location and scale of the points left after removing the k anomalies (recomputed directly,
  // since the loop may have removed more candidates than anomalies).
  std::vector<char> is_anomaly(n, 0);
  for (std::size_t i = 0; i < res.num_anomalies; ++i) is_anomaly[res.removed[i]] = 1;
  std::vector<Item> kept;
  kept.reserve(n - res.num_anomalies);
  for (std::size_t i = 0; i < n; ++i)
    if (!is_anomaly[i]) kept.push_back({x[i], i});
  std::sort(kept.begin(), kept.end(), [](const Item& l, const Item& rr) { return l.value < rr.value; });
  const std::size_t m = kept.size();
  EsdModel& model = res.model;
  model.direction = o.direction;
  if (mean_sd) {
    double mean = 0.0;
    for (const Item& it : kept) mean += it.value;
    mean /= static_cast<double>(m);
    double ss = 0.0;
    for (const Item& it : kept) ss += (it.value - mean) * (it.value - mean);
    model.center = mean;
    model.scale = m > 1 ? std::sqrt(ss / static_cast<double>(m - 1)) : 0.0;
  } else {
    model.center = sorted_median(kept, 0, m - 1);
    model.scale = sorted_mad(kept, 0, m - 1, model.center);
  }
  model.scale = std::max(model.scale, o.min_relative_scale * std::abs(model.center));
  model.critical = esd_critical_value(n, res.num_anomalies + 1, o.alpha, one_sided);
  return res;
}

std::expected<Detection, Error> esd_detect(std::span<const double> x, const EsdOptions& o) {
  auto r = generalized_esd(x, o);
  if (!r) return std::unexpected(r.error());
  Detection d;
  d.points.resize(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    d.points[i] = r->model.judge(x[i]);
    d.points[i].anomaly = false;
  }
  for (std::size_t i = 0; i < r->num_anomalies; ++i) d.points[r->removed[i]].anomaly = true;
  return d;
}

}  // namespace promcast::forecaster
