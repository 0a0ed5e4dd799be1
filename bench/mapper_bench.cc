// Mapper benchmarks: the 4-capture drift glob and the equivalent regex, uncached and
// through the per-thread cache (default size 1000), over 1,000 and 10,000 distinct names.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "mappings/mapper.h"

namespace {

using promcast::mappings::Mapper;
using promcast::mappings::MapperCache;
using promcast::mappings::MappingConfig;
using promcast::mappings::MapResult;
using promcast::mappings::MetricType;

constexpr const char* kGlobYaml = R"y(mappings:
- match: "drift_metrics.*.*.*.*"
  name: drift_metrics
  labels:
    dataset_name: "$1"
    dataset_version: "$2"
    column_name: "$3"
    metric_name: "$4"
)y";

constexpr const char* kRegexYaml = R"y(mappings:
- match: '^drift_metrics\.([^.]*)\.([^.]*)\.([^.]*)\.([^.]*)$'
  match_type: regex
  name: drift_metrics
  labels:
    dataset_name: "$1"
    dataset_version: "$2"
    column_name: "$3"
    metric_name: "$4"
)y";

std::shared_ptr<const MappingConfig> load(const char* yaml) {
  auto parsed = MappingConfig::parse(yaml, "bench.yml");
  if (!parsed) std::abort();
  return std::make_shared<const MappingConfig>(std::move(*parsed));
}

std::vector<std::string> drift_names(size_t count) {
  std::vector<std::string> names;
  names.reserve(count);
  const char* metrics[] = {"wasserstein", "psi", "ks_statistic", "jensen_shannon"};
  for (size_t i = 0; i < count; ++i) {
    names.push_back("drift_metrics.dataset" + std::to_string(i % 7) + ".v" + std::to_string(i % 3) +
                    ".column-" + std::to_string(i / 4) + "." + metrics[i % 4]);
  }
  return names;
}

void run_uncached(benchmark::State& state, const char* yaml) {
  Mapper mapper(load(yaml));
  const auto names = drift_names(static_cast<size_t>(state.range(0)));
  MapResult result;
  size_t i = 0;
  for (auto _ : state) {
    mapper.map_into(names[i], MetricType::Gauge, result);
    benchmark::DoNotOptimize(result.name.data());
    if (++i == names.size()) i = 0;
  }
  if (!result.matched()) state.SkipWithError("did not match");
  state.SetItemsProcessed(state.iterations());
}

void run_cached(benchmark::State& state, const char* yaml, MapperCache::Kind kind) {
  Mapper mapper(load(yaml));
  MapperCache cache(mapper, kind, 1000);  // --statsd.cache-size default
  const auto names = drift_names(static_cast<size_t>(state.range(0)));
  size_t i = 0;
  const MapResult* result = nullptr;
  for (auto _ : state) {
    result = &cache.get(names[i], MetricType::Gauge);
    benchmark::DoNotOptimize(result);
    if (++i == names.size()) i = 0;
  }
  if (result == nullptr || !result->matched()) state.SkipWithError("did not match");
  state.counters["hit_ratio"] = static_cast<double>(cache.hits()) /
                                static_cast<double>(std::max<uint64_t>(1, cache.hits() + cache.misses()));
  state.SetItemsProcessed(state.iterations());
}

void BM_GlobUncached(benchmark::State& state) { run_uncached(state, kGlobYaml); }
void BM_RegexUncached(benchmark::State& state) { run_uncached(state, kRegexYaml); }
void BM_GlobCachedLru(benchmark::State& state) { run_cached(state, kGlobYaml, MapperCache::Kind::Lru); }
void BM_GlobCachedRandom(benchmark::State& state) { run_cached(state, kGlobYaml, MapperCache::Kind::Random); }
void BM_RegexCachedLru(benchmark::State& state) { run_cached(state, kRegexYaml, MapperCache::Kind::Lru); }

void BM_Unmatched(benchmark::State& state) {
  Mapper mapper(load(kGlobYaml));
  const std::string name = "app.web-server.requests.total";
  MapResult result;
  for (auto _ : state) {
    mapper.map_into(name, MetricType::Counter, result);
    benchmark::DoNotOptimize(result.name.data());
  }
  state.SetItemsProcessed(state.iterations());
}

// Many rules: 1,000 globs `service<i>.*.*` (shared state machine) vs 100 equivalent
// regexes tried in file order; names hit rules spread over the file.
std::string many_rules_yaml(size_t count, bool regex) {
  std::string yaml = "mappings:\n";
  for (size_t i = 0; i < count; ++i) {
    const std::string n = std::to_string(i);
    if (regex) {
      yaml += "- match: '^service" + n + "\\.([^.]*)\\.([^.]*)$'\n  match_type: regex\n";
    } else {
      yaml += "- match: \"service" + n + ".*.*\"\n";
    }
    yaml += "  name: service_" + n + "\n  labels:\n    op: \"$1\"\n    result: \"$2\"\n";
  }
  return yaml;
}

void run_many_rules(benchmark::State& state, bool regex) {
  const size_t rules = static_cast<size_t>(state.range(0));
  Mapper mapper(load(many_rules_yaml(rules, regex).c_str()));
  std::vector<std::string> names;
  for (size_t i = 0; i < 1000; ++i) {
    names.push_back("service" + std::to_string((i * 7919) % rules) + ".op" + std::to_string(i % 13) + ".ok");
  }
  MapResult result;
  size_t i = 0;
  for (auto _ : state) {
    mapper.map_into(names[i], MetricType::Counter, result);
    benchmark::DoNotOptimize(result.name.data());
    if (++i == names.size()) i = 0;
  }
  if (!result.matched()) state.SkipWithError("did not match");
  state.SetItemsProcessed(state.iterations());
}

void BM_ManyGlobRulesUncached(benchmark::State& state) { run_many_rules(state, false); }
void BM_ManyRegexRulesUncached(benchmark::State& state) { run_many_rules(state, true); }

BENCHMARK(BM_ManyGlobRulesUncached)->Arg(1000);
BENCHMARK(BM_ManyRegexRulesUncached)->Arg(100);
BENCHMARK(BM_GlobUncached)->Arg(1000)->Arg(10000);
BENCHMARK(BM_RegexUncached)->Arg(1000)->Arg(10000);
BENCHMARK(BM_GlobCachedLru)->Arg(1000)->Arg(10000);
BENCHMARK(BM_GlobCachedRandom)->Arg(1000)->Arg(10000);
BENCHMARK(BM_RegexCachedLru)->Arg(1000)->Arg(10000);
BENCHMARK(BM_Unmatched);

}  // namespace
