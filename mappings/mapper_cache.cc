// An open-addressing table over a fixed array of entries. Entries are recycled on
// eviction, so in the steady state a miss reuses the evicted entry's string capacity and a
// hit touches one probe sequence and (for LRU) two list links: no allocation either way.
#include <cstring>
#include <limits>

#include "mappings/mapper.h"

namespace promcast::mappings {
namespace {

constexpr uint32_t kEmpty = std::numeric_limits<uint32_t>::max();

uint64_t fold_multiply(uint64_t a, uint64_t b) {
  __extension__ using U128 = unsigned __int128;  // GCC/Clang builtin; fine on our targets
  const U128 product = static_cast<U128>(a) * b;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

// A small wyhash-style hash; names are short, so the 8-byte loop dominates.
uint64_t hash_key(std::string_view s, MetricType type) {
  constexpr uint64_t kP0 = 0xa0761d6478bd642fULL;
  constexpr uint64_t kP1 = 0xe7037ed1a0b428dbULL;
  uint64_t h = fold_multiply(s.size() ^ kP0, static_cast<uint64_t>(type) + kP1);
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = fold_multiply(h ^ v, kP1);
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t v = 0;
    std::memcpy(&v, p, n);
    h = fold_multiply(h ^ v ^ (uint64_t{n} << 56), kP0);
  }
  return fold_multiply(h, kP0 ^ kP1);
}

}  // namespace

struct MapperCache::Impl {
  struct Entry {
    uint64_t hash = 0;
    std::string key;
    MetricType type = MetricType::Counter;
    MapResult result;
    uint32_t prev = kEmpty;  // LRU list: towards the most recent
    uint32_t next = kEmpty;  // towards the least recent
  };

  Impl(const Mapper& m, Kind k, size_t cap) : mapper(m), kind(k), capacity(cap) {
    if (capacity == 0) return;
    entries.resize(capacity);
    size_t slots = 16;
    while (slots < capacity * 2) slots *= 2;
    table.assign(slots, kEmpty);
    mask = slots - 1;
  }

  uint32_t find(std::string_view name, MetricType type, uint64_t hash) const {
    for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
      const uint32_t index = table[slot];
      if (index == kEmpty) return kEmpty;
      const Entry& e = entries[index];
      if (e.hash == hash && e.type == type && e.key == name) return index;
    }
  }

  void insert_slot(uint32_t index) {
    size_t slot = entries[index].hash & mask;
    while (table[slot] != kEmpty) slot = (slot + 1) & mask;
    table[slot] = index;
  }

  // Backward-shift deletion keeps probe sequences intact without tombstones.
  void erase_slot(uint32_t index) {
    size_t hole = entries[index].hash & mask;
    while (table[hole] != index) hole = (hole + 1) & mask;
    table[hole] = kEmpty;
    for (size_t k = (hole + 1) & mask; table[k] != kEmpty; k = (k + 1) & mask) {
      const size_t home = entries[table[k]].hash & mask;
      const bool stays = hole < k ? (home > hole && home <= k) : (home > hole || home <= k);
      if (stays) continue;
      table[hole] = table[k];
      table[k] = kEmpty;
      hole = k;
    }
  }

  void unlink(uint32_t index) {
    Entry& e = entries[index];
    if (e.prev != kEmpty)
      entries[e.prev].next = e.next;
    else
      head = e.next;
    if (e.next != kEmpty)
      entries[e.next].prev = e.prev;
    else
      tail = e.prev;
    e.prev = e.next = kEmpty;
  }

  void push_front(uint32_t index) {
    Entry& e = entries[index];
    e.prev = kEmpty;
    e.next = head;
    if (head != kEmpty) entries[head].prev = index;
    head = index;
    if (tail == kEmpty) tail = index;
  }

  uint32_t victim() {
    if (kind == Kind::Lru) return tail;
    // xorshift64*: a per-cache generator, so no shared state between reader threads.
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return static_cast<uint32_t>((rng * 0x2545F4914F6CDD1DULL >> 32) % capacity);
  }

  const MapResult& get(std::string_view name, MetricType type) {
    if (capacity == 0) {
      ++misses;
      mapper.map_into(name, type, scratch);
      return scratch;
    }
    const uint64_t hash = hash_key(name, type);
    if (const uint32_t index = find(name, type, hash); index != kEmpty) {
      ++hits;
      if (kind == Kind::Lru && index != head) {
        unlink(index);
        push_front(index);
      }
      return entries[index].result;
    }
    ++misses;
    uint32_t index = 0;
    if (size < capacity) {
      index = static_cast<uint32_t>(size++);
    } else {
      index = victim();
      erase_slot(index);
      if (kind == Kind::Lru) unlink(index);
    }
    Entry& e = entries[index];
    e.hash = hash;
    e.type = type;
    e.key.assign(name);
    mapper.map_into(name, type, e.result);
    insert_slot(index);
    if (kind == Kind::Lru) push_front(index);
    return e.result;
  }

  const Mapper& mapper;
  Kind kind;
  size_t capacity;
  std::vector<Entry> entries;
  std::vector<uint32_t> table;
  size_t mask = 0;
  size_t size = 0;
  uint32_t head = kEmpty;
  uint32_t tail = kEmpty;
  uint64_t rng = 0x9E3779B97F4A7C15ULL;
  uint64_t hits = 0;
  uint64_t misses = 0;
  MapResult scratch;
};

MapperCache::MapperCache(const Mapper& mapper, Kind kind, size_t capacity)
    : impl_(std::make_unique<Impl>(mapper, kind, capacity)) {}
MapperCache::~MapperCache() = default;
MapperCache::MapperCache(MapperCache&&) noexcept = default;
MapperCache& MapperCache::operator=(MapperCache&&) noexcept = default;

const MapResult& MapperCache::get(std::string_view name, MetricType type) { return impl_->get(name, type); }
size_t MapperCache::size() const { return impl_->size; }
size_t MapperCache::capacity() const { return impl_->capacity; }
uint64_t MapperCache::hits() const { return impl_->hits; }
uint64_t MapperCache::misses() const { return impl_->misses; }

std::optional<MapperCache::Kind> MapperCache::kind_from_string(std::string_view text) {
  if (text == "lru") return Kind::Lru;
  if (text == "random") return Kind::Random;
  return std::nullopt;
}

}  // namespace promcast::mappings
