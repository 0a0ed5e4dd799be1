// Seeded parameter-recovery tests (ml-cpp style): many simulated series with known parameters,
// asserted rates rather than one lucky example. Thresholds follow from the asymptotic standard
// errors (stated per test) with a margin for finite samples; seeds are fixed, so a failure is a
// reproducible regression, not noise.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "forecaster/sarimax.h"
#include "tests/forecaster/sarima_simulation.h"

namespace promcast::forecaster {
namespace {

using testing::SimSpec;
using testing::simulate_sarima;

struct Rates {
  int trials = 0;
  int fitted = 0;
  std::vector<int> within;   // per checked parameter: |estimate - truth| < tolerance
  std::vector<int> covered;  // per checked parameter: truth inside estimate +- 1.96 SE
};

// Fits `spec` to `trials` simulations of `sim` and counts, for each (name, truth), how often the
// estimate is within `tol` and how often the 95% Wald interval covers the truth.
Rates run(const SimSpec& sim, const SarimaxSpec& spec, int n, int trials, std::uint64_t seed0,
          const std::vector<std::pair<std::string, double>>& truth, double tol) {
  Rates r;
  r.trials = trials;
  r.within.assign(truth.size(), 0);
  r.covered.assign(truth.size(), 0);
  for (int i = 0; i < trials; ++i) {
    const auto y = simulate_sarima(sim, n, seed0 + static_cast<std::uint64_t>(i));
    auto fit = Sarimax::fit(spec, y, Eigen::MatrixXd(n, 0));
    if (!fit) continue;
    ++r.fitted;
    const auto& res = fit->result();
    for (size_t j = 0; j < truth.size(); ++j) {
      for (size_t k = 0; k < res.param_names.size(); ++k) {
        if (res.param_names[k] != truth[j].first) continue;
        const double est = res.params[k];
        if (std::abs(est - truth[j].second) < tol) ++r.within[j];
        const double se = k < res.std_errors.size() ? res.std_errors[k] : NAN;
        if (std::isfinite(se) && std::abs(est - truth[j].second) <= 1.96 * se) ++r.covered[j];
      }
    }
  }
  return r;
}

double rate(int count, const Rates& r) {
  std::printf("  rate %d/%d\n", count, r.trials);
  return double(count) / r.trials;
}

TEST(SarimaxRecovery, Ar1WithConstant) {
  // phi = 0.6, n = 500: SE(phi) = sqrt((1 - phi^2) / n) = 0.036, so |error| < 0.1 is 2.8 SE (99.5%).
  SimSpec sim;
  sim.ar = {0.6};
  sim.intercept = 2.0;  // mean 5
  SarimaxSpec spec;
  spec.order = {1, 0, 0};
  spec.trend = Trend::kConstant;
  const auto r = run(sim, spec, 500, 300, 1000, {{"ar.L1", 0.6}, {"intercept", 2.0}}, 0.1);
  EXPECT_EQ(r.fitted, r.trials);
  EXPECT_GE(rate(r.within[0], r), 0.95) << "phi within 0.1";
  // Wald 95% intervals from the numerical Hessian: binomial sd over 300 trials is 1.3 points.
  EXPECT_GE(rate(r.covered[0], r), 0.91) << "phi coverage";
  EXPECT_LE(rate(r.covered[0], r), 0.99) << "phi coverage";
  EXPECT_GE(rate(r.covered[1], r), 0.91) << "intercept coverage";
  EXPECT_LE(rate(r.covered[1], r), 0.99) << "intercept coverage";
}

TEST(SarimaxRecovery, Ma1) {
  // theta = 0.4, n = 500: SE = sqrt((1 - theta^2) / n) = 0.041; 0.1 is 2.4 SE (98.4%).
  SimSpec sim;
  sim.ma = {0.4};
  SarimaxSpec spec;
  spec.order = {0, 0, 1};
  const auto r = run(sim, spec, 500, 300, 2000, {{"ma.L1", 0.4}, {"sigma2", 1.0}}, 0.1);
  EXPECT_EQ(r.fitted, r.trials);
  EXPECT_GE(rate(r.within[0], r), 0.93) << "theta within 0.1";
  // SE(sigma2) = sigma2 sqrt(2/n) = 0.063: 0.1 is 1.58 SE, 88.6% expected.
  EXPECT_GE(rate(r.within[1], r), 0.83) << "sigma2 within 0.1";
  EXPECT_GE(rate(r.covered[0], r), 0.91) << "theta coverage";
  EXPECT_LE(rate(r.covered[0], r), 0.99) << "theta coverage";
}

TEST(SarimaxRecovery, Arima111) {
  // phi = 0.5, theta = 0.3 (roots far from cancelling), n = 500: SE(phi) ~ 0.06, SE(theta) ~ 0.07.
  SimSpec sim;
  sim.ar = {0.5};
  sim.ma = {0.3};
  sim.d = 1;
  SarimaxSpec spec;
  spec.order = {1, 1, 1};
  const auto r = run(sim, spec, 500, 200, 3000, {{"ar.L1", 0.5}, {"ma.L1", 0.3}}, 0.15);
  EXPECT_EQ(r.fitted, r.trials);
  EXPECT_GE(rate(r.within[0], r), 0.90) << "phi within 0.15 (2.5 SE)";
  EXPECT_GE(rate(r.within[1], r), 0.90) << "theta within 0.15";
}

TEST(SarimaxRecovery, AirlineModel) {
  // (0,1,1)(0,1,1,12), theta = -0.4, Theta = -0.6, 20 years (n = 240, 227 effective):
  // SE(theta) ~ 0.06, SE(Theta) ~ 0.06 (larger in practice: few seasonal cycles).
  SimSpec sim;
  sim.ma = {-0.4};
  sim.sma = {-0.6};
  sim.d = 1;
  sim.D = 1;
  sim.s = 12;
  SarimaxSpec spec;
  spec.order = {0, 1, 1, 0, 1, 1, 12};
  const auto r = run(sim, spec, 240, 150, 4000, {{"ma.L1", -0.4}, {"ma.S.L12", -0.6}}, 0.15);
  EXPECT_EQ(r.fitted, r.trials);
  EXPECT_GE(rate(r.within[0], r), 0.93) << "theta";
  EXPECT_GE(rate(r.within[1], r), 0.85) << "Theta";
}

}  // namespace
}  // namespace promcast::forecaster
