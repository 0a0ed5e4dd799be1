// /metrics rendering cost: the whole store in text format 0.0.4 for 100k and 1M counter series with 4
// labels (one family, like the drift scenario, and spread over 1000 families), the first scrape after all
// series were created (it sorts them), histograms, and gzip of the result.
#include <benchmark/benchmark.h>

#include <string>

#include "exporter/exposition.h"
#include "exporter/metric_store.h"

namespace promcast::exporter {
namespace {

using Clock = std::chrono::steady_clock;

void fill(MetricStore& store, size_t n, size_t families, MetricKind kind) {
  const auto now = Clock::now();
  std::vector<std::string> names;
  for (size_t f = 0; f < families; ++f) names.push_back("drift_metrics_" + std::to_string(f));
  for (size_t i = 0; i < n; ++i) {
    const std::string dataset = "dataset_" + std::to_string(i % 10);
    const std::string version = "v" + std::to_string(i / 10 % 10);
    const std::string column = "column_" + std::to_string(i / 100);
    const LabelPair pairs[] = {{"dataset_name", dataset},
                               {"dataset_version", version},
                               {"column_name", column},
                               {"metric_name", i % 2 == 0 ? "wasserstein" : "psi"}};
    SeriesUpdate u;
    u.name = names[i % families];
    u.kind = kind;
    u.value = static_cast<double>(i) * 0.37;
    u.labels = pairs;
    store.apply(u, now);
  }
}

void BM_Exposition(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const auto families = static_cast<size_t>(state.range(1));
  MetricStore store(MetricStore::Options{});
  fill(store, n, families, MetricKind::Counter);
  std::string out;
  write_text_exposition(store, out);  // the first scrape sorts; steady-state scrapes are measured
  for (auto _ : state) {
    out.clear();
    write_text_exposition(store, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_Exposition)
    ->Args({100000, 1})
    ->Args({100000, 1000})
    ->Args({1000000, 1})
    ->Args({1000000, 1000})
    ->Unit(benchmark::kMillisecond);

void BM_FirstExpositionAfterInserts(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    auto store = std::make_unique<MetricStore>(MetricStore::Options{});
    fill(*store, n, 1, MetricKind::Counter);
    std::string out;
    state.ResumeTiming();
    write_text_exposition(*store, out);
    benchmark::DoNotOptimize(out.data());
    state.PauseTiming();
    store.reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_FirstExpositionAfterInserts)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_ExpositionHistograms(benchmark::State& state) {
  MetricStore store(MetricStore::Options{});
  fill(store, static_cast<size_t>(state.range(0)), 1, MetricKind::Histogram);
  std::string out;
  for (auto _ : state) {
    out.clear();
    write_text_exposition(store, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_ExpositionHistograms)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_Gzip(benchmark::State& state) {
  MetricStore store(MetricStore::Options{});
  fill(store, static_cast<size_t>(state.range(0)), 1, MetricKind::Counter);
  std::string out;
  write_text_exposition(store, out);
  for (auto _ : state) benchmark::DoNotOptimize(gzip_compress(out, static_cast<int>(state.range(1))));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_Gzip)->Args({100000, -1})->Args({100000, 1})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace promcast::exporter
