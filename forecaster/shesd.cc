#include "forecaster/shesd.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "forecaster/stl.h"

namespace promcast::forecaster {
namespace {

// R's median (mean of the two middle values for even lengths).
double median_of(std::vector<double> v) {
  const std::size_t n = v.size();
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(v.begin(), mid, v.end());
  const double hi = *mid;
  if (n % 2 == 1) return hi;
  const double lo = *std::max_element(v.begin(), mid);
  return (lo + hi) / 2.0;
}

// R's quantile(type = 7).
double quantile7(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double h = (static_cast<double>(v.size()) - 1.0) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

struct PieceFit {
  ShesdModel model;
  std::vector<double> residual;
  EsdResult esd;
};

// Twitter's detect_anoms on one NaN-free piece.
// `max_anoms` has already been raised to 1 / (length of the whole series), as Twitter does.
std::expected<PieceFit, Error> fit_piece(std::span<const double> x, std::size_t origin, const ShesdOptions& o,
                                         double max_anoms) {
  const std::size_t n = x.size();
  if (n < 2 * static_cast<std::size_t>(o.period) + 1)
    return detector_error(fmt::format(
        "shesd: needs at least two full periods of data plus one point ({} for period {}), got {}",
        2 * o.period + 1, o.period, n));
  StlOptions so;
  so.period = o.period;
  so.periodic = true;
  so.robust = true;
  auto dec = stl(x, so);
  if (!dec) return std::unexpected(dec.error());
  PieceFit f;
  f.model.period = o.period;
  f.model.origin = origin;
  f.model.seasonal.assign(dec->seasonal.begin(), dec->seasonal.begin() + o.period);
  f.model.median = median_of(std::vector<double>(x.begin(), x.end()));
  f.residual.resize(n);
  for (std::size_t i = 0; i < n; ++i) f.residual[i] = x[i] - dec->seasonal[i] - f.model.median;
  EsdOptions eo;
  eo.alpha = o.alpha;
  eo.direction = o.direction;
  eo.statistic = EsdStatistic::kMedianMad;
  eo.max_count = static_cast<std::size_t>(std::trunc(static_cast<double>(n) * max_anoms));
  if (eo.max_count == 0) return detector_error("shesd: too few points for max_anoms");
  auto esd = generalized_esd(f.residual, eo);
  if (!esd) return std::unexpected(esd.error());
  f.model.esd = esd->model;
  f.model.esd.scale = std::max(f.model.esd.scale, o.min_relative_scale * std::abs(f.model.median));
  f.esd = std::move(*esd);
  return f;
}

// Fills interior NaNs linearly; returns the [first, last] finite range.
std::expected<std::pair<std::size_t, std::size_t>, Error> fill_gaps(std::span<const double> x,
                                                                    std::vector<double>& filled) {
  std::size_t first = 0;
  while (first < x.size() && !std::isfinite(x[first])) ++first;
  if (first == x.size()) return detector_error("shesd: the series has no finite values");
  std::size_t last = x.size() - 1;
  while (!std::isfinite(x[last])) --last;
  filled.assign(x.begin() + static_cast<std::ptrdiff_t>(first),
                x.begin() + static_cast<std::ptrdiff_t>(last) + 1);
  std::size_t prev = 0;
  for (std::size_t i = 1; i < filled.size(); ++i) {
    if (!std::isfinite(filled[i])) continue;
    if (i - prev > 1)
      for (std::size_t k = prev + 1; k < i; ++k)
        filled[k] = filled[prev] + (filled[i] - filled[prev]) * static_cast<double>(k - prev) /
                                       static_cast<double>(i - prev);
    prev = i;
  }
  return std::pair{first, last};
}

}  // namespace

Judgement ShesdModel::judge(std::size_t index, double value) const {
  const std::size_t phase = (index >= origin ? index - origin : period - (origin - index) % period) % period;
  const double offset = seasonal[phase] + median;
  return esd.judge(value - offset, offset);
}

std::expected<ShesdModel, Error> shesd_fit(std::span<const double> x, std::size_t origin,
                                           const ShesdOptions& o) {
  if (o.period < 2) return detector_error("shesd: the period must be at least 2");
  if (!(o.max_anoms > 0.0 && o.max_anoms <= 0.49))
    return detector_error("shesd: max_anoms must be in (0, 0.49]");
  std::vector<double> filled;
  auto range = fill_gaps(x, filled);
  if (!range) return std::unexpected(range.error());
  auto f =
      fit_piece(filled, origin + range->first, o, std::max(o.max_anoms, 1.0 / static_cast<double>(x.size())));
  if (!f) return std::unexpected(f.error());
  return std::move(f->model);
}

std::expected<Detection, Error> shesd_detect(std::span<const double> x, const ShesdOptions& o) {
  if (o.period < 2) return detector_error("shesd: the period must be at least 2");
  if (!(o.max_anoms > 0.0 && o.max_anoms <= 0.49))
    return detector_error("shesd: max_anoms must be in (0, 0.49]");
  std::vector<double> filled;
  auto range = fill_gaps(x, filled);
  if (!range) return std::unexpected(range.error());
  const std::size_t base = range->first;
  const std::size_t n = filled.size();
  const double max_anoms = std::max(o.max_anoms, 1.0 / static_cast<double>(x.size()));

  // pieces [start, end) in `filled` coordinates
  std::vector<std::pair<std::size_t, std::size_t>> pieces;
  const std::size_t L = o.longterm_period;
  if (L == 0 || L >= n) {
    pieces.emplace_back(0, n);
  } else {
    for (std::size_t j = 0; j < n; j += L) {
      if (j + L <= n)
        pieces.emplace_back(j, j + L);
      else
        pieces.emplace_back(n - L, n);
    }
  }

  Detection d;
  d.points.resize(x.size());
  std::vector<char> judged(n, 0);
  for (const auto& [start, end] : pieces) {
    std::span<const double> piece(filled.data() + start, end - start);
    auto f = fit_piece(piece, base + start, o, max_anoms);
    if (!f) return std::unexpected(f.error());
    double thresh = -std::numeric_limits<double>::infinity();
    if (o.threshold != ShesdThreshold::kNone) {
      std::map<std::size_t, double> maxima;  // per period of the piece
      for (std::size_t i = 0; i < piece.size(); ++i) {
        const std::size_t key = i / static_cast<std::size_t>(o.period);
        auto it = maxima.find(key);
        if (it == maxima.end())
          maxima.emplace(key, piece[i]);
        else
          it->second = std::max(it->second, piece[i]);
      }
      std::vector<double> m;
      for (const auto& kv : maxima) m.push_back(kv.second);
      thresh = o.threshold == ShesdThreshold::kMedMax
                   ? median_of(m)
                   : quantile7(m, o.threshold == ShesdThreshold::kP95 ? 0.95 : 0.99);
    }
    for (std::size_t i = 0; i < piece.size(); ++i) {
      const std::size_t k = start + i;
      if (judged[k]) continue;  // overlapping last piece: the first verdict stands, as Twitter's dedupe
      judged[k] = 1;
      const double offset = f->model.seasonal[i % static_cast<std::size_t>(o.period)] + f->model.median;
      Judgement j = f->model.esd.judge(f->residual[i], offset);
      j.anomaly = false;
      d.points[base + k] = j;
    }
    for (std::size_t a = 0; a < f->esd.num_anomalies; ++a) {
      const std::size_t k = start + f->esd.removed[a];
      if (piece[f->esd.removed[a]] >= thresh) d.points[base + k].anomaly = true;
    }
  }
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isfinite(x[i])) continue;
    d.points[i] = Judgement{};  // filled gaps are not judged
  }
  if (o.only_last) {
    const std::size_t from = x.size() >= static_cast<std::size_t>(o.period) ? x.size() - o.period : 0;
    for (std::size_t i = 0; i < from; ++i) d.points[i].anomaly = false;
  }
  return d;
}

}  // namespace promcast::forecaster
