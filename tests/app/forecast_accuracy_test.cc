// The evaluation loop of bench/forecast_accuracy_tool.cc (bench/forecast_accuracy.h: origins, the
// replay through `promcast backtest`'s rule-engine path, per-horizon figures, pooling over series)
// against R: fixtures/forecast_accuracy/accuracy.json, written by make_fixture.R from forecast 8.20's
// accuracy() (MASE), Arima() and snaive() forecasts, and the formulas of sMAPE and coverage.
#include "bench/forecast_accuracy.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/forecaster/fixture_json.h"

namespace promcast::bench {
namespace {

using forecaster::test_support::json_doubles;
using forecaster::test_support::json_number;

const std::string kFixture =
    std::string(PROMCAST_SOURCE_DIR) + "/tests/app/fixtures/forecast_accuracy/accuracy.json";

AccuracyPlan tiny_plan() {
  AccuracyPlan plan;
  plan.step = rules::Duration{60 * 1000};
  plan.period = 4;
  plan.horizons = {2, 4};
  plan.history = 24;
  plan.min_history = 24;
  plan.spacing = 4;
  plan.max_origins = 0;
  plan.auto_order = false;  // the fixture's ARIMA(0,1,0): the loop is under test, not the search
  plan.d = 1;
  return plan;
}

// Tolerances: counts and coverage exactly; the model's MASE and sMAPE within 1e-6 relative (its
// sigma is estimated numerically by both sides; means are the last value, so they agree to rounding);
// the baseline's to 1e-9.
void expect_figures(const forecaster::AccuracySum& sum, simdjson::dom::element want, double rel,
                    const std::string& what) {
  const forecaster::Accuracy a = sum.result();
  EXPECT_EQ(static_cast<double>(a.n), json_number(want["n"])) << what;
  EXPECT_NEAR(a.mase, json_number(want["mase"]), rel * json_number(want["mase"])) << what;
  EXPECT_NEAR(a.smape, json_number(want["smape"]), rel * json_number(want["smape"])) << what;
  ASSERT_EQ(a.coverage.size(), 2u) << what;
  EXPECT_DOUBLE_EQ(a.coverage[0], json_number(want["cov80"])) << what;
  EXPECT_DOUBLE_EQ(a.coverage[1], json_number(want["cov95"])) << what;
}

void expect_pair(const app::AccuracyPair& pair, simdjson::dom::element want, const std::string& label,
                 const std::string& what) {
  expect_figures(pair.model, want["model"][label], 1e-6, what + " model h=" + label);
  expect_figures(pair.baseline, want["baseline"][label], 1e-9, what + " baseline h=" + label);
}

TEST(ForecastAccuracy, OriginsEndOneHorizonBeforeTheDataAndKeepTheLatest) {
  AccuracyPlan plan = tiny_plan();
  EXPECT_EQ(accuracy_origins(48, plan), (std::vector<long long>{23, 27, 31, 35, 39, 43}));
  plan.max_origins = 2;
  EXPECT_EQ(accuracy_origins(48, plan), (std::vector<long long>{39, 43}));
  plan.min_history = 45;
  EXPECT_TRUE(accuracy_origins(48, plan).empty());
  // The NAB plan: a 4032-point series keeps the latest 7 origins a day apart, each with 7 days behind it.
  const AccuracyPlan nab;
  const auto o = accuracy_origins(4032, nab);
  ASSERT_EQ(o.size(), 7u);
  EXPECT_EQ(o.back(), 4032 - 1 - 288);
  EXPECT_EQ(o.front(), 4032 - 1 - 288 - 6 * 288);
  EXPECT_GE(o.front() + 1, nab.history);
}

TEST(ForecastAccuracy, LeftOutOriginsCountForNothingAndFailuresAreListed) {
  simdjson::dom::parser parser;
  const simdjson::dom::element fixture = parser.load(kFixture);
  const AccuracyPlan plan = tiny_plan();
  const std::vector<double> y = json_doubles(fixture["series"]["a"]);
  const SeriesAccuracy every = evaluate_series(y, plan);
  const SeriesAccuracy some = evaluate_series(y, plan, {27, 35});
  EXPECT_EQ(some.forecast, (std::vector<long long>{27, 35}));
  EXPECT_EQ(some.all.model.count(), 8u);  // 2 origins x 4 leads, all actual values present there
  EXPECT_LT(some.all.model.count(), every.all.model.count());
  // A constant series: forecast as itself (the rule engine's constant window), but nothing can be
  // scaled (Q = 0) for MASE.
  const std::vector<double> flat(48, 3.0);
  const SeriesAccuracy f = evaluate_series(flat, plan);
  EXPECT_TRUE(std::isnan(f.all.baseline.result().mase));
  // Too short a window before the origin (fewer than 20 points): listed, not scored.
  const SeriesAccuracy early = evaluate_series(y, plan, {10});
  EXPECT_TRUE(early.forecast.empty());
  ASSERT_EQ(early.skipped.size(), 1u);
  EXPECT_EQ(early.skipped.front().first, 10);
  EXPECT_EQ(early.all.model.count(), 0u);
}

TEST(ForecastAccuracy, GridPlacesValuesAtTheNearestStepAndLeavesGapsMissing) {
  const std::vector<double> times{0, 290, 610, 900, 900, 1500};
  const std::vector<double> values{1, 2, 3, 4, 5, 6};
  const auto g = to_grid(times, values, 300);
  ASSERT_EQ(g.size(), 6u);
  EXPECT_EQ(g[0], 1);
  EXPECT_EQ(g[1], 2);
  EXPECT_EQ(g[2], 3);
  EXPECT_EQ(g[3], 5);  // a repeated time: the later value wins
  EXPECT_TRUE(std::isnan(g[4]));
  EXPECT_EQ(g[5], 6);
}

TEST(ForecastAccuracy, PerSeriesAndPooledFiguresMatchR) {
  simdjson::dom::parser parser;
  const simdjson::dom::element fixture = parser.load(kFixture);
  const AccuracyPlan plan = tiny_plan();
  ASSERT_EQ(json_number(fixture["period"]), plan.period);
  ASSERT_EQ(json_number(fixture["history"]), plan.history);
  std::vector<app::AccuracyPair> pooled(plan.horizons.size(), app::AccuracyPair(2));
  app::AccuracyPair pooled_all(2);
  for (const std::string name : {"a", "b"}) {
    const std::vector<double> y = json_doubles(fixture["series"][name]);
    const SeriesAccuracy s = evaluate_series(y, plan);
    EXPECT_EQ(s.forecast, accuracy_origins(y.size(), plan)) << name;
    EXPECT_TRUE(s.skipped.empty()) << name;
    const simdjson::dom::element want = fixture["figures"][name];
    for (std::size_t j = 0; j < plan.horizons.size(); ++j) {
      expect_pair(s.horizons[j], want, std::to_string(plan.horizons[j]), name);
      pooled[j].merge(s.horizons[j]);
    }
    expect_pair(s.all, want, "all", name);
    pooled_all.merge(s.all);
  }
  const simdjson::dom::element want = fixture["figures"]["pooled"];
  for (std::size_t j = 0; j < plan.horizons.size(); ++j)
    expect_pair(pooled[j], want, std::to_string(plan.horizons[j]), "pooled");
  expect_pair(pooled_all, want, "all", "pooled");
}

}  // namespace
}  // namespace promcast::bench
