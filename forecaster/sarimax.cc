#include "forecaster/sarimax.h"

#include <fmt/format.h>

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>

#include "forecaster/estimation.h"
#include "forecaster/kalman_filter.h"
#include "forecaster/polynomial.h"
#include "forecaster/sarimax_model.h"
#include "forecaster/start_values.h"

namespace promcast::forecaster {

namespace {
// Error has more fields than a message; name it once instead of aggregate-initializing everywhere.
Error fail(std::string message) {
  Error e;
  e.message = std::move(message);
  return e;
}
}  // namespace

std::expected<Trend, Error> parse_trend(std::string_view text) {
  if (text == "n") return Trend::kNone;
  if (text == "c") return Trend::kConstant;
  if (text == "t") return Trend::kLinear;
  if (text == "ct") return Trend::kConstantLinear;
  return std::unexpected(fail(fmt::format("unknown trend '{}' (expected n, c, t or ct)", text)));
}

std::string_view to_string(Trend trend) {
  switch (trend) {
    case Trend::kNone:
      return "n";
    case Trend::kConstant:
      return "c";
    case Trend::kLinear:
      return "t";
    case Trend::kConstantLinear:
      return "ct";
  }
  return "n";
}

std::vector<std::string> SarimaxSpec::param_names() const {
  std::vector<std::string> names;
  if (trend == Trend::kConstant || trend == Trend::kConstantLinear) names.emplace_back("intercept");
  if (trend == Trend::kLinear || trend == Trend::kConstantLinear) names.emplace_back("drift");
  for (const auto& e : exog_names) names.push_back(e);
  for (int i = 1; i <= order.p; ++i) names.push_back(fmt::format("ar.L{}", i));
  for (int i = 1; i <= order.q; ++i) names.push_back(fmt::format("ma.L{}", i));
  for (int i = 1; i <= order.P; ++i) names.push_back(fmt::format("ar.S.L{}", i * order.s));
  for (int i = 1; i <= order.Q; ++i) names.push_back(fmt::format("ma.S.L{}", i * order.s));
  names.emplace_back("sigma2");
  return names;
}

int SarimaxSpec::k_params() const { return static_cast<int>(param_names().size()); }

std::expected<void, Error> SarimaxSpec::validate() const {
  const auto& o = order;
  if (o.p < 0 || o.d < 0 || o.q < 0 || o.P < 0 || o.D < 0 || o.Q < 0 || o.s < 0)
    return std::unexpected(fail("model orders must be non-negative"));
  if ((o.P > 0 || o.D > 0 || o.Q > 0) && o.s < 2)
    return std::unexpected(fail("a seasonal order needs a seasonal period s >= 2"));
  if (o.d > 3 || o.D > 2)
    return std::unexpected(fail("differencing orders above d=3, D=2 are not supported"));
  for (std::size_t i = 0; i < exog_names.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (exog_names[i] == exog_names[j])
        return std::unexpected(fail(fmt::format(
            "regressor '{}' is given twice (exogenous and Fourier names must be distinct)", exog_names[i])));
  const long states =
      static_cast<long>(o.d) + static_cast<long>(o.D) * o.s +
      std::max<long>(o.p + static_cast<long>(o.P) * o.s, o.q + static_cast<long>(o.Q) * o.s + 1);
  if (states > 3000)
    return std::unexpected(fail(fmt::format(
        "state dimension {} is impractical; model long seasons with Fourier terms (--fourier)", states)));
  return {};
}

std::string SarimaxSpec::describe() const {
  const auto& o = order;
  std::string out = fmt::format("SARIMAX({},{},{})", o.p, o.d, o.q);
  if (o.P > 0 || o.D > 0 || o.Q > 0) out += fmt::format("({},{},{},{})", o.P, o.D, o.Q, o.s);
  out += fmt::format(" trend={}", to_string(trend));
  if (!exog_names.empty()) out += fmt::format(" exog=[{}]", fmt::join(exog_names, ","));
  return out;
}

// --- Sarimax ------------------------------------------------------------------------------------

struct Sarimax::State {
  detail::SarimaxModel model;
  detail::SarimaxParams params;
  Eigen::VectorXd state;
  Eigen::MatrixXd cov;          // at unit scale
  Eigen::MatrixXd diffuse_cov;  // empty when the diffuse period is over
  Eigen::Index next_time = 0;
  FilterOutput sums;  // likelihood pieces accumulated over all data seen (scalars only)
  std::size_t history_limit = std::numeric_limits<std::size_t>::max();  // see limit_history
};

Sarimax::Sarimax(SarimaxFit fit, std::unique_ptr<State> state)
    : fit_(std::move(fit)), state_(std::move(state)) {}
Sarimax::Sarimax(Sarimax&&) noexcept = default;
Sarimax& Sarimax::operator=(Sarimax&&) noexcept = default;
Sarimax::~Sarimax() = default;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Eigen::VectorXd to_eigen(std::span<const double> y);

// The regression is identified through the differenced equation: trend columns (1, t) next to the
// differenced exogenous columns, on the rows where the differenced series is observed. Duplicate or
// collinear columns there (law and a copy of it, a constant column next to an intercept, a trend
// column that differencing turned constant) have no unique estimate; name them instead of letting
// the optimizer wander along the flat direction.
std::expected<void, Error> check_regressor_rank(const SarimaxSpec& spec, std::span<const double> y,
                                                const Eigen::MatrixXd& exog) {
  const bool has_c = spec.trend == Trend::kConstant || spec.trend == Trend::kConstantLinear;
  const bool has_t = spec.trend == Trend::kLinear || spec.trend == Trend::kConstantLinear;
  const int k_trend = (has_c ? 1 : 0) + (has_t ? 1 : 0);
  const auto k = static_cast<Eigen::Index>(k_trend + exog.cols());
  if (k < 2 && exog.cols() == 0) return {};
  std::vector<std::string> names;
  if (has_c) names.emplace_back("intercept");
  if (has_t) names.emplace_back("drift");
  for (const auto& nm : spec.exog_names) names.push_back(nm);
  const Eigen::VectorXd poly = differencing_polynomial(spec.order.d, spec.order.D, spec.order.s);
  const auto n = static_cast<Eigen::Index>(y.size());
  const Eigen::Index lag = poly.size() - 1;
  if (n - lag <= k) return {};  // too short: the length check reports it
  const Eigen::VectorXd wy = apply_lag_polynomial(poly, to_eigen(y));
  Eigen::MatrixXd X(wy.size(), k);
  for (Eigen::Index t = 0; t < wy.size(); ++t) {
    int c = 0;
    if (has_c) X(t, c++) = 1.0;
    if (has_t) X(t, c++) = static_cast<double>(t + lag + 1);
  }
  for (Eigen::Index j = 0; j < exog.cols(); ++j) X.col(k_trend + j) = apply_lag_polynomial(poly, exog.col(j));
  Eigen::Index rows = 0;
  for (Eigen::Index t = 0; t < wy.size(); ++t)
    if (std::isfinite(wy[t])) X.row(rows++) = X.row(t);
  if (rows <= k) return {};
  Eigen::MatrixXd A = X.topRows(rows);
  for (Eigen::Index j = 0; j < k; ++j) {
    const double norm = A.col(j).norm();
    if (!(norm > 0.0))
      return std::unexpected(fail(fmt::format(
          "regressor '{}' is zero after differencing (d={}, D={}): it cannot be estimated; drop it",
          names[static_cast<std::size_t>(j)], spec.order.d, spec.order.D)));
    A.col(j) /= norm;
  }
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(A, Eigen::ComputeThinV);
  const Eigen::VectorXd sv = svd.singularValues();
  if (sv[k - 1] > 1e-7 * sv[0]) return {};
  // The right singular vector of the smallest singular value names the columns in the dependency.
  const Eigen::VectorXd v = svd.matrixV().col(k - 1);
  std::vector<std::string> involved;
  for (Eigen::Index j = 0; j < k; ++j)
    if (std::abs(v[j]) > 1e-3) involved.push_back(fmt::format("'{}'", names[static_cast<std::size_t>(j)]));
  return std::unexpected(fail(fmt::format(
      "regressors {} are collinear (duplicate or linearly dependent{}): their coefficients cannot be "
      "estimated; drop one",
      fmt::join(involved, ", "), spec.order.d + spec.order.D > 0 ? " after differencing" : "")));
}

std::expected<void, Error> check_inputs(const SarimaxSpec& spec, std::span<const double> y,
                                        const Eigen::MatrixXd& exog) {
  if (auto ok = spec.validate(); !ok) return ok;
  if (static_cast<std::size_t>(exog.cols()) != spec.exog_names.size())
    return std::unexpected(
        fail(fmt::format("{} exogenous columns but {} names", exog.cols(), spec.exog_names.size())));
  if (exog.cols() > 0 && static_cast<std::size_t>(exog.rows()) != y.size())
    return std::unexpected(fail(fmt::format("exog has {} rows for {} observations", exog.rows(), y.size())));
  if (exog.size() > 0 && !exog.allFinite())
    return std::unexpected(fail("exogenous regressors must be finite where the series is observed"));
  for (double v : y)
    if (std::isinf(v)) return std::unexpected(fail("the series contains an infinite value"));
  return check_regressor_rank(spec, y, exog);
}

void set_criteria(SarimaxFit& fit, const FilterOutput& sums) {
  fit.nobs_effective = sums.regular_obs;
  fit.nobs_diffuse = sums.observed - sums.regular_obs;
  fit.loglik_r = fit.loglik + 0.5 * fit.nobs_diffuse * std::log(2.0 * std::numbers::pi);
  const double k = fit.spec.k_params();
  const double n = fit.nobs_effective;
  fit.aic = -2.0 * fit.loglik_r + 2.0 * k;
  fit.bic = -2.0 * fit.loglik_r + std::log(n) * k;
  fit.aicc = n - k - 1.0 > 0.0 ? fit.aic + 2.0 * k * (k + 1.0) / (n - k - 1.0)
                               : std::numeric_limits<double>::infinity();
}

// Fitted value, residual and standardized residual of time t from a filter pass (statsmodels'
// conventions: a prediction exists at every step, a residual where y is observed, a standardized
// residual only where F_t is a regular forecast variance).
// Drops the oldest `count` fitted values, residuals and standardized residuals.
void drop_oldest(SarimaxFit& fit, std::size_t count) {
  count = std::min(count, fit.fitted.size());
  if (count == 0) return;
  for (auto* v : {&fit.fitted, &fit.residuals, &fit.standardized_residuals})
    v->erase(v->begin(), v->begin() + static_cast<std::ptrdiff_t>(count));
  fit.history_start += static_cast<int>(count);
}

void append_prediction(SarimaxFit& fit, const FilterOutput& out, Eigen::Index t, double scale) {
  const double v = out.forecast_error[t], F = out.forecast_var[t];
  fit.fitted.push_back(out.prediction[t]);
  fit.residuals.push_back(v);
  fit.standardized_residuals.push_back(std::isnan(F) || std::isnan(v) ? kNaN : v / std::sqrt(F * scale));
}

// Estimation needs hundreds of likelihood evaluations. Each full-filter one costs ~n m^2; at the
// limit (1e8) a fit takes of the order of a minute, and s = 288 with 450 gaps on 4,032 points
// (1.4e9, m = 578) ran for about 20 minutes. Beyond it, an error that says what to do instead.
constexpr double kMaxFullFilterWork = 1e8;

std::expected<void, Error> check_full_filter_cost(const detail::SarimaxModel& model) {
  if (!model.needs_full_filter()) return {};
  const double n = static_cast<double>(model.y().size());
  const double m = model.state_dim();
  if (n * m * m <= kMaxFullFilterWork) return {};
  int gaps = 0;
  for (Eigen::Index t = 0; t < model.y().size(); ++t) gaps += std::isnan(model.y()[t]) ? 1 : 0;
  const auto& o = model.spec().order;
  const int fast_gaps = std::min(detail::SarimaxModel::kMaxProfiledGaps, std::max(32, model.state_dim()));
  return std::unexpected(fail(fmt::format(
      "{} missing values in {} points with a state of dimension {} ({}): the exact likelihood needs the "
      "full Kalman filter at ~n m^2 = {:.1e} operations per evaluation, and estimation hundreds of "
      "evaluations (tens of minutes or more). Model the season with Fourier terms instead (--fourier "
      "{}:K with the seasonal order removed, e.g. K = 5), or give at most {} gaps, none in the first {} "
      "points",
      gaps, model.y().size(), model.state_dim(), model.spec().describe(), n * m * m, std::max(o.s, 2),
      fast_gaps, model.k_diffuse())));
}

Eigen::VectorXd to_eigen(std::span<const double> y) {
  return Eigen::Map<const Eigen::VectorXd>(y.data(), static_cast<Eigen::Index>(y.size()));
}

}  // namespace

std::expected<Sarimax, Error> Sarimax::from_params(const SarimaxSpec& spec, std::span<const double> y,
                                                   const Eigen::MatrixXd& exog,
                                                   std::span<const double> params, long first_time) {
  if (auto ok = check_inputs(spec, y, exog); !ok) return std::unexpected(ok.error());
  const auto k_mean = static_cast<std::size_t>(spec.k_params() - 1);
  if (params.size() != k_mean && params.size() != k_mean + 1)
    return std::unexpected(
        fail(fmt::format("expected {} parameters (sigma2 optional), got {}", k_mean + 1, params.size())));
  auto state = std::make_unique<State>(
      State{detail::SarimaxModel(spec, to_eigen(y), exog, first_time), {}, {}, {}, {}, 0, {}});
  const auto& model = state->model;
  state->params = model.split(params);
  detail::SarimaxModel::Pass pass = model.run(state->params, true);
  if (!pass.ok) return std::unexpected(fail("autoregressive parameters are not stationary"));
  if (pass.out.regular_obs == 0)
    return std::unexpected(fail("no observations left after the diffuse period"));

  SarimaxFit fit;
  fit.spec = spec;
  fit.param_names = spec.param_names();
  double scale = 0.0;
  const double concentrated = concentrated_loglik(pass.out, &scale);
  if (params.size() == k_mean + 1) {
    scale = params.back();
    if (!(scale > 0.0)) return std::unexpected(fail("sigma2 must be positive"));
    fit.loglik = loglik_at_scale(pass.out, scale);
  } else {
    fit.loglik = concentrated;
  }
  if (!std::isfinite(fit.loglik) || !(scale > 0.0))
    return std::unexpected(
        fail("the likelihood is not finite at these parameters (zero innovation variance?)"));
  state->params.sigma2 = scale;
  fit.params.assign(params.begin(), params.begin() + static_cast<std::ptrdiff_t>(k_mean));
  fit.params.push_back(scale);
  fit.std_errors.assign(fit.params.size(), kNaN);
  fit.sigma2 = scale;
  fit.nobs = static_cast<int>(y.size());
  fit.converged = true;
  const auto n = static_cast<Eigen::Index>(y.size());
  for (Eigen::Index t = 0; t < n; ++t) append_prediction(fit, pass.out, t, scale);
  fit.diffuse_steps = pass.out.diffuse_steps;
  set_criteria(fit, pass.out);
  state->state = std::move(pass.state);
  state->cov = std::move(pass.cov);
  state->diffuse_cov = std::move(pass.diffuse_cov);
  state->next_time = n;
  // Only the likelihood sums are extended by update(); the per-step vectors and the data copies are
  // in fit_ already or no longer needed (most of a fitted model's memory otherwise).
  state->sums.sum_log_f = pass.out.sum_log_f;
  state->sums.sum_v2_f = pass.out.sum_v2_f;
  state->sums.regular_obs = pass.out.regular_obs;
  state->sums.observed = pass.out.observed;
  state->sums.sum_log_f_diffuse = pass.out.sum_log_f_diffuse;
  state->sums.diffuse_steps = pass.out.diffuse_steps;
  state->model.release_data();
  return Sarimax(std::move(fit), std::move(state));
}

std::expected<Sarimax, Error> Sarimax::fit(const SarimaxSpec& spec, std::span<const double> y,
                                           const Eigen::MatrixXd& exog, const FitOptions& options) {
  if (auto ok = check_inputs(spec, y, exog); !ok) return std::unexpected(ok.error());
  // Work on y / scale so that huge or tiny magnitudes do not reach the optimizer; ARMA parameters
  // are scale free, trend and regression coefficients scale back linearly.
  double sum = 0.0, sum2 = 0.0;
  int count = 0;
  for (double v : y)
    if (!std::isnan(v)) {
      sum += v;
      sum2 += v * v;
      ++count;
    }
  if (count == 0) return std::unexpected(fail("the series has no observations"));
  const double mean = sum / count;
  const double var = std::max(0.0, sum2 / count - mean * mean);
  if (!(var > 1e-24 * std::max(1.0, mean * mean)))
    return std::unexpected(
        fail("the series is constant: there is nothing to estimate (its forecast is the constant)"));
  const double scale = std::sqrt(var);
  const int k_mean = spec.k_params() - 1;
  const int k_diff = spec.order.d + spec.order.D * spec.order.s;
  int usable = 0;
  for (std::size_t t = static_cast<std::size_t>(std::max(0, k_diff)); t < y.size(); ++t)
    usable += std::isnan(y[t]) ? 0 : 1;
  if (usable < k_mean + 2)
    return std::unexpected(
        fail(fmt::format("series too short: {} usable observations after differencing for {} parameters",
                         usable, k_mean + 1)));

  Eigen::VectorXd ys = to_eigen(y) / scale;
  // Without differencing, the intercept c = mu * phi(1) couples strongly to the AR parameters when
  // the mean mu is large against the noise (a narrow curved valley for L-BFGS). Fitting y - mean
  // instead is an exact reparametrization: c = c' + mean * phi(1).
  const bool has_constant = spec.trend == Trend::kConstant || spec.trend == Trend::kConstantLinear;
  const bool center = has_constant && spec.order.d == 0 && (spec.order.D == 0 || spec.order.s == 0);
  const double shift = center ? mean / scale : 0.0;
  if (center) ys.array() -= shift;
  const detail::SarimaxModel model(spec, ys, exog);
  if (auto ok = check_full_filter_cost(model); !ok) return std::unexpected(ok.error());
  const int k_trend = model.k_trend();
  const int k_exog = static_cast<int>(exog.cols());
  const int k_reg = k_trend + k_exog;

  // Start values: user-given, or OLS of the differenced series on trend and differenced exog with
  // the ARMA parameters at zero (the centre of the Jones/Monahan space).
  Eigen::VectorXd start = Eigen::VectorXd::Zero(k_mean);
  if (!options.start_params.empty()) {
    if (static_cast<int>(options.start_params.size()) < k_mean)
      return std::unexpected(fail("start_params has too few values"));
    for (int i = 0; i < k_mean; ++i) start[i] = options.start_params[static_cast<std::size_t>(i)];
    start.head(k_reg) /= scale;
  } else if (k_reg > 0) {
    const Eigen::VectorXd poly = differencing_polynomial(spec.order.d, spec.order.D, spec.order.s);
    Eigen::MatrixXd X(ys.size(), k_reg);
    for (Eigen::Index t = 0; t < ys.size(); ++t) {
      int c = 0;
      if (spec.trend == Trend::kConstant || spec.trend == Trend::kConstantLinear) X(t, c++) = 1.0;
      if (spec.trend == Trend::kLinear || spec.trend == Trend::kConstantLinear)
        X(t, c++) = static_cast<double>(t + 1);
    }
    const Eigen::Index rows = ys.size() - (poly.size() - 1);
    if (rows > k_reg) {
      Eigen::MatrixXd Xd(rows, k_reg);
      if (k_trend > 0) Xd.leftCols(k_trend) = X.leftCols(k_trend).bottomRows(rows);
      for (int j = 0; j < k_exog; ++j) Xd.col(k_trend + j) = apply_lag_polynomial(poly, exog.col(j));
      const Eigen::VectorXd wd = apply_lag_polynomial(poly, ys);
      std::vector<Eigen::Index> keep;
      for (Eigen::Index i = 0; i < rows; ++i)
        if (std::isfinite(wd[i])) keep.push_back(i);
      if (static_cast<Eigen::Index>(keep.size()) > k_reg) {
        Eigen::MatrixXd A(static_cast<Eigen::Index>(keep.size()), k_reg);
        Eigen::VectorXd b(static_cast<Eigen::Index>(keep.size()));
        for (std::size_t i = 0; i < keep.size(); ++i) {
          A.row(static_cast<Eigen::Index>(i)) = Xd.row(keep[i]);
          b[static_cast<Eigen::Index>(i)] = wd[keep[i]];
        }
        const Eigen::VectorXd coef = A.colPivHouseholderQr().solve(b);
        if (coef.allFinite()) start.head(k_reg) = coef;
      }
    }
  }
  // Precondition the regression coordinates by their regressor's size, so that a drift on t = 1..n
  // and an intercept move the likelihood comparably (otherwise L-BFGS crawls along the drift).
  Eigen::VectorXd col_scale = Eigen::VectorXd::Ones(k_mean);
  {
    int c = 0;
    if (spec.trend == Trend::kConstant || spec.trend == Trend::kConstantLinear) ++c;
    if (spec.trend == Trend::kLinear || spec.trend == Trend::kConstantLinear)
      col_scale[c++] = static_cast<double>(ys.size()) / std::sqrt(3.0);
    for (int j = 0; j < k_exog; ++j) {
      const double rms = std::sqrt(exog.col(j).squaredNorm() / std::max<Eigen::Index>(1, exog.rows()));
      col_scale[c++] = rms > 0.0 ? rms : 1.0;
    }
  }
  auto to_params = [&](const Eigen::VectorXd& x) {
    Eigen::VectorXd p = model.constrain(x);
    p.head(k_reg).array() /= col_scale.head(k_reg).array();
    return p;
  };
  Eigen::VectorXd x0 = model.unconstrain(start);
  x0.head(k_reg).array() *= col_scale.head(k_reg).array();
  double n_obs = usable;
  const Objective objective = [&](const Eigen::VectorXd& x) {
    return -model.concentrated_loglik(to_params(x)) / n_obs;
  };
  // statsmodels' start values (Hannan-Rissanen / conditional least squares regressions, computed on
  // the same scaled series), kept when admissible and better than the OLS start with ARMA at zero.
  Eigen::VectorXd hr_start;
  const int k_arma = k_mean - k_reg;
  if (options.start_params.empty() && static_cast<int>(options.warm_start.size()) >= k_mean) {
    Eigen::VectorXd v = start;
    for (int i = k_reg; i < k_mean; ++i) v[i] = options.warm_start[static_cast<std::size_t>(i)];
    Eigen::VectorXd x = model.unconstrain(v);
    x.head(k_reg).array() *= col_scale.head(k_reg).array();
    if (x.allFinite()) hr_start = std::move(x);
  }
  if (options.start_params.empty() && hr_start.size() == 0) {
    if (auto sv = sarimax_start_params(
            spec, std::span<const double>(ys.data(), static_cast<std::size_t>(ys.size())), exog);
        sv && sv->size() > k_mean) {
      Eigen::VectorXd x = model.unconstrain(sv->head(k_mean));
      x.head(k_reg).array() *= col_scale.head(k_reg).array();
      if (x.allFinite()) hr_start = std::move(x);
    }
  }
  MinimizeOptions mopt;
  mopt.max_iterations = options.max_iterations;
  mopt.tolerance = options.tolerance;
  mopt.forward_differences = options.forward_differences;
  // L-BFGS on finite-difference gradients stalls on narrow ridges, e.g. a drift without intercept on
  // a series far from zero (LakeHuron, AR(2) trend t: the level comes from the stationary mean
  // drift / phi(1), so the optimum sits where phi(1) ~ 2e-6 and L-BFGS stopped 21 loglik units
  // short). When it does not converge, a Nelder-Mead simplex from its best point, then L-BFGS again.
  auto minimize_robustly = [&](const Objective& f, const Eigen::VectorXd& x) {
    MinimizeResult r = minimize(f, x, mopt);
    if (r.converged || r.abandoned || r.x.size() == 0 || !options.simplex_fallback) return r;
    const MinimizeResult simplex = nelder_mead(f, r.x, mopt, 400 * static_cast<int>(r.x.size() + 1));
    if (!(simplex.value < r.value) && !simplex.converged) return r;
    MinimizeResult polished = minimize(f, simplex.x, mopt);
    polished.iterations += r.iterations;
    polished.converged = polished.converged || simplex.converged;
    return polished.value <= r.value ? polished : r;
  };
  // Data with regressors or with gaps after the diffuse period: profile the trend and regression
  // coefficients out by GLS, so that L-BFGS only searches the ARMA parameters (11 -> 3 dimensions for
  // ARIMA(2,0,1) with six Fourier pairs and an intercept), and integrate gap dummies out, so that the
  // filter stays the gap-free Chandrasekhar one. Same maximum: the profile likelihood peaks at the
  // joint MLE, and the dummies' marginal likelihood is the exact likelihood of the observed points.
  MinimizeResult best;
  Eigen::VectorXd centered;  // the estimate on the scaled (and centered) problem
  Eigen::MatrixXd reg_cov;
  bool profiled = false;
  auto arma_of = [&](const Eigen::VectorXd& x) {
    Eigen::VectorXd full = Eigen::VectorXd::Zero(k_mean);
    full.tail(k_arma) = x;
    return Eigen::VectorXd(model.constrain(full).tail(k_arma));
  };
  const Objective profile = [&](const Eigen::VectorXd& x) {
    return -model.profile_loglik(arma_of(x)) / n_obs;
  };
  // The caller's FitOptions::abandon, asked with the ARMA estimate that the optimizer's point maps to.
  auto abandon_with = [&](auto arma_from_x) -> std::function<bool(const Eigen::VectorXd&)> {
    if (!options.abandon) return {};
    return [&options, arma_from_x](const Eigen::VectorXd& x) {
      const Eigen::VectorXd arma = arma_from_x(x);
      return options.abandon(std::span<const double>(arma.data(), static_cast<std::size_t>(arma.size())));
    };
  };
  if ((k_reg > 0 || model.profiled_gaps() > 0) && options.start_params.empty() && model.can_profile()) {
    Eigen::VectorXd arma_start = Eigen::VectorXd::Zero(k_arma);
    if (hr_start.size() == k_mean && k_arma > 0 && profile(hr_start.tail(k_arma)) < profile(arma_start))
      arma_start = hr_start.tail(k_arma);
    mopt.abandon = abandon_with(arma_of);
    best = minimize_robustly(profile, arma_start);
    if (best.abandoned) return std::unexpected(fail("abandoned by the caller during estimation"));
    if (std::isfinite(best.value)) {
      Eigen::VectorXd coef;
      const Eigen::VectorXd arma = arma_of(best.x);
      if (std::isfinite(model.profile_loglik(arma, &coef, &reg_cov)) && coef.size() == k_reg) {
        centered.resize(k_mean);
        centered << coef, arma;
        profiled = true;
      }
    }
  }
  if (!profiled) {
    // Only here: with gaps this objective runs the full O(m^2) filter, which the profiled path avoids.
    double f0 = objective(x0);
    if (hr_start.size() == k_mean) {
      const double f1 = objective(hr_start);
      if (f1 < f0 || !std::isfinite(f0)) {
        x0 = hr_start;
        f0 = f1;
      }
    }
    if (!std::isfinite(f0)) {
      x0.tail(k_mean - k_reg).setZero();
      if (!std::isfinite(objective(x0))) x0.setZero();
    }
    mopt.abandon = abandon_with([&](const Eigen::VectorXd& x) { return to_params(x).tail(k_arma).eval(); });
    best = minimize_robustly(objective, x0);
    if (best.abandoned) return std::unexpected(fail("abandoned by the caller during estimation"));
    if (!std::isfinite(best.value))
      return std::unexpected(
          fail("the likelihood could not be evaluated (zero innovation variance or degenerate data)"));
    centered = to_params(best.x);
  }

  Eigen::VectorXd estimate = centered;
  if (center) {
    const detail::SarimaxParams sp =
        model.split(std::span<const double>(estimate.data(), static_cast<std::size_t>(estimate.size())));
    estimate[0] += shift * (1.0 - sp.ar.sum()) * (1.0 - sp.seasonal_ar.sum());
  }
  Eigen::VectorXd unscaled = estimate;
  unscaled.head(k_reg) *= scale;
  auto result = from_params(
      spec, y, exog, std::span<const double>(unscaled.data(), static_cast<std::size_t>(unscaled.size())));
  if (!result) return result;
  SarimaxFit& fit = result->fit_;
  fit.converged = best.converged;
  fit.iterations = best.iterations;
  if (options.standard_errors && k_mean > 0) {
    // statsmodels' cov_type="approx": inverse of the numerical Hessian of -loglik in the
    // constrained parameters. Computed on the scaled (and centered) problem, where it is well
    // conditioned, then mapped back through the Jacobian of c = c' + mean * phi(1).
    // With profiling: the ARMA block from the profile likelihood's Hessian (equal to that block of
    // the full inverse Hessian), the regression block from GLS (the information matrix is block
    // diagonal between mean and covariance parameters).
    const Objective nll = [&](const Eigen::VectorXd& p) { return -model.concentrated_loglik(p); };
    const Objective arma_nll = [&](const Eigen::VectorXd& a) { return -model.profile_loglik(a); };
    const Eigen::MatrixXd H =
        profiled ? numerical_hessian(arma_nll, centered.tail(k_arma)) : numerical_hessian(nll, centered);
    if (H.allFinite()) {
      const Eigen::LDLT<Eigen::MatrixXd> ldlt(H);
      if (ldlt.info() == Eigen::Success && (ldlt.vectorD().array() > 0).all()) {
        Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(k_mean, k_mean);
        if (profiled) {
          cov.topLeftCorner(k_reg, k_reg) = reg_cov;
          cov.bottomRightCorner(k_arma, k_arma) = ldlt.solve(Eigen::MatrixXd::Identity(k_arma, k_arma));
        } else {
          cov = ldlt.solve(Eigen::MatrixXd::Identity(k_mean, k_mean));
        }
        if (center) {
          const detail::SarimaxParams sp = model.split(
              std::span<const double>(centered.data(), static_cast<std::size_t>(centered.size())));
          Eigen::MatrixXd J = Eigen::MatrixXd::Identity(k_mean, k_mean);
          const double ar1 = 1.0 - sp.ar.sum(), sar1 = 1.0 - sp.seasonal_ar.sum();
          const int ar_at = k_reg;
          const int sar_at = k_reg + spec.order.p + spec.order.q;
          for (int i = 0; i < spec.order.p; ++i) J(0, ar_at + i) = -shift * sar1;
          for (int i = 0; i < spec.order.P; ++i) J(0, sar_at + i) = -shift * ar1;
          cov = J * cov * J.transpose();
        }
        for (int i = 0; i < k_mean; ++i) {
          const double se = std::sqrt(cov(i, i));
          fit.std_errors[static_cast<std::size_t>(i)] = i < k_reg ? se * scale : se;
        }
      }
    }
    fit.std_errors.back() = fit.sigma2 * std::sqrt(2.0 / std::max(1, fit.nobs_effective));
  }
  return result;
}

std::expected<Forecast, Error> Sarimax::forecast(int horizon, const Eigen::MatrixXd& future_exog,
                                                 std::span<const double> levels) const {
  if (horizon < 1) return std::unexpected(fail("the horizon must be at least 1"));
  const auto& model = state_->model;
  const int k = model.k_exog();
  if (k > 0 && (future_exog.rows() < horizon || future_exog.cols() != k))
    return std::unexpected(
        fail(fmt::format("forecasting {} steps needs {} future rows of {} exogenous columns, got {}x{}",
                         horizon, horizon, k, future_exog.rows(), future_exog.cols())));
  if (k > 0 && !future_exog.topRows(horizon).allFinite())
    return std::unexpected(fail("future exogenous values must be finite"));
  if (state_->diffuse_cov.size() > 0 && state_->diffuse_cov.cwiseAbs().maxCoeff() > 1e-9)
    return std::unexpected(
        fail("not enough observations to pin down the differenced level: cannot forecast"));
  for (double level : levels)
    if (!(level > 0.0 && level < 100.0))
      return std::unexpected(fail(fmt::format("level {} is not in (0, 100)", level)));

  const Eigen::MatrixXd rows =
      k > 0 ? Eigen::MatrixXd(future_exog.topRows(horizon)) : Eigen::MatrixXd(horizon, 0);
  const StateSpace ss = model.full_state_space(state_->params, state_->next_time, horizon, rows);
  const ObservationForecast f = forecast_observations(ss, state_->state, state_->cov, horizon);
  Forecast out;
  out.levels.assign(levels.begin(), levels.end());
  out.mean.resize(static_cast<std::size_t>(horizon));
  out.std_err.resize(static_cast<std::size_t>(horizon));
  for (int h = 0; h < horizon; ++h) {
    out.mean[static_cast<std::size_t>(h)] = f.mean[h];
    out.std_err[static_cast<std::size_t>(h)] =
        std::sqrt(std::max(0.0, f.variance[h]) * state_->params.sigma2);
    if (!std::isfinite(out.mean[static_cast<std::size_t>(h)]) ||
        !std::isfinite(out.std_err[static_cast<std::size_t>(h)]))
      return std::unexpected(fail("forecast is not finite (numerical breakdown)"));
  }
  const boost::math::normal normal;
  for (double level : levels) {
    const double z = boost::math::quantile(normal, 0.5 + level / 200.0);
    std::vector<double> lo(static_cast<std::size_t>(horizon)), hi(static_cast<std::size_t>(horizon));
    for (std::size_t h = 0; h < lo.size(); ++h) {
      lo[h] = out.mean[h] - z * out.std_err[h];
      hi[h] = out.mean[h] + z * out.std_err[h];
    }
    out.lower.push_back(std::move(lo));
    out.upper.push_back(std::move(hi));
  }
  return out;
}

std::expected<void, Error> Sarimax::update(std::span<const double> y_new, const Eigen::MatrixXd& exog_new) {
  if (y_new.empty()) return {};
  auto& st = *state_;
  const int k = st.model.k_exog();
  const auto len = static_cast<Eigen::Index>(y_new.size());
  if (k > 0 && (exog_new.rows() != len || exog_new.cols() != k))
    return std::unexpected(fail("update needs one exogenous row per new observation"));
  for (double v : y_new)
    if (std::isinf(v)) return std::unexpected(fail("the new observations contain an infinite value"));
  const Eigen::MatrixXd rows = k > 0 ? exog_new : Eigen::MatrixXd(len, 0);
  StateSpace ss = st.model.full_state_space(st.params, st.next_time, len, rows);
  ss.initial_state = st.state;
  ss.initial_cov = st.cov;
  ss.initial_diffuse_cov = st.diffuse_cov;
  FilterOutput out = kalman_filter(ss, y_new);
  st.sums.sum_log_f += out.sum_log_f;
  st.sums.sum_v2_f += out.sum_v2_f;
  st.sums.regular_obs += out.regular_obs;
  st.sums.observed += out.observed;
  st.sums.sum_log_f_diffuse += out.sum_log_f_diffuse;
  st.state = out.next_state;
  st.cov = out.next_cov;
  st.diffuse_cov = out.next_diffuse_cov;
  st.next_time += len;
  // With a history limit the oldest values go first, so the vectors never outgrow it (no reallocation).
  const auto kept = static_cast<Eigen::Index>(std::min<std::size_t>(y_new.size(), st.history_limit));
  if (fit_.fitted.size() + static_cast<std::size_t>(kept) > st.history_limit)
    drop_oldest(fit_, fit_.fitted.size() + static_cast<std::size_t>(kept) - st.history_limit);
  fit_.history_start += static_cast<int>(len - kept);
  for (Eigen::Index t = len - kept; t < len; ++t) append_prediction(fit_, out, t, st.params.sigma2);
  if (fit_.diffuse_steps == fit_.nobs) fit_.diffuse_steps += out.diffuse_steps;
  fit_.nobs += static_cast<int>(len);
  fit_.loglik = loglik_at_scale(st.sums, st.params.sigma2);
  set_criteria(fit_, st.sums);
  return {};
}

void Sarimax::limit_history(std::size_t points) {
  state_->history_limit = points;
  if (fit_.fitted.size() > points) drop_oldest(fit_, fit_.fitted.size() - points);
  for (auto* v : {&fit_.fitted, &fit_.residuals, &fit_.standardized_residuals}) {
    v->shrink_to_fit();
    v->reserve(points == std::numeric_limits<std::size_t>::max() ? v->size() : points);
  }
}

std::expected<SarimaxFit, Error> Sarimax::filter(std::span<const double> y, const Eigen::MatrixXd& exog,
                                                 long first_time) const {
  const SarimaxSpec& spec = fit_.spec;
  if (static_cast<std::size_t>(exog.cols()) != spec.exog_names.size() ||
      (exog.cols() > 0 && static_cast<std::size_t>(exog.rows()) != y.size()))
    return std::unexpected(fail(
        fmt::format("filter needs one row of {} exogenous columns per observation", spec.exog_names.size())));
  if (exog.size() > 0 && !exog.allFinite())
    return std::unexpected(fail("exogenous regressors must be finite"));
  for (double v : y)
    if (std::isinf(v)) return std::unexpected(fail("the series contains an infinite value"));
  const detail::SarimaxModel model(spec, to_eigen(y), exog, first_time);
  const detail::SarimaxModel::Pass pass = model.run(state_->params, true);
  if (!pass.ok) return std::unexpected(fail("autoregressive parameters are not stationary"));
  if (pass.out.regular_obs == 0)
    return std::unexpected(fail("no observations left after the diffuse period"));
  SarimaxFit out;
  out.spec = spec;
  out.param_names = fit_.param_names;
  out.params = fit_.params;
  out.std_errors = fit_.std_errors;
  out.sigma2 = state_->params.sigma2;
  out.converged = fit_.converged;
  out.iterations = fit_.iterations;
  out.nobs = static_cast<int>(y.size());
  out.loglik = loglik_at_scale(pass.out, out.sigma2);
  out.diffuse_steps = pass.out.diffuse_steps;
  for (Eigen::Index t = 0; t < static_cast<Eigen::Index>(y.size()); ++t)
    append_prediction(out, pass.out, t, out.sigma2);
  set_criteria(out, pass.out);
  return out;
}

std::expected<double, Error> sarimax_loglik(const SarimaxSpec& spec, std::span<const double> y,
                                            const Eigen::MatrixXd& exog, std::span<const double> params) {
  auto model = Sarimax::from_params(spec, y, exog, params);
  if (!model) return std::unexpected(model.error());
  return model->result().loglik;
}

std::expected<LjungBox, Error> residual_ljung_box(const SarimaxFit& fit) {
  const auto& ord = fit.spec.order;
  const int model_df = ord.p + ord.q + ord.P + ord.Q;
  // as checkresiduals(): at least model_df + 3 lags, so that the test keeps degrees of freedom
  const int lags = std::max(model_df + 3, std::min(ord.s > 1 ? 2 * ord.s : 10, fit.nobs_effective / 5));
  // The diffuse period's residuals (y_0 minus the prior mean, ...) are not innovations: skipped, as
  // statsmodels' test_serial_correlation does. With a history limit, residuals[0] is at history_start.
  const auto skip = static_cast<std::size_t>(std::max(0, fit.diffuse_steps - fit.history_start));
  const std::span<const double> residuals(fit.residuals);
  return ljung_box(residuals.subspan(std::min(residuals.size(), skip)), lags, model_df);
}

}  // namespace promcast::forecaster
