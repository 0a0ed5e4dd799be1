// The hot path does not allocate: after warm-up, mapping into a reused result, cache hits,
// and cache misses that recycle an evicted entry make no heap allocation. This binary
// replaces the global operator new to count.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "mappings/mapper.h"

namespace {
thread_local long g_allocations = 0;
}

void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace promcast::mappings {
namespace {

std::shared_ptr<const MappingConfig> config() {
  auto parsed = MappingConfig::parse(R"y(mappings:
- match: "drift_metrics.*.*.*.*"
  name: drift_metrics
  labels:
    dataset_name: "$1"
    dataset_version: "$2"
    column_name: "$3"
    metric_name: "$4"
- match: 'regex_metrics\.([^.]*)\.([^.]*)'
  match_type: regex
  name: regex_metrics
  labels:
    first_label: "$1"
    second_label: "$2"
)y",
                                     "alloc.yml");
  EXPECT_TRUE(parsed.has_value());
  return std::make_shared<const MappingConfig>(std::move(*parsed));
}

std::vector<std::string> names(size_t count, const char* prefix) {
  std::vector<std::string> out;
  for (size_t i = 0; i < count; ++i) {
    out.push_back(std::string(prefix) + ".dataset" + std::to_string(i % 5) + ".v1.column_" +
                  std::to_string(i) + ".wasserstein");
  }
  return out;
}

TEST(Allocations, MapIntoReusedResultDoesNotAllocate) {
  Mapper mapper(config());
  const auto globbed = names(100, "drift_metrics");
  std::vector<std::string> regexed;
  for (size_t i = 0; i < 100; ++i)
    regexed.push_back("regex_metrics.service" + std::to_string(i) + ".operation");
  MapResult result;
  for (const auto& n : globbed) mapper.map_into(n, MetricType::Gauge, result);  // warm-up grows the strings
  for (const auto& n : regexed) mapper.map_into(n, MetricType::Gauge, result);
  for (const auto& n : globbed) mapper.map_into(n, MetricType::Gauge, result);
  const long before = g_allocations;
  for (const auto& n : globbed) mapper.map_into(n, MetricType::Gauge, result);
  EXPECT_EQ(g_allocations - before, 0) << "glob";
  EXPECT_EQ(result.labels.size(), 4u);
  mapper.map_into(regexed[0], MetricType::Gauge, result);  // shrinks labels 4 -> 2 (frees, no allocation)
  const long regex_before = g_allocations;
  for (const auto& n : regexed) mapper.map_into(n, MetricType::Gauge, result);
  EXPECT_EQ(g_allocations - regex_before, 0) << "regex";
  EXPECT_EQ(result.labels[0].second, "service99");
  // The counter does see allocations: a fresh result needs its strings.
  const long fresh_before = g_allocations;
  MapResult fresh = mapper.map(globbed[0], MetricType::Gauge);
  EXPECT_GT(g_allocations - fresh_before, 0);
}

TEST(Allocations, CacheHitsAndRecycledMissesDoNotAllocate) {
  Mapper mapper(config());
  for (auto kind : {MapperCache::Kind::Lru, MapperCache::Kind::Random}) {
    MapperCache cache(mapper, kind, 100);
    const auto hot = names(100, "drift_metrics");
    const auto churn = names(1000, "drift_metrics");
    for (int round = 0; round < 3; ++round) {
      for (const auto& n : churn) cache.get(n, MetricType::Gauge);  // fill every entry's strings
    }
    for (const auto& n : hot) cache.get(n, MetricType::Gauge);
    const long before = g_allocations;
    for (int round = 0; round < 10; ++round) {
      for (const auto& n : hot) cache.get(n, MetricType::Gauge);
    }
    EXPECT_EQ(g_allocations - before, 0) << "hits";
    const long miss_before = g_allocations;
    for (const auto& n : churn) cache.get(n, MetricType::Gauge);  // misses reuse evicted entries
    EXPECT_EQ(g_allocations - miss_before, 0) << "recycled misses";
  }
}

}  // namespace
}  // namespace promcast::mappings
