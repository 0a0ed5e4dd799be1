// libFuzzer target: any bytes as a mapping file. Whatever parses is compiled and used to
// map names derived from the input and from its own globs, through both cache kinds.
// Nothing may crash, hang or allocate without bound.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mappings/mapper.h"

using promcast::mappings::Mapper;
using promcast::mappings::MapperCache;
using promcast::mappings::MappingConfig;
using promcast::mappings::MetricType;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = MappingConfig::parse(input, "fuzz.yml");
  if (!parsed) {
    for (const auto& error : parsed.error()) (void)error.to_string();
    return 0;
  }
  auto config = std::make_shared<const MappingConfig>(std::move(*parsed));
  Mapper mapper(config);
  MapperCache lru(mapper, MapperCache::Kind::Lru, 4);
  MapperCache random(mapper, MapperCache::Kind::Random, 3);

  auto probe = [&](std::string_view name) {
    for (MetricType type : {MetricType::Counter, MetricType::Gauge, MetricType::Observer}) {
      const auto direct = mapper.map(name, type);
      const auto& cached = lru.get(name, type);
      if (cached.name != direct.name || cached.mapping != direct.mapping || cached.labels != direct.labels) {
        __builtin_trap();  // the cache must never change a result
      }
      (void)random.get(name, type);
    }
  };

  // Every line of the input is a candidate statsd name.
  size_t start = 0;
  int lines = 0;
  while (start <= input.size() && lines < 64) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    probe(input.substr(start, end - start));
    start = end + 1;
    ++lines;
  }
  // And each glob with its wildcards filled in, so the state machine's matching paths run.
  for (const auto& m : config->mappings) {
    std::string name = m.match;
    for (char& c : name) {
      if (c == '*') c = 'x';
    }
    probe(name);
    probe(name + ".tail");
  }
  return 0;
}
