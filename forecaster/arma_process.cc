#include "forecaster/arma_process.h"

#include <algorithm>

#include <Eigen/LU>

namespace promcast::forecaster {

Eigen::VectorXd arma_psi_weights(const Eigen::VectorXd& phi, const Eigen::VectorXd& theta, int count) {
  Eigen::VectorXd psi = Eigen::VectorXd::Zero(std::max(count, 0));
  const Eigen::Index p = phi.size(), q = theta.size() - 1;
  for (Eigen::Index j = 0; j < psi.size(); ++j) {
    double v = j <= q ? theta[j] : 0.0;
    for (Eigen::Index i = 1; i <= std::min(j, p); ++i) v += phi[i - 1] * psi[j - i];
    psi[j] = v;
  }
  return psi;
}

Eigen::VectorXd arma_autocovariances(const Eigen::VectorXd& phi, const Eigen::VectorXd& theta, int max_lag) {
  const Eigen::Index p = phi.size(), q = theta.size() - 1;
  const Eigen::Index lags = std::max<Eigen::Index>(max_lag, p) + 1;
  const Eigen::VectorXd psi = arma_psi_weights(phi, theta, static_cast<int>(q + 1));
  // rhs_k = sum_{j=k}^{q} theta_j psi_{j-k}: the covariance of u_t's MA part with e_{t-k} terms.
  auto rhs = [&](Eigen::Index k) {
    double v = 0.0;
    for (Eigen::Index j = k; j <= q; ++j) v += theta[j] * psi[j - k];
    return v;
  };
  Eigen::VectorXd gamma = Eigen::VectorXd::Zero(lags);
  if (p == 0) {
    for (Eigen::Index k = 0; k < lags; ++k) gamma[k] = rhs(k);
  } else {
    // gamma(k) - sum_i phi_i gamma(|k - i|) = rhs_k for k = 0..p: a (p+1)-dimensional system.
    Eigen::MatrixXd A = Eigen::MatrixXd::Identity(p + 1, p + 1);
    Eigen::VectorXd b(p + 1);
    for (Eigen::Index k = 0; k <= p; ++k) {
      for (Eigen::Index i = 1; i <= p; ++i) {
        if (phi[i - 1] == 0.0) continue;
        A(k, std::abs(k - i)) -= phi[i - 1];
      }
      b[k] = rhs(k);
    }
    gamma.head(p + 1) = A.partialPivLu().solve(b);
    for (Eigen::Index k = p + 1; k < lags; ++k) {
      double v = rhs(k);
      for (Eigen::Index i = 1; i <= p; ++i) v += phi[i - 1] * gamma[k - i];
      gamma[k] = v;
    }
  }
  return gamma.head(max_lag + 1);
}

Eigen::MatrixXd arma_stationary_covariance(const Eigen::VectorXd& phi, const Eigen::VectorXd& theta) {
  const Eigen::Index p = phi.size(), q = theta.size() - 1;
  const Eigen::Index r = std::max(p, q + 1);
  auto ph = [&](Eigen::Index i) { return i >= 1 && i <= p ? phi[i - 1] : 0.0; };  // phi_i
  auto th = [&](Eigen::Index i) { return i <= q ? theta[i] : 0.0; };             // theta_i
  const Eigen::VectorXd gamma = arma_autocovariances(phi, theta, static_cast<int>(r));
  const Eigen::VectorXd psi = arma_psi_weights(phi, theta, static_cast<int>(r));
  Eigen::MatrixXd P = Eigen::MatrixXd::Zero(r, r);
  // First column: Cov(state_j, u_t).
  for (Eigen::Index j = 0; j < r; ++j) {
    double v = 0.0;
    for (Eigen::Index k = j; k < r; ++k) v += ph(k + 1) * gamma[k - j + 1] + th(k) * psi[k - j];
    P(j, 0) = v;
    P(0, j) = v;
  }
  // The rest from P = T P T' + R R' read elementwise, filled from the bottom-right corner.
  auto at = [&](Eigen::Index i, Eigen::Index j) { return i < r && j < r ? P(i, j) : 0.0; };
  for (Eigen::Index i = r - 1; i >= 1; --i) {
    for (Eigen::Index j = r - 1; j >= i; --j) {
      const double v = at(i + 1, j + 1) + ph(i + 1) * at(0, j + 1) + ph(j + 1) * at(i + 1, 0) +
                       ph(i + 1) * ph(j + 1) * P(0, 0) + th(i) * th(j);
      P(i, j) = v;
      P(j, i) = v;
    }
  }
  return P;
}

Eigen::MatrixXd solve_discrete_lyapunov(const Eigen::MatrixXd& A, const Eigen::MatrixXd& Q) {
  Eigen::MatrixXd a = A, p = Q;
  for (int iter = 0; iter < 64; ++iter) {
    const Eigen::MatrixXd next = p + a * p * a.transpose();
    a = a * a;
    const double change = (next - p).cwiseAbs().maxCoeff();
    p = next;
    if (change <= 1e-15 * (1.0 + p.cwiseAbs().maxCoeff())) break;
  }
  return p;
}

}  // namespace promcast::forecaster
