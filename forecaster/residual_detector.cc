#include "forecaster/residual_detector.h"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>

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

bool k_of_n(std::span<const char> recent, int k) { return std::count(recent.begin(), recent.end(), 1) >= k; }

std::expected<Detection, Error> residual_detect(std::span<const double> y, const ResidualOptions& o) {
  if (auto ok = check(o); !ok) return std::unexpected(ok.error());
  FitOptions fo = o.fit;
  fo.standard_errors = false;
  auto model = Sarimax::fit(o.spec, y, Eigen::MatrixXd(static_cast<Eigen::Index>(y.size()), 0), fo);
  if (!model) return std::unexpected(model.error());
  const auto& r = model->result();
  const double z = z_for_level(o.level);
  const double sigma = std::sqrt(r.sigma2);
  Detection d;
  d.points.resize(y.size());
  std::vector<char> outside;
  for (std::size_t t = 0; t < y.size(); ++t) {
    const double resid = r.residuals[t];
    const double std_resid = r.standardized_residuals[t];
    // the predicted sd is residual / standardized residual; an exact zero residual leaves it unknown, and
    // the model's sigma stands in (it does not change the verdict: the score is 0 either way)
    double sd = std::isfinite(std_resid) && std_resid != 0.0 ? resid / std_resid : sigma;
    Judgement j = std::isfinite(resid) ? judgement(y[t], r.fitted[t], std::abs(sd), z) : Judgement{};
    outside.push_back(j.judged && j.score > 1.0 ? 1 : 0);
    const std::size_t from = outside.size() > static_cast<std::size_t>(o.n) ? outside.size() - o.n : 0;
    if (j.judged) j.anomaly = k_of_n(std::span<const char>(outside).subspan(from), o.k);
    d.points[t] = j;
  }
  return d;
}

ResidualModel::ResidualModel(Sarimax model, const ResidualOptions& options)
    : model_(std::move(model)), options_(options), z_(z_for_level(options.level)) {}

std::expected<ResidualModel, Error> ResidualModel::fit(std::span<const double> history,
                                                       const ResidualOptions& o) {
  if (auto ok = check(o); !ok) return std::unexpected(ok.error());
  FitOptions fo = o.fit;
  fo.standard_errors = false;
  auto model =
      Sarimax::fit(o.spec, history, Eigen::MatrixXd(static_cast<Eigen::Index>(history.size()), 0), fo);
  if (!model) return std::unexpected(model.error());
  return ResidualModel(std::move(*model), o);
}

Judgement ResidualModel::judge_next(double value) {
  Judgement j;
  const double levels[] = {options_.level};
  auto f = model_.forecast(1, Eigen::MatrixXd(0, 0), levels);
  if (f) j = judgement(value, f->mean[0], f->std_err[0], z_);
  const double absorbed[] = {std::isfinite(value) ? value : std::numeric_limits<double>::quiet_NaN()};
  (void)model_.update(absorbed, Eigen::MatrixXd(1, 0));
  recent_outside_.push_back(j.judged && j.score > 1.0 ? 1 : 0);
  if (recent_outside_.size() > static_cast<std::size_t>(options_.n))
    recent_outside_.erase(recent_outside_.begin());
  if (j.judged) j.anomaly = k_of_n(recent_outside_, options_.k);
  ++seen_;
  return j;
}

}  // namespace promcast::forecaster
