// Numenta's anomaly likelihood against an independent numpy/scipy reference
// (scripts/fixtures/make_likelihood_fixtures.py), the red/yellow filter, and NAB's new-range rule.
#include "forecaster/anomaly_likelihood.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "forecaster/detector_factory.h"
#include "tests/forecaster/fixture_json.h"

namespace promcast::forecaster {
namespace {

using promcast::forecaster::test_support::load_fixture;

class LikelihoodFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(LikelihoodFixture, TailProbabilitiesMatchScipy) {
  const std::string path =
      std::string(PROMCAST_SOURCE_DIR) + "/tests/forecaster/fixtures/likelihood/" + GetParam() + ".json";
  simdjson::dom::parser parser;
  simdjson::dom::element doc = load_fixture(parser, path);
  simdjson::dom::element o = doc["options"];
  AnomalyLikelihoodOptions options;
  options.learning_period = uint64_t(o["learning_period"]);
  options.estimation_samples = uint64_t(o["estimation_samples"]);
  options.history = uint64_t(o["history"]);
  options.reestimate_every = uint64_t(o["reestimate_every"]);
  options.averaging_window = uint64_t(o["averaging_window"]);
  options.red = double(o["red"]);
  options.yellow = double(o["yellow"]);
  options.mean_floor = double(o["mean_floor"]);
  options.variance_floor = double(o["variance_floor"]);
  std::vector<double> expected;
  for (double p : doc["tail_probability"].get_array()) expected.push_back(p);
  AnomalyLikelihood likelihood(options);
  std::size_t i = 0;
  std::size_t reds = 0;
  for (double s : doc["scores"].get_array()) {
    ASSERT_LT(i, expected.size());
    const double p = likelihood.next(s);
    // relative on the log scale: tail probabilities span 1e-23 .. 0.5
    EXPECT_NEAR(std::log(p), std::log(expected[i]), 1e-9 * std::max(1.0, std::abs(std::log(expected[i]))))
        << GetParam() << " point " << i;
    reds += p <= options.red;
    ++i;
  }
  EXPECT_EQ(i, expected.size());
  EXPECT_GE(reds, 1u) << "the fixture must exercise an alert";
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LikelihoodFixture, ::testing::Values("burst", "shift_out", "floors"));

TEST(AnomalyLikelihood, NoVerdictBeforeLearningAndEstimation) {
  AnomalyLikelihoodOptions o;
  o.learning_period = 5;
  o.estimation_samples = 7;
  AnomalyLikelihood l(o);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(l.next(i == 11 ? 1.0 : 0.1), 0.5) << i;
  EXPECT_LT(l.next(1.0), 1e-5);  // the 13th point is judged
}

TEST(AnomalyLikelihood, RunOfRedsAlertsOnce) {
  AnomalyLikelihoodOptions o;
  o.learning_period = 0;
  o.estimation_samples = 50;
  o.averaging_window = 1;
  AnomalyLikelihood l(o);
  for (int i = 0; i < 60; ++i) l.next(0.05 + 0.01 * (i % 3));
  EXPECT_LE(l.next(1.0), o.red);
  EXPECT_EQ(l.next(1.0), o.yellow);
  EXPECT_EQ(l.next(1.0), o.yellow);
  EXPECT_GT(l.next(0.05), o.yellow);
  EXPECT_LE(l.next(1.0), o.red);  // a new excursion alerts again
}

TEST(AnomalyLikelihood, ScoreIsOneAtRed) {
  EXPECT_DOUBLE_EQ(likelihood_score(1e-5, 1e-5), 1.0);
  EXPECT_DOUBLE_EQ(likelihood_score(1e-10, 1e-5), 2.0);
  EXPECT_LT(likelihood_score(1e-3, 1e-5), likelihood_score(1e-4, 1e-5));
  EXPECT_DOUBLE_EQ(likelihood_score(1.0, 1e-5), 0.0);
}

TEST(NewRangeRule, FlagsValuesBeyondEveryEarlierValueByTheTolerance) {
  const std::vector<double> v = {10, 20, 15, 20.4, 21.0, std::nan(""), 9.4, 9.6, 21.7, 21.0};
  Detection d;
  d.points.resize(v.size());
  for (auto& j : d.points) {
    j.judged = true;
    j.score = 0.1;
  }
  d.points[7].judged = false;
  apply_new_range_rule(d, v, 0.05);
  // [10, 20] margin 0.5: 20.4 inside; [10, 20.4] margin 0.52: 21.0 outside; [10, 21] margin 0.55: 9.4
  // outside (below 9.45); 9.6 is unjudged (and inside); [9.4, 21] margin 0.58: 21.7 outside, 21.0 inside
  const std::vector<bool> flagged = {false, false, false, false, true, false, true, false, true, false};
  for (std::size_t t = 0; t < v.size(); ++t) {
    EXPECT_EQ(d.points[t].anomaly, flagged[t]) << t;
    if (flagged[t]) {
      EXPECT_EQ(d.points[t].score, kNewRangeScore) << t;
    }
  }
  EXPECT_EQ(d.points[2].score, 0.1);
}

// The likelihood over a z-score on seeded noise: an injected level shift is flagged within a few points of
// its start, and over many seeded clean series the post-processed detector rarely alerts.
TEST(DetectOnlineLikelihood, LevelShiftCaughtEarlyAndCleanSeriesQuiet) {
  DetectorConfig c;
  c.method = Method::kZscore;
  c.zscore.window = 500;
  OnlineOptions o;
  o.likelihood.emplace();
  std::size_t caught = 0;
  std::size_t false_alerts = 0;
  std::size_t clean_points = 0;
  const int trials = 40;
  for (int trial = 0; trial < trials; ++trial) {
    std::mt19937_64 rng(1000 + trial);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::vector<double> y(3000);
    for (double& v : y) v = 50 + noise(rng);
    std::vector<double> shifted = y;
    for (std::size_t t = 2000; t < shifted.size(); ++t) shifted[t] += 6;
    auto clean = detect_online(c, y, o);
    auto dirty = detect_online(c, shifted, o);
    ASSERT_TRUE(clean && dirty);
    for (std::size_t t = 1000; t < y.size(); ++t) {
      false_alerts += clean->points[t].anomaly;
      ++clean_points;
    }
    for (std::size_t t = 2000; t < 2010; ++t)
      if (dirty->points[t].anomaly) {
        ++caught;
        break;
      }
  }
  EXPECT_GE(caught, static_cast<std::size_t>(trials * 0.95));
  EXPECT_LT(static_cast<double>(false_alerts) / static_cast<double>(clean_points), 1e-3);
}

TEST(DetectOnlineLikelihood, VerdictsNeverDependOnLaterPoints) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> y(1500);
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = 30 + 8 * std::sin(i * 2 * M_PI / 96) + noise(rng);
  std::vector<double> changed = y;
  for (std::size_t i = 1200; i < y.size(); ++i) changed[i] += 40 * noise(rng);
  DetectorConfig c;
  c.method = Method::kZscore;
  OnlineOptions o;
  o.likelihood.emplace();
  o.likelihood->learning_period = 50;
  o.likelihood->estimation_samples = 50;
  o.range_tolerance = 0.1;
  o.recent_max_window = 100;
  auto a = detect_online(c, y, o);
  auto b = detect_online(c, changed, o);
  ASSERT_TRUE(a && b);
  for (std::size_t t = 0; t < 1200; ++t) {
    ASSERT_EQ(a->points[t].judged, b->points[t].judged) << t;
    if (a->points[t].judged) {
      ASSERT_EQ(a->points[t].score, b->points[t].score) << t;
    }
  }
}

TEST(DetectOnlineLikelihood, InvalidOptionsAreErrors) {
  DetectorConfig c;
  c.method = Method::kZscore;
  const std::vector<double> y(50, 1.0);
  OnlineOptions o;
  o.range_tolerance = -0.1;
  EXPECT_FALSE(detect_online(c, y, o).has_value());
  o.range_tolerance.reset();
  o.likelihood.emplace();
  o.likelihood->red = 1e-2;
  o.likelihood->yellow = 1e-3;
  EXPECT_FALSE(detect_online(c, y, o).has_value());
}

}  // namespace
}  // namespace promcast::forecaster
