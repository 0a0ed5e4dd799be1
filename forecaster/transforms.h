#pragma once
// Jones (1980) / Monahan (1984) reparametrization: any real vector maps to the coefficients of a
// stationary AR polynomial 1 - c_1 L - ... - c_n L^n, through partial autocorrelations in (-1, 1).
// Same map as statsmodels' constrain_stationary_univariate, so estimates line up with it. For MA
// polynomials 1 + theta_1 L + ..., use theta = -constrain(x) (invertibility is stationarity of -theta).
#include <Eigen/Core>

namespace promcast::forecaster {

/// Unconstrained reals -> stationary AR coefficients.
Eigen::VectorXd constrain_stationary(const Eigen::VectorXd& unconstrained);

/// Inverse of constrain_stationary. Coefficients outside the stationary region have their partial
/// autocorrelations clipped to +-kMaxPartial so that start values stay usable.
Eigen::VectorXd unconstrain_stationary(const Eigen::VectorXd& constrained);

/// Whether 1 - c_1 L - ... - c_n L^n has all roots strictly outside the unit circle (by the
/// Levinson/Durbin step-down recursion, no root finding).
bool is_stationary(const Eigen::VectorXd& coefficients);

}  // namespace promcast::forecaster
