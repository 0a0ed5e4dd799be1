#include "forecaster/residual_detector.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <deque>
#include <functional>
#include <limits>
#include <vector>

namespace promcast::forecaster {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double z_for_level(double level) {
  const boost::math::normal normal;
  return boost::math::quantile(normal, 0.5 + level / 200.0);
}

std::expected<void, Error> check(const ResidualOptions& o) {
  if (!(o.level > 0.0 && o.level < 100.0)) return detector_error("residual: the level must be in (0, 100)");
  if (o.n < 1 || o.k < 1 || o.k > o.n) return detector_error("residual: k-of-n needs 1 <= k <= n");
  if (!o.spec.exog_names.empty())
    return detector_error("residual: exogenous regressors are not supported here");
  return o.spec.validate();
}

// A seasonal model learns each season's coefficients from earlier seasons: with fewer than two full
// periods it would fit on noise, so it says so, with the same words as S-H-ESD.
std::expected<void, Error> check_length(const ResidualOptions& o, std::span<const double> y) {
  const int s = o.spec.order.s;
  if (s < 2 || (o.spec.order.P == 0 && o.spec.order.D == 0 && o.spec.order.Q == 0)) return {};
  const std::size_t finite = count_finite(y);
  const std::size_t needed = 2 * static_cast<std::size_t>(s);
  if (finite < needed)
    return detector_error(fmt::format("residual: needs at least two full periods ({} for period {}), got {}",
                                      needed, s, finite));
  return {};
}

Judgement judgement(double value, double mean, double sd, double z) {
  Judgement j;
  if (!std::isfinite(value) || !std::isfinite(mean) || !(sd >= 0.0)) return j;
  j.judged = true;
  j.expected = mean;
  j.lower = mean - z * sd;
  j.upper = mean + z * sd;
  const double dev = std::abs(value - mean);
  j.score = dev == 0.0 ? 0.0 : (sd > 0.0 ? dev / (z * sd) : kInf);
  j.anomaly = j.score > 1.0;
  return j;
}

}  // namespace

KOfN::KOfN(int k, int n)
    : k_(static_cast<std::size_t>(std::max(k, 1))), n_(static_cast<std::size_t>(std::max(n, 1))) {}

Judgement KOfN::next(Judgement j) {
  if (k_ <= 1 && n_ <= 1) return j;
  recent_.push_back(j.judged && j.score >= 0.0 ? j.score : 0.0);
  if (recent_.size() > n_) recent_.pop_front();
  if (!j.judged) return j;
  // fewer than k points so far: the k-th largest is a point that does not exist yet, i.e. 0
  if (recent_.size() < k_) {
    j.score = 0.0;
  } else {
    scratch_.assign(recent_.begin(), recent_.end());
    std::nth_element(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(k_ - 1), scratch_.end(),
                     std::greater<>());
    j.score = scratch_[k_ - 1];
  }
  j.anomaly = j.score > 1.0;
  return j;
}

void apply_k_of_n(Detection& d, int k, int n) {
  KOfN rule(k, n);
  for (Judgement& j : d.points) j = rule.next(j);
}

std::expected<Detection, Error> residual_detect(std::span<const double> y, const ResidualOptions& o) {
  if (auto ok = check(o); !ok) return std::unexpected(ok.error());
  if (auto ok = check_length(o, y); !ok) return std::unexpected(ok.error());
  FitOptions fo = o.fit;
  fo.standard_errors = false;
  auto model = Sarimax::fit(o.spec, y, Eigen::MatrixXd(static_cast<Eigen::Index>(y.size()), 0), fo);
  if (!model) return std::unexpected(model.error());
  const auto& r = model->result();
  const double z = z_for_level(o.level);
  const double sigma = std::sqrt(r.sigma2);
  Detection d;
  d.points.resize(y.size());
  for (std::size_t t = 0; t < y.size(); ++t) {
    const double resid = r.residuals[t];
    const double std_resid = r.standardized_residuals[t];
    // The diffuse period (first d + D s steps) has residuals, as statsmodels reports them, but no finite
    // prediction variance: nothing to judge against, so those points stay unjudged.
    if (static_cast<int>(t) < r.diffuse_steps || !std::isfinite(resid)) continue;
    // the predicted sd is residual / standardized residual; an exact zero residual leaves it unknown, and
    // the model's sigma stands in (it does not change the verdict: the score is 0 either way)
    const double sd = std::isfinite(std_resid) && std_resid != 0.0 ? resid / std_resid : sigma;
    d.points[t] = judgement(y[t], r.fitted[t], std::abs(sd), z);
  }
  apply_k_of_n(d, o.k, o.n);
  return d;
}

ResidualModel::ResidualModel(Sarimax model, const ResidualOptions& options)
    : model_(std::move(model)), options_(options), z_(z_for_level(options.level)) {}

std::expected<ResidualModel, Error> ResidualModel::fit(std::span<const double> history,
                                                       const ResidualOptions& o) {
  if (auto ok = check(o); !ok) return std::unexpected(ok.error());
  if (auto ok = check_length(o, history); !ok) return std::unexpected(ok.error());
  FitOptions fo = o.fit;
  fo.standard_errors = false;
  auto model =
      Sarimax::fit(o.spec, history, Eigen::MatrixXd(static_cast<Eigen::Index>(history.size()), 0), fo);
  if (!model) return std::unexpected(model.error());
  model->limit_history(0);  // judge_next only forecasts and updates: no in-sample vectors kept for weeks
  return ResidualModel(std::move(*model), o);
}

Judgement ResidualModel::judge_next(double value) {
  Judgement j;
  const double levels[] = {options_.level};
  auto f = model_.forecast(1, Eigen::MatrixXd(0, 0), levels);
  if (f) j = judgement(value, f->mean[0], f->std_err[0], z_);
  const double absorbed[] = {std::isfinite(value) ? value : std::numeric_limits<double>::quiet_NaN()};
  (void)model_.update(absorbed, Eigen::MatrixXd(1, 0));
  return j;
}

}  // namespace promcast::forecaster
