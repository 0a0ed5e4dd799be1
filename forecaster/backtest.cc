#include "forecaster/backtest.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>

namespace promcast::forecaster {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::unexpected<Error> backtest_error(std::string message) {
  return std::unexpected(Error{std::move(message), {}, 0, 0});
}

// The last finite value at or before index t in steps of m (t, t - m, ...); NaN when there is none.
double last_at_phase(std::span<const double> y, long long t, int m) {
  for (; t >= 0; t -= m)
    if (std::isfinite(y[static_cast<std::size_t>(t)])) return y[static_cast<std::size_t>(t)];
  return kNaN;
}

}  // namespace

std::expected<std::vector<long long>, Error> rolling_origins(const CutPlan& plan) {
  if (plan.spacing < 0) return backtest_error(fmt::format("the cut spacing {} is negative", plan.spacing));
  if (plan.spacing == 0 && plan.count == 0) return backtest_error("give a number of cuts or a cut spacing");
  if (plan.last < plan.first)
    return backtest_error(fmt::format(
        "too little data: the latest possible cut ({}) is before the earliest ({})", plan.last, plan.first));
  std::vector<long long> out;
  if (plan.spacing > 0) {
    for (long long c = plan.first; c <= plan.last; c += plan.spacing) {
      out.push_back(c);
      if (plan.count > 0 && out.size() == plan.count) break;
    }
    return out;
  }
  if (plan.count == 1) return std::vector<long long>{plan.first};
  // Evenly spread with both ends included; rounding can repeat an origin on a short range.
  const double gap = static_cast<double>(plan.last - plan.first) / static_cast<double>(plan.count - 1);
  for (std::size_t i = 0; i < plan.count; ++i) {
    const long long c = plan.first + std::llround(gap * static_cast<double>(i));
    if (out.empty() || c != out.back()) out.push_back(c);
  }
  return out;
}

double seasonal_naive_scale(std::span<const double> y, int m) {
  const auto lag = static_cast<std::size_t>(std::max(1, m));
  double sum = 0;
  std::size_t n = 0;
  for (std::size_t t = lag; t < y.size(); ++t) {
    if (!std::isfinite(y[t]) || !std::isfinite(y[t - lag])) continue;
    sum += std::abs(y[t] - y[t - lag]);
    ++n;
  }
  return n == 0 ? kNaN : sum / static_cast<double>(n);
}

NaiveForecast seasonal_naive(std::span<const double> y, int m, int h, std::span<const double> levels) {
  m = std::max(1, m);
  const auto n = static_cast<long long>(y.size());
  // In-sample residuals against the filled lag (lagwalk fills a missing y_{t-m} with y_{t-2m}, ...).
  double ss = 0;
  std::size_t count = 0;
  for (long long t = m; t < n; ++t) {
    const double fit = last_at_phase(y, t - m, m);
    const double r = y[static_cast<std::size_t>(t)] - fit;
    if (!std::isfinite(r)) continue;
    ss += r * r;
    ++count;
  }
  const double sigma = count == 0 ? kNaN : std::sqrt(ss / static_cast<double>(count));
  NaiveForecast out;
  out.lower.assign(levels.size(), {});
  out.upper.assign(levels.size(), {});
  const boost::math::normal normal;
  for (int k = 1; k <= h; ++k) {
    // T + k - j m with the smallest j >= ceil(k/m): the last observation at the forecast's phase.
    const long long j = (k + m - 1) / m;
    const double mean = last_at_phase(y, n - 1 + k - j * m, m);
    const double se = sigma * std::sqrt(static_cast<double>((k - 1) / m + 1));
    out.mean.push_back(mean);
    for (std::size_t l = 0; l < levels.size(); ++l) {
      const double z = boost::math::quantile(normal, 0.5 + levels[l] / 200.0);
      out.lower[l].push_back(mean - z * se);
      out.upper[l].push_back(mean + z * se);
    }
  }
  return out;
}

void AccuracySum::add(double actual, double forecast, std::span<const double> lower,
                      std::span<const double> upper, double scale) {
  if (!std::isfinite(actual)) return;
  const double error = std::abs(actual - forecast);
  ++n_;
  abs_sum_ += error;
  const double denominator = std::abs(actual) + std::abs(forecast);
  smape_sum_ += denominator == 0 ? 0.0 : 200.0 * error / denominator;
  if (std::isfinite(scale) && scale > 0) {
    scaled_sum_ += error / scale;
    ++scaled_n_;
  }
  if (!lower.empty() && lower.size() == inside_.size() && upper.size() == inside_.size()) {
    ++interval_n_;
    for (std::size_t l = 0; l < inside_.size(); ++l)
      if (actual >= lower[l] && actual <= upper[l]) ++inside_[l];
  }
}

void AccuracySum::merge(const AccuracySum& other) {
  n_ += other.n_;
  scaled_n_ += other.scaled_n_;
  interval_n_ += other.interval_n_;
  abs_sum_ += other.abs_sum_;
  scaled_sum_ += other.scaled_sum_;
  smape_sum_ += other.smape_sum_;
  if (inside_.size() < other.inside_.size()) inside_.resize(other.inside_.size(), 0);
  for (std::size_t l = 0; l < other.inside_.size(); ++l) inside_[l] += other.inside_[l];
}

Accuracy AccuracySum::result() const {
  Accuracy a;
  a.n = n_;
  const auto n = static_cast<double>(n_);
  a.mae = n_ == 0 ? kNaN : abs_sum_ / n;
  a.smape = n_ == 0 ? kNaN : smape_sum_ / n;
  a.mase = scaled_n_ == 0 ? kNaN : scaled_sum_ / static_cast<double>(scaled_n_);
  for (std::size_t inside : inside_)
    a.coverage.push_back(interval_n_ == 0 ? kNaN
                                          : static_cast<double>(inside) / static_cast<double>(interval_n_));
  return a;
}

IncidentReport match_incidents(std::span<const Window> alerts, std::span<const Window> incidents, double span,
                               double day) {
  IncidentReport out;
  out.alert_matched.assign(alerts.size(), false);
  for (const Window& incident : incidents) {
    IncidentMatch m;
    for (std::size_t a = 0; a < alerts.size(); ++a) {
      if (alerts[a].start > incident.end || alerts[a].end < incident.start) continue;
      out.alert_matched[a] = true;
      if (!m.caught || alerts[a].start < m.first_alert) m.first_alert = alerts[a].start;
      m.caught = true;
    }
    if (m.caught) m.lead = incident.start - m.first_alert;
    out.incidents.push_back(m);
  }
  out.false_alerts =
      static_cast<std::size_t>(std::count(out.alert_matched.begin(), out.alert_matched.end(), false));
  out.false_alerts_per_day =
      span > 0 && day > 0 ? static_cast<double>(out.false_alerts) / (span / day) : kNaN;
  return out;
}

}  // namespace promcast::forecaster
