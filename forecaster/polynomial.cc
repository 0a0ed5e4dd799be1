#include "forecaster/polynomial.h"

namespace promcast::forecaster {

Eigen::VectorXd poly_mul(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  if (a.size() == 0 || b.size() == 0) return Eigen::VectorXd();
  Eigen::VectorXd out = Eigen::VectorXd::Zero(a.size() + b.size() - 1);
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    if (a[i] == 0.0) continue;  // seasonal polynomials are mostly zeros
    for (Eigen::Index j = 0; j < b.size(); ++j) out[i + j] += a[i] * b[j];
  }
  return out;
}

namespace {
Eigen::VectorXd lag_polynomial(std::span<const double> coefficients, int step, double sign) {
  Eigen::VectorXd out = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(coefficients.size()) * step + 1);
  out[0] = 1.0;
  for (std::size_t i = 0; i < coefficients.size(); ++i)
    out[static_cast<Eigen::Index>(i + 1) * step] = sign * coefficients[i];
  return out;
}
}  // namespace

Eigen::VectorXd ar_polynomial(std::span<const double> coefficients, int step) {
  return lag_polynomial(coefficients, step, -1.0);
}

Eigen::VectorXd ma_polynomial(std::span<const double> coefficients, int step) {
  return lag_polynomial(coefficients, step, 1.0);
}

Eigen::VectorXd differencing_polynomial(int d, int D, int s) {
  Eigen::VectorXd out = Eigen::VectorXd::Ones(1);
  const Eigen::VectorXd simple = (Eigen::VectorXd(2) << 1.0, -1.0).finished();
  for (int i = 0; i < d; ++i) out = poly_mul(out, simple);
  if (D > 0 && s > 0) {
    Eigen::VectorXd seasonal = Eigen::VectorXd::Zero(s + 1);
    seasonal[0] = 1.0;
    seasonal[s] = -1.0;
    for (int i = 0; i < D; ++i) out = poly_mul(out, seasonal);
  }
  return out;
}

Eigen::VectorXd apply_lag_polynomial(const Eigen::VectorXd& a, const Eigen::VectorXd& x) {
  const Eigen::Index degree = a.size() - 1;
  if (x.size() <= degree) return Eigen::VectorXd();
  Eigen::VectorXd out = Eigen::VectorXd::Zero(x.size() - degree);
  for (Eigen::Index k = 0; k <= degree; ++k) {
    if (a[k] == 0.0) continue;
    out += a[k] * x.segment(degree - k, out.size());
  }
  return out;
}

}  // namespace promcast::forecaster
