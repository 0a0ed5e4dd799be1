// SARIMAX start values against statsmodels 0.13.5's SARIMAX.start_params on every fixture in
// fixtures/start_values (scripts/fixtures/make_start_values_fixtures.py), plus hand-checkable cases.
// Tolerance: each parameter within 1e-6 relative of statsmodels' (absolute 1e-10 for values that are
// zero), and the same zeroing / too-few-observations decisions as statsmodels' warnings.
#include "forecaster/start_values.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tests/forecaster/fixture_json.h"
#include "tests/forecaster/fixture_names.h"

namespace promcast::forecaster {
namespace {

using promcast::forecaster::test_support::load_fixture;

const std::string kDir = std::string(PROMCAST_SOURCE_DIR) + "/tests/forecaster/fixtures/start_values";

using test_support::json_doubles;

struct Case {
  SarimaxSpec spec;
  std::vector<double> y, expected;
  Eigen::MatrixXd exog;
  std::vector<std::string> param_names;
  bool zeroed_ar = false, zeroed_ma = false, zeroed_seasonal_ar = false, zeroed_seasonal_ma = false;
  bool too_few = false;
};

Case load(const std::string& name) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = load_fixture(parser, kDir + "/" + name + ".json");
  Case c;
  c.y = json_doubles(doc["y"]);
  const auto o = json_doubles(doc["order"]), so = json_doubles(doc["seasonal_order"]);
  c.spec.order = {static_cast<int>(o[0]),  static_cast<int>(o[1]),  static_cast<int>(o[2]),
                  static_cast<int>(so[0]), static_cast<int>(so[1]), static_cast<int>(so[2]),
                  static_cast<int>(so[3])};
  c.spec.trend = *parse_trend(std::string_view(doc["trend"]));
  for (simdjson::dom::element n : doc["exog_names"].get_array())
    c.spec.exog_names.emplace_back(std::string_view(n));
  for (simdjson::dom::element n : doc["param_names"].get_array())
    c.param_names.emplace_back(std::string_view(n));
  std::vector<std::vector<double>> cols;
  for (simdjson::dom::element col : doc["exog"].get_array()) cols.push_back(json_doubles(col));
  c.exog.resize(static_cast<Eigen::Index>(cols.empty() ? 0 : c.y.size()),
                static_cast<Eigen::Index>(cols.size()));
  for (std::size_t j = 0; j < cols.size(); ++j)
    for (std::size_t i = 0; i < cols[j].size(); ++i)
      c.exog(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = cols[j][i];
  c.expected = json_doubles(doc["start_params"]);
  c.zeroed_ar = bool(doc["zeroed_ar"]);
  c.zeroed_ma = bool(doc["zeroed_ma"]);
  c.zeroed_seasonal_ar = bool(doc["zeroed_seasonal_ar"]);
  c.zeroed_seasonal_ma = bool(doc["zeroed_seasonal_ma"]);
  c.too_few = bool(doc["too_few_observations"]);
  return c;
}

class StatsmodelsStartParams : public testing::TestWithParam<std::string> {};

TEST_P(StatsmodelsStartParams, EqualStatsmodelsWithin1e6Relative) {
  const Case c = load(GetParam());
  ASSERT_EQ(c.spec.param_names(), c.param_names);
  const auto got = sarimax_start_values(c.spec, c.y, c.exog);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  ASSERT_EQ(got->params.size(), static_cast<Eigen::Index>(c.expected.size()));
  for (std::size_t i = 0; i < c.expected.size(); ++i) {
    const double want = c.expected[i];
    EXPECT_NEAR(got->params[static_cast<Eigen::Index>(i)], want, std::max(1e-6 * std::abs(want), 1e-10))
        << c.param_names[i];
  }
  EXPECT_EQ(got->zeroed_ar, c.zeroed_ar);
  EXPECT_EQ(got->zeroed_ma, c.zeroed_ma);
  EXPECT_EQ(got->zeroed_seasonal_ar, c.zeroed_seasonal_ar);
  EXPECT_EQ(got->zeroed_seasonal_ma, c.zeroed_seasonal_ma);
  EXPECT_EQ(got->too_few_observations, c.too_few);

  const auto plain = sarimax_start_params(c.spec, c.y, c.exog);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(*plain, got->params);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, StatsmodelsStartParams,
                         testing::ValuesIn(test_support::json_fixture_names(kDir)),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(StartValues, FixturesCoverTheIssueCases) {
  // At least 12 reference cases, including one where statsmodels zeroes a non-stationary AR start.
  const auto names = test_support::json_fixture_names(kDir);
  EXPECT_GE(names.size(), 12u);
  bool zeroed = false;
  for (const auto& n : names) zeroed = zeroed || load(n).zeroed_ar;
  EXPECT_TRUE(zeroed);
}

TEST(StartValues, Ar1ByHand) {
  // AR(1) without trend: phi = sum y_t y_{t-1} / sum y_{t-1}^2, sigma2 = mean squared residual.
  const std::vector<double> y = {4, 2, 1, 3, 1};
  SarimaxSpec spec;
  spec.order.p = 1;
  const auto got = sarimax_start_params(spec, y, Eigen::MatrixXd());
  ASSERT_TRUE(got.has_value()) << got.error().message;
  const double phi = (4.0 * 2 + 2.0 * 1 + 1.0 * 3 + 3.0 * 1) / (16.0 + 4 + 1 + 9);
  double ss = 0;
  for (std::size_t t = 1; t < y.size(); ++t) ss += std::pow(y[t] - phi * y[t - 1], 2);
  ASSERT_EQ(got->size(), 2);
  EXPECT_NEAR((*got)[0], phi, 1e-12);
  EXPECT_NEAR((*got)[1], ss / 4, 1e-12);
}

TEST(StartValues, ExplosiveAr1StartsAtZero) {
  // OLS phi = 63/39 > 1: statsmodels replaces it with 0 (and keeps the OLS residual variance).
  const std::vector<double> y = {1, 2, 3, 5, 8};
  SarimaxSpec spec;
  spec.order.p = 1;
  const auto got = sarimax_start_values(spec, y, Eigen::MatrixXd());
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_TRUE(got->zeroed_ar);
  EXPECT_EQ(got->params[0], 0.0);
  const double phi = 63.0 / 39.0;
  double ss = 0;
  for (std::size_t t = 1; t < y.size(); ++t) ss += std::pow(y[t] - phi * y[t - 1], 2);
  EXPECT_NEAR(got->params[1], ss / 4, 1e-12);
}

TEST(StartValues, RejectsBadInput) {
  SarimaxSpec spec;
  spec.order = {1, 0, 0};
  const std::vector<double> y = {1, 2, 3, 4, 5, 6};
  spec.exog_names = {"x"};
  EXPECT_FALSE(sarimax_start_params(spec, y, Eigen::MatrixXd::Ones(5, 1)).has_value());  // wrong rows
  EXPECT_FALSE(sarimax_start_params(spec, y, Eigen::MatrixXd::Ones(6, 2)).has_value());  // wrong columns
  Eigen::MatrixXd bad = Eigen::MatrixXd::Ones(6, 1);
  bad(2, 0) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(sarimax_start_params(spec, y, bad).has_value());
  spec.exog_names.clear();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(sarimax_start_params(spec, std::vector<double>{nan, nan, nan}, Eigen::MatrixXd()).has_value());
  spec.order = {0, 1, 0, 0, 1, 0, 12};
  EXPECT_FALSE(
      sarimax_start_params(spec, y, Eigen::MatrixXd()).has_value());  // nothing left after differencing
  spec.order = {-1, 0, 0};
  EXPECT_FALSE(sarimax_start_params(spec, y, Eigen::MatrixXd()).has_value());
}

}  // namespace
}  // namespace promcast::forecaster
