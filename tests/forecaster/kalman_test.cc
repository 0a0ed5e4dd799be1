// The Kalman filter layers against each other and against references: the O(r^2) ARMA stationary
// covariance against a dense Lyapunov solve and statsmodels' autocovariances; the Chandrasekhar
// path against the full exact diffuse filter on the same SARIMA models.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "forecaster/arma_process.h"
#include "forecaster/kalman_filter.h"
#include "forecaster/sarimax_model.h"

namespace promcast::forecaster {
namespace {

TEST(ArmaProcess, AutocovariancesMatchStatsmodels) {
  // statsmodels.tsa.arima_process.arma_acovf([1, -0.5, 0.2], [1, 0.4, 0.3], nobs=5)
  const Eigen::VectorXd g = arma_autocovariances((Eigen::VectorXd(2) << 0.5, -0.2).finished(),
                                                 (Eigen::VectorXd(3) << 1.0, 0.4, 0.3).finished(), 4);
  const double expected[] = {2.128151260504202, 1.4450630252100842, 0.5969012605042017, 0.00943802521008397,
                             -0.11466123949579836};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(g[i], expected[i], 1e-12);
}

TEST(ArmaProcess, StationaryCovarianceSolvesLyapunov) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-0.6, 0.6);
  for (int trial = 0; trial < 20; ++trial) {
    const int p = trial % 4, q = (trial / 4) % 4;
    Eigen::VectorXd phi(p), theta(q + 1);
    for (auto& v : phi) v = u(rng) / std::max(1, p);
    theta[0] = 1.0;
    for (int i = 1; i <= q; ++i) theta[i] = u(rng);
    const int r = std::max(p, q + 1);
    Eigen::MatrixXd T = Eigen::MatrixXd::Zero(r, r);
    for (int i = 0; i < p; ++i) T(i, 0) = phi[i];
    for (int i = 0; i + 1 < r; ++i) T(i, i + 1) = 1.0;
    Eigen::VectorXd R = Eigen::VectorXd::Zero(r);
    R.head(q + 1) = theta;
    const Eigen::MatrixXd reference = solve_discrete_lyapunov(T, R * R.transpose());
    const Eigen::MatrixXd P = arma_stationary_covariance(phi, theta);
    EXPECT_LE((P - reference).cwiseAbs().maxCoeff(), 1e-10) << "p=" << p << " q=" << q;
  }
}

struct Model {
  SarimaxSpec spec;
  std::vector<double> params;  // without sigma2
};

Eigen::VectorXd simulate(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Eigen::VectorXd y(n);
  double level = 10.0, season[7] = {0, 1, -1, 2, 0, -2, 1};
  for (int t = 0; t < n; ++t) {
    level += 0.3 * normal(rng);
    y[t] = level + season[t % 7] + normal(rng);
  }
  return y;
}

TEST(KalmanFilter, ChandrasekharEqualsExactDiffuseFilter) {
  const Eigen::VectorXd y = simulate(150, 11);
  Eigen::MatrixXd exog(150, 1);
  for (int t = 0; t < 150; ++t) exog(t, 0) = std::sin(t * 0.3);
  const std::vector<Model> models = {
      {{{0, 1, 1, 0, 1, 1, 7}, Trend::kNone, {}}, {-0.4, -0.6}},
      {{{2, 1, 1, 1, 1, 1, 7}, Trend::kConstant, {}}, {0.01, 0.3, -0.2, -0.4, 0.2, -0.5}},
      {{{1, 0, 1, 0, 0, 0, 0}, Trend::kConstantLinear, {"x"}}, {2.0, 0.01, 0.5, 0.6, 0.2}},
      {{{0, 2, 2, 0, 0, 0, 0}, Trend::kLinear, {}}, {0.001, -0.5, 0.1}},
      {{{1, 0, 0, 2, 1, 0, 7}, Trend::kNone, {}}, {0.4, -0.3, 0.2}},
  };
  for (const auto& m : models) {
    const Eigen::MatrixXd x = m.spec.exog_names.empty() ? Eigen::MatrixXd() : exog;
    const detail::SarimaxModel model(m.spec, y, x);
    const auto p = model.split(m.params);
    const auto fast = model.run(p, true, false);
    const auto full = model.run(p, true, true);
    ASSERT_TRUE(fast.ok && full.ok);
    EXPECT_NEAR(full.out.sum_log_f_diffuse, 0.0, 1e-9) << m.spec.describe();
    EXPECT_EQ(full.out.diffuse_steps, model.k_diffuse()) << m.spec.describe();
    const double a = concentrated_loglik(fast.out), b = concentrated_loglik(full.out);
    EXPECT_NEAR(a, b, 1e-8 * std::abs(b)) << m.spec.describe();
    EXPECT_LE((fast.state - full.state).cwiseAbs().maxCoeff(),
              1e-7 * (1.0 + full.state.cwiseAbs().maxCoeff()))
        << m.spec.describe();
    EXPECT_LE((fast.cov - full.cov).cwiseAbs().maxCoeff(), 1e-7 * (1.0 + full.cov.cwiseAbs().maxCoeff()))
        << m.spec.describe();
  }
}

TEST(KalmanFilter, ProfiledRegressionEqualsJointLikelihoodAtItsMaximum) {
  // The multi-column filter + GLS must give the same loglik as the ordinary filter at the GLS
  // coefficients, and no coefficient vector may beat it (it is the maximum over them).
  const Eigen::VectorXd y = simulate(160, 5);
  Eigen::MatrixXd exog(160, 2);
  for (int t = 0; t < 160; ++t) {
    exog(t, 0) = std::sin(t * 0.2);
    exog(t, 1) = (t % 5 == 0) ? 1.0 : 0.0;
  }
  for (Trend trend : {Trend::kConstant, Trend::kConstantLinear, Trend::kLinear}) {
    SarimaxSpec spec{{1, 1, 1, 0, 1, 1, 7}, trend, {"s", "d"}};
    const detail::SarimaxModel model(spec, y, exog);
    const Eigen::VectorXd arma = (Eigen::VectorXd(3) << 0.3, -0.4, -0.5).finished();
    Eigen::VectorXd coef;
    const double profiled = model.profile_loglik(arma, &coef);
    ASSERT_EQ(coef.size(), model.k_trend() + 2);
    Eigen::VectorXd full(coef.size() + 3);
    full << coef, arma;
    EXPECT_NEAR(profiled, model.concentrated_loglik(full), 1e-7 * std::abs(profiled)) << spec.describe();
    Eigen::VectorXd moved = full;
    moved[0] += 1e-3;
    EXPECT_LT(model.concentrated_loglik(moved), profiled) << spec.describe();
  }
}

TEST(KalmanFilter, GapsAsDiffuseDummiesGiveTheFullFiltersLikelihood) {
  // Gaps after the diffuse period are profiled as unit dummies with diffuse coefficients: the
  // likelihood must be the one the full diffuse filter computes by skipping them, to 1e-9, with and
  // without regressors, single gaps and runs, and a gap on the last point.
  Eigen::VectorXd y = simulate(240, 11);
  for (Eigen::Index t = 0; t < y.size(); ++t) y[t] += 50.0 + 0.1 * static_cast<double>(t);
  for (Eigen::Index g : {40, 41, 42, 97, 150, 151, 200, 239}) y[g] = std::nan("");
  Eigen::MatrixXd exog(240, 1);
  for (int t = 0; t < 240; ++t) exog(t, 0) = std::sin(t * 0.3);
  const std::vector<std::pair<SarimaxSpec, Eigen::VectorXd>> cases = {
      {SarimaxSpec{{1, 1, 1, 0, 1, 1, 12}, Trend::kNone, {}},
       (Eigen::VectorXd(3) << 0.4, -0.3, -0.6).finished()},
      {SarimaxSpec{{2, 0, 1, 0, 0, 0, 0}, Trend::kConstant, {"x"}},
       (Eigen::VectorXd(3) << 0.5, 0.2, 0.3).finished()},
      {SarimaxSpec{{1, 1, 0, 1, 0, 0, 7}, Trend::kConstantLinear, {"x"}},
       (Eigen::VectorXd(2) << -0.3, 0.5).finished()},
      {SarimaxSpec{{0, 2, 2, 0, 0, 0, 0}, Trend::kNone, {}}, (Eigen::VectorXd(2) << -0.9, 0.2).finished()},
  };
  for (const auto& [spec, arma] : cases) {
    const Eigen::MatrixXd x = spec.exog_names.empty() ? Eigen::MatrixXd(240, 0) : exog;
    const detail::SarimaxModel model(spec, y, x);
    ASSERT_TRUE(model.can_profile()) << spec.describe();
    EXPECT_EQ(model.profiled_gaps(), 8);
    Eigen::VectorXd coef;
    const double profiled = model.profile_loglik(arma, &coef);
    ASSERT_EQ(coef.size(), model.k_trend() + model.k_exog());
    Eigen::VectorXd full(coef.size() + arma.size());
    full << coef, arma;
    const auto reference_pass = model.run(
        model.split(std::span<const double>(full.data(), static_cast<std::size_t>(full.size()))), true, true);
    const double reference = concentrated_loglik(reference_pass.out);  // the full filter skips the gaps
    EXPECT_NEAR(profiled, reference, 1e-9 * std::abs(reference)) << spec.describe();
    // The augmented pass over the filled series (what run() does with gaps) must reproduce the full
    // filter step by step: predictions, innovations and their variances, and the final state.
    const auto p = model.split(std::span<const double>(full.data(), static_cast<std::size_t>(full.size())));
    const auto fast = model.run(p, true);
    ASSERT_TRUE(fast.ok) << spec.describe();
    EXPECT_NEAR(concentrated_loglik(fast.out), reference, 1e-9 * std::abs(reference)) << spec.describe();
    EXPECT_EQ(fast.out.regular_obs, reference_pass.out.regular_obs) << spec.describe();
    for (Eigen::Index t = 0; t < y.size(); ++t) {
      const auto& r = reference_pass.out;
      EXPECT_NEAR(fast.out.prediction[t], r.prediction[t], 1e-8 * (1.0 + std::abs(r.prediction[t])))
          << spec.describe() << " t = " << t;
      EXPECT_EQ(std::isnan(fast.out.forecast_var[t]), std::isnan(r.forecast_var[t]))
          << spec.describe() << " t = " << t;
      if (!std::isnan(r.forecast_var[t])) {
        EXPECT_NEAR(fast.out.forecast_var[t], r.forecast_var[t], 1e-8 * r.forecast_var[t])
            << spec.describe() << " t = " << t;
      }
    }
    const double scale = 1.0 + reference_pass.state.cwiseAbs().maxCoeff();
    EXPECT_LE((fast.state - reference_pass.state).cwiseAbs().maxCoeff(), 1e-7 * scale) << spec.describe();
    EXPECT_LE((fast.cov - reference_pass.cov).cwiseAbs().maxCoeff(),
              1e-7 * (1.0 + reference_pass.cov.cwiseAbs().maxCoeff()))
        << spec.describe();
  }
  // A gap inside the diffuse period is left to the full filter.
  Eigen::VectorXd early = simulate(240, 12);
  early[3] = std::nan("");
  const detail::SarimaxModel model(SarimaxSpec{{0, 1, 1, 0, 1, 1, 12}, Trend::kNone, {}}, early,
                                   Eigen::MatrixXd(240, 0));
  EXPECT_FALSE(model.can_profile());
}

TEST(KalmanFilter, MissingValuesAreSkipped) {
  // An AR(1) with a gap: the loglik equals the product of the conditional densities, where the
  // prediction across the gap uses phi^2 and variance 1 + phi^2.
  const double phi = 0.6;
  const std::vector<double> y = {0.5, std::nan(""), -0.2, 0.4};
  SarimaxSpec spec;
  spec.order.p = 1;
  const detail::SarimaxModel model(spec, Eigen::Map<const Eigen::VectorXd>(y.data(), 4), Eigen::MatrixXd());
  const auto pass = model.run(model.split(std::vector<double>{phi}), false);
  ASSERT_TRUE(pass.ok);
  const double v0 = 1.0 / (1 - phi * phi);
  auto lp = [](double x, double var) { return -0.5 * (std::log(2 * M_PI * var) + x * x / var); };
  const double expected = lp(0.5, v0) + lp(-0.2 - phi * phi * 0.5, 1 + phi * phi) + lp(0.4 - phi * -0.2, 1.0);
  EXPECT_NEAR(loglik_at_scale(pass.out, 1.0), expected, 1e-12);
  EXPECT_EQ(pass.out.observed, 3);
}

}  // namespace
}  // namespace promcast::forecaster
