#pragma once
// Conditional sum of squares (CSS) estimation of a multiplicative ARMA model on an already
// differenced, mean/regression-free series w:
//
//   phi(L) Phi(L^s) w_t = theta(L) Theta(L^s) e_t,   e_t = 0 and w_t given for t < p + P s,
//
// minimizing sum e_t^2 over t >= p + P s, as R's arima(method = "CSS") does. It costs one pass of
// O(n (p+1)(P+1) + n (q+1)(Q+1)) per evaluation against the exact likelihood's Kalman filter, so
// auto_arima scores candidates with it during its search (R's approximation = TRUE) and refits only
// the best few by exact maximum likelihood. Coefficients are raw (statsmodels' signs), not
// constrained: a non-stationary or non-invertible estimate is possible and left to the caller's
// root check, as in R.
#include <Eigen/Core>
#include <span>
#include <vector>

namespace promcast::forecaster {

struct CssOrder {
  int p = 0, q = 0, P = 0, Q = 0;
  int s = 1;  ///< seasonal period (only used when P + Q > 0)
};

struct CssFit {
  /// ar (p), ma (q), seasonal ar (P), seasonal ma (Q), statsmodels' signs and order.
  std::vector<double> params;
  double ssq = 0.0;     ///< sum of squared conditional residuals
  int nobs_used = 0;    ///< residuals in ssq (finite w after the conditioning period)
  double sigma2 = 0.0;  ///< ssq / nobs_used
  bool finite = false;  ///< false when no residual could be formed or the sum is not finite
  int iterations = 0;   ///< Levenberg-Marquardt iterations taken
};

/// Fits by Levenberg-Marquardt on the residual vector (forward-difference Jacobian), from `start`
/// (same layout as CssFit::params; empty or wrong size = zeros). NaN in w: residuals that would
/// need a missing value are set to zero and not counted.
CssFit css_fit(std::span<const double> w, const CssOrder& order, std::span<const double> start = {},
               int max_iterations = 50);

}  // namespace promcast::forecaster
