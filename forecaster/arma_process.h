#pragma once
// Second-order facts about a stationary ARMA process u_t = sum phi_i u_{t-i} + sum theta_j e_{t-j},
// theta_0 = 1, Var(e) = 1, and the stationary covariance of its state in Harvey's representation
// (the one statsmodels' SARIMAX uses): state_0 = u_t, state_j = sum_{k>=j} phi_{k+1} u_{t+j-1-k} +
// theta_k e_{t+j-k}. Computed from autocovariances in O(r^2) instead of solving the Lyapunov equation
// densely, which matters for seasonal models whose state dimension r is in the hundreds.
#include <Eigen/Core>

namespace promcast::forecaster {

/// psi weights (MA(infinity) coefficients) psi_0..psi_{count-1}. phi[i] is phi_{i+1}; theta[0] = 1.
Eigen::VectorXd arma_psi_weights(const Eigen::VectorXd& phi, const Eigen::VectorXd& theta, int count);

/// Autocovariances gamma(0..max_lag). phi must be stationary (not checked here).
Eigen::VectorXd arma_autocovariances(const Eigen::VectorXd& phi, const Eigen::VectorXd& theta, int max_lag);

/// Stationary state covariance P0 (r x r) of Harvey's representation with r = max(p, q + 1),
/// i.e. the solution of P = T P T' + R R'.
Eigen::MatrixXd arma_stationary_covariance(const Eigen::VectorXd& phi, const Eigen::VectorXd& theta);

/// Reference solver of P = A P A' + Q by doubling (dense, O(m^3 log)); for tests and small systems.
Eigen::MatrixXd solve_discrete_lyapunov(const Eigen::MatrixXd& A, const Eigen::MatrixXd& Q);

}  // namespace promcast::forecaster
