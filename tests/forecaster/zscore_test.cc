// Rolling z-score and robust z-score: against a brute-force recomputation of every window, plus seeded
// detection / false-positive rates.
#include "forecaster/zscore.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace promcast::forecaster {
namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

TEST(Zscore, MatchesBruteForceWindows) {
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> dist(1.0, 0.8);
  std::vector<double> y(3000);
  for (auto& v : y) v = dist(rng) + 1e6;  // a large offset: the running sums must stay accurate
  for (bool robust : {false, true}) {
    ZscoreOptions o;
    o.window = 50;
    o.threshold = 2.5;
    o.robust = robust;
    auto d = zscore_detect(y, o);
    ASSERT_TRUE(d.has_value());
    for (std::size_t t = 0; t < y.size(); ++t) {
      if (t < 10) {
        EXPECT_FALSE(d->points[t].judged);
        continue;
      }
      const std::size_t from = t > 50 ? t - 50 : 0;
      std::vector<double> w(y.begin() + from, y.begin() + t);
      double c = 0;
      double s = 0;
      if (robust) {
        c = median(w);
        std::vector<double> dev;
        for (double v : w) dev.push_back(std::abs(v - c));
        s = 1.4826 * median(dev);
      } else {
        c = std::accumulate(w.begin(), w.end(), 0.0) / w.size();
        double ss = 0;
        for (double v : w) ss += (v - c) * (v - c);
        s = std::sqrt(ss / (w.size() - 1));
      }
      const double z = std::abs(y[t] - c) / s;
      ASSERT_TRUE(d->points[t].judged);
      EXPECT_NEAR(d->points[t].score, z / 2.5, 1e-6 * (1 + z)) << t << " robust=" << robust;
      EXPECT_EQ(d->points[t].anomaly, z > 2.5);
      EXPECT_NEAR(d->points[t].expected, c, 1e-6);
    }
  }
}

TEST(Zscore, DirectionAndNaN) {
  std::vector<double> y(40, 0.0);
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = (i % 2) ? 1.0 : -1.0;
  y[30] = -20;
  y[35] = 20;
  y[20] = std::nan("");
  ZscoreOptions o;
  o.window = 20;
  o.direction = Direction::kPositive;
  auto d = zscore_detect(y, o);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->anomalies(), (std::vector<std::size_t>{35}));
  EXPECT_FALSE(d->points[20].judged);
  EXPECT_EQ(d->points[30].score, 0.0);
  EXPECT_TRUE(std::isinf(d->points[30].lower));
}

// A 7-sigma spike is found; on clean Gaussian data the false-positive rate is near P(|z| > 4).
TEST(Zscore, DetectionAndFalsePositiveRates) {
  for (bool robust : {false, true}) {
    std::mt19937_64 rng(5);
    std::normal_distribution<double> noise(0.0, 1.0);
    int found = 0;
    long fp = 0;
    long judged = 0;
    const int trials = 100;
    for (int t = 0; t < trials; ++t) {
      std::vector<double> y(1000);
      for (auto& v : y) v = 10 + noise(rng);
      y[700] += 7.0;
      ZscoreOptions o;
      o.window = 200;
      o.threshold = 4.0;
      o.robust = robust;
      auto d = zscore_detect(y, o);
      ASSERT_TRUE(d.has_value());
      if (d->points[700].anomaly) ++found;
      for (std::size_t i = 0; i < y.size(); ++i) {
        if (i == 700 || !d->points[i].judged) continue;
        ++judged;
        fp += d->points[i].anomaly;
      }
    }
    EXPECT_GE(found, 97) << robust;
    EXPECT_LT(static_cast<double>(fp) / judged, 0.001) << robust;  // P(|z| > 4) = 6.3e-5, plus window noise
  }
}

}  // namespace
}  // namespace promcast::forecaster
