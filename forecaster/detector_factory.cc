#include "forecaster/detector_factory.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <optional>
#include <string>
#include <variant>

namespace promcast::forecaster {
namespace {

// Default history and minimum history per method (in points).
std::size_t default_history(const DetectorConfig& c) {
  switch (c.method) {
    case Method::kShesd:
      return static_cast<std::size_t>(std::max(c.shesd.period, 2)) * 7;
    case Method::kEsd:
      return 1000;
    case Method::kZscore:
      return c.zscore.window;
    case Method::kResidual:
      return 1000;
    case Method::kIforest:
      return 2000 + static_cast<std::size_t>(c.iforest_features.seasonal_peers *
                                             std::max(c.iforest_features.period, 0));
  }
  return 1000;
}

std::size_t min_history(const DetectorConfig& c) {
  switch (c.method) {
    case Method::kShesd:
      return 2 * static_cast<std::size_t>(std::max(c.shesd.period, 2)) + 1;
    case Method::kEsd:
      return 30;
    case Method::kZscore:
      return 2;
    case Method::kResidual: {
      const auto& o = c.residual.spec.order;
      const bool seasonal = o.s >= 2 && (o.P > 0 || o.D > 0 || o.Q > 0);
      return std::max<std::size_t>(50, seasonal ? 2 * static_cast<std::size_t>(o.s) : 0);
    }
    case Method::kIforest:
      return 100 + static_cast<std::size_t>(c.iforest_features.seasonal_peers *
                                            std::max(c.iforest_features.period, 0));
  }
  return 30;
}

}  // namespace

StreamDetector::StreamDetector(const DetectorConfig& config, Model model)
    : method_(config.method),
      zscore_(config.zscore),
      features_(config.iforest_features),
      model_(std::move(model)) {}

std::size_t StreamDetector::min_points(const DetectorConfig& config) { return min_history(config); }

std::expected<StreamDetector, Error> StreamDetector::fit(const DetectorConfig& c, std::span<const double> x,
                                                         std::size_t from, std::size_t to,
                                                         std::size_t first) {
  to = std::min(to, x.size());
  from = std::min(from, to);
  const std::span<const double> window = x.subspan(from, to - from);
  switch (c.method) {
    case Method::kEsd: {
      std::vector<double> finite;
      for (double v : window)
        if (std::isfinite(v)) finite.push_back(v);
      auto r = generalized_esd(finite, c.esd);
      if (!r) return std::unexpected(r.error());
      return StreamDetector(c, r->model);
    }
    case Method::kShesd: {
      auto m = shesd_fit(window, first + from, c.shesd);
      if (!m) return std::unexpected(m.error());
      return StreamDetector(c, std::move(*m));
    }
    case Method::kResidual: {
      auto m = ResidualModel::fit(window, c.residual);
      if (!m) return std::unexpected(m.error());
      return StreamDetector(c, std::move(*m));
    }
    case Method::kIforest: {
      std::vector<double> row;
      std::vector<std::vector<double>> rows;
      for (std::size_t t = from; t < to; ++t)
        if (iforest_feature_row(x.first(to), t, c.iforest_features, row)) rows.push_back(row);
      if (rows.size() < 2) return detector_error("iforest: not enough complete feature rows");
      Eigen::MatrixXd data(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows[0].size()));
      for (std::size_t r = 0; r < rows.size(); ++r)
        for (std::size_t k = 0; k < rows[r].size(); ++k)
          data(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(k)) = rows[r][k];
      auto f = IsolationForest::fit(data, c.iforest);
      if (!f) return std::unexpected(f.error());
      return StreamDetector(c, std::move(*f));
    }
    case Method::kZscore:
      // nothing to fit: its own checks of the options, on no points
      if (auto checked = zscore_detect({}, c.zscore); !checked) return std::unexpected(checked.error());
      return StreamDetector(c, NoModel{});
  }
  return detector_error("unknown method");
}

Judgement StreamDetector::judge(std::span<const double> through, std::size_t first) {
  if (through.empty()) return {};
  const std::size_t t = through.size() - 1;  // the judged point, in through's coordinates
  const double v = through[t];
  if (auto* e = std::get_if<EsdModel>(&model_)) return e->judge(v);
  if (auto* s = std::get_if<ShesdModel>(&model_))
    return std::isfinite(v) ? s->judge(first + t, v) : Judgement{};
  if (auto* r = std::get_if<ResidualModel>(&model_)) return r->judge_next(v);
  if (auto* f = std::get_if<IsolationForest>(&model_))
    return iforest_feature_row(through, t, features_, row_) ? f->judge(row_) : Judgement{};
  if (method_ == Method::kZscore) {
    // the point against the `window` finite points before it: the batch verdict on the shortest tail
    std::size_t begin = t;
    for (std::size_t seen = 0; begin > 0 && seen < zscore_.window;)
      if (std::isfinite(through[--begin])) ++seen;
    auto d = zscore_detect(through.subspan(begin), zscore_);
    return d ? d->points.back() : Judgement{};
  }
  return {};
}

std::expected<Method, Error> parse_method(std::string_view name) {
  if (name == "esd") return Method::kEsd;
  if (name == "shesd") return Method::kShesd;
  if (name == "zscore") return Method::kZscore;
  if (name == "residual") return Method::kResidual;
  if (name == "iforest") return Method::kIforest;
  return detector_error(
      fmt::format("unknown method '{}' (expected esd, shesd, zscore, residual or iforest)", name));
}

std::string_view to_string(Method method) {
  switch (method) {
    case Method::kEsd:
      return "esd";
    case Method::kShesd:
      return "shesd";
    case Method::kZscore:
      return "zscore";
    case Method::kResidual:
      return "residual";
    case Method::kIforest:
      return "iforest";
  }
  return "?";
}

std::expected<Detection, Error> detect(const DetectorConfig& c, std::span<const double> x) {
  switch (c.method) {
    case Method::kEsd: {
      // ESD needs finite values: judge the finite ones and map back
      std::vector<double> finite;
      std::vector<std::size_t> where;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (std::isfinite(x[i])) {
          finite.push_back(x[i]);
          where.push_back(i);
        }
      auto d = esd_detect(finite, c.esd);
      if (!d) return std::unexpected(d.error());
      Detection out;
      out.points.resize(x.size());
      for (std::size_t k = 0; k < where.size(); ++k) out.points[where[k]] = d->points[k];
      return out;
    }
    case Method::kShesd:
      return shesd_detect(x, c.shesd);
    case Method::kZscore:
      return zscore_detect(x, c.zscore);
    case Method::kResidual:
      return residual_detect(x, c.residual);
    case Method::kIforest:
      return iforest_detect(x, c.iforest, c.iforest_features);
  }
  return detector_error("unknown method");
}

namespace {

// The error for a stream too short for even one fit: every point would be left unjudged, silently.
// Worded as the batch detectors word it, with one more point (the first one to judge).
std::unexpected<Error> too_short_for_online(const DetectorConfig& c, std::size_t needed, std::size_t finite) {
  const std::size_t total = needed + 1;
  std::string why;
  const auto& order = c.residual.spec.order;
  if (c.method == Method::kShesd) {
    why = fmt::format("two full periods of data plus one point to judge ({} for period {})", total,
                      c.shesd.period);
  } else if (c.method == Method::kResidual && order.s >= 2 && (order.P > 0 || order.D > 0 || order.Q > 0)) {
    why = fmt::format("two full periods and {} points to fit on plus one point to judge ({} for period {})",
                      needed, total, order.s);
  } else if (c.method == Method::kIforest && c.iforest_features.seasonal_peers > 0) {
    why = fmt::format(
        "{} full periods for the seasonal peers, 100 points to fit on and one to judge ({} for "
        "period {})",
        c.iforest_features.seasonal_peers, total, c.iforest_features.period);
  } else {
    why = fmt::format("{} points ({} to fit on and one to judge)", total, needed);
  }
  return detector_error(
      fmt::format("{} --online: needs at least {}, got {}", to_string(c.method), why, finite));
}

// Divides each judged score by max(1, the largest of the previous `window` judged scores).
void relative_to_recent_max(Detection& d, std::size_t window) {
  std::deque<std::pair<std::size_t, double>> best;  // decreasing scores: a sliding-window maximum
  std::size_t judged = 0;
  for (auto& j : d.points) {
    if (!j.judged || std::isnan(j.score)) continue;
    while (!best.empty() && best.front().first + window < judged + 1) best.pop_front();
    const double raw = j.score;
    const double ref = best.empty() ? 1.0 : std::max(1.0, best.front().second);
    j.score = raw / ref;
    j.anomaly = j.anomaly && j.score > 1.0;
    while (!best.empty() && best.back().second <= raw) best.pop_back();
    best.emplace_back(judged, raw);
    ++judged;
  }
}

std::expected<Detection, Error> detect_online_raw(const DetectorConfig& c, std::span<const double> x,
                                                  const OnlineOptions& o);

}  // namespace

std::expected<Detection, Error> detect_online(const DetectorConfig& c, std::span<const double> x,
                                              const OnlineOptions& o) {
  if (o.range_tolerance && !(*o.range_tolerance >= 0.0))
    return detector_error("online: the range tolerance must be >= 0");
  if (o.likelihood &&
      !(o.likelihood->red > 0.0 && o.likelihood->red < o.likelihood->yellow && o.likelihood->yellow < 1.0))
    return detector_error("online: likelihood thresholds need 0 < red < yellow < 1");
  auto d = detect_online_raw(c, x, o);
  if (!d) return d;
  if (o.recent_max_window > 0) relative_to_recent_max(*d, o.recent_max_window);
  if (o.likelihood) apply_anomaly_likelihood(*d, *o.likelihood);
  if (o.range_tolerance) apply_new_range_rule(*d, x, *o.range_tolerance, o.range_min_points);
  return d;
}

namespace {

std::expected<Detection, Error> detect_online_raw(const DetectorConfig& c, std::span<const double> x,
                                                  const OnlineOptions& o) {
  if (o.refit_every < 1) return detector_error("online: refit-every must be at least 1");
  if (c.method == Method::kZscore) return zscore_detect(x, c.zscore);  // already judges on the past only
  if (c.method == Method::kShesd && c.shesd.period < 2)
    return detector_error("shesd: the period must be at least 2");
  if (c.method == Method::kIforest && c.iforest_features.seasonal_peers > 0 && c.iforest_features.period < 1)
    return detector_error("iforest: seasonal peers need a period");
  // options a fit would reject: rejected once here, since a failed fit only leaves its window unjudged
  if (c.method == Method::kShesd && !(c.shesd.max_anoms > 0.0 && c.shesd.max_anoms <= 0.49))
    return detector_error("shesd: max_anoms must be in (0, 0.49]");
  if (c.method == Method::kShesd && !(c.shesd.alpha > 0.0 && c.shesd.alpha < 1.0))
    return detector_error("shesd: alpha must be in (0, 1)");
  if (c.method == Method::kEsd && !(c.esd.alpha > 0.0 && c.esd.alpha < 1.0))
    return detector_error("esd: alpha must be in (0, 1)");
  if (c.method == Method::kEsd && c.esd.max_count == 0 &&
      !(c.esd.max_fraction > 0.0 && c.esd.max_fraction < 1.0))
    return detector_error("esd: max_anoms as a fraction must be in (0, 1)");
  const std::size_t history = o.history > 0 ? o.history : default_history(c);
  const std::size_t needed = std::min(StreamDetector::min_points(c), history);
  // a seasonal fit on less than two periods always fails: such a history would leave every point unjudged
  const auto& order = c.residual.spec.order;
  const std::size_t periods_needed =
      c.method == Method::kShesd ? 2 * static_cast<std::size_t>(c.shesd.period) + 1
      : c.method == Method::kResidual && order.s >= 2 && (order.P > 0 || order.D > 0 || order.Q > 0)
          ? 2 * static_cast<std::size_t>(order.s)
          : 0;
  if (history < periods_needed)
    return detector_error(fmt::format(
        "{} --online: a history of {} points is shorter than two full periods "
        "({} for period {})",
        to_string(c.method), history, periods_needed, c.method == Method::kShesd ? c.shesd.period : order.s));
  Detection d;
  d.points.resize(x.size());
  std::optional<StreamDetector> model;
  std::optional<std::size_t> fitted_at;
  for (std::size_t t = 0; t < x.size(); ++t) {
    if (!fitted_at || t - *fitted_at >= o.refit_every) {
      const std::size_t from = t > history ? t - history : 0;
      if (count_finite(x.subspan(from, t - from)) >= needed) {
        auto m = StreamDetector::fit(c, x, from, t);
        if (m) {
          model = std::move(*m);
        } else {
          model.reset();  // a failed fit leaves the points until the next refit unjudged
        }
        fitted_at = t;
      }
    }
    if (model) d.points[t] = model->judge(x.first(t + 1));
  }
  if (!fitted_at) return too_short_for_online(c, needed, count_finite(x));
  // k-of-n counts over the stream, not within one fitted model: a refit must not restart the count
  if (c.method == Method::kResidual) apply_k_of_n(d, c.residual.k, c.residual.n);
  return d;
}

}  // namespace

}  // namespace promcast::forecaster
