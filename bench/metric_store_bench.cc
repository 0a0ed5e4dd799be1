// Metric store update cost: existing counter/gauge/histogram/summary series, new-series inserts, several
// threads updating a shared store, and resident bytes per series (RSS delta over 1M counters, 4 labels).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "exporter/exposition.h"
#include "exporter/metric_store.h"

namespace promcast::exporter {
namespace {

using Clock = std::chrono::steady_clock;

// Label values for series i: like the drift_metrics scenario (dataset, version, column, metric).
struct LabelSet {
  std::string dataset, version, column, metric;
  explicit LabelSet(size_t i)
      : dataset("dataset_" + std::to_string(i % 10)),
        version("v" + std::to_string(i / 10 % 10)),
        column("column_" + std::to_string(i / 100)),
        metric(i % 2 == 0 ? "wasserstein" : "psi") {}
  std::array<LabelPair, 4> pairs() const {
    return {LabelPair{"metric_name", metric}, LabelPair{"dataset_name", dataset},
            LabelPair{"column_name", column}, LabelPair{"dataset_version", version}};
  }
};

std::vector<LabelSet> label_sets(size_t n) {
  std::vector<LabelSet> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.emplace_back(i);
  return out;
}

void update_existing(benchmark::State& state, MetricKind kind) {
  static MetricStore* store = nullptr;
  static std::vector<LabelSet>* sets = nullptr;
  constexpr size_t kSeries = 10000;
  if (state.thread_index() == 0) {
    store = new MetricStore(MetricStore::Options{});
    sets = new std::vector<LabelSet>(label_sets(kSeries));
  }
  // Google Benchmark starts all threads' loops together, after thread 0's setup above.
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  const auto now = Clock::now();
  for (auto _ : state) {
    const auto pairs = (*sets)[i % kSeries].pairs();
    SeriesUpdate u;
    u.name = "drift_metrics";
    u.kind = kind;
    u.value = static_cast<double>(i % 100) * 0.01;
    u.labels = pairs;
    benchmark::DoNotOptimize(store->apply(u, now));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    delete store;
    delete sets;
  }
}

void BM_UpdateCounter(benchmark::State& s) { update_existing(s, MetricKind::Counter); }
void BM_UpdateGauge(benchmark::State& s) { update_existing(s, MetricKind::Gauge); }
void BM_UpdateHistogram(benchmark::State& s) { update_existing(s, MetricKind::Histogram); }
void BM_UpdateSummary(benchmark::State& s) { update_existing(s, MetricKind::Summary); }
BENCHMARK(BM_UpdateCounter)->Threads(1)->Threads(2)->Threads(4)->UseRealTime();
BENCHMARK(BM_UpdateGauge);
BENCHMARK(BM_UpdateHistogram)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_UpdateSummary);

void BM_InsertNewSeries(benchmark::State& state) {
  constexpr size_t kBatch = 100000;
  const auto sets = label_sets(kBatch);
  const auto now = Clock::now();
  for (auto _ : state) {
    state.PauseTiming();
    auto store = std::make_unique<MetricStore>(MetricStore::Options{});
    state.ResumeTiming();
    for (size_t i = 0; i < kBatch; ++i) {
      const auto pairs = sets[i].pairs();
      SeriesUpdate u;
      u.name = "drift_metrics";
      u.kind = MetricKind::Gauge;
      u.value = 1;
      u.labels = pairs;
      benchmark::DoNotOptimize(store->apply(u, now));
    }
    state.PauseTiming();
    store.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_InsertNewSeries)->Unit(benchmark::kMillisecond);

size_t resident_bytes() {
  long pages = 0;
  long resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Resident memory per counter series with 4 labels (values 2-11 bytes, as in the drift scenario). The
// label strings of the update are built per series and freed, so only the store's growth counts; one
// exposition runs before measuring so that its per-family sorted index is included.
void BM_BytesPerSeries(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const auto now = Clock::now();
  for (auto _ : state) {
    const size_t before = resident_bytes();
    MetricStore store(MetricStore::Options{});
    for (size_t i = 0; i < n; ++i) {
      const LabelSet set(i);
      const auto pairs = set.pairs();
      SeriesUpdate u;
      u.name = "drift_metrics";
      u.kind = MetricKind::Counter;
      u.value = 1;
      u.labels = pairs;
      store.apply(u, now);
    }
    {
      // Count the exposition's per-family sorted index too (the text itself is freed afterwards).
      std::string text;
      write_text_exposition(store, text);
      benchmark::DoNotOptimize(text.data());
    }
    const size_t after = resident_bytes();
    state.counters["bytes_per_series"] = static_cast<double>(after - before) / static_cast<double>(n);
  }
}
BENCHMARK(BM_BytesPerSeries)->Arg(1000000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace promcast::exporter
