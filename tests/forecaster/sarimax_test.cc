// SARIMAX behaviour beyond the reference fixtures: update() equals refiltering, robustness cases
// (constant, short, gappy, huge and tiny series) end in a clear error or finite forecasts.
#include "forecaster/sarimax.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <span>
#include <string>

namespace promcast::forecaster {
namespace {

std::vector<double> random_walk_seasonal(int n, std::uint64_t seed, double scale = 1.0, double offset = 0.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<double> y(static_cast<std::size_t>(n));
  double level = 0.0;
  for (int t = 0; t < n; ++t) {
    level += 0.2 * normal(rng);
    y[static_cast<std::size_t>(t)] =
        offset + scale * (level + std::sin(2 * M_PI * t / 12.0) + 0.5 * normal(rng));
  }
  return y;
}

SarimaxSpec airline() {
  SarimaxSpec spec;
  spec.order = {0, 1, 1, 0, 1, 1, 12};
  return spec;
}

TEST(Sarimax, UpdateEqualsFilteringEverything) {
  const auto y = random_walk_seasonal(120, 1);
  const std::vector<double> head(y.begin(), y.begin() + 100), tail(y.begin() + 100, y.end());
  auto fitted = Sarimax::fit(airline(), head, Eigen::MatrixXd());
  ASSERT_TRUE(fitted.has_value()) << fitted.error().message;
  const auto params = fitted->result().params;
  ASSERT_TRUE(fitted->update(tail, Eigen::MatrixXd()).has_value());
  auto whole = Sarimax::from_params(airline(), y, Eigen::MatrixXd(), params);
  ASSERT_TRUE(whole.has_value());
  EXPECT_NEAR(fitted->result().loglik, whole->result().loglik, 1e-8 * std::abs(whole->result().loglik));
  const std::vector<double> levels = {95};
  const auto a = fitted->forecast(6, Eigen::MatrixXd(), levels);
  const auto b = whole->forecast(6, Eigen::MatrixXd(), levels);
  ASSERT_TRUE(a && b);
  for (int h = 0; h < 6; ++h) {
    EXPECT_NEAR(a->mean[h], b->mean[h], 1e-8);
    EXPECT_NEAR(a->upper[0][h], b->upper[0][h], 1e-8);
  }
  EXPECT_EQ(fitted->result().fitted.size(), y.size());
  EXPECT_NEAR(fitted->result().residuals.back(), whole->result().residuals.back(), 1e-8);
}

// auto_arima's refits watch the ARMA estimate through FitOptions::abandon: it must see the ARMA part in
// statsmodels order (here ma.L1, ma.S.L12), change nothing while it says no, and fail the fit when it
// says yes. With regressors (profiled path) and without (full parameter vector) alike.
TEST(Sarimax, AbandonSeesTheArmaEstimateAndFailsTheFit) {
  const auto y = random_walk_seasonal(120, 3);
  for (const bool with_exog : {false, true}) {
    SCOPED_TRACE(with_exog ? "profiled regression" : "no regressors");
    Eigen::MatrixXd exog(0, 0);
    SarimaxSpec spec = airline();
    if (with_exog) {
      exog.resize(120, 1);
      for (int t = 0; t < 120; ++t) exog(t, 0) = std::cos(0.3 * t);
      spec.exog_names = {"x"};
    }
    const auto plain = Sarimax::fit(spec, y, exog);
    ASSERT_TRUE(plain.has_value()) << plain.error().message;
    FitOptions watching;
    std::size_t seen_size = 0;
    int calls = 0;
    watching.abandon = [&](std::span<const double> arma) {
      seen_size = arma.size();
      ++calls;
      return false;
    };
    const auto watched = Sarimax::fit(spec, y, exog, watching);
    ASSERT_TRUE(watched.has_value()) << watched.error().message;
    EXPECT_GT(calls, 0);
    EXPECT_EQ(seen_size, 2u);
    EXPECT_EQ(watched->result().params, plain->result().params);
    FitOptions stopping;
    stopping.abandon = [](std::span<const double> arma) { return arma[0] < -0.1; };  // theta heads negative
    const auto stopped = Sarimax::fit(spec, y, exog, stopping);
    ASSERT_FALSE(stopped.has_value());
    EXPECT_NE(stopped.error().message.find("abandoned"), std::string::npos) << stopped.error().message;
  }
}

TEST(Sarimax, ParamNamesFollowStatsmodels) {
  SarimaxSpec spec;
  spec.order = {2, 1, 1, 1, 0, 2, 12};
  spec.trend = Trend::kConstantLinear;
  spec.exog_names = {"law"};
  const std::vector<std::string> expected = {"intercept", "drift",    "law",      "ar.L1",    "ar.L2",
                                             "ma.L1",     "ar.S.L12", "ma.S.L12", "ma.S.L24", "sigma2"};
  EXPECT_EQ(spec.param_names(), expected);
}

TEST(Sarimax, ConstantSeriesIsAClearError) {
  const std::vector<double> y(50, 3.0);
  SarimaxSpec spec;
  spec.order = {1, 0, 0};
  spec.trend = Trend::kConstant;
  const auto r = Sarimax::fit(spec, y, Eigen::MatrixXd());
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("constant"), std::string::npos);
}

TEST(Sarimax, TooShortSeriesIsAClearError) {
  const std::vector<double> y = {1, 2, 3, 2, 1, 2, 3, 4, 5, 4, 3, 2, 3};
  const auto r = Sarimax::fit(airline(), y, Eigen::MatrixXd());
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("too short"), std::string::npos);
}

TEST(Sarimax, InvalidSpecsAreRejected) {
  SarimaxSpec spec;
  spec.order = {0, 0, 0, 1, 0, 0, 1};
  EXPECT_FALSE(spec.validate().has_value());
  spec.order = {-1, 0, 0};
  EXPECT_FALSE(spec.validate().has_value());
  spec.order = {1, 0, 0};
  spec.exog_names = {"x"};
  const std::vector<double> y(30, 1.0);
  EXPECT_FALSE(Sarimax::fit(spec, y, Eigen::MatrixXd()).has_value());  // names without columns
}

TEST(Sarimax, GapsGiveFiniteForecasts) {
  auto y = random_walk_seasonal(96, 2);
  for (int t : {5, 6, 7, 40, 41, 80}) y[static_cast<std::size_t>(t)] = std::nan("");
  const auto r = Sarimax::fit(airline(), y, Eigen::MatrixXd());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const std::vector<double> levels = {80, 95};
  const auto f = r->forecast(12, Eigen::MatrixXd(), levels);
  ASSERT_TRUE(f.has_value());
  for (int h = 0; h < 12; ++h) {
    EXPECT_TRUE(std::isfinite(f->mean[h]));
    EXPECT_LT(f->lower[1][h], f->lower[0][h]);
    EXPECT_LT(f->lower[0][h], f->mean[h]);
    EXPECT_GT(f->upper[1][h], f->upper[0][h]);
  }
  EXPECT_TRUE(std::isnan(r->result().residuals[40]));
}

TEST(Sarimax, MagnitudeDoesNotChangeTheModel) {
  // y and 1e9 y + 1e12 (or 1e-9 y) are the same model: ARMA parameters equal, scale parameters
  // scale, loglik shifts by -n_eff log(c).
  SarimaxSpec spec;
  spec.order = {1, 0, 1};
  spec.trend = Trend::kConstant;
  const auto base = random_walk_seasonal(150, 3);
  const auto ref = Sarimax::fit(spec, base, Eigen::MatrixXd());
  ASSERT_TRUE(ref.has_value());
  for (double c : {1e9, 1e-9}) {
    std::vector<double> y = base;
    for (auto& v : y) v *= c;
    const auto r = Sarimax::fit(spec, y, Eigen::MatrixXd());
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_NEAR(r->result().params[1], ref->result().params[1], 1e-4) << c;
    EXPECT_NEAR(r->result().params[2], ref->result().params[2], 1e-4) << c;
    EXPECT_NEAR(r->result().params[0] / c, ref->result().params[0],
                1e-4 * std::abs(ref->result().params[0]) + 1e-6)
        << c;
    EXPECT_NEAR(r->result().loglik + r->result().nobs_effective * std::log(c), ref->result().loglik, 1e-5)
        << c;
    const std::vector<double> levels = {95};
    const auto f = r->forecast(5, Eigen::MatrixXd(), levels);
    ASSERT_TRUE(f.has_value());
    for (double m : f->mean) EXPECT_TRUE(std::isfinite(m));
  }
}

TEST(Sarimax, ForecastNeedsFutureExog) {
  SarimaxSpec spec;
  spec.order = {1, 0, 0};
  spec.exog_names = {"x"};
  const auto y = random_walk_seasonal(60, 4);
  Eigen::MatrixXd x(60, 1);
  for (int t = 0; t < 60; ++t) x(t, 0) = t % 3;
  const auto r = Sarimax::fit(spec, y, x);
  ASSERT_TRUE(r.has_value());
  const std::vector<double> levels = {95};
  EXPECT_FALSE(r->forecast(4, Eigen::MatrixXd(), levels).has_value());
  EXPECT_TRUE(r->forecast(4, Eigen::MatrixXd::Ones(4, 1), levels).has_value());
  EXPECT_FALSE(r->forecast(4, Eigen::MatrixXd::Ones(4, 1), std::vector<double>{100.0}).has_value());
}

// s = 288 with 450 gaps on 4,032 points ran for ~20 minutes in the full filter. A smaller case of
// the same kind (m = 578, > 400 gaps) must fail at once with a message that says what to do.
TEST(Sarimax, ManyGapsWithLongSeasonIsAnImmediateError) {
  std::vector<double> y(1152);
  for (std::size_t t = 0; t < y.size(); ++t)
    y[t] = 10.0 + std::sin(2.0 * 3.14159265358979 * static_cast<double>(t) / 288.0) +
           0.01 * static_cast<double>(t % 7);
  for (std::size_t t = 300; t < 300 + 2 * 420; t += 2) y[t] = std::numeric_limits<double>::quiet_NaN();
  SarimaxSpec spec;
  spec.order = {1, 0, 1, 0, 1, 1, 288};
  auto fit = Sarimax::fit(spec, y, Eigen::MatrixXd(0, 0));
  ASSERT_FALSE(fit);
  EXPECT_NE(fit.error().message.find("420 missing values"), std::string::npos) << fit.error().message;
  EXPECT_NE(fit.error().message.find("--fourier 288:K"), std::string::npos) << fit.error().message;
  // The same gaps with a short season stay an exact fit.
  spec.order = {1, 0, 1, 0, 1, 1, 12};
  auto small = Sarimax::fit(spec, y, Eigen::MatrixXd(0, 0));
  EXPECT_TRUE(small) << small.error().message;
}

// Duplicate or collinear regressors have no unique estimate: an error naming them, before fitting.
TEST(Sarimax, DuplicateAndCollinearRegressorsAreNamedErrors) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0.0, 1.0);
  const int n = 120;
  std::vector<double> y(n);
  Eigen::MatrixXd law(n, 1), two(n, 2), three(n, 3);
  for (int t = 0; t < n; ++t) {
    const double x = t >= 60 ? 1.0 : 0.0;
    y[static_cast<std::size_t>(t)] = 10.0 + 3.0 * x + noise(rng);
    law(t, 0) = x;
    two(t, 0) = x;
    two(t, 1) = x;  // an identical copy
    three(t, 0) = x;
    three(t, 1) = std::sin(0.3 * t);
    three(t, 2) = 2.0 * x - 0.5 * std::sin(0.3 * t);  // a combination of the other two
  }
  SarimaxSpec spec;
  spec.order = {1, 0, 0, 0, 0, 0, 0};
  spec.trend = Trend::kConstant;
  spec.exog_names = {"law", "law"};
  auto dup = Sarimax::fit(spec, y, two);
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("'law' is given twice"), std::string::npos) << dup.error().message;
  spec.exog_names = {"law", "law2"};
  auto copy = Sarimax::fit(spec, y, two);
  ASSERT_FALSE(copy);
  EXPECT_NE(copy.error().message.find("'law', 'law2' are collinear"), std::string::npos)
      << copy.error().message;
  spec.exog_names = {"a", "b", "c"};
  auto combo = Sarimax::fit(spec, y, three);
  ASSERT_FALSE(combo);
  EXPECT_NE(combo.error().message.find("'a', 'b', 'c' are collinear"), std::string::npos)
      << combo.error().message;
  // A constant column next to the intercept.
  Eigen::MatrixXd ones = Eigen::MatrixXd::Ones(n, 1);
  spec.exog_names = {"one"};
  auto with_c = Sarimax::fit(spec, y, ones);
  ASSERT_FALSE(with_c);
  EXPECT_NE(with_c.error().message.find("'intercept', 'one'"), std::string::npos) << with_c.error().message;
  // A step dummy alone is fine.
  spec.exog_names = {"law"};
  EXPECT_TRUE(Sarimax::fit(spec, y, law));
}

}  // namespace
}  // namespace promcast::forecaster
