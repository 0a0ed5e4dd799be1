// Conditional sum of squares: seeded recovery rates of ARMA and multiplicative seasonal
// parameters, gaps, warm starts, and the degenerate cases.
#include "forecaster/css.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/forecaster/sarima_simulation.h"

namespace promcast::forecaster {
namespace {

using testing::SimSpec;
using testing::simulate_sarima;

TEST(CssFit, RecoversArma11) {
  int close = 0;
  const int trials = 100;
  for (int i = 0; i < trials; ++i) {
    SimSpec spec;
    spec.ar = {0.6};
    spec.ma = {0.3};
    const auto w = simulate_sarima(spec, 1000, 100 + i);
    const CssFit fit = css_fit(w, CssOrder{1, 1, 0, 0, 1});
    ASSERT_TRUE(fit.finite);
    EXPECT_EQ(fit.nobs_used, 999);
    if (std::abs(fit.params[0] - 0.6) < 0.1 && std::abs(fit.params[1] - 0.3) < 0.1) ++close;
  }
  EXPECT_GE(close, 95) << close << "/" << trials;
}

TEST(CssFit, RecoversSeasonalAirlineOnDifferencedData) {
  // (0,1,1)(0,1,1)[24] on the doubly differenced series: an MA(1) x seasonal MA(1).
  int close = 0;
  const int trials = 40;
  for (int i = 0; i < trials; ++i) {
    SimSpec spec;
    spec.ma = {-0.4};
    spec.sma = {-0.6};
    spec.s = 24;
    const auto w = simulate_sarima(spec, 900, 500 + i);
    const CssFit fit = css_fit(w, CssOrder{0, 1, 0, 1, 24});
    ASSERT_TRUE(fit.finite);
    if (std::abs(fit.params[0] + 0.4) < 0.1 && std::abs(fit.params[1] + 0.6) < 0.1) ++close;
  }
  EXPECT_GE(close, 36) << close << "/" << trials;
}

TEST(CssFit, SeasonalArConditionsOnItsLags) {
  SimSpec spec;
  spec.ar = {0.5};
  spec.sar = {0.4};
  spec.s = 12;
  const auto w = simulate_sarima(spec, 2000, 7);
  const CssFit fit = css_fit(w, CssOrder{1, 0, 1, 0, 12});
  ASSERT_TRUE(fit.finite);
  EXPECT_EQ(fit.nobs_used, 2000 - 13);  // p + P s conditioning values
  EXPECT_NEAR(fit.params[0], 0.5, 0.06);
  EXPECT_NEAR(fit.params[1], 0.4, 0.06);
  EXPECT_NEAR(fit.sigma2, 1.0, 0.1);
}

TEST(CssFit, WarmStartReachesTheSameMinimumAndGapsAreSkipped) {
  SimSpec spec;
  spec.ar = {0.7};
  spec.ma = {-0.2};
  auto w = simulate_sarima(spec, 800, 11);
  const CssFit cold = css_fit(w, CssOrder{1, 1, 0, 0, 1});
  const std::vector<double> start{0.65, -0.15};
  const CssFit warm = css_fit(w, CssOrder{1, 1, 0, 0, 1}, start);
  EXPECT_NEAR(cold.ssq, warm.ssq, 1e-6 * cold.ssq);
  EXPECT_LE(warm.iterations, cold.iterations);
  w[100] = NAN;
  const CssFit gappy = css_fit(w, CssOrder{1, 1, 0, 0, 1});
  ASSERT_TRUE(gappy.finite);
  EXPECT_EQ(gappy.nobs_used, 799 - 2);  // the missing point and the one that needs it as a lag
  EXPECT_NEAR(gappy.params[0], cold.params[0], 0.05);
}

TEST(CssFit, DegenerateInputs) {
  EXPECT_FALSE(css_fit(std::vector<double>{1, 2}, CssOrder{2, 0, 0, 0, 1}).finite);
  const CssFit white = css_fit(std::vector<double>{1, -1, 2, -2, 0.5}, CssOrder{});
  EXPECT_TRUE(white.finite);
  EXPECT_NEAR(white.ssq, 1 + 1 + 4 + 4 + 0.25, 1e-12);
}

}  // namespace
}  // namespace promcast::forecaster
