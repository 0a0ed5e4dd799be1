// Statistical tests against reference fixtures:
//   fixtures/stat_tests/statsmodels.json  (scripts/fixtures/make_stat_test_fixtures.py, statsmodels 0.13.5)
//   fixtures/r/*.json "unit_roots"        (scripts/fixtures/make_r_fixtures.R, forecast 8.20)
// Tolerances: statistics 1e-8 relative (same formulas, double rounding only), p-values 1e-8
// absolute; seasonal strength 1e-6 (our STL reproduces R's stl()); ndiffs/nsdiffs decisions exact.
#include "forecaster/stat_tests.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/forecaster/fixture_json.h"
#include "tests/forecaster/fixture_names.h"

namespace promcast::forecaster {
namespace {

using promcast::forecaster::test_support::load_fixture;

const std::string kFixtures = std::string(PROMCAST_SOURCE_DIR) + "/tests/forecaster/fixtures";

using test_support::json_doubles;
using test_support::json_number;

void expect_rel(double actual, double expected, double rel, const std::string& what) {
  EXPECT_NEAR(actual, expected, rel * std::max(1.0, std::abs(expected))) << what;
}

class StatsmodelsFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    static simdjson::dom::parser parser;
    doc_ = load_fixture(parser, kFixtures + "/stat_tests/statsmodels.json");
  }
  static simdjson::dom::element doc_;
};
simdjson::dom::element StatsmodelsFixture::doc_;

TEST_F(StatsmodelsFixture, LjungBoxMatchesAcorrLjungbox) {
  int checked = 0;
  for (auto c : doc_["cases"].get_array()) {
    const std::string name{std::string_view(c["series"])};
    const auto y = json_doubles(c["y"]);
    for (auto t : c["ljung_box"].get_array()) {
      const int lags = int(int64_t(t["lags"]));
      const int model_df = int(int64_t(t["model_df"]));
      auto r = ljung_box(y, lags, model_df);
      ASSERT_TRUE(r.has_value()) << name << ": " << r.error().message;
      expect_rel(r->statistic, json_number(t["statistic"]), 1e-8, name + " Q");
      if (t["p_value"].is_null()) {
        EXPECT_TRUE(std::isnan(r->p_value)) << name;
      } else {
        EXPECT_NEAR(r->p_value, json_number(t["p_value"]), 1e-8) << name << " lags " << lags;
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 90);
}

TEST_F(StatsmodelsFixture, KpssMatchesStatsmodels) {
  int checked = 0;
  for (auto c : doc_["cases"].get_array()) {
    const std::string name{std::string_view(c["series"])};
    const auto y = json_doubles(c["y"]);
    for (auto t : c["kpss"].get_array()) {
      const auto reg =
          std::string_view(t["regression"]) == "ct" ? KpssRegression::kTrend : KpssRegression::kLevel;
      int lags = 0;
      if (t["nlags"].is_string()) {
        lags = std::string_view(t["nlags"]) == "auto" ? kKpssLagsAuto : kKpssLagsLegacy;
      } else {
        lags = int(int64_t(t["nlags"]));
      }
      auto r = kpss(y, reg, lags);
      ASSERT_TRUE(r.has_value()) << name << ": " << r.error().message;
      EXPECT_EQ(r->lags, int(int64_t(t["lags"]))) << name;
      expect_rel(r->statistic, json_number(t["statistic"]), 1e-8, name + " KPSS");
      EXPECT_NEAR(r->p_value, json_number(t["p_value"]), 1e-8) << name;
      ++checked;
    }
  }
  EXPECT_GE(checked, 180);
}

TEST_F(StatsmodelsFixture, AdfMatchesAdfuller) {
  int checked = 0;
  for (auto c : doc_["cases"].get_array()) {
    const std::string name{std::string_view(c["series"])};
    const auto y = json_doubles(c["y"]);
    for (auto t : c["adf"].get_array()) {
      AdfOptions opt;
      const std::string_view reg(t["regression"]);
      opt.regression = reg == "n"   ? AdfRegression::kNone
                       : reg == "c" ? AdfRegression::kConstant
                                    : AdfRegression::kConstantTrend;
      const std::string_view autolag(t["autolag"]);
      opt.autolag = autolag == "AIC"   ? LagCriterion::kAic
                    : autolag == "BIC" ? LagCriterion::kBic
                                       : LagCriterion::kFixed;
      if (!t["maxlag"].is_null()) opt.max_lag = int(int64_t(t["maxlag"]));
      const std::string what = name + " " + std::string(reg) + " " + std::string(autolag);
      auto r = adf(y, opt);
      ASSERT_TRUE(r.has_value()) << what << ": " << r.error().message;
      EXPECT_EQ(r->used_lag, int(int64_t(t["used_lag"]))) << what;
      EXPECT_EQ(r->nobs, int(int64_t(t["nobs"]))) << what;
      expect_rel(r->statistic, json_number(t["statistic"]), 1e-8, what + " stat");
      EXPECT_NEAR(r->p_value, json_number(t["p_value"]), 1e-8) << what;
      const auto crit = json_doubles(t["critical"]);
      for (int i = 0; i < 3; ++i) expect_rel(r->critical[i], crit[i], 1e-10, what + " crit");
      if (!t["ic_best"].is_null()) expect_rel(r->ic_best, json_number(t["ic_best"]), 1e-8, what + " ic");
      ++checked;
    }
  }
  EXPECT_GE(checked, 200);
}

TEST(MackinnonPValue, ClampsOutsideTheSurface) {
  EXPECT_EQ(mackinnon_p_value(3.0, AdfRegression::kConstant), 1.0);
  EXPECT_EQ(mackinnon_p_value(-30.0, AdfRegression::kConstantTrend), 0.0);
  // Monotone in the statistic across the small/large-p junction.
  double prev = 0;
  for (double t = -10; t < 0.6; t += 0.01) {
    const double p = mackinnon_p_value(t, AdfRegression::kConstantTrend);
    EXPECT_GE(p, prev - 1e-12) << t;
    prev = p;
  }
}

TEST(OcsbCriticalValue, MatchesForecastFormulaAtKnownPeriods) {
  // Values printed by forecast:::calcOCSBCritVal(c(4, 12, 24)) in R / forecast 8.20.
  EXPECT_NEAR(ocsb_critical_value(4), -1.892699925, 1e-8);
  EXPECT_NEAR(ocsb_critical_value(12), -1.802962791, 1e-8);
  EXPECT_NEAR(ocsb_critical_value(24), -1.756445074, 1e-8);
}

// R fixtures: the unit root decisions auto.arima starts from.
class RUnitRoots : public ::testing::TestWithParam<std::string> {};

TEST_P(RUnitRoots, MatchForecastPackage) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = load_fixture(parser, kFixtures + "/r/" + GetParam() + ".json");
  const auto y = json_doubles(doc["y"]);
  const int freq = int(json_number(doc["frequency"]));
  auto ur = doc["unit_roots"];
  EXPECT_EQ(ndiffs(y), int(json_number(ur["ndiffs_kpss"]))) << GetParam();
  if (freq > 1) {
    auto strength = seasonal_strength(y, freq);
    ASSERT_TRUE(strength.has_value()) << strength.error().message;
    EXPECT_NEAR(*strength, json_number(ur["seas_heuristic"]), 1e-6) << GetParam();
    EXPECT_EQ(nsdiffs(y, freq, SeasonalTest::kStrength), int(json_number(ur["nsdiffs_seas"]))) << GetParam();
    auto oc = ocsb(y, freq, 3);
    ASSERT_TRUE(oc.has_value()) << oc.error().message;
    expect_rel(oc->statistic, json_number(ur["ocsb_statistic"]), 1e-8, GetParam() + " OCSB");
    expect_rel(oc->critical, json_number(ur["ocsb_critical"]), 1e-6, GetParam() + " OCSB critical");
    EXPECT_EQ(nsdiffs(y, freq, SeasonalTest::kOcsb), int(json_number(ur["nsdiffs_ocsb"]))) << GetParam();
    // auto.arima chooses d on the seasonally differenced series.
    const int D = nsdiffs(y, freq);
    std::vector<double> dx = y;
    if (D > 0) {
      dx.assign(y.size() - freq, 0.0);
      for (size_t i = 0; i < dx.size(); ++i) dx[i] = y[i + freq] - y[i];
    }
    EXPECT_EQ(ndiffs(dx), int(json_number(ur["ndiffs_after_seasonal"]))) << GetParam();
  }
}

std::vector<std::string> r_fixture_names() { return test_support::json_fixture_names(kFixtures + "/r"); }

INSTANTIATE_TEST_SUITE_P(AllSeries, RUnitRoots, ::testing::ValuesIn(r_fixture_names()),
                         [](const auto& info) { return info.param; });

TEST(StatTestsErrors, RejectBadInput) {
  const std::vector<double> short_series{1, 2};
  EXPECT_FALSE(ljung_box(short_series, 5).has_value());
  EXPECT_FALSE(kpss(short_series, KpssRegression::kLevel).has_value());
  const std::vector<double> with_nan{1, 2, NAN, 4, 5, 6, 7, 8};
  EXPECT_FALSE(kpss(with_nan, KpssRegression::kLevel, 1).has_value());
  EXPECT_FALSE(adf(with_nan).has_value());
  const std::vector<double> constant(50, 3.0);
  EXPECT_EQ(ndiffs(constant), 0);
  EXPECT_EQ(nsdiffs(constant, 12), 0);
  EXPECT_FALSE(ljung_box(constant, 5).has_value());
}

}  // namespace
}  // namespace promcast::forecaster
