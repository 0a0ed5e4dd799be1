// Forecast models kept across a restart (--storage.path) at the evaluator: export -> encode -> decode ->
// restore into a fresh evaluator gives the fitted model's forecasts without fitting (on the same window
// to 1e-9 relative; on a later window too, because the Fourier phase and the drift continue from the
// stored origin, and a wrong origin moves them far off); a rule whose fit-relevant configuration changed
// gets nothing back; a refit already due at restore time fits.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numbers>
#include <random>

#include "rules/forecast_evaluator.h"
#include "rules/model_snapshot.h"

namespace promcast::rules {
namespace {

constexpr TimestampMs kHour = 3'600'000;
constexpr TimestampMs kNow = 20000 * kHour;

double noise(int series, TimestampMs t) {  // a pure function of (series, time): reads agree
  std::mt19937_64 rng(static_cast<std::uint64_t>(t) * 31 + static_cast<std::uint64_t>(series));
  return std::normal_distribution<double>(0.0, 10.0)(rng);
}

// Two series with a daily cycle (the second with a slow rise, for the drift), hourly points.
QueryFn source() {
  return [](const RangeQuery& q) -> std::expected<std::vector<Series>, Error> {
    std::vector<Series> out;
    for (int id : {1, 2}) {
      Series s;
      s.labels = {{"__name__", "kafka_rate"}, {"topic", "t" + std::to_string(id)}};
      for (TimestampMs t = q.start; t <= q.end; t += q.step.count()) {
        const double day = 2 * std::numbers::pi * static_cast<double>(t % (24 * kHour)) / (24.0 * kHour);
        const double rise = id == 2 ? 0.5 * static_cast<double>(t - 19000 * kHour) / kHour : 0.0;
        s.timestamps.push_back(t);
        s.values.push_back(1000.0 * id + 200.0 * std::sin(day) + rise + noise(id, t));
      }
      out.push_back(std::move(s));
    }
    return out;
  };
}

ForecastRule fourier_rule(std::optional<forecaster::Trend> trend = forecaster::Trend::kConstant) {
  ForecastRule r;
  r.common.name = "kafka_ingest_rate";
  r.common.expr = "kafka_rate";
  r.common.step = Duration{kHour};
  r.common.history = Duration{14 * 24 * kHour};
  r.refit = Duration{24 * kHour};
  r.horizons = {Duration{0}, Duration{kHour}, Duration{6 * kHour}, Duration{24 * kHour}};
  r.model.auto_order = false;
  r.model.p = 1;
  r.model.trend = trend;
  r.model.fourier = {{Duration{24 * kHour}, 2}};  // fixed harmonics: regressors with a phase
  r.intervals = {0.8, 0.95};
  return r;
}

// The automatic search with the Fourier harmonics left to it (auto_terms in the snapshot).
ForecastRule auto_rule() {
  ForecastRule r = fourier_rule(std::nullopt);
  r.model = ModelConfig{};
  r.model.fourier = {{Duration{24 * kHour}, 0}};
  return r;
}

std::map<std::string, double> by_series(const std::vector<OutputSample>& samples) {
  std::map<std::string, double> out;
  for (const auto& s : samples) out[s.name + labels_to_string(s.labels)] = s.value;
  return out;
}

// Every output of `a` in `b`, equal to `relative` of its magnitude; returns the largest difference.
double compare(const std::vector<OutputSample>& a, const std::vector<OutputSample>& b, double relative) {
  const auto x = by_series(a), y = by_series(b);
  EXPECT_EQ(x.size(), y.size());
  double worst = 0;
  for (const auto& [key, value] : x) {
    auto it = y.find(key);
    if (it == y.end()) {
      ADD_FAILURE() << key << " missing";
      continue;
    }
    EXPECT_NEAR(it->second, value, relative * std::abs(value)) << key;
    worst = std::max(worst, std::abs(it->second - value));
  }
  return worst;
}

// What the engine does across a restart: the file's bytes in between.
RuleModelSnapshot through_file(const RuleModelSnapshot& models) {
  auto decoded = decode_model_snapshot(encode_model_snapshot({models}), "test");
  EXPECT_TRUE(decoded) << decoded.error().message;
  return decoded && decoded->size() == 1 ? decoded->front() : RuleModelSnapshot{};
}

class ModelRestoreSameWindow : public ::testing::TestWithParam<ForecastRule (*)()> {};

TEST_P(ModelRestoreSameWindow, RestoredModelsForecastAsTheFittedOnesOnTheSameWindow) {
  const ForecastRule rule = GetParam()();
  EvalEnv env;
  auto fitted = make_forecast_evaluator(rule);
  auto first = fitted->evaluate(kNow, source(), env);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->fits, 2u);
  const RuleModelSnapshot stored = through_file(fitted->export_models());
  ASSERT_EQ(stored.models.size(), 2u);
  EXPECT_EQ(stored.fingerprint, forecast_model_fingerprint(rule));
  if (rule.model.auto_order) {  // the daily cycle as harmonics the search chose: their phase is stored too
    EXPECT_FALSE(stored.models[0].auto_terms.empty()) << stored.models[0].description;
  }

  auto restored = make_forecast_evaluator(rule);
  EXPECT_EQ(restored->restore_models(stored), 2u);
  auto again = restored->evaluate(kNow, source(), env);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->fits, 0u) << "a restore is not a fit";
  EXPECT_EQ(again->restored, 2u);
  EXPECT_EQ(again->restore_failures, 0u);
  compare(first->samples, again->samples, 1e-9);
  ASSERT_EQ(again->series.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(again->series[i].model, first->series[i].model);
    EXPECT_EQ(again->series[i].last_fit, kNow) << "the stored fit time, not the restore's";
  }
  // and its export is the stored models again (the next write keeps them)
  const RuleModelSnapshot exported = restored->export_models();
  ASSERT_EQ(exported.models.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(exported.models[i].params, stored.models[i].params);
    EXPECT_EQ(exported.models[i].origin_ms, stored.models[i].origin_ms);
  }
}

ForecastRule fixed_fourier() { return fourier_rule(); }
ForecastRule fixed_fourier_drift() { return fourier_rule(forecaster::Trend::kConstantLinear); }

std::string rule_name(const ::testing::TestParamInfo<ForecastRule (*)()>& info) {
  const char* names[] = {"FixedFourier", "FixedFourierDrift", "AutoSearch"};
  return names[info.index];
}

INSTANTIATE_TEST_SUITE_P(Rules, ModelRestoreSameWindow,
                         ::testing::Values(&fixed_fourier, &fixed_fourier_drift, &auto_rule), rule_name);

// After a restart the window has moved on: the restored model starts `first` steps after its origin.
// The model that kept running absorbed those points through its filter; the restored one re-filters
// the window from its start (AR(1): the start is forgotten as 0.x^300). With the time axis continued
// they agree to 1e-9; with the origin one step off, the daily cycle's phase is 15 degrees wrong.
TEST(ModelRestore, ALaterWindowContinuesTheFourierPhaseAndTheDrift) {
  for (const auto trend : {forecaster::Trend::kConstant, forecaster::Trend::kConstantLinear}) {
    const ForecastRule rule = fourier_rule(trend);
    EvalEnv env;
    auto running = make_forecast_evaluator(rule);
    ASSERT_TRUE(running->evaluate(kNow, source(), env));
    const RuleModelSnapshot stored = through_file(running->export_models());
    const TimestampMs later = kNow + 5 * kHour;
    auto kept = running->evaluate(later, source(), env);
    ASSERT_TRUE(kept);
    ASSERT_EQ(kept->fits, 0u) << "the refit is a day away";

    auto restored = make_forecast_evaluator(rule);
    ASSERT_EQ(restored->restore_models(stored), 2u);
    auto resumed = restored->evaluate(later, source(), env);
    ASSERT_TRUE(resumed) << resumed.error().message;
    EXPECT_EQ(resumed->fits, 0u);
    EXPECT_EQ(resumed->restored, 2u);
    compare(kept->samples, resumed->samples, 1e-9);

    RuleModelSnapshot shifted = stored;
    for (auto& m : shifted.models) m.origin_ms += kHour;
    auto wrong = make_forecast_evaluator(rule);
    ASSERT_EQ(wrong->restore_models(shifted), 2u);
    auto off = wrong->evaluate(later, source(), env);
    ASSERT_TRUE(off);
    const auto x = by_series(kept->samples), y = by_series(off->samples);
    double worst = 0;
    for (const auto& [key, value] : x) worst = std::max(worst, std::abs(y.at(key) - value));
    EXPECT_GT(worst, 20.0) << "the phase must matter, or this test proves nothing";
  }
}

TEST(ModelRestore, OnlyAnEqualFitFingerprintGetsTheModels) {
  EvalEnv env;
  auto fitted = make_forecast_evaluator(fourier_rule());
  ASSERT_TRUE(fitted->evaluate(kNow, source(), env));
  const RuleModelSnapshot stored = through_file(fitted->export_models());

  // what the fit depends on: each change gets no models and fits every series
  std::vector<ForecastRule> changed(5, fourier_rule());
  changed[0].common.expr = "rate(kafka_rate[5m])";
  changed[1].common.history = Duration{7 * 24 * kHour};
  changed[2].model.p = 2;
  changed[3].model.fourier[0].harmonics = 3;
  changed[4].common.source = "other";
  for (const auto& rule : changed) {
    auto ev = make_forecast_evaluator(rule);
    EXPECT_NE(ev->model_fingerprint(), stored.fingerprint);
    EXPECT_EQ(ev->restore_models(stored), 0u);
    auto r = ev->evaluate(kNow, source(), env);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->fits, 2u);
    EXPECT_EQ(r->restored, 0u);
  }
  // what it does not depend on: name, labels, horizons, intervals, refit
  ForecastRule renamed = fourier_rule();
  renamed.common.name = "orders_forecast";
  renamed.common.labels = {{"team", "data"}};
  renamed.horizons = {Duration{2 * kHour}};
  renamed.intervals = {0.9};
  renamed.refit = Duration{48 * kHour};
  auto ev = make_forecast_evaluator(renamed);
  EXPECT_EQ(ev->restore_models(stored), 2u);
  auto r = ev->evaluate(kNow + kHour, source(), env);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->fits, 0u);
  EXPECT_EQ(r->restored, 2u);
}

TEST(ModelRestore, ARefitDueAtRestoreTimeFitsInstead) {
  EvalEnv env;
  auto fitted = make_forecast_evaluator(fourier_rule());
  ASSERT_TRUE(fitted->evaluate(kNow, source(), env));
  const RuleModelSnapshot stored = through_file(fitted->export_models());
  auto ev = make_forecast_evaluator(fourier_rule());
  ASSERT_EQ(ev->restore_models(stored), 2u);
  auto r = ev->evaluate(kNow + 24 * kHour, source(), env);  // fitted_at + refit
  ASSERT_TRUE(r);
  EXPECT_EQ(r->fits, 2u);
  EXPECT_EQ(r->restored, 0u);
  EXPECT_EQ(r->series[0].last_fit, kNow + 24 * kHour);
}

TEST(ModelRestore, AModelThatCannotBeRebuiltIsFitted) {
  EvalEnv env;
  auto fitted = make_forecast_evaluator(fourier_rule());
  ASSERT_TRUE(fitted->evaluate(kNow, source(), env));
  RuleModelSnapshot stored = through_file(fitted->export_models());
  stored.models[0].params[stored.models[0].spec.k_params() - 2] = 1.5;  // ar.L1: not stationary
  stored.models[1].origin_ms += kHour / 2;                              // off the rule's grid
  auto ev = make_forecast_evaluator(fourier_rule());
  ASSERT_EQ(ev->restore_models(stored), 2u);
  auto r = ev->evaluate(kNow, source(), env);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->restored, 0u);
  EXPECT_EQ(r->restore_failures, 2u);
  EXPECT_EQ(r->fits, 2u);
}

}  // namespace
}  // namespace promcast::rules
