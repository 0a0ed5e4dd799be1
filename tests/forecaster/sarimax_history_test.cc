// Sarimax with a bounded history (limit_history) behaves as the unbounded model: same forecasts,
// loglik and latest in-sample values, while it keeps only the last K of them; filter() re-creates the
// in-sample values over any stretch of the model's time axis (trend and regressors continuing).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "forecaster/fourier.h"
#include "forecaster/sarimax.h"

namespace promcast::forecaster {
namespace {

// AR(1) around a drifting level with a 24-step cycle, which Fourier regressors carry.
std::vector<double> series(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<double> y(static_cast<std::size_t>(n));
  double u = 0.0;
  for (int t = 0; t < n; ++t) {
    u = 0.6 * u + normal(rng);
    y[static_cast<std::size_t>(t)] = 50.0 + 0.02 * t + 5.0 * std::sin(2 * std::numbers::pi * t / 24.0) + u;
  }
  return y;
}

const std::vector<FourierTerm> kTerms = {{24.0, 2}};

SarimaxSpec spec() {
  SarimaxSpec s;
  s.order = {1, 0, 0, 0, 0, 0, 0};
  s.trend = Trend::kConstantLinear;
  s.exog_names = fourier_names(kTerms);
  return s;
}

TEST(SarimaxHistory, BoundedModelForecastsAsTheUnboundedOneAndKeepsOnlyTheLastK) {
  const auto y = series(600, 7);
  const std::span<const double> all(y);
  constexpr int kFit = 400;
  constexpr std::size_t kKeep = 50;
  auto full = Sarimax::fit(spec(), all.first(kFit), fourier_matrix(kTerms, 0, kFit));
  ASSERT_TRUE(full.has_value()) << full.error().message;
  auto bounded =
      Sarimax::from_params(spec(), all.first(kFit), fourier_matrix(kTerms, 0, kFit), full->result().params);
  ASSERT_TRUE(bounded.has_value()) << bounded.error().message;
  bounded->limit_history(kKeep);
  EXPECT_EQ(bounded->result().fitted.size(), kKeep);
  EXPECT_EQ(bounded->result().history_start, kFit - static_cast<int>(kKeep));
  // updates one point and several points at a time, as the rule engine sends them
  for (int t = kFit; t < 600;) {
    const int len = t % 3 == 0 ? 1 : 7;
    const int take = std::min(len, 600 - t);
    const auto rows = fourier_matrix(kTerms, t, take);
    ASSERT_TRUE(full->update(all.subspan(static_cast<std::size_t>(t), static_cast<std::size_t>(take)), rows));
    ASSERT_TRUE(
        bounded->update(all.subspan(static_cast<std::size_t>(t), static_cast<std::size_t>(take)), rows));
    t += take;
    const auto& b = bounded->result();
    ASSERT_LE(b.fitted.size(), kKeep);
    ASSERT_LE(b.fitted.capacity(), kKeep);  // bounded in memory, not only in size
    ASSERT_EQ(b.residuals.size(), b.fitted.size());
    ASSERT_EQ(b.standardized_residuals.size(), b.fitted.size());
    ASSERT_EQ(b.history_start + static_cast<int>(b.fitted.size()), t);
  }
  const auto& a = full->result();
  const auto& b = bounded->result();
  ASSERT_EQ(a.fitted.size(), 600u);
  EXPECT_EQ(b.nobs, a.nobs);
  EXPECT_NEAR(b.loglik, a.loglik, 1e-9 * std::abs(a.loglik));
  EXPECT_NEAR(b.aicc, a.aicc, 1e-9 * std::abs(a.aicc));
  for (std::size_t i = 0; i < b.fitted.size(); ++i) {
    const auto src = static_cast<std::size_t>(b.history_start) + i;
    EXPECT_NEAR(b.fitted[i], a.fitted[src], 1e-9) << i;
    EXPECT_NEAR(b.residuals[i], a.residuals[src], 1e-9) << i;
    EXPECT_NEAR(b.standardized_residuals[i], a.standardized_residuals[src], 1e-9) << i;
  }
  const std::vector<double> levels = {80, 95};
  const auto fa = full->forecast(48, fourier_matrix(kTerms, 600, 48), levels);
  const auto fb = bounded->forecast(48, fourier_matrix(kTerms, 600, 48), levels);
  ASSERT_TRUE(fa && fb);
  for (std::size_t h = 0; h < 48; ++h) {
    EXPECT_NEAR(fb->mean[h], fa->mean[h], 1e-9) << h;
    EXPECT_NEAR(fb->std_err[h], fa->std_err[h], 1e-9) << h;
    EXPECT_NEAR(fb->upper[1][h], fa->upper[1][h], 1e-9) << h;
  }
}

TEST(SarimaxHistory, LimitZeroKeepsNothingAndStillForecasts) {
  const auto y = series(300, 3);
  auto model = Sarimax::fit(spec(), y, fourier_matrix(kTerms, 0, 300));
  ASSERT_TRUE(model.has_value()) << model.error().message;
  model->limit_history(0);
  const std::vector<double> more = {60.0, 61.0};
  ASSERT_TRUE(model->update(more, fourier_matrix(kTerms, 300, 2)));
  EXPECT_TRUE(model->result().fitted.empty());
  EXPECT_EQ(model->result().fitted.capacity(), 0u);
  EXPECT_EQ(model->result().history_start, 302);
  EXPECT_EQ(model->result().nobs, 302);
  const std::vector<double> levels = {95};
  EXPECT_TRUE(model->forecast(5, fourier_matrix(kTerms, 302, 5), levels));
}

TEST(SarimaxHistory, FilterFromTheStartReproducesTheFit) {
  const auto y = series(400, 11);
  auto model = Sarimax::fit(spec(), y, fourier_matrix(kTerms, 0, 400));
  ASSERT_TRUE(model.has_value()) << model.error().message;
  const SarimaxFit reference = model->result();
  model->limit_history(0);
  const auto again = model->filter(y, fourier_matrix(kTerms, 0, 400), 0);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  ASSERT_EQ(again->fitted.size(), reference.fitted.size());
  for (std::size_t t = 0; t < reference.fitted.size(); ++t) {
    EXPECT_NEAR(again->fitted[t], reference.fitted[t], 1e-9) << t;
    EXPECT_NEAR(again->standardized_residuals[t], reference.standardized_residuals[t], 1e-9) << t;
  }
  EXPECT_NEAR(again->loglik, reference.loglik, 1e-9 * std::abs(reference.loglik));
}

TEST(SarimaxHistory, FilterOfALaterStretchContinuesTheTrendAndRegressors) {
  // A stretch starting at time 250: after the AR(1) filter forgets its start (0.6^k), its one-step
  // predictions are the full model's at the same times. With the wrong time origin the drift
  // (0.02 per step, 5 units at t = 250) and the cycle's phase would move them far off.
  const auto y = series(400, 5);
  auto model = Sarimax::fit(spec(), y, fourier_matrix(kTerms, 0, 400));
  ASSERT_TRUE(model.has_value()) << model.error().message;
  const SarimaxFit reference = model->result();
  const std::span<const double> later = std::span<const double>(y).subspan(250);
  const auto stretch = model->filter(later, fourier_matrix(kTerms, 250, 150), 250);
  ASSERT_TRUE(stretch.has_value()) << stretch.error().message;
  ASSERT_EQ(stretch->fitted.size(), 150u);
  for (std::size_t i = 60; i < 150; ++i)
    EXPECT_NEAR(stretch->fitted[i], reference.fitted[250 + i], 1e-9) << i;
  const auto shifted = model->filter(later, fourier_matrix(kTerms, 0, 150), 0);
  ASSERT_TRUE(shifted.has_value());
  double off = 0.0;
  for (std::size_t i = 60; i < 150; ++i)
    off += std::abs(shifted->fitted[i] - reference.fitted[250 + i]) / 90.0;
  EXPECT_GT(off, 1.0);
  EXPECT_FALSE(model->filter(later, fourier_matrix(kTerms, 250, 149), 250).has_value());
}

TEST(SarimaxHistory, FromParamsAtALaterTimeForecastsAsTheContinuedModel) {
  // What a restored model (rules' --storage.path) does: rebuild from the stored parameters on a later
  // stretch with its time origin. Once the AR(1) filter has forgotten its start, forecasts match the
  // model that saw every point (1e-9); with time 0 instead, the drift and the cycle's phase are off.
  const auto y = series(400, 9);
  const std::span<const double> all(y);
  auto model = Sarimax::fit(spec(), all.first(300), fourier_matrix(kTerms, 0, 300));
  ASSERT_TRUE(model.has_value()) << model.error().message;
  const std::vector<double> params = model->result().params;
  ASSERT_TRUE(model->update(all.subspan(300), fourier_matrix(kTerms, 300, 100)));
  const std::vector<double> levels = {95};
  const auto reference = model->forecast(12, fourier_matrix(kTerms, 400, 12), levels);
  ASSERT_TRUE(reference.has_value()) << reference.error().message;

  auto restored =
      Sarimax::from_params(spec(), all.subspan(200), fourier_matrix(kTerms, 200, 200), params, 200);
  ASSERT_TRUE(restored.has_value()) << restored.error().message;
  const auto again = restored->forecast(12, fourier_matrix(kTerms, 400, 12), levels);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  for (std::size_t h = 0; h < 12; ++h) {
    EXPECT_NEAR(again->mean[h], reference->mean[h], 1e-9 * std::abs(reference->mean[h])) << h;
    EXPECT_NEAR(again->std_err[h], reference->std_err[h], 1e-9 * reference->std_err[h]) << h;
  }
  auto at_zero = Sarimax::from_params(spec(), all.subspan(200), fourier_matrix(kTerms, 0, 200), params);
  ASSERT_TRUE(at_zero.has_value());
  const auto off = at_zero->forecast(12, fourier_matrix(kTerms, 200, 12), levels);
  ASSERT_TRUE(off.has_value());
  EXPECT_GT(std::abs(off->mean[0] - reference->mean[0]), 1.0);  // 200 steps of drift: 4 units
}

}  // namespace
}  // namespace promcast::forecaster
