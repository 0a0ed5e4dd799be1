#include "forecaster/stat_tests.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "forecaster/stl.h"

namespace promcast::forecaster {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::unexpected<Error> fail(std::string message) {
  return std::unexpected(Error{std::move(message), "", 0, 0});
}

bool has_nan(std::span<const double> x) {
  return std::any_of(x.begin(), x.end(), [](double v) { return !std::isfinite(v); });
}

std::vector<double> drop_nan(std::span<const double> x) {
  std::vector<double> out;
  out.reserve(x.size());
  for (double v : x)
    if (std::isfinite(v)) out.push_back(v);
  return out;
}

// Ordinary least squares with the classical covariance (what statsmodels' OLS and R's lm report).
struct Ols {
  Eigen::VectorXd coef;
  Eigen::VectorXd t_values;
  double ssr = 0;
  int n = 0;
  int k = 0;

  // Gaussian log-likelihood at the MLE of the variance (statsmodels' OLS.llf, R's logLik.lm).
  [[nodiscard]] double loglik() const {
    return -0.5 * n * (std::log(2 * std::numbers::pi) + std::log(ssr / n) + 1.0);
  }
};

std::expected<Ols, Error> ols(const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
  Ols out;
  out.n = static_cast<int>(X.rows());
  out.k = static_cast<int>(X.cols());
  if (out.n <= out.k) return fail("regression has no residual degrees of freedom");
  if (out.k == 0) {
    out.ssr = y.squaredNorm();
    return out;
  }
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(X);
  if (qr.rank() < out.k) return fail("regression design is rank deficient");
  out.coef = qr.solve(y);
  out.ssr = (y - X * out.coef).squaredNorm();
  const double sigma2 = out.ssr / (out.n - out.k);
  const Eigen::MatrixXd xtx_inv = (X.transpose() * X).ldlt().solve(Eigen::MatrixXd::Identity(out.k, out.k));
  out.t_values.resize(out.k);
  for (int j = 0; j < out.k; ++j) out.t_values[j] = out.coef[j] / std::sqrt(sigma2 * xtx_inv(j, j));
  return out;
}

// Linear interpolation of p-values in a table of increasing critical values, clipped at both ends
// (numpy's interp and R's approx(rule = 2) agree on this).
double interpolate_p(double stat, const std::array<double, 4>& crit, const std::array<double, 4>& p) {
  if (stat <= crit.front()) return p.front();
  if (stat >= crit.back()) return p.back();
  for (size_t i = 1; i < crit.size(); ++i) {
    if (stat <= crit[i]) {
      const double w = (stat - crit[i - 1]) / (crit[i] - crit[i - 1]);
      return p[i - 1] + w * (p[i] - p[i - 1]);
    }
  }
  return p.back();
}

int kpss_auto_lags(const Eigen::VectorXd& resid) {
  // Hobijn, Franses and Ooms (1998): Bartlett-kernel bandwidth from the first n^(2/9) autocovariances.
  const int n = static_cast<int>(resid.size());
  const int cov_lags = static_cast<int>(std::pow(n, 2.0 / 9.0));
  double s0 = resid.squaredNorm() / n;
  double s1 = 0;
  for (int i = 1; i <= cov_lags; ++i) {
    const double prod = resid.tail(n - i).dot(resid.head(n - i)) / (n / 2.0);
    s0 += prod;
    s1 += i * prod;
  }
  const double s_hat = s1 / s0;
  const double gamma = 1.1447 * std::pow(s_hat * s_hat, 1.0 / 3.0);
  return static_cast<int>(gamma * std::pow(n, 1.0 / 3.0));
}

}  // namespace

bool is_constant(std::span<const double> x) {
  double first = std::numeric_limits<double>::quiet_NaN();
  double diff = 0, scale = 0;
  for (double v : x) {
    if (!std::isfinite(v)) continue;
    if (std::isnan(first)) first = v;
    diff += std::abs(v - first);
    scale += std::abs(v);
  }
  if (diff == 0) return true;
  return scale > 0 ? diff / scale < 1.5e-8 : diff < 1.5e-8;
}

// ---------------------------------------------------------------------------------------------

std::expected<LjungBox, Error> ljung_box(std::span<const double> x, int lags, int model_df) {
  if (lags < 1) return fail("Ljung-Box needs lags >= 1");
  if (model_df < 0) return fail("Ljung-Box needs model_df >= 0");
  const std::vector<double> v = drop_nan(x);
  const int n = static_cast<int>(v.size());
  if (n < lags + 2)
    return fail(fmt::format("Ljung-Box with {} lags needs at least {} values, got {}", lags, lags + 2, n));
  double mean = 0;
  for (double a : v) mean += a;
  mean /= n;
  double c0 = 0;
  for (double a : v) c0 += (a - mean) * (a - mean);
  if (c0 <= 0) return fail("Ljung-Box of a constant series");
  double q = 0;
  for (int k = 1; k <= lags; ++k) {
    double ck = 0;
    for (int t = k; t < n; ++t) ck += (v[t] - mean) * (v[t - k] - mean);
    const double r = ck / c0;
    q += r * r / (n - k);
  }
  LjungBox out;
  out.statistic = n * (n + 2.0) * q;
  out.lags = lags;
  out.df = lags - model_df;
  out.nobs = n;
  out.p_value =
      out.df > 0 ? boost::math::cdf(boost::math::complement(boost::math::chi_squared(out.df), out.statistic))
                 : kNaN;
  return out;
}

// ---------------------------------------------------------------------------------------------

std::expected<Kpss, Error> kpss(std::span<const double> x, KpssRegression regression, int lags) {
  const int n = static_cast<int>(x.size());
  if (n < 3) return fail("KPSS needs at least 3 observations");
  if (has_nan(x)) return fail("KPSS input contains NaN");
  Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXd>(x.data(), n);
  Eigen::VectorXd resid;
  std::array<double, 4> crit;
  if (regression == KpssRegression::kTrend) {
    Eigen::MatrixXd X(n, 2);
    for (int t = 0; t < n; ++t) X.row(t) << 1.0, t + 1.0;
    auto fit = ols(X, y);
    if (!fit) return std::unexpected(fit.error());
    resid = y - X * fit->coef;
    crit = {0.119, 0.146, 0.176, 0.216};
  } else {
    resid = y.array() - y.mean();
    crit = {0.347, 0.463, 0.574, 0.739};
  }
  int used = lags;
  if (lags == kKpssLagsAuto) {
    used = std::min(kpss_auto_lags(resid), n - 1);
  } else if (lags == kKpssLagsLegacy) {
    used = std::min(static_cast<int>(std::ceil(12.0 * std::pow(n / 100.0, 0.25))), n - 1);
  } else if (lags == kKpssLagsShort) {
    used = static_cast<int>(std::trunc(3.0 * std::sqrt(static_cast<double>(n)) / 13.0));
  } else if (lags < 0 || lags >= n) {
    return fail(fmt::format("KPSS lags {} must be in [0, {})", lags, n));
  }
  double cum = 0, eta = 0;
  for (int t = 0; t < n; ++t) {
    cum += resid[t];
    eta += cum * cum;
  }
  eta /= static_cast<double>(n) * n;
  double s = resid.squaredNorm();
  for (int i = 1; i <= used; ++i)
    s += 2.0 * resid.tail(n - i).dot(resid.head(n - i)) * (1.0 - i / (used + 1.0));
  s /= n;
  if (!(s > 0)) return fail("KPSS long-run variance is zero (constant series?)");
  Kpss out;
  out.statistic = eta / s;
  out.p_value = interpolate_p(out.statistic, crit, {0.10, 0.05, 0.025, 0.01});
  out.lags = used;
  return out;
}

// ---------------------------------------------------------------------------------------------

double mackinnon_p_value(double stat, AdfRegression regression) {
  // MacKinnon (1994) response surfaces for one series: the p-value is Phi(polynomial in tau), with
  // a small-p and a large-p polynomial meeting at tau_star, and exact 0/1 outside [tau_min, tau_max].
  struct Surface {
    double tau_star, tau_min, tau_max;
    std::array<double, 3> small;
    std::array<double, 4> large;
  };
  static constexpr Surface kNone{-1.04,
                                 -19.04,
                                 std::numeric_limits<double>::infinity(),
                                 {0.6344, 1.2378, 3.2496e-2},
                                 {0.4797, 9.3557e-1, -0.6999e-1, 3.3066e-2}};
  static constexpr Surface kConst{
      -1.61, -18.83, 2.74, {2.1659, 1.4412, 3.8269e-2}, {1.7339, 9.3202e-1, -1.2745e-1, -1.0368e-2}};
  static constexpr Surface kTrendS{
      -2.89, -16.18, 0.7, {3.2512, 1.6047, 4.9588e-2}, {2.5261, 6.1654e-1, -3.7956e-1, -6.0285e-2}};
  const Surface& s = regression == AdfRegression::kNone       ? kNone
                     : regression == AdfRegression::kConstant ? kConst
                                                              : kTrendS;
  if (stat > s.tau_max) return 1.0;
  if (stat < s.tau_min) return 0.0;
  double z = 0;
  if (stat <= s.tau_star) {
    z = s.small[0] + stat * (s.small[1] + stat * s.small[2]);
  } else {
    z = s.large[0] + stat * (s.large[1] + stat * (s.large[2] + stat * s.large[3]));
  }
  return boost::math::cdf(boost::math::normal(), z);
}

std::array<double, 3> mackinnon_critical_values(AdfRegression regression, int nobs) {
  // MacKinnon (2010) finite-sample critical values b0 + b1/n + b2/n^2 + b3/n^3 for one series.
  using Row = std::array<double, 4>;
  static constexpr std::array<Row, 3> kNone{Row{-2.56574, -2.2358, -3.627, 0},
                                            Row{-1.94100, -0.2686, -3.365, 31.223},
                                            Row{-1.61682, 0.2656, -2.714, 25.364}};
  static constexpr std::array<Row, 3> kConst{Row{-3.43035, -6.5393, -16.786, -79.433},
                                             Row{-2.86154, -2.8903, -4.234, -40.040},
                                             Row{-2.56677, -1.5384, -2.809, 0}};
  static constexpr std::array<Row, 3> kTrendS{Row{-3.95877, -9.0531, -28.428, -134.155},
                                              Row{-3.41049, -4.3904, -9.036, -45.374},
                                              Row{-3.12705, -2.5856, -3.925, -22.380}};
  const auto& table = regression == AdfRegression::kNone       ? kNone
                      : regression == AdfRegression::kConstant ? kConst
                                                               : kTrendS;
  const double u = 1.0 / nobs;
  std::array<double, 3> out{};
  for (int i = 0; i < 3; ++i) {
    const Row& b = table[i];
    out[i] = b[0] + u * (b[1] + u * (b[2] + u * b[3]));
  }
  return out;
}

namespace {

// The ADF regression of dx_t on [trend terms..., x_t, dx_{t-1}..dx_{t-lags}] over the sample that
// drops the first `sample_lag` differences (so regressions with fewer lags share a sample).
struct AdfDesign {
  Eigen::MatrixXd X;
  Eigen::VectorXd y;
  int level_col = 0;
};

AdfDesign adf_design(std::span<const double> x, int lags, int sample_lag, int ntrend, bool trend_first) {
  const int n = static_cast<int>(x.size());
  const int nobs = n - 1 - sample_lag;
  AdfDesign d;
  d.X.resize(nobs, ntrend + 1 + lags);
  d.y.resize(nobs);
  const int base = trend_first ? ntrend : 0;
  const int trend_base = trend_first ? 0 : 1 + lags;
  d.level_col = base;
  for (int r = 0; r < nobs; ++r) {
    const int t = sample_lag + r;  // dx_t = x[t+1] - x[t]
    d.y[r] = x[t + 1] - x[t];
    d.X(r, base) = x[t];
    for (int j = 1; j <= lags; ++j) d.X(r, base + j) = x[t - j + 1] - x[t - j];
    if (ntrend >= 1) d.X(r, trend_base) = 1.0;
    if (ntrend >= 2) d.X(r, trend_base + 1) = r + 1.0;
  }
  return d;
}

}  // namespace

std::expected<Adf, Error> adf(std::span<const double> x, const AdfOptions& options) {
  const int n = static_cast<int>(x.size());
  if (has_nan(x)) return fail("ADF input contains NaN");
  const int ntrend = options.regression == AdfRegression::kNone       ? 0
                     : options.regression == AdfRegression::kConstant ? 1
                                                                      : 2;
  int max_lag = options.max_lag;
  if (max_lag < 0) {
    max_lag = static_cast<int>(std::ceil(12.0 * std::pow(n / 100.0, 0.25)));
    max_lag = std::min(n / 2 - ntrend - 1, max_lag);
    if (max_lag < 0) return fail("ADF: sample too short for the deterministic terms");
  } else if (max_lag > n / 2 - ntrend - 1) {
    return fail("ADF: max_lag must be below n/2 - 1 - ntrend");
  }
  Adf out;
  out.ic_best = kNaN;
  int used = max_lag;
  if (options.autolag != LagCriterion::kFixed) {
    double best = std::numeric_limits<double>::infinity();
    for (int lag = 0; lag <= max_lag; ++lag) {
      const AdfDesign d = adf_design(x, lag, max_lag, ntrend, true);
      auto fit = ols(d.X, d.y);
      if (!fit) return std::unexpected(fit.error());
      const double k = fit->k;
      const double penalty =
          options.autolag == LagCriterion::kAic ? 2.0 * k : k * std::log(static_cast<double>(fit->n));
      const double ic = -2.0 * fit->loglik() + penalty;
      if (ic < best) {  // strict: ties keep the shorter lag, like statsmodels' min over (ic, lag)
        best = ic;
        used = lag;
      }
    }
    out.ic_best = best;
  }
  const AdfDesign d = adf_design(x, used, used, ntrend, false);
  auto fit = ols(d.X, d.y);
  if (!fit) return std::unexpected(fit.error());
  out.statistic = fit->t_values[d.level_col];
  out.used_lag = used;
  out.nobs = fit->n;
  out.p_value = mackinnon_p_value(out.statistic, options.regression);
  out.critical = mackinnon_critical_values(options.regression, out.nobs);
  return out;
}

// ---------------------------------------------------------------------------------------------

double ocsb_critical_value(int period) {
  const double u = std::log(static_cast<double>(period)) - 0.7656451;
  return -0.2937411 * std::exp(-0.2850853 * u - 0.05983644 * u * u) - 1.652202;
}

namespace {

// One OCSB regression as forecast's fitOCSB(x, lag, maxlag), on 0-based time t:
//   w_t = D_s D x_t (t >= s + 1), regressed on w_{t-1..t-lag} over t >= s + 1 + maxlag, then
//   w_t on [w_{t-1..t-lag}, Z4_{t-1}, Z5_{t-s}] where Z4 = D_s x and Z5 = D x filtered by that AR fit.
std::expected<Ols, Error> fit_ocsb(std::span<const double> x, int s, int lag, int maxlag) {
  const int n = static_cast<int>(x.size());
  auto w = [&](int t) { return (x[t] - x[t - s]) - (x[t - 1] - x[t - 1 - s]); };
  const int first = s + 1 + maxlag;
  const int rows = n - first;
  if (rows <= lag + 2) return fail("OCSB: series too short");
  Eigen::VectorXd coef = Eigen::VectorXd::Zero(lag);
  if (lag > 0) {
    Eigen::MatrixXd X(rows, lag);
    Eigen::VectorXd y(rows);
    for (int r = 0; r < rows; ++r) {
      const int t = first + r;
      y[r] = w(t);
      for (int k = 1; k <= lag; ++k) X(r, k - 1) = w(t - k);
    }
    auto ar = ols(X, y);
    if (!ar) return std::unexpected(ar.error());
    coef = ar->coef;
  }
  auto seasonal_diff = [&](int t) { return x[t] - x[t - s]; };
  auto first_diff = [&](int t) { return x[t] - x[t - 1]; };
  auto z4 = [&](int t) {
    double v = seasonal_diff(t);
    for (int k = 1; k <= lag; ++k) v -= coef[k - 1] * seasonal_diff(t - k);
    return v;
  };
  auto z5 = [&](int t) {
    double v = first_diff(t);
    for (int k = 1; k <= lag; ++k) v -= coef[k - 1] * first_diff(t - k);
    return v;
  };
  Eigen::MatrixXd X(rows, lag + 2);
  Eigen::VectorXd y(rows);
  for (int r = 0; r < rows; ++r) {
    const int t = first + r;
    y[r] = w(t);
    for (int k = 1; k <= lag; ++k) X(r, k - 1) = w(t - k);
    X(r, lag) = z4(t - 1);
    X(r, lag + 1) = z5(t - s);
  }
  return ols(X, y);
}

}  // namespace

std::expected<Ocsb, Error> ocsb(std::span<const double> x, int period, int max_lag) {
  if (period < 2) return fail("OCSB needs a seasonal period >= 2");
  if (has_nan(x)) return fail("OCSB input contains NaN");
  if (max_lag < 0) return fail("OCSB needs max_lag >= 0");
  int lag = max_lag;
  if (max_lag > 0) {
    double best = std::numeric_limits<double>::infinity();
    int best_id = 1;
    for (int l = 1; l <= max_lag; ++l) {
      auto fit = fit_ocsb(x, period, l, max_lag);
      if (!fit) return std::unexpected(fit.error());
      const double aic = -2.0 * fit->loglik() + 2.0 * (fit->k + 1);
      if (aic < best) {
        best = aic;
        best_id = l;
      }
    }
    // forecast 8.20 sets maxlag <- which.min(icvals) - 1 (so the AIC-best lag minus one): kept as is.
    lag = best_id - 1;
  }
  auto fit = fit_ocsb(x, period, lag, lag);
  if (!fit) return std::unexpected(fit.error());
  Ocsb out;
  out.statistic = fit->t_values[lag + 1];
  if (!std::isfinite(out.statistic)) return fail("OCSB regression did not reach a solution");
  out.critical = ocsb_critical_value(period);
  out.lag = lag;
  return out;
}

std::expected<double, Error> seasonal_strength(std::span<const double> x, int period) {
  const int n = static_cast<int>(x.size());
  if (period < 2) return fail("seasonal strength needs a period >= 2");
  if (n <= 2 * period) return fail("seasonal strength needs more than two periods");
  std::vector<double> v(x.begin(), x.end());
  // Linear interpolation of gaps (forecast uses na.interp; only the remainder variance matters here).
  int last = -1;
  for (int t = 0; t < n; ++t) {
    if (!std::isfinite(v[t])) continue;
    if (last < 0) {
      for (int u = 0; u < t; ++u) v[u] = v[t];
    } else {
      for (int u = last + 1; u < t; ++u) v[u] = v[last] + (v[t] - v[last]) * (u - last) / double(t - last);
    }
    last = t;
  }
  if (last < 0) return fail("seasonal strength of an all-NaN series");
  for (int u = last + 1; u < n; ++u) v[u] = v[last];
  StlOptions opt;
  opt.period = period;
  opt.periodic = false;
  opt.seasonal_window = 11;  // mstl's first s.window, 7 + 4
  auto dec = stl(v, opt);
  if (!dec) return std::unexpected(dec.error());
  auto variance = [](const std::vector<double>& a) {
    double m = 0;
    for (double e : a) m += e;
    m /= a.size();
    double s = 0;
    for (double e : a) s += (e - m) * (e - m);
    return s / (a.size() - 1.0);
  };
  std::vector<double> rs(n);
  for (int t = 0; t < n; ++t) rs[t] = dec->remainder[t] + dec->seasonal[t];
  const double var_rs = variance(rs);
  if (!(var_rs > 0)) return 0.0;
  return std::clamp(1.0 - variance(dec->remainder) / var_rs, 0.0, 1.0);
}

// ---------------------------------------------------------------------------------------------

int ndiffs(std::span<const double> x, double alpha, int max_d) {
  alpha = std::clamp(alpha, 0.01, 0.1);
  std::vector<double> v = drop_nan(x);
  auto needs_diff = [&](const std::vector<double>& s) {
    auto k = kpss(s, KpssRegression::kLevel, kKpssLagsShort);
    return k && k->p_value < alpha;  // a failing test means "no difference", as R's tryCatch
  };
  int d = 0;
  if (is_constant(v)) return d;
  bool dodiff = needs_diff(v);
  while (dodiff && d < max_d) {
    ++d;
    std::vector<double> next(v.size() > 0 ? v.size() - 1 : 0);
    for (size_t i = 0; i + 1 < v.size(); ++i) next[i] = v[i + 1] - v[i];
    v = std::move(next);
    if (is_constant(v)) return d;
    dodiff = needs_diff(v);
  }
  return d;
}

int nsdiffs(std::span<const double> x, int period, SeasonalTest test, int max_D) {
  const int n = static_cast<int>(x.size());
  if (period < 2 || period >= n || max_D < 1) return 0;
  std::vector<double> v(x.begin(), x.end());
  if (is_constant(drop_nan(v))) return 0;
  auto needs_diff = [&](const std::vector<double>& s) {
    if (test == SeasonalTest::kStrength) {
      auto st = seasonal_strength(s, period);
      return st && *st > 0.64;
    }
    auto oc = ocsb(s, period, 3);
    return oc && oc->statistic > oc->critical;
  };
  int D = 0;
  bool dodiff = needs_diff(v);
  while (dodiff && D < max_D) {
    ++D;
    std::vector<double> next(v.size() - period);
    for (size_t i = 0; i < next.size(); ++i) next[i] = v[i + period] - v[i];
    v = std::move(next);
    if (is_constant(drop_nan(v))) return D;
    if (static_cast<int>(v.size()) <= period) return D;
    if (D < max_D) dodiff = needs_diff(v);
  }
  return D;
}

}  // namespace promcast::forecaster
