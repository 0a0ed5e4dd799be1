// Fitted values and residuals against statsmodels at every time step, the diffuse period included
// (fixtures/sarimax_fitted, written by scripts/fixtures/make_sarimax_fitted_fixtures.py from the
// models and parameters of fixtures/sarimax), and the cheap diffuse-period predictions of the
// Chandrasekhar path against the full diffuse filter.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "forecaster/sarimax.h"
#include "forecaster/sarimax_model.h"
#include "tests/forecaster/fixture_json.h"
#include "tests/forecaster/fixture_names.h"

namespace promcast::forecaster {
namespace {

using promcast::forecaster::test_support::load_fixture;

const std::string kDir = std::string(PROMCAST_SOURCE_DIR) + "/tests/forecaster/fixtures/";

using test_support::json_doubles;

Eigen::MatrixXd columns(simdjson::dom::element e, Eigen::Index rows) {
  std::vector<std::vector<double>> cols;
  for (simdjson::dom::element c : e.get_array()) cols.push_back(json_doubles(c));
  Eigen::MatrixXd m(rows, static_cast<Eigen::Index>(cols.size()));
  for (std::size_t j = 0; j < cols.size(); ++j)
    for (Eigen::Index i = 0; i < rows; ++i)
      m(i, static_cast<Eigen::Index>(j)) = cols[j][static_cast<std::size_t>(i)];
  return m;
}

class SarimaxFitted : public testing::TestWithParam<std::string> {};

TEST_P(SarimaxFitted, MatchesStatsmodelsAtEveryStep) {
  simdjson::dom::parser parser, parent_parser;
  const simdjson::dom::element ref = load_fixture(parser, kDir + "sarimax_fitted/" + GetParam() + ".json");
  const simdjson::dom::element c =
      load_fixture(parent_parser, kDir + std::string(std::string_view(ref["fixture"])));
  SarimaxSpec spec;
  const auto order = json_doubles(c["order"]), seasonal = json_doubles(c["seasonal_order"]);
  spec.order = {static_cast<int>(order[0]),    static_cast<int>(order[1]),    static_cast<int>(order[2]),
                static_cast<int>(seasonal[0]), static_cast<int>(seasonal[1]), static_cast<int>(seasonal[2]),
                static_cast<int>(seasonal[3])};
  spec.trend = *parse_trend(std::string_view(c["trend"]));
  for (simdjson::dom::element n : c["exog_names"].get_array())
    spec.exog_names.emplace_back(std::string_view(n));
  const std::vector<double> y = json_doubles(c["y"]), params = json_doubles(c["params"]);
  const Eigen::MatrixXd exog = columns(c["exog"], static_cast<Eigen::Index>(y.size()));
  const std::vector<double> fitted = json_doubles(ref["fitted"]), resid = json_doubles(ref["resid"]);
  const auto model = Sarimax::from_params(spec, y, exog, params);
  ASSERT_TRUE(model.has_value()) << model.error().message;
  const SarimaxFit& fit = model->result();
  ASSERT_EQ(fit.fitted.size(), fitted.size());
  EXPECT_EQ(fit.diffuse_steps, static_cast<int>(int64_t(ref["nobs_diffuse"])));
  // Same parameters, so only rounding separates the two filters; 1e-7 relative to the data's size.
  for (std::size_t t = 0; t < y.size(); ++t) {
    const double tol = 1e-7 * std::max(1.0, std::abs(fitted[t]));
    ASSERT_FALSE(std::isnan(fitted[t])) << "statsmodels predicts every step, t = " << t;
    EXPECT_NEAR(fit.fitted[t], fitted[t], tol) << GetParam() << " t = " << t;
    EXPECT_EQ(std::isnan(fit.residuals[t]), std::isnan(resid[t])) << GetParam() << " t = " << t;
    if (!std::isnan(resid[t])) {
      EXPECT_NEAR(fit.residuals[t], resid[t], tol) << GetParam() << " t = " << t;
    }
    EXPECT_EQ(std::isnan(fit.standardized_residuals[t]),
              static_cast<int>(t) < fit.diffuse_steps || std::isnan(y[t]))
        << GetParam() << " t = " << t;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SarimaxFitted,
                         testing::ValuesIn(test_support::json_fixture_names(kDir + "sarimax_fitted")));

TEST(SarimaxFitted, ChandrasekharPathGivesTheFullFiltersDiffusePredictions) {
  // Long diffuse periods (d + D s up to 50 states) exercise the shrinking P_inf factor.
  std::vector<double> y(300);
  for (std::size_t t = 0; t < y.size(); ++t)
    y[t] = 10.0 + 0.05 * static_cast<double>(t) + 3.0 * std::sin(0.26 * static_cast<double>(t)) +
           std::cos(1.7 * static_cast<double>(t * t % 13));
  Eigen::MatrixXd exog(300, 1);
  for (Eigen::Index t = 0; t < 300; ++t) exog(t, 0) = std::cos(0.1 * static_cast<double>(t)) + 2.0;
  const std::vector<SarimaxSpec> specs = {
      {{1, 1, 1, 0, 1, 1, 12}, Trend::kNone, {}},
      {{2, 1, 0, 1, 1, 0, 24}, Trend::kConstant, {"x"}},
      {{0, 2, 1, 0, 0, 0, 0}, Trend::kLinear, {}},
      {{1, 1, 0, 0, 2, 1, 24}, Trend::kNone, {}},
  };
  for (const auto& spec : specs) {
    const Eigen::MatrixXd x = spec.exog_names.empty() ? Eigen::MatrixXd(300, 0) : exog;
    const detail::SarimaxModel model(spec, Eigen::Map<const Eigen::VectorXd>(y.data(), 300), x);
    std::vector<double> params;
    if (spec.trend != Trend::kNone) params.push_back(0.02);
    if (!spec.exog_names.empty()) params.push_back(0.7);
    for (int i = 0; i < spec.order.p; ++i) params.push_back(0.3 / (i + 1));
    for (int i = 0; i < spec.order.q; ++i) params.push_back(-0.4);
    for (int i = 0; i < spec.order.P; ++i) params.push_back(0.2);
    for (int i = 0; i < spec.order.Q; ++i) params.push_back(-0.5);
    const auto p = model.split(params);
    const auto fast = model.run(p, true), full = model.run(p, true, true);
    ASSERT_TRUE(fast.ok && full.ok) << spec.describe();
    const int k = model.k_diffuse();
    for (int t = 0; t < k; ++t)
      EXPECT_NEAR(fast.out.prediction[t], full.out.prediction[t],
                  1e-9 * (1.0 + std::abs(full.out.prediction[t])))
          << spec.describe() << " t = " << t;
    EXPECT_NEAR(fast.out.prediction[k], full.out.prediction[k],
                1e-7 * (1.0 + std::abs(full.out.prediction[k])))
        << spec.describe();
  }
}

}  // namespace
}  // namespace promcast::forecaster
