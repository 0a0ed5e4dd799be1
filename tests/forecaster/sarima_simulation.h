#pragma once
// Seeded SARIMA simulation for the statistical tests (recovery, coverage): our own small generator,
// independent of the estimator under test.
#include <cstdint>
#include <random>
#include <vector>

namespace promcast::forecaster::testing {

struct SimSpec {
  std::vector<double> ar, ma;  ///< phi_1.., theta_1.. (statsmodels signs: 1 - sum phi L^i, 1 + sum theta L^i)
  std::vector<double> sar, sma;  ///< seasonal, at lags s, 2s, ...
  int d = 0, D = 0, s = 0;
  double intercept = 0;  ///< c in phi(L) Phi(L^s) w_t = c + theta(L) Theta(L^s) e_t (w = differenced series)
  double sigma = 1;
};

/// n observations of the SARIMA process after a burn-in of 500 (for the stationary part; the
/// integrated part starts at zero).
inline std::vector<double> simulate_sarima(const SimSpec& spec, int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, spec.sigma);
  // Expanded AR and MA polynomials (coefficients on lags 1..).
  auto expand = [](const std::vector<double>& a, const std::vector<double>& b, int s, double sign) {
    const int len = static_cast<int>(a.size()) + static_cast<int>(b.size()) * s + 1;
    std::vector<double> pa(a.size() + 1, 0.0), pb(b.size() * s + 1, 0.0), out(len, 0.0);
    pa[0] = pb[0] = 1.0;
    for (size_t i = 0; i < a.size(); ++i) pa[i + 1] = sign * a[i];
    for (size_t i = 0; i < b.size(); ++i) pb[(i + 1) * s] = sign * b[i];
    for (size_t i = 0; i < pa.size(); ++i)
      for (size_t j = 0; j < pb.size(); ++j) out[i + j] += pa[i] * pb[j];
    return out;  // out[0] = 1
  };
  const std::vector<double> ar = expand(spec.ar, spec.sar, spec.s, -1.0);  // 1 - ...
  const std::vector<double> ma = expand(spec.ma, spec.sma, spec.s, 1.0);   // 1 + ...
  const int burn = 500;
  const int total = n + burn;
  std::vector<double> e(total), w(total, 0.0);
  for (double& v : e) v = normal(rng);
  for (int t = 0; t < total; ++t) {
    double v = spec.intercept + e[t];
    for (size_t k = 1; k < ma.size(); ++k)
      if (t >= static_cast<int>(k)) v += ma[k] * e[t - k];
    for (size_t k = 1; k < ar.size(); ++k)
      if (t >= static_cast<int>(k)) v -= ar[k] * w[t - k];
    w[t] = v;
  }
  std::vector<double> y(w.begin() + burn, w.end());
  // Integrate: (1 - L)^d (1 - L^s)^D y = w, starting from zeros.
  for (int k = 0; k < spec.D; ++k) {
    for (int t = spec.s; t < n; ++t) y[t] += y[t - spec.s];
  }
  for (int k = 0; k < spec.d; ++k) {
    for (int t = 1; t < n; ++t) y[t] += y[t - 1];
  }
  return y;
}

}  // namespace promcast::forecaster::testing
