// The per-thread mapping result cache: correct results, LRU eviction order, the random
// cache's size bound, per-type keys, and a long random run against a reference LRU.
#include <gtest/gtest.h>

#include <list>
#include <random>
#include <unordered_map>

#include "mappings/mapper.h"

namespace promcast::mappings {
namespace {

std::shared_ptr<const MappingConfig> config() {
  auto parsed = MappingConfig::parse(R"y(mappings:
- match: "app.*.*"
  name: "app_$1"
  labels:
    what: "$2"
- match: "typed.*"
  match_metric_type: gauge
  name: "gauge_$1"
)y",
                                     "cache.yml");
  EXPECT_TRUE(parsed.has_value());
  return std::make_shared<const MappingConfig>(std::move(*parsed));
}

void expect_same(const MapResult& got, const MapResult& want) {
  EXPECT_EQ(got.mapping, want.mapping);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.labels, want.labels);
}

TEST(MapperCache, ResultsEqualTheMapper) {
  Mapper mapper(config());
  for (auto kind : {MapperCache::Kind::Lru, MapperCache::Kind::Random}) {
    MapperCache cache(mapper, kind, 4);
    for (int round = 0; round < 3; ++round) {
      for (const char* name :
           {"app.web.hits", "app.db.errors", "other.metric", "typed.x", "app.a.b", "app.c.d"}) {
        for (MetricType type : {MetricType::Counter, MetricType::Gauge}) {
          expect_same(cache.get(name, type), mapper.map(name, type));
        }
      }
    }
    EXPECT_LE(cache.size(), 4u);
  }
}

TEST(MapperCache, KeysIncludeTheMetricType) {
  Mapper mapper(config());
  MapperCache cache(mapper, MapperCache::Kind::Lru, 10);
  EXPECT_EQ(cache.get("typed.a", MetricType::Gauge).name, "gauge_a");
  EXPECT_EQ(cache.get("typed.a", MetricType::Counter).name, "typed_a");  // not the gauge's entry
  EXPECT_EQ(cache.get("typed.a", MetricType::Gauge).name, "gauge_a");
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 2u);
}

TEST(MapperCache, LruEvictsTheLeastRecentlyUsed) {
  Mapper mapper(config());
  MapperCache cache(mapper, MapperCache::Kind::Lru, 2);
  cache.get("app.a.x", MetricType::Counter);  // miss
  cache.get("app.b.x", MetricType::Counter);  // miss
  cache.get("app.a.x", MetricType::Counter);  // hit: a is now the most recent
  cache.get("app.c.x", MetricType::Counter);  // miss: evicts b
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 3u);
  cache.get("app.a.x", MetricType::Counter);  // still there
  EXPECT_EQ(cache.hits(), 2u);
  cache.get("app.b.x", MetricType::Counter);  // gone: miss, evicts c
  EXPECT_EQ(cache.misses(), 4u);
  cache.get("app.c.x", MetricType::Counter);
  EXPECT_EQ(cache.misses(), 5u);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(MapperCache, RandomStaysWithinCapacityAndKeepsHitting) {
  Mapper mapper(config());
  MapperCache cache(mapper, MapperCache::Kind::Random, 100);
  for (int i = 0; i < 10000; ++i) {
    const std::string name = "app.n" + std::to_string(i % 150) + ".x";
    const MapResult& r = cache.get(name, MetricType::Counter);
    ASSERT_EQ(r.name, "app_n" + std::to_string(i % 150));
    ASSERT_LE(cache.size(), 100u);
  }
  EXPECT_EQ(cache.size(), 100u);
  EXPECT_EQ(cache.hits() + cache.misses(), 10000u);
  // With 100 of 150 names resident, a fair share of lookups hit.
  EXPECT_GT(cache.hits(), 3000u);
  EXPECT_LT(cache.hits(), 9000u);
}

TEST(MapperCache, ZeroCapacityDisablesCaching) {
  Mapper mapper(config());
  MapperCache cache(mapper, MapperCache::Kind::Lru, 0);
  EXPECT_EQ(cache.get("app.a.b", MetricType::Counter).name, "app_a");
  EXPECT_EQ(cache.get("app.a.b", MetricType::Counter).name, "app_a");
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.misses(), 2u);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(MapperCache, LruAgreesWithAReferenceModel) {
  Mapper mapper(config());
  constexpr size_t kCapacity = 37;
  MapperCache cache(mapper, MapperCache::Kind::Lru, kCapacity);
  std::list<std::string> order;  // front = most recent
  std::unordered_map<std::string, std::list<std::string>::iterator> where;
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> pick(0, 80);
  uint64_t hits = 0;
  for (int i = 0; i < 50000; ++i) {
    const int n = pick(rng);
    const MetricType type = n % 3 == 0 ? MetricType::Gauge : MetricType::Counter;
    const std::string name = "app.k" + std::to_string(n) + ".v";
    const std::string key = std::to_string(static_cast<int>(type)) + name;
    if (auto it = where.find(key); it != where.end()) {
      ++hits;
      order.erase(it->second);
    } else if (order.size() == kCapacity) {
      where.erase(order.back());
      order.pop_back();
    }
    order.push_front(key);
    where[key] = order.begin();
    const MapResult& r = cache.get(name, type);
    ASSERT_EQ(r.name, "app_k" + std::to_string(n));
    ASSERT_EQ(cache.hits(), hits) << "step " << i;
  }
}

TEST(MapperCache, KindFromFlag) {
  EXPECT_EQ(MapperCache::kind_from_string("lru"), MapperCache::Kind::Lru);
  EXPECT_EQ(MapperCache::kind_from_string("random"), MapperCache::Kind::Random);
  EXPECT_FALSE(MapperCache::kind_from_string("LRU").has_value());
}

}  // namespace
}  // namespace promcast::mappings
