#include "exporter/metric_store.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <new>

#include "exporter/metric_store_internal.h"

namespace promcast::exporter {

using detail::Family;
using detail::HistogramState;
using detail::Series;
using detail::StoreImpl;
using detail::Vector;

std::string_view kind_name(MetricKind kind) {
  switch (kind) {
    case MetricKind::Counter:
      return "counter";
    case MetricKind::Gauge:
      return "gauge";
    case MetricKind::Histogram:
      return "histogram";
    case MetricKind::Summary:
      return "summary";
  }
  return "untyped";
}

const SummarySpec& default_summary_spec() {
  static const SummarySpec spec{{{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}}, std::chrono::minutes(10), 5, 500};
  return spec;
}

std::span<const double> default_histogram_buckets() {
  static constexpr std::array<double, 11> kBuckets = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
  return kBuckets;
}

namespace {

uint64_t fmix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

__extension__ using Uint128 = unsigned __int128;

// 64x64->128 multiply folded to 64 bits: one multiply mixes 16 input bytes (the wyhash idea).
inline uint64_t mum(uint64_t a, uint64_t b) {
  const Uint128 r = static_cast<Uint128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

inline uint64_t load32(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

// The key is hashed on every update, so this must be cheap: 16 bytes per multiply, short tails read with
// overlapping loads instead of a byte loop. The length goes in so that "ab"+"c" and "a"+"bc" differ.
uint64_t hash_bytes(uint64_t h, std::string_view s) {
  constexpr uint64_t kS0 = 0xa0761d6478bd642fULL;
  constexpr uint64_t kS1 = 0xe7037ed1a0b428dbULL;
  const char* p = s.data();
  size_t n = s.size();
  while (n > 16) {
    h = mum(load64(p) ^ kS0, load64(p + 8) ^ h);
    p += 16;
    n -= 16;
  }
  uint64_t a = 0;
  uint64_t b = 0;
  if (n > 8) {
    a = load64(p);
    b = load64(p + n - 8);
  } else if (n >= 4) {
    a = load32(p);
    b = load32(p + n - 4);
  } else if (n > 0) {
    a = (static_cast<uint64_t>(static_cast<unsigned char>(p[0])) << 16) |
        (static_cast<uint64_t>(static_cast<unsigned char>(p[n >> 1])) << 8) |
        static_cast<uint64_t>(static_cast<unsigned char>(p[n - 1]));
  }
  return mum(a ^ kS1 ^ s.size(), b ^ h ^ kS0);
}

bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) < len) return false;
    for (size_t i = 1; i < len; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid, as Go's utf8.ValidString says.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    p += len;
  }
  return true;
}

int64_t to_ns(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// Label indices of an update sorted by label name, without allocating for the usual label counts. A name
// given twice keeps its last value, as assigning into statsd_exporter's label map does.
class SortedLabels {
 public:
  explicit SortedLabels(std::span<const LabelPair> labels) : labels_(labels) {
    const size_t n = labels.size();
    uint32_t* idx = inline_.data();
    if (n > inline_.size()) {
      heap_.resize(n);
      idx = heap_.data();
    }
    if (n <= inline_.size()) {
      for (uint32_t i = 0; i < n; ++i) {  // insertion sort: stable, and fastest for a few labels
        uint32_t j = i;
        while (j > 0 && labels[i].name < labels[idx[j - 1]].name) {
          idx[j] = idx[j - 1];
          --j;
        }
        idx[j] = i;
      }
    } else {
      for (uint32_t i = 0; i < n; ++i) idx[i] = i;
      std::stable_sort(idx, idx + n, [&](uint32_t a, uint32_t b) { return labels[a].name < labels[b].name; });
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; ++i) {
      if (kept > 0 && labels[idx[kept - 1]].name == labels[idx[i]].name) {
        idx[kept - 1] = idx[i];  // equal names are in input order: the later one wins
      } else {
        idx[kept++] = idx[i];
      }
    }
    size_ = kept;
    idx_ = idx;
  }
  [[nodiscard]] size_t size() const { return size_; }
  const LabelPair& operator[](size_t i) const { return labels_[idx_[i]]; }

 private:
  std::span<const LabelPair> labels_;
  std::array<uint32_t, 16> inline_;
  std::vector<uint32_t> heap_;
  const uint32_t* idx_;
  size_t size_;
};

uint64_t hash_key(std::string_view name, const SortedLabels& labels) {
  uint64_t h = hash_bytes(0x243F6A8885A308D3ULL, name);
  for (size_t i = 0; i < labels.size(); ++i) {
    h = hash_bytes(h, labels[i].name);
    h = hash_bytes(h, labels[i].value);
  }
  return fmix64(h);
}

bool same_key(const Series& s, std::string_view name, const SortedLabels& labels) {
  if (s.label_count != labels.size()) return false;
  const Vector& v = *s.vector;
  if (v.family->name != name) return false;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (s.label_value(i) != labels[i].value || v.label_names[i] != labels[i].name) return false;
  }
  return true;
}

bool same_names(const Vector& v, const SortedLabels& labels) {
  if (v.label_names.size() != labels.size()) return false;
  for (size_t i = 0; i < labels.size(); ++i)
    if (v.label_names[i] != labels[i].name) return false;
  return true;
}

std::vector<double> normalize_bounds(std::span<const double> buckets) {
  if (buckets.empty()) buckets = default_histogram_buckets();
  std::vector<double> bounds;
  for (double b : buckets)
    if (!std::isnan(b) && b != std::numeric_limits<double>::infinity()) bounds.push_back(b);
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  return bounds;
}

SummaryConfig make_summary_config(const SummarySpec& spec) {
  SummaryConfig c;
  const auto& objectives = spec.objectives.empty() ? default_summary_spec().objectives : spec.objectives;
  for (const auto& [q, e] : objectives) c.targets.push_back({q, e});
  std::stable_sort(c.targets.begin(), c.targets.end(),
                   [](const QuantileTarget& a, const QuantileTarget& b) { return a.quantile < b.quantile; });
  // A Go map keeps one error per quantile: the last one given.
  std::vector<QuantileTarget> unique;
  for (const QuantileTarget& t : c.targets) {
    if (!unique.empty() && unique.back().quantile == t.quantile) {
      unique.back() = t;
    } else {
      unique.push_back(t);
    }
  }
  c.targets = std::move(unique);
  c.age_buckets = spec.age_buckets == 0 ? 5 : spec.age_buckets;
  c.buf_cap = spec.buf_cap == 0 ? 500 : spec.buf_cap;
  const int64_t max_age = spec.max_age.count() <= 0
                              ? std::chrono::nanoseconds(std::chrono::minutes(10)).count()
                              : spec.max_age.count();
  c.stream_duration_ns = std::max<int64_t>(1, max_age / c.age_buckets);
  return c;
}

// Name conflicts beyond "same name, other type": a histogram owns name_bucket/_sum/_count and a summary
// name_sum/_count, in both directions (statsd_exporter checks one direction in its registry and the other
// direction breaks its whole scrape in client_golang's Gather; here both are dropped events).
bool suffix_conflict(const StoreImpl& impl, std::string_view name, MetricKind kind) {
  auto exists = [&](std::string_view n) { return impl.families.find(n) != impl.families.end(); };
  if (kind == MetricKind::Histogram || kind == MetricKind::Summary) {
    std::string probe(name);
    for (std::string_view suffix : {"_sum", "_count", "_bucket"}) {
      if (suffix == "_bucket" && kind == MetricKind::Summary) continue;
      probe.resize(name.size());
      probe.append(suffix);
      if (exists(probe)) return true;
    }
  }
  for (std::string_view suffix : {"_sum", "_count", "_bucket"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) {
      auto it = impl.families.find(name.substr(0, name.size() - suffix.size()));
      if (it == impl.families.end()) continue;
      const MetricKind base = it->second->kind;
      if (base == MetricKind::Histogram || (base == MetricKind::Summary && suffix != "_bucket")) return true;
    }
  }
  return false;
}

Series* allocate_series(uint64_t hash, const Vector* vector, const SortedLabels& labels) {
  size_t chars = 0;
  for (size_t i = 0; i < labels.size(); ++i) chars += labels[i].value.size();
  const size_t bytes = sizeof(Series) + labels.size() * sizeof(uint32_t) + chars;
  void* mem = ::operator new(bytes);
  auto* s = new (mem) Series{};
  s->hash = hash;
  s->vector = vector;
  s->label_count = static_cast<uint32_t>(labels.size());
  s->dead = false;
  auto* ends = reinterpret_cast<uint32_t*>(s + 1);
  char* out = reinterpret_cast<char*>(ends + labels.size());
  uint32_t pos = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    std::memcpy(out + pos, labels[i].value.data(), labels[i].value.size());
    pos += static_cast<uint32_t>(labels[i].value.size());
    ends[i] = pos;
  }
  return s;
}

void observe_histogram(HistogramState& h, const std::vector<double>& bounds, double v) {
  // client_golang: the first bucket whose upper bound is >= v; NaN lands only in +Inf.
  size_t i = bounds.size();
  if (!std::isnan(v))
    i = static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin());
  ++h.counts[i];
  ++h.count;
  h.sum += v;
}

void update_series(Series& s, const SeriesUpdate& u, int64_t now_ns) {
  s.last_update_ns = now_ns;
  switch (u.kind) {
    case MetricKind::Counter: {
      std::atomic_ref<double> value(s.value);
      value.store(value.load(std::memory_order_relaxed) + u.value, std::memory_order_relaxed);
      break;
    }
    case MetricKind::Gauge: {
      std::atomic_ref<double> value(s.value);
      value.store(u.relative ? value.load(std::memory_order_relaxed) + u.value : u.value,
                  std::memory_order_relaxed);
      break;
    }
    case MetricKind::Histogram:
      observe_histogram(*s.histogram, s.vector->bounds, u.value);
      break;
    case MetricKind::Summary:
      s.summary->observe(u.value, now_ns);
      break;
  }
}

}  // namespace

namespace detail {

MetricKind Series::kind() const { return vector->family->kind; }

void SeriesTable::insert(Series* series) {
  if ((size_ + 1) * 4 > slots_.size() * 3) grow();
  size_t i = series->hash & mask_;
  while (slots_[i] != nullptr) i = (i + 1) & mask_;
  slots_[i] = series;
  ++size_;
}

void SeriesTable::grow() {
  std::vector<Series*> old = std::move(slots_);
  const size_t capacity = old.empty() ? 16 : old.size() * 2;
  slots_.assign(capacity, nullptr);
  mask_ = capacity - 1;
  for (Series* s : old) {
    if (s == nullptr) continue;
    size_t i = s->hash & mask_;
    while (slots_[i] != nullptr) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

void SeriesTable::erase(Series* series) {
  size_t i = series->hash & mask_;
  while (slots_[i] != series) i = (i + 1) & mask_;
  // Backward-shift deletion keeps every probe chain unbroken without tombstones.
  size_t hole = i;
  for (size_t j = (hole + 1) & mask_; slots_[j] != nullptr; j = (j + 1) & mask_) {
    const size_t ideal = slots_[j]->hash & mask_;
    const bool movable = hole <= j ? (ideal <= hole || ideal > j) : (ideal <= hole && ideal > j);
    if (movable) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = nullptr;
  --size_;
}

StoreImpl::StoreImpl(MetricStore::Options opts)
    : options(opts),
      shards(new Shard[std::max<size_t>(1, opts.shards)]),
      shard_count(std::max<size_t>(1, opts.shards)) {}

StoreImpl::~StoreImpl() {
  for (size_t i = 0; i < shard_count; ++i) shards[i].table.for_each(destroy_series);
}

std::vector<Family*> StoreImpl::families_snapshot() const {
  std::lock_guard lock(families_mutex);
  std::vector<Family*> out;
  out.reserve(families.size());
  for (const auto& [name, family] : families) out.push_back(family.get());
  return out;
}

bool series_less(const Series* a, const Series* b) {
  if (a->label_count != b->label_count) return a->label_count < b->label_count;
  for (size_t i = 0; i < a->label_count; ++i) {
    const std::string_view va = a->label_value(i);
    const std::string_view vb = b->label_value(i);
    if (va != vb) return va < vb;
  }
  return false;
}

void destroy_series(Series* series) {
  switch (series->kind()) {
    case MetricKind::Histogram:
      delete series->histogram;
      break;
    case MetricKind::Summary:
      delete series->summary;
      break;
    default:
      break;
  }
  series->~Series();
  ::operator delete(series);
}

}  // namespace detail

MetricStore::MetricStore(Options options) : impl_(std::make_unique<StoreImpl>(options)) {}
MetricStore::~MetricStore() = default;

UpdateOutcome MetricStore::apply(const SeriesUpdate& u, std::chrono::steady_clock::time_point now) {
  // statsd_exporter drops negative counter increments before touching the registry.
  if (u.kind == MetricKind::Counter && u.value < 0) return UpdateOutcome::InvalidValue;
  StoreImpl& impl = *impl_;
  const SortedLabels labels(u.labels);
  const uint64_t hash = hash_key(u.name, labels);
  const int64_t now_ns = to_ns(now);
  detail::Shard& shard = impl.shard_for(hash);
  std::lock_guard shard_lock(shard.mutex);
  if (Series* s = shard.table.find(hash, [&](const Series& c) { return same_key(c, u.name, labels); })) {
    if (s->kind() != u.kind) return UpdateOutcome::Conflict;
    update_series(*s, u, now_ns);
    return UpdateOutcome::Applied;
  }

  // A new series: the only path that allocates or takes the store-wide families lock.
  for (size_t i = 0; i < labels.size(); ++i)
    if (!valid_utf8(labels[i].value)) return UpdateOutcome::Conflict;
  Family* family = nullptr;
  const Vector* vector = nullptr;
  {
    std::lock_guard families_lock(impl.families_mutex);
    auto it = impl.families.find(u.name);
    if (it != impl.families.end()) {
      family = it->second.get();
      if (family->kind != u.kind) return UpdateOutcome::Conflict;
    } else if (suffix_conflict(impl, u.name, u.kind)) {
      return UpdateOutcome::Conflict;
    }
    if (impl.options.max_series != 0 &&
        impl.series_total.load(std::memory_order_relaxed) >= impl.options.max_series) {
      return UpdateOutcome::SeriesLimit;
    }
    if (it == impl.families.end()) {
      auto created = std::make_unique<Family>();
      created->name = std::string(u.name);
      created->help = std::string(u.help.empty() ? kDefaultHelp : u.help);
      created->kind = u.kind;
      family = created.get();
      impl.families.emplace(created->name, std::move(created));
    }
    for (const auto& v : family->vectors) {
      if (same_names(*v, labels)) {
        vector = v.get();
        break;
      }
    }
    if (vector == nullptr) {
      auto created = std::make_unique<Vector>();
      created->family = family;
      for (size_t i = 0; i < labels.size(); ++i) created->label_names.emplace_back(labels[i].name);
      if (u.kind == MetricKind::Histogram) created->bounds = normalize_bounds(u.buckets);
      if (u.kind == MetricKind::Summary)
        created->summary = make_summary_config(u.summary != nullptr ? *u.summary : default_summary_spec());
      vector = created.get();
      family->vectors.push_back(std::move(created));
      impl.vectors_by_kind[static_cast<size_t>(u.kind)].fetch_add(1, std::memory_order_relaxed);
    }
    impl.series_total.fetch_add(1, std::memory_order_relaxed);
  }

  Series* s = allocate_series(hash, vector, labels);
  s->ttl_ns = u.ttl.count();
  if (s->ttl_ns != 0) impl.series_with_ttl.fetch_add(1, std::memory_order_relaxed);
  switch (u.kind) {
    case MetricKind::Counter:
    case MetricKind::Gauge:
      s->value = 0;
      break;
    case MetricKind::Histogram:
      s->histogram = new HistogramState{0, 0, std::vector<uint64_t>(vector->bounds.size() + 1, 0)};
      break;
    case MetricKind::Summary:
      s->summary = new SummaryState(vector->summary, now_ns);
      break;
  }
  update_series(*s, u, now_ns);
  shard.table.insert(s);
  std::lock_guard members_lock(family->members_mutex);
  family->pending.push_back(s);
  return UpdateOutcome::Applied;
}

size_t MetricStore::expire(std::chrono::steady_clock::time_point now) {
  StoreImpl& impl = *impl_;
  const int64_t now_ns = to_ns(now);
  if (impl.series_with_ttl.load(std::memory_order_relaxed) == 0) return 0;
  std::unique_lock gc_lock(impl.gc_mutex);
  std::vector<Series*> dead;
  for (size_t i = 0; i < impl.shard_count; ++i) {
    detail::Shard& shard = impl.shards[i];
    std::lock_guard lock(shard.mutex);
    const size_t first = dead.size();
    shard.table.for_each([&](Series* s) {
      // statsd_exporter: expired when last update + ttl is strictly before now.
      if (s->ttl_ns != 0 && s->last_update_ns + s->ttl_ns < now_ns) dead.push_back(s);
    });
    for (size_t k = first; k < dead.size(); ++k) {
      shard.table.erase(dead[k]);
      dead[k]->dead = true;
    }
  }
  if (dead.empty()) return 0;
  impl.series_total.fetch_sub(dead.size(), std::memory_order_relaxed);
  impl.series_with_ttl.fetch_sub(dead.size(), std::memory_order_relaxed);
  std::vector<Family*> touched;
  for (Series* s : dead) touched.push_back(s->vector->family);
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (Family* f : touched) {
    std::lock_guard lock(f->members_mutex);
    std::erase_if(f->sorted, [](const Series* s) { return s->dead; });
    std::erase_if(f->pending, [](const Series* s) { return s->dead; });
  }
  for (Series* s : dead) detail::destroy_series(s);
  return dead.size();
}

size_t MetricStore::series_count() const { return impl_->series_total.load(std::memory_order_relaxed); }

size_t MetricStore::vector_count(MetricKind kind) const {
  return impl_->vectors_by_kind[static_cast<size_t>(kind)].load(std::memory_order_relaxed);
}

}  // namespace promcast::exporter
