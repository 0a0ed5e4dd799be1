// The backtest numerics against forecast 8.20 (fixtures/backtest/backtest.json, written by
// make_backtest_fixture.R next to it: snaive, accuracy()'s MAE and MASE, sMAPE and coverage by their
// formulas, over rolling origins of USAccDeaths with and without missing values), plus hand-derivable
// cases for the cut plan and incident matching.
#include "forecaster/backtest.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/forecaster/fixture_json.h"

namespace promcast::forecaster {
namespace {

using promcast::forecaster::test_support::load_fixture;

using test_support::json_doubles;
using test_support::json_number;

// R writes 17 significant digits; the figures are sums of a few dozen terms.
constexpr double kTol = 1e-9;

std::string fixture_path() {
  return std::string(PROMCAST_SOURCE_DIR) + "/tests/forecaster/fixtures/backtest/backtest.json";
}

struct Paths {
  std::vector<double> mean;
  std::vector<std::vector<double>> lower, upper;
};

Paths paths(simdjson::dom::element e) {
  Paths p;
  p.mean = json_doubles(e["mean"]);
  for (simdjson::dom::element l : e["lower"].get_array()) p.lower.push_back(json_doubles(l));
  for (simdjson::dom::element u : e["upper"].get_array()) p.upper.push_back(json_doubles(u));
  return p;
}

// Adds one origin's forecasts to `sum` (one AccuracySum for all its horizons, as accuracy() sees them).
void add_all(AccuracySum& sum, const std::vector<double>& actual, const Paths& f, double scale) {
  for (std::size_t k = 0; k < actual.size(); ++k) {
    const std::vector<double> lo = {f.lower[0][k], f.lower[1][k]}, hi = {f.upper[0][k], f.upper[1][k]};
    sum.add(actual[k], f.mean[k], lo, hi, scale);
  }
}

void expect_metrics(const Accuracy& a, simdjson::dom::element reference, const std::string& where) {
  EXPECT_NEAR(a.mae, json_number(reference["mae"]), kTol * json_number(reference["mae"])) << where;
  EXPECT_NEAR(a.mase, json_number(reference["mase"]), kTol) << where;
  EXPECT_NEAR(a.smape, json_number(reference["smape"]), kTol) << where;
  const std::vector<double> coverage = json_doubles(reference["coverage"]);
  ASSERT_EQ(a.coverage.size(), coverage.size()) << where;
  for (std::size_t l = 0; l < coverage.size(); ++l) EXPECT_DOUBLE_EQ(a.coverage[l], coverage[l]) << where;
}

TEST(Backtest, SeasonalNaiveAndAccuracyMatchForecastPackage) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = load_fixture(parser, fixture_path());
  std::size_t checked = 0;
  for (simdjson::dom::element c : doc["cases"].get_array()) {
    const std::string name{std::string_view(c["name"])};
    const std::vector<double> y = json_doubles(c["y"]);
    const int m = static_cast<int>(int64_t(c["period"]));
    const int h = static_cast<int>(int64_t(c["h"]));
    const std::vector<double> levels = json_doubles(c["levels"]);
    AccuracySum pooled(levels.size()), pooled_naive(levels.size());
    double mase_weighted = 0, mase_count = 0;
    for (simdjson::dom::element cut : c["cuts"].get_array()) {
      const auto origin = static_cast<std::size_t>(int64_t(cut["origin"]));
      const std::string where = name + " origin " + std::to_string(origin);
      const std::span<const double> train(y.data(), origin);
      const std::vector<double> actual(y.begin() + static_cast<std::ptrdiff_t>(origin),
                                       y.begin() + static_cast<std::ptrdiff_t>(origin) + h);

      // The baseline's point forecasts and intervals are snaive's.
      const NaiveForecast naive = seasonal_naive(train, m, h, levels);
      const Paths r_naive = paths(cut["naive"]);
      ASSERT_EQ(naive.mean.size(), static_cast<std::size_t>(h));
      for (int k = 0; k < h; ++k) {
        EXPECT_NEAR(naive.mean[k], r_naive.mean[k], 1e-9) << where << " h=" << k + 1;
        for (std::size_t l = 0; l < levels.size(); ++l) {
          EXPECT_NEAR(naive.lower[l][k], r_naive.lower[l][k], 1e-8) << where << " h=" << k + 1;
          EXPECT_NEAR(naive.upper[l][k], r_naive.upper[l][k], 1e-8) << where << " h=" << k + 1;
        }
      }
      const double scale = seasonal_naive_scale(train, m);
      EXPECT_NEAR(scale, json_number(cut["scale"]), 1e-9 * scale) << where;

      // accuracy()'s MAE and MASE, sMAPE and coverage for the baseline and for a model's forecasts.
      AccuracySum naive_sum(levels.size()), model_sum(levels.size());
      add_all(naive_sum, actual, r_naive, scale);
      const Paths model = paths(cut["model"]);
      add_all(model_sum, actual, model, scale);
      expect_metrics(naive_sum.result(), cut["naive_metrics"], where + " naive");
      expect_metrics(model_sum.result(), cut["model_metrics"], where + " model");

      pooled.merge(model_sum);
      pooled_naive.merge(naive_sum);
      const double n = static_cast<double>(model_sum.count());
      mase_weighted += json_number(cut["model_metrics"]["mase"]) * n;
      mase_count += n;
      ++checked;
    }
    // Pooled over origins, MASE is the mean of every scaled error: R's per-origin MASE weighted by count.
    EXPECT_NEAR(pooled.result().mase, mase_weighted / mase_count, kTol) << name;
    EXPECT_EQ(pooled.count(), pooled_naive.count());
  }
  EXPECT_EQ(checked, 7u) << "every fixture origin is checked";
}

TEST(Backtest, SeasonalNaiveOnAShortOrEmptyHistoryIsNaN) {
  const std::vector<double> y = {1, 2, 3};
  const std::vector<double> levels = {95};
  const NaiveForecast f = seasonal_naive(y, 4, 5, levels);
  // Phase of step 1 is index 3 - 4 = -1: no observation at that phase.
  EXPECT_TRUE(std::isnan(f.mean[0]));
  EXPECT_EQ(f.mean[1], 1.0);  // index 0
  EXPECT_EQ(f.mean[3], 3.0);
  EXPECT_TRUE(std::isnan(f.lower[0][1])) << "no residuals: no interval";
  EXPECT_TRUE(std::isnan(seasonal_naive_scale(y, 4)));
  EXPECT_DOUBLE_EQ(seasonal_naive_scale(y, 1), 1.0);
}

TEST(Backtest, SmapeCountsAPerfectZeroAsZeroAndSkipsMissingActuals) {
  AccuracySum sum(1);
  const std::vector<double> lo = {-1}, hi = {1};
  sum.add(0, 0, lo, hi, 2);             // perfect: sMAPE 0, inside
  sum.add(1, 3, lo, hi, 2);             // 200 * 2 / 4 = 100, |e|/Q = 1, 1 is on the upper bound: inside
  sum.add(std::nan(""), 5, lo, hi, 2);  // missing actual: not counted
  sum.add(-2, -1, lo, hi, 0);           // 200 * 1 / 3; zero scale: not in MASE; outside
  const Accuracy a = sum.result();
  EXPECT_EQ(a.n, 3u);
  EXPECT_DOUBLE_EQ(a.smape, (0 + 100 + 200.0 / 3) / 3);
  EXPECT_DOUBLE_EQ(a.mase, (0 + 1) / 2.0);
  EXPECT_DOUBLE_EQ(a.mae, (0 + 2 + 1) / 3.0);
  ASSERT_EQ(a.coverage.size(), 1u);
  EXPECT_DOUBLE_EQ(a.coverage[0], 2.0 / 3);
  const Accuracy empty = AccuracySum(2).result();
  EXPECT_TRUE(std::isnan(empty.mase) && std::isnan(empty.smape) && std::isnan(empty.coverage[1]));
}

TEST(Backtest, RollingOriginsEvenlySpacedOrBySpacing) {
  auto even = rolling_origins({.first = 100, .last = 200, .count = 5, .spacing = 0});
  ASSERT_TRUE(even);
  EXPECT_EQ(*even, (std::vector<long long>{100, 125, 150, 175, 200}));
  auto spaced = rolling_origins({.first = 100, .last = 200, .count = 0, .spacing = 30});
  ASSERT_TRUE(spaced);
  EXPECT_EQ(*spaced, (std::vector<long long>{100, 130, 160, 190}));
  auto capped = rolling_origins({.first = 100, .last = 200, .count = 2, .spacing = 30});
  EXPECT_EQ(*capped, (std::vector<long long>{100, 130}));
  auto one = rolling_origins({.first = 7, .last = 9, .count = 1, .spacing = 0});
  EXPECT_EQ(*one, (std::vector<long long>{7}));
  auto crowded = rolling_origins({.first = 0, .last = 2, .count = 10, .spacing = 0});
  EXPECT_EQ(*crowded, (std::vector<long long>{0, 1, 2})) << "no origin twice";
  auto short_range = rolling_origins({.first = 10, .last = 9, .count = 3, .spacing = 0});
  ASSERT_FALSE(short_range);
  EXPECT_NE(short_range.error().message.find("too little data"), std::string::npos);
  EXPECT_FALSE(rolling_origins({.first = 0, .last = 9, .count = 0, .spacing = 0}));
}

TEST(Backtest, IncidentsCaughtByOverlappingAlertsWithLeadAndFalseAlertsPerDay) {
  const std::vector<Window> alerts = {{50, 70}, {95, 120}, {300, 310}, {500, 505}};
  const std::vector<Window> incidents = {{100, 200}, {400, 450}, {60, 65}};
  const IncidentReport r = match_incidents(alerts, incidents, 1000, 100);
  ASSERT_EQ(r.incidents.size(), 3u);
  EXPECT_TRUE(r.incidents[0].caught);
  EXPECT_EQ(r.incidents[0].first_alert, 95);
  EXPECT_EQ(r.incidents[0].lead, 5) << "the alert came 5 before the incident";
  EXPECT_FALSE(r.incidents[1].caught);
  EXPECT_TRUE(r.incidents[2].caught);
  EXPECT_EQ(r.incidents[2].lead, 10);
  EXPECT_EQ(r.alert_matched, (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(r.false_alerts, 2u);
  EXPECT_DOUBLE_EQ(r.false_alerts_per_day, 2.0 / 10);
  const IncidentReport late = match_incidents(std::vector<Window>{{130, 140}}, incidents, 1000, 100);
  EXPECT_EQ(late.incidents[0].lead, -30) << "30 after the incident started";
}

}  // namespace
}  // namespace promcast::forecaster
