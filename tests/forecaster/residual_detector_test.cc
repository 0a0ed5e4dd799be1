// Forecast-residual detector on simulated ARMA series: interval coverage (false-positive rate near
// 1 - level), detection of injected shocks, k-of-n, and streaming = batch when nothing is re-estimated.
#include "forecaster/residual_detector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "forecaster/detector_factory.h"

namespace promcast::forecaster {
namespace {

std::vector<double> ar1(std::mt19937_64& rng, std::size_t n, double phi, double mean) {
  std::normal_distribution<double> e(0.0, 1.0);
  std::vector<double> y(n);
  double u = 0.0;
  for (auto& v : y) {
    u = phi * u + e(rng);
    v = mean + u;
  }
  return y;
}

ResidualOptions ar1_options(double level) {
  ResidualOptions o;
  o.spec.order.p = 1;
  o.spec.trend = Trend::kConstant;
  o.level = level;
  return o;
}

TEST(ResidualDetector, FalsePositiveRateMatchesTheLevelAndShocksAreFound) {
  long judged = 0;
  long outside = 0;
  int found = 0;
  const int trials = 20;
  for (int t = 0; t < trials; ++t) {
    std::mt19937_64 rng(900 + t);
    auto y = ar1(rng, 600, 0.6, 20.0);
    y[450] += (t % 2 ? 7.0 : -7.0);  // a 7-sigma shock
    auto d = residual_detect(y, ar1_options(95.0));
    ASSERT_TRUE(d.has_value()) << d.error().message;
    found += d->points[450].anomaly;
    for (std::size_t i = 10; i < y.size(); ++i) {
      if (i == 450 || i == 451 || !d->points[i].judged) continue;
      ++judged;
      outside += d->points[i].score > 1.0;
    }
    const auto& j = d->points[300];
    EXPECT_NEAR((j.upper - j.expected) / 1.959964, (j.expected - j.lower) / 1.959964, 1e-9);
  }
  EXPECT_EQ(found, trials);
  const double rate = static_cast<double>(outside) / judged;
  EXPECT_GT(rate, 0.035);  // 5% expected for a 95% interval
  EXPECT_LT(rate, 0.065);
}

TEST(ResidualDetector, DiffusePeriodIsNotJudged) {
  // A random walk with a wild first value: ARIMA(0,1,1) has one diffuse step, whose "residual" is the
  // value itself (statsmodels' fitted value there is the prior's 0), not a one-step prediction error.
  std::mt19937_64 rng(11);
  std::normal_distribution<double> e(0.0, 1.0);
  std::vector<double> y(300);
  double level = 1000.0;
  for (auto& v : y) v = (level += e(rng));
  ResidualOptions o;
  o.spec.order.d = 1;
  o.spec.order.q = 1;
  o.level = 99.0;
  const auto d = residual_detect(y, o);
  ASSERT_TRUE(d.has_value()) << d.error().to_string();
  EXPECT_FALSE(d->points[0].judged);
  EXPECT_FALSE(d->points[0].anomaly);
  EXPECT_TRUE(d->points[1].judged);
}

TEST(ResidualDetector, KOfNNeedsSeveralPointsOutside) {
  std::mt19937_64 rng(4);
  auto y = ar1(rng, 400, 0.3, 0.0);
  y[200] += 8;                                // one isolated shock
  for (int i = 300; i < 304; ++i) y[i] += 8;  // a run of four
  auto o = ar1_options(99.0);
  o.k = 3;
  o.n = 4;
  auto d = residual_detect(y, o);
  ASSERT_TRUE(d.has_value());
  EXPECT_FALSE(d->points[200].anomaly);
  // with k-of-n the score is the k-th largest of the last n: the lone shock stays at or below the boundary
  EXPECT_LE(d->points[200].score, 1.0);
  bool run_flagged = false;
  for (int i = 300; i < 306; ++i) run_flagged |= d->points[i].anomaly;
  EXPECT_TRUE(run_flagged);
  o.k = 5;
  EXPECT_FALSE(residual_detect(y, o).has_value());
}

// k-of-n is counted over the stream, not inside one fitted model: refitting before every point must not
// restart the count (it did: with --refit-every 1, k >= 2 never fired). The streaming verdicts on a run of
// shocks must be the batch ones, whatever the refit cadence, and a score above 1 must mean flagged.
TEST(ResidualDetector, KOfNSurvivesRefitsInStreamingMode) {
  std::mt19937_64 rng(4);
  auto y = ar1(rng, 400, 0.3, 0.0);
  for (int i = 300; i < 306; ++i) y[i] += 8;  // six shocked points
  DetectorConfig c;
  c.method = Method::kResidual;
  c.residual = ar1_options(99.0);
  c.residual.k = 3;
  c.residual.n = 4;
  auto batch = detect(c, y);
  ASSERT_TRUE(batch.has_value());
  const auto expected = batch->anomalies();
  ASSERT_GE(expected.size(), 3u);
  for (std::size_t i : expected) {
    EXPECT_GE(i, 302u);  // the third shocked point is the first with 3 of the last 4 outside
    EXPECT_LE(i, 308u);
  }
  for (std::size_t refit : {1u, 50u}) {
    OnlineOptions o;
    o.refit_every = refit;
    auto online = detect_online(c, y, o);
    ASSERT_TRUE(online.has_value()) << online.error().message;
    // the online fits never saw the shocks, the batch fit did: the run's edges may differ by a point
    const auto flagged = online->anomalies();
    EXPECT_GE(flagged.size(), 3u) << "refit every " << refit;
    std::size_t common = 0;
    for (std::size_t i : flagged) {
      EXPECT_GE(i, 302u) << "refit every " << refit;
      EXPECT_LE(i, 308u) << "refit every " << refit;
      common += std::count(expected.begin(), expected.end(), i);
    }
    EXPECT_GE(common + 1, expected.size()) << "refit every " << refit;
    for (const auto& j : online->points)
      if (j.judged) {
        EXPECT_EQ(j.anomaly, j.score > 1.0);
      }
  }
}

TEST(ResidualDetector, SeasonalModelNeedsTwoFullPeriods) {
  std::mt19937_64 rng(5);
  auto y = ar1(rng, 40, 0.3, 0.0);
  DetectorConfig c;
  c.method = Method::kResidual;
  c.residual = ar1_options(99.0);
  c.residual.spec.order.P = 1;
  c.residual.spec.order.s = 24;
  auto batch = detect(c, y);
  ASSERT_FALSE(batch.has_value());
  EXPECT_EQ(batch.error().message, "residual: needs at least two full periods (48 for period 24), got 40");
  auto online = detect_online(c, y, {});
  ASSERT_FALSE(online.has_value());
  EXPECT_NE(online.error().message.find("needs at least two full periods"), std::string::npos)
      << online.error().message;
  EXPECT_NE(online.error().message.find("(51 for period 24), got 40"), std::string::npos);
}

TEST(ResidualDetector, StreamingJudgesLikeTheBatchOneStepPrediction) {
  std::mt19937_64 rng(8);
  auto y = ar1(rng, 500, 0.5, 3.0);
  auto o = ar1_options(99.0);
  auto model = ResidualModel::fit(std::span<const double>(y).first(300), o);
  ASSERT_TRUE(model.has_value()) << model.error().message;
  // the batch fit on the same 300 points, extended by the filter, gives the same predictions
  auto batch_fit =
      Sarimax::fit(o.spec, std::span<const double>(y).first(300), Eigen::MatrixXd(300, 0), o.fit);
  ASSERT_TRUE(batch_fit.has_value());
  ASSERT_TRUE(
      batch_fit->update(std::span<const double>(y).subspan(300), Eigen::MatrixXd(200, 0)).has_value());
  for (std::size_t t = 300; t < 500; ++t) {
    const Judgement j = model->judge_next(y[t]);
    ASSERT_TRUE(j.judged);
    EXPECT_NEAR(j.expected, batch_fit->result().fitted[t], 1e-9);
  }
}

}  // namespace
}  // namespace promcast::forecaster
