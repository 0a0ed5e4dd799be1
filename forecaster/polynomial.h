#pragma once
// Lag polynomials as coefficient vectors (index = power of L, element 0 = 1 for the ones used here).
#include <span>

#include <Eigen/Core>

namespace promcast::forecaster {

/// Coefficients of a(L) * b(L).
Eigen::VectorXd poly_mul(const Eigen::VectorXd& a, const Eigen::VectorXd& b);

/// 1 - c_1 L^step - c_2 L^{2 step} - ... (the AR convention: phi(L) = 1 - sum phi_i L^i).
Eigen::VectorXd ar_polynomial(std::span<const double> coefficients, int step);

/// 1 + c_1 L^step + c_2 L^{2 step} + ... (the MA convention: theta(L) = 1 + sum theta_i L^i).
Eigen::VectorXd ma_polynomial(std::span<const double> coefficients, int step);

/// (1 - L)^d (1 - L^s)^D.
Eigen::VectorXd differencing_polynomial(int d, int D, int s);

/// Applies the filter a(L) to x: out_t = sum_k a_k x_{t-k} for t >= degree; out has x.size() - degree
/// elements (the first `degree` points have no complete history).
Eigen::VectorXd apply_lag_polynomial(const Eigen::VectorXd& a, const Eigen::VectorXd& x);

}  // namespace promcast::forecaster
