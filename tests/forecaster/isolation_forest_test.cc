// Isolation Forest: the paper's constants, seeded reproducibility, and seeded detection / false positive
// rates, including anomalies that only seasonal peers reveal.
#include "forecaster/isolation_forest.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace promcast::forecaster {
namespace {

TEST(IsolationForest, AveragePathLengthIsThePapers) {
  // c(n) = 2 H(n-1) - 2 (n-1) / n with H(i) ~ ln(i) + Euler's constant
  EXPECT_NEAR(iforest_average_path(256), 2 * (std::log(255.0) + 0.5772156649) - 2 * 255.0 / 256, 1e-9);
  EXPECT_NEAR(iforest_average_path(256), 10.2448, 1e-3);
  EXPECT_EQ(iforest_average_path(2), 1.0);
  EXPECT_EQ(iforest_average_path(1), 0.0);
}

Eigen::MatrixXd gaussian_cloud(std::mt19937_64& rng, int n) {
  std::normal_distribution<double> g(0.0, 1.0);
  Eigen::MatrixXd m(n, 2);
  for (int i = 0; i < n; ++i) m.row(i) << g(rng), g(rng);
  return m;
}

TEST(IsolationForest, SeededAndSeparatesAnOutlier) {
  std::mt19937_64 rng(1);
  auto data = gaussian_cloud(rng, 2000);
  IsolationForestOptions o;
  o.contamination = 0.0;
  auto a = IsolationForest::fit(data, o);
  auto b = IsolationForest::fit(data, o);
  o.seed = 2;
  auto c = IsolationForest::fit(data, o);
  ASSERT_TRUE(a && b && c);
  const std::vector<double> centre{0.0, 0.0};
  const std::vector<double> far{6.0, -6.0};
  EXPECT_EQ(a->score(far), b->score(far));
  EXPECT_NE(a->score(far), c->score(far));
  EXPECT_LT(a->score(centre), 0.45);
  EXPECT_GT(a->score(far), 0.7);
  EXPECT_EQ(a->threshold(), 0.5);
  EXPECT_TRUE(a->judge(far).anomaly);
  EXPECT_FALSE(a->judge(centre).anomaly);
}

TEST(IsolationForest, DetectionAndFalsePositiveRates) {
  int found = 0;
  int injected = 0;
  long fp = 0;
  long normal = 0;
  for (int trial = 0; trial < 30; ++trial) {
    std::mt19937_64 rng(100 + trial);
    std::normal_distribution<double> g(50.0, 2.0);
    std::vector<double> y(2000);
    for (auto& v : y) v = g(rng);
    std::vector<std::size_t> at{300, 900, 1500};
    for (std::size_t i : at) y[i] += (i % 2 ? -1 : 1) * 14.0;  // 7 sigma
    IsolationForestOptions o;
    o.contamination = 0.005;
    o.seed = static_cast<std::uint64_t>(trial);
    auto d = iforest_detect(y, o, {});
    ASSERT_TRUE(d.has_value());
    for (std::size_t i = 0; i < y.size(); ++i) {
      const bool injected_here = std::find(at.begin(), at.end(), i) != at.end();
      if (injected_here) {
        ++injected;
        found += d->points[i].anomaly;
      } else {
        ++normal;
        fp += d->points[i].anomaly;
      }
    }
  }
  EXPECT_GE(found, injected * 97 / 100);
  EXPECT_LE(static_cast<double>(fp) / normal, 0.01);
}

// A value that is normal overall but wrong for its time of day: only visible next to its seasonal peers.
TEST(IsolationForest, SeasonalPeersRevealOutOfPhaseValues) {
  int with_peers = 0;
  int without = 0;
  const int trials = 20;
  for (int trial = 0; trial < trials; ++trial) {
    std::mt19937_64 rng(7 + trial);
    std::normal_distribution<double> g(0.0, 0.5);
    const int period = 48;
    std::vector<double> y(period * 20);
    for (std::size_t i = 0; i < y.size(); ++i)
      y[i] = 10 * std::sin(2 * M_PI * (i % period) / period) + g(rng);
    const std::size_t at = period * 15 + period / 4;  // the daily peak ...
    y[at] = -8.0;                                     // ... replaced by a value normal only at the trough
    IsolationForestOptions o;
    o.contamination = 0.01;
    o.seed = static_cast<std::uint64_t>(trial);
    IforestFeatures f;
    f.period = period;
    f.seasonal_peers = 2;
    auto d = iforest_detect(y, o, f);
    auto plain = iforest_detect(y, o, {});
    ASSERT_TRUE(d && plain);
    with_peers += d->points[at].anomaly;
    without += plain->points[at].anomaly;
    EXPECT_FALSE(d->points[period].judged);  // no two full periods before it
  }
  EXPECT_GE(with_peers, trials - 1);
  EXPECT_LE(without, trials / 4);
}

}  // namespace
}  // namespace promcast::forecaster
