#pragma once
// A bounded cache of mapping results keyed by (statsd name, metric type), sized like
// `--statsd.cache-size` with `--statsd.cache-type` lru or random eviction.
// NOT thread-safe by design: the exporter gives each reader thread its own cache so the
// hot path takes no lock. A cache belongs to one Mapper; on reload build new caches.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "mappings/config.h"

namespace promcast::mappings {

class Mapper;
struct MapResult;

class MapperCache {
 public:
  enum class Kind : uint8_t { Lru, Random };

  /// `capacity` 0 disables caching (every get() maps again). `mapper` must outlive the cache.
  MapperCache(const Mapper& mapper, Kind kind, size_t capacity);
  ~MapperCache();
  MapperCache(const MapperCache&) = delete;
  MapperCache& operator=(const MapperCache&) = delete;
  MapperCache(MapperCache&&) noexcept;
  MapperCache& operator=(MapperCache&&) noexcept;

  /// The mapping result for this name and type, mapped on a miss. The reference stays
  /// valid until the next call on this cache.
  const MapResult& get(std::string_view name, MetricType type);

  [[nodiscard]] size_t size() const;
  [[nodiscard]] size_t capacity() const;
  [[nodiscard]] uint64_t hits() const;
  [[nodiscard]] uint64_t misses() const;
  /// "lru" / "random" -> Kind; anything else nullopt (flag validation).
  static std::optional<Kind> kind_from_string(std::string_view text);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace promcast::mappings
