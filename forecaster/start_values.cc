#include "forecaster/start_values.h"

#include <fmt/format.h>

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

namespace promcast::forecaster {

namespace {

Error fail(std::string_view message) {
  Error e;
  e.message = fmt::format("start values: {}", message);
  return e;
}

// numpy's pinv(X) @ y. A full-rank least-squares problem has a unique solution, which QR finds much
// faster than an SVD; rank-deficient ones (an exog column that differencing turns into zeros) take
// the minimum-norm solution with numpy's singular value cutoff, rcond = 1e-15.
Eigen::VectorXd pinv_solve(const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
  if (X.cols() == 0) return Eigen::VectorXd();
  if (X.rows() == 0) return Eigen::VectorXd::Zero(X.cols());
  if (X.rows() >= X.cols()) {
    if (X.cols() >= 32) {
      // The long autoregression of a seasonal MA has 2 Q s columns (576 for s = 288): normal
      // equations with one step of iterative refinement are 3x faster than QR and as accurate
      // while X is well conditioned, which the Cholesky diagonal bounds from below.
      Eigen::MatrixXd A = Eigen::MatrixXd::Zero(X.cols(), X.cols());
      A.selfadjointView<Eigen::Lower>().rankUpdate(X.transpose());
      const Eigen::LLT<Eigen::MatrixXd> llt(A);
      if (llt.info() == Eigen::Success) {
        const Eigen::VectorXd diag = llt.matrixLLT().diagonal();
        if (diag.allFinite() && diag.minCoeff() > 1e-4 * diag.maxCoeff()) {
          Eigen::VectorXd b = llt.solve(X.transpose() * y);
          b += llt.solve(X.transpose() * (y - X * b));
          return b;
        }
      }
    }
    const Eigen::HouseholderQR<Eigen::MatrixXd> qr(X);
    const Eigen::VectorXd r = qr.matrixQR().diagonal().cwiseAbs();
    if (r.allFinite() && r.minCoeff() > 1e-12 * r.maxCoeff()) return qr.solve(y);
  }
  Eigen::BDCSVD<Eigen::MatrixXd> svd(X, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Eigen::VectorXd& s = svd.singularValues();
  const double cutoff = 1e-15 * (s.size() > 0 ? s.maxCoeff() : 0.0);
  Eigen::VectorXd uty = svd.matrixU().transpose() * y;
  for (Eigen::Index i = 0; i < s.size(); ++i) uty[i] = s[i] > cutoff ? uty[i] / s[i] : 0.0;
  return svd.matrixV() * uty;
}

// statsmodels' is_invertible(polynomial): every eigenvalue of the companion matrix of
// 1 + c_1 L + ... + c_n L^n (the inverse roots) below 1 - 1e-10 in modulus.
bool inverse_roots_inside(const Eigen::VectorXd& c) {
  const Eigen::Index n = c.size();
  if (n == 0) return true;
  if (!c.allFinite()) return false;
  Eigen::MatrixXd C = Eigen::MatrixXd::Zero(n, n);
  C.col(0) = -c;
  for (Eigen::Index i = 0; i + 1 < n; ++i) C(i, i + 1) = 1.0;
  const Eigen::EigenSolver<Eigen::MatrixXd> es(C, false);
  for (Eigen::Index i = 0; i < n; ++i)
    if (!(std::abs(es.eigenvalues()[i]) < 1.0 - 1e-10)) return false;
  return true;
}

// Row t holds x[t - lag] for each lag, t = first..x.size()-1 (statsmodels' lagmat rows, columns
// picked by lag).
Eigen::MatrixXd lagged(const Eigen::VectorXd& x, const std::vector<int>& lags, Eigen::Index first) {
  const Eigen::Index rows = std::max<Eigen::Index>(0, x.size() - first);
  Eigen::MatrixXd out(rows, static_cast<Eigen::Index>(lags.size()));
  for (std::size_t j = 0; j < lags.size(); ++j)
    for (Eigen::Index i = 0; i < rows; ++i) {
      const Eigen::Index t = first + i - lags[j];
      out(i, static_cast<Eigen::Index>(j)) = t >= 0 ? x[t] : 0.0;
    }
  return out;
}

std::vector<int> lags_of(int count, int step) {
  std::vector<int> out;
  for (int i = 1; i <= count; ++i) out.push_back(i * step);
  return out;
}

// Residuals of the OLS autoregression of x on its lags 1..k without intercept (rows t = k..n-1), as
// pinv would give them. The Gram matrix of a lag matrix is Toeplitz up to end effects: each entry
// follows from its upper-left neighbour by adding one product and dropping another, O(k n + k^2)
// instead of the O(k^2 n) product that dominates for k = 576 (s = 288). One step of iterative
// refinement against X itself keeps the solution as accurate as a QR solve.
Eigen::VectorXd long_autoregression_residuals(const Eigen::VectorXd& x, int k) {
  const Eigen::Index m = x.size() - k;
  std::vector<int> all(static_cast<std::size_t>(k));
  for (int i = 0; i < k; ++i) all[static_cast<std::size_t>(i)] = i + 1;
  const Eigen::MatrixXd X = lagged(x, all, k);
  const Eigen::VectorXd Y = x.tail(m);
  if (k >= 32 && m >= k) {
    // Column a holds x[k-1-a .. k-1-a+m-1].
    Eigen::MatrixXd A(k, k);
    for (int b = 0; b < k; ++b) A(0, b) = X.col(0).dot(X.col(b));
    for (int a = 1; a < k; ++a)
      for (int b = a; b < k; ++b) {
        const Eigen::Index u = k - a, v = k - b;  // first elements of columns a-1 and b-1
        A(a, b) = A(a - 1, b - 1) + x[u - 1] * x[v - 1] - x[u - 1 + m] * x[v - 1 + m];
      }
    A.triangularView<Eigen::StrictlyLower>() = A.transpose();
    const Eigen::LLT<Eigen::MatrixXd> llt(A);
    if (llt.info() == Eigen::Success) {
      const Eigen::VectorXd diag = llt.matrixLLT().diagonal();
      if (diag.allFinite() && diag.minCoeff() > 1e-4 * diag.maxCoeff()) {
        Eigen::VectorXd b = llt.solve(X.transpose() * Y);
        Eigen::VectorXd residuals = Y - X * b;
        b += llt.solve(X.transpose() * residuals);
        return Y - X * b;
      }
    }
  }
  return Y - X * pinv_solve(X, Y);
}

struct CssResult {
  Eigen::VectorXd trend, ar, ma;
  std::optional<double> variance;  // absent when the block has no parameters
  bool too_few = false;
};

// statsmodels' SARIMAX._conditional_sum_squares for a polynomial whose nonzero lags are ar_lags
// (highest k_ar) and ma_lags (highest k_ma).
CssResult conditional_sum_squares(const Eigen::VectorXd& endog, const std::vector<int>& ar_lags,
                                  const std::vector<int>& ma_lags, const Eigen::MatrixXd& trend_data) {
  CssResult out;
  const int k_ar = ar_lags.empty() ? 0 : ar_lags.back();
  const int k_ma = ma_lags.empty() ? 0 : ma_lags.back();
  const auto k_trend = static_cast<int>(trend_data.cols());
  const Eigen::Index n = endog.size();
  const int k = 2 * k_ma;
  const int r = std::max(k + k_ma, k_ar);
  const auto n_ar = static_cast<Eigen::Index>(ar_lags.size());
  const auto n_ma = static_cast<Eigen::Index>(ma_lags.size());
  out.trend = Eigen::VectorXd::Zero(k_trend);
  out.ar = Eigen::VectorXd::Zero(n_ar);
  out.ma = Eigen::VectorXd::Zero(n_ma);
  if (k_ar + k_ma + k_trend == 0) return out;

  // statsmodels' lagmat raises (maxlag >= nobs) and start_params falls back to zeros.
  const bool fits = (k_ma == 0 || (k < n && k_ma < n - k)) && (k_ar == 0 || k_ar < n);
  if (!fits) {
    out.too_few = true;
    // Residuals = [2 n_ma zeros, endog - mean]; the variance skips the first n_ma of them.
    if (n == 0) {
      out.variance = 1.0;
      return out;
    }
    const double mean = endog.mean();
    const double ss = (endog.array() - mean).square().sum();
    out.variance = n + 2 * n_ma > 1 ? ss / static_cast<double>(n + n_ma) : ss / static_cast<double>(n);
    return out;
  }

  Eigen::VectorXd long_residuals;
  if (k_ma > 0) {
    // Long autoregression AR(2 k_ma) without intercept; its residuals stand in for the innovations.
    long_residuals = long_autoregression_residuals(endog, k);
  }

  const Eigen::Index rows = std::max<Eigen::Index>(0, n - r);
  const Eigen::VectorXd Y = endog.tail(rows);
  Eigen::MatrixXd X(rows, k_trend + n_ar + n_ma);
  // Trend rows start at t = 1 whatever r is (statsmodels slices trend_data[:-r]).
  if (k_trend > 0) X.leftCols(k_trend) = trend_data.topRows(rows);
  if (n_ar > 0) X.middleCols(k_trend, n_ar) = lagged(endog, ar_lags, r);
  if (n_ma > 0) X.rightCols(n_ma) = lagged(long_residuals, ma_lags, r - k);
  const Eigen::VectorXd params = pinv_solve(X, Y);
  out.trend = params.head(k_trend);
  out.ar = params.segment(k_trend, n_ar);
  out.ma = params.tail(n_ma);
  const Eigen::VectorXd residuals = Y - X * params;
  if (residuals.size() > 1) {
    const Eigen::Index m = residuals.size() - std::min<Eigen::Index>(n_ma, residuals.size());
    out.variance = m > 0 ? residuals.tail(m).squaredNorm() / static_cast<double>(m)
                         : std::numeric_limits<double>::quiet_NaN();
  } else {
    const double mean = n > 0 ? endog.mean() : 0.0;
    out.variance = n > 0 ? (endog.array() - mean).square().sum() / static_cast<double>(n)
                         : std::numeric_limits<double>::quiet_NaN();
  }
  return out;
}

// (1 - L^s)^D then (1 - L)^d, as statsmodels' tools.diff; NaN propagates.
Eigen::MatrixXd difference(Eigen::MatrixXd x, int d, int D, int s) {
  for (int i = 0; i < D; ++i) {
    if (x.rows() <= s) return Eigen::MatrixXd(0, x.cols());
    x = (x.bottomRows(x.rows() - s) - x.topRows(x.rows() - s)).eval();
  }
  for (int i = 0; i < d && x.rows() > 0; ++i)
    x = (x.bottomRows(x.rows() - 1) - x.topRows(x.rows() - 1)).eval();
  return x;
}

}  // namespace

std::expected<StartValues, Error> sarimax_start_values(const SarimaxSpec& spec, std::span<const double> y,
                                                       const Eigen::MatrixXd& exog) {
  if (auto ok = spec.validate(); !ok) return std::unexpected(ok.error());
  const auto k_exog = static_cast<Eigen::Index>(spec.exog_names.size());
  if (exog.cols() != k_exog)
    return std::unexpected(fail(fmt::format("{} exogenous columns but {} names", exog.cols(), k_exog)));
  const auto n = static_cast<Eigen::Index>(y.size());
  if (k_exog > 0 && exog.rows() != n)
    return std::unexpected(fail(fmt::format("exog has {} rows for {} observations", exog.rows(), n)));
  if (k_exog > 0 && !exog.allFinite()) return std::unexpected(fail("exogenous regressors must be finite"));
  for (double v : y)
    if (std::isinf(v)) return std::unexpected(fail("the series contains an infinite value"));

  const SarimaxOrder& o = spec.order;
  const bool has_const = spec.trend == Trend::kConstant || spec.trend == Trend::kConstantLinear;
  const bool has_drift = spec.trend == Trend::kLinear || spec.trend == Trend::kConstantLinear;
  const int k_trend = (has_const ? 1 : 0) + (has_drift ? 1 : 0);

  // Differenced y and exog side by side, so one pass keeps their rows aligned.
  Eigen::MatrixXd joint(n, 1 + k_exog);
  for (Eigen::Index t = 0; t < n; ++t) joint(t, 0) = y[static_cast<std::size_t>(t)];
  if (k_exog > 0) joint.rightCols(k_exog) = exog;
  const int s = (o.D > 0) ? o.s : 0;
  const Eigen::MatrixXd diffed = difference(std::move(joint), o.d, o.D, s);

  // Keep the non-missing rows; the trend data is row i -> t = i + 1 of the differenced series, taken
  // before dropping rows (statsmodels masks trend_data like endog).
  std::vector<Eigen::Index> keep;
  for (Eigen::Index i = 0; i < diffed.rows(); ++i)
    if (!std::isnan(diffed(i, 0))) keep.push_back(i);
  const auto m = static_cast<Eigen::Index>(keep.size());
  if (m == 0) return std::unexpected(fail("no observation left after differencing"));
  Eigen::VectorXd endog(m);
  Eigen::MatrixXd exog_d(m, k_exog);
  Eigen::MatrixXd trend_data(m, k_trend);
  for (Eigen::Index i = 0; i < m; ++i) {
    const Eigen::Index row = keep[static_cast<std::size_t>(i)];
    endog[i] = diffed(row, 0);
    if (k_exog > 0) exog_d.row(i) = diffed.row(row).tail(k_exog);
    int c = 0;
    if (has_const) trend_data(i, c++) = 1.0;
    if (has_drift) trend_data(i, c++) = static_cast<double>(row + 1);
  }

  StartValues out;
  out.nobs_used = static_cast<int>(m);
  Eigen::VectorXd beta;
  if (k_exog > 0) {
    beta = pinv_solve(exog_d, endog);
    endog -= exog_d * beta;
  }

  CssResult arma = conditional_sum_squares(endog, lags_of(o.p, 1), lags_of(o.q, 1), trend_data);
  if (!inverse_roots_inside(-arma.ar)) {
    out.zeroed_ar = true;
    arma.ar.setZero();
  }
  if (!inverse_roots_inside(arma.ma)) {
    out.zeroed_ma = true;
    arma.ma.setZero();
  }
  const int seasonal_step = o.s > 0 ? o.s : 1;
  CssResult seasonal = conditional_sum_squares(endog, lags_of(o.P, seasonal_step),
                                               lags_of(o.Q, seasonal_step), Eigen::MatrixXd(m, 0));
  // statsmodels checks the seasonal polynomials in powers of L, not L^s: the same roots condition.
  if (!inverse_roots_inside(-seasonal.ar)) {
    out.zeroed_seasonal_ar = true;
    seasonal.ar.setZero();
  }
  if (!inverse_roots_inside(seasonal.ma)) {
    out.zeroed_seasonal_ma = true;
    seasonal.ma.setZero();
  }
  out.too_few_observations = arma.too_few || seasonal.too_few;

  // Without ARMA or trend terms, statsmodels takes the second moment of the series: over every time
  // point (n, gaps and diffuse points included), or not divided at all when there is exog.
  const double second_moment = endog.squaredNorm() / (k_exog > 0 ? 1.0 : static_cast<double>(n));
  double variance = arma.variance.value_or(seasonal.variance.value_or(second_moment));
  if (!std::isfinite(variance)) return std::unexpected(fail("too few observations for a residual variance"));
  variance = std::max(variance, 1e-10);

  const Eigen::Index k = k_trend + k_exog + o.p + o.q + o.P + o.Q + 1;
  out.params.resize(k);
  out.params << arma.trend, beta, arma.ar, arma.ma, seasonal.ar, seasonal.ma, variance;
  if (!out.params.allFinite()) return std::unexpected(fail("non-finite start values (degenerate data)"));
  return out;
}

std::expected<Eigen::VectorXd, Error> sarimax_start_params(const SarimaxSpec& spec, std::span<const double> y,
                                                           const Eigen::MatrixXd& exog) {
  auto values = sarimax_start_values(spec, y, exog);
  if (!values) return std::unexpected(values.error());
  return std::move(values->params);
}

}  // namespace promcast::forecaster
