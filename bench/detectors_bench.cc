// Detector benchmarks on 10,000 and 100,000 points of a seasonal series with noise and a few spikes.
// Targets (issue 4): S-H-ESD on 10,000 points < 20 ms; an Isolation Forest of 100 trees scoring 10,000
// points < 50 ms.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "forecaster/detector_factory.h"
#include "forecaster/esd.h"
#include "forecaster/isolation_forest.h"
#include "forecaster/shesd.h"
#include "forecaster/stl.h"
#include "forecaster/zscore.h"

namespace fc = promcast::forecaster;

namespace {

constexpr int kPeriod = 288;  // a day of 5-minute points

std::vector<double> series(std::size_t n) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0.0, 2.0);
  std::vector<double> y(n);
  for (std::size_t i = 0; i < n; ++i)
    y[i] = 100 + 20 * std::sin(2 * M_PI * static_cast<double>(i % kPeriod) / kPeriod) + noise(rng);
  for (std::size_t i = 997; i < n; i += 1931) y[i] += 40;
  return y;
}

void BM_Stl(benchmark::State& state) {
  const auto y = series(static_cast<std::size_t>(state.range(0)));
  fc::StlOptions o;
  o.period = kPeriod;
  o.robust = true;
  for (auto _ : state) benchmark::DoNotOptimize(fc::stl(y, o));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_Esd(benchmark::State& state) {
  const auto y = series(static_cast<std::size_t>(state.range(0)));
  fc::EsdOptions o;
  o.max_fraction = 0.02;
  for (auto _ : state) benchmark::DoNotOptimize(fc::esd_detect(y, o));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_Shesd(benchmark::State& state) {
  const auto y = series(static_cast<std::size_t>(state.range(0)));
  fc::ShesdOptions o;
  o.period = kPeriod;
  o.max_anoms = 0.02;
  o.direction = fc::Direction::kBoth;
  for (auto _ : state) benchmark::DoNotOptimize(fc::shesd_detect(y, o));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_Zscore(benchmark::State& state) {
  const auto y = series(static_cast<std::size_t>(state.range(0)));
  fc::ZscoreOptions o;
  o.window = 2000;
  o.robust = state.range(1) != 0;
  for (auto _ : state) benchmark::DoNotOptimize(fc::zscore_detect(y, o));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// Scoring only: the forest of 100 trees (subsample 256) is built once, outside the timed loop.
void BM_IforestScore(benchmark::State& state) {
  const auto y = series(static_cast<std::size_t>(state.range(0)));
  Eigen::MatrixXd data(static_cast<Eigen::Index>(y.size()), 1);
  for (std::size_t i = 0; i < y.size(); ++i) data(static_cast<Eigen::Index>(i), 0) = y[i];
  fc::IsolationForestOptions o;
  o.trees = 100;
  o.contamination = 0.0;
  auto forest = fc::IsolationForest::fit(data, o);
  for (auto _ : state) benchmark::DoNotOptimize(forest->score_rows(data));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// Fit (with the contamination threshold, which scores every training row) plus judging every point.
void BM_IforestDetect(benchmark::State& state) {
  const auto y = series(static_cast<std::size_t>(state.range(0)));
  fc::IsolationForestOptions o;
  fc::IforestFeatures f;
  f.difference = true;
  for (auto _ : state) benchmark::DoNotOptimize(fc::iforest_detect(y, o, f));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_ResidualDetect(benchmark::State& state) {
  const auto y = series(static_cast<std::size_t>(state.range(0)));
  fc::ResidualOptions o;
  o.spec.order.p = 2;
  o.spec.order.q = 1;
  o.spec.trend = fc::Trend::kConstant;
  for (auto _ : state) benchmark::DoNotOptimize(fc::residual_detect(y, o));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// The NAB configuration promcast_zscore_likelihood: streaming z-score (window 1000), Numenta's anomaly
// likelihood over its scores and the new-range rule.
void BM_ZscoreLikelihoodOnline(benchmark::State& state) {
  const auto y = series(static_cast<std::size_t>(state.range(0)));
  fc::DetectorConfig c;
  c.method = fc::Method::kZscore;
  c.zscore.window = 1000;
  fc::OnlineOptions o;
  o.likelihood.emplace();
  o.range_tolerance = 0.1;
  for (auto _ : state) benchmark::DoNotOptimize(fc::detect_online(c, y, o));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

}  // namespace

BENCHMARK(BM_Stl)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Esd)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Shesd)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Zscore)
    ->Args({10'000, 0})
    ->Args({100'000, 0})
    ->Args({10'000, 1})
    ->Args({100'000, 1})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IforestScore)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IforestDetect)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ResidualDetect)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ZscoreLikelihoodOnline)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
