// Seeded interval-coverage tests: fit on the first n points of many simulated series, forecast the
// next h, and count how often the 95% (and 80%) intervals contain the held-out values. Intervals use
// the MLE variance without a parameter-uncertainty correction, so coverage sits slightly under the
// nominal level for moderate n; the asserted band is 93-97% for 95% (and 77-83% for 80%).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "forecaster/sarimax.h"
#include "tests/forecaster/sarima_simulation.h"

namespace promcast::forecaster {
namespace {

using testing::SimSpec;
using testing::simulate_sarima;

struct Coverage {
  int points = 0;
  int in95 = 0;
  int in80 = 0;
  int failed_fits = 0;
  double rate95() const { return double(in95) / points; }
  double rate80() const { return double(in80) / points; }
};

Coverage run(const SimSpec& sim, const SarimaxSpec& spec, int n, int horizon, int series,
             std::uint64_t seed0) {
  Coverage c;
  const std::vector<double> levels{80, 95};
  FitOptions options;
  options.standard_errors = false;
  for (int i = 0; i < series; ++i) {
    const auto all = simulate_sarima(sim, n + horizon, seed0 + static_cast<std::uint64_t>(i));
    const std::vector<double> train(all.begin(), all.begin() + n);
    auto fit = Sarimax::fit(spec, train, Eigen::MatrixXd(n, 0), options);
    if (!fit) {
      ++c.failed_fits;
      continue;
    }
    auto fc = fit->forecast(horizon, Eigen::MatrixXd(horizon, 0), levels);
    if (!fc) {
      ++c.failed_fits;
      continue;
    }
    for (int h = 0; h < horizon; ++h) {
      const double truth = all[n + h];
      ++c.points;
      if (truth >= fc->lower[0][h] && truth <= fc->upper[0][h]) ++c.in80;
      if (truth >= fc->lower[1][h] && truth <= fc->upper[1][h]) ++c.in95;
    }
  }
  return c;
}

TEST(SarimaxCoverage, Ar1WithConstant) {
  SimSpec sim;
  sim.ar = {0.7};
  sim.intercept = 3.0;
  SarimaxSpec spec;
  spec.order = {1, 0, 0};
  spec.trend = Trend::kConstant;
  const auto c = run(sim, spec, 200, 12, 1000, 10000);
  EXPECT_EQ(c.failed_fits, 0);
  std::printf("  95%%: %d/%d  80%%: %d/%d\n", c.in95, c.points, c.in80, c.points);
  EXPECT_GE(c.rate95(), 0.93) << c.in95 << "/" << c.points;
  EXPECT_LE(c.rate95(), 0.97) << c.in95 << "/" << c.points;
  EXPECT_GE(c.rate80(), 0.77) << c.in80 << "/" << c.points;
  EXPECT_LE(c.rate80(), 0.83) << c.in80 << "/" << c.points;
}

TEST(SarimaxCoverage, Arima011) {
  SimSpec sim;
  sim.ma = {-0.4};
  sim.d = 1;
  SarimaxSpec spec;
  spec.order = {0, 1, 1};
  const auto c = run(sim, spec, 200, 12, 1000, 20000);
  EXPECT_EQ(c.failed_fits, 0);
  std::printf("  95%%: %d/%d  80%%: %d/%d\n", c.in95, c.points, c.in80, c.points);
  EXPECT_GE(c.rate95(), 0.93) << c.in95 << "/" << c.points;
  EXPECT_LE(c.rate95(), 0.97) << c.in95 << "/" << c.points;
  EXPECT_GE(c.rate80(), 0.77) << c.in80 << "/" << c.points;
  EXPECT_LE(c.rate80(), 0.83) << c.in80 << "/" << c.points;
}

TEST(SarimaxCoverage, SeasonalAirline) {
  SimSpec sim;
  sim.ma = {-0.4};
  sim.sma = {-0.5};
  sim.d = 1;
  sim.D = 1;
  sim.s = 12;
  sim.sigma = 0.05;  // a log-scale series, like log(AirPassengers)
  SarimaxSpec spec;
  spec.order = {0, 1, 1, 0, 1, 1, 12};
  const auto c = run(sim, spec, 180, 12, 400, 30000);
  EXPECT_EQ(c.failed_fits, 0);
  std::printf("  95%%: %d/%d  80%%: %d/%d\n", c.in95, c.points, c.in80, c.points);
  EXPECT_GE(c.rate95(), 0.93) << c.in95 << "/" << c.points;
  EXPECT_LE(c.rate95(), 0.97) << c.in95 << "/" << c.points;
}

}  // namespace
}  // namespace promcast::forecaster
