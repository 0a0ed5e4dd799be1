#include "forecaster/transforms.h"

#include <algorithm>
#include <cmath>

namespace promcast::forecaster {
namespace {
constexpr double kMaxPartial = 0.9999;
}

Eigen::VectorXd constrain_stationary(const Eigen::VectorXd& unconstrained) {
  const Eigen::Index n = unconstrained.size();
  if (n == 0) return Eigen::VectorXd();
  // Partial autocorrelations r_k in (-1, 1), then the Durbin-Levinson recursion builds the
  // coefficients of the order-k polynomial from order k-1.
  Eigen::VectorXd r = unconstrained.array() / (1.0 + unconstrained.array().square()).sqrt();
  Eigen::VectorXd prev = Eigen::VectorXd::Zero(n), cur = Eigen::VectorXd::Zero(n);
  for (Eigen::Index k = 0; k < n; ++k) {
    for (Eigen::Index i = 0; i < k; ++i) cur[i] = prev[i] + r[k] * prev[k - i - 1];
    cur[k] = r[k];
    prev.head(k + 1) = cur.head(k + 1);
  }
  return -cur;
}

Eigen::VectorXd unconstrain_stationary(const Eigen::VectorXd& constrained) {
  const Eigen::Index n = constrained.size();
  if (n == 0) return Eigen::VectorXd();
  Eigen::VectorXd cur = -constrained, prev(n);
  Eigen::VectorXd r(n);
  for (Eigen::Index k = n - 1; k >= 0; --k) {
    const double rk = std::clamp(cur[k], -kMaxPartial, kMaxPartial);
    r[k] = rk;
    const double denom = 1.0 - rk * rk;
    for (Eigen::Index i = 0; i < k; ++i) prev[i] = (cur[i] - rk * cur[k - i - 1]) / denom;
    cur.head(k) = prev.head(k);
  }
  return r.array() / (1.0 - r.array().square()).sqrt();
}

bool is_stationary(const Eigen::VectorXd& coefficients) {
  const Eigen::Index n = coefficients.size();
  Eigen::VectorXd cur = -coefficients, prev(n);
  for (Eigen::Index k = n - 1; k >= 0; --k) {
    const double rk = cur[k];
    if (!(std::abs(rk) < 1.0)) return false;
    const double denom = 1.0 - rk * rk;
    for (Eigen::Index i = 0; i < k; ++i) prev[i] = (cur[i] - rk * cur[k - i - 1]) / denom;
    cur.head(k) = prev.head(k);
  }
  return true;
}

}  // namespace promcast::forecaster
