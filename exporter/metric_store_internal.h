#pragma once
// The store's data layout, shared by metric_store.cc (updates) and exposition.cc (reads). Not a public
// interface: nothing outside exporter/ should include it.
//
// Locking order: StoreImpl::exposition_mutex -> StoreImpl::gc_mutex (shared by exposition, exclusive by
// expire) -> Shard::mutex -> StoreImpl::families_mutex -> Family::members_mutex. apply() never takes
// gc_mutex: only expire() frees series, so exposition can read series pointers without holding shard locks.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/metric_store.h"
#include "exporter/summary_quantiles.h"

namespace promcast::exporter::detail {

struct Family;

/// One (family, sorted label-name set): statsd_exporter's "vector". Holds the histogram/summary options
/// fixed when the vector was created, as client_golang fixes them per *Vec.
struct Vector {
  Family* family = nullptr;
  std::vector<std::string> label_names;  // sorted
  std::vector<double> bounds;            // histogram upper bounds, sorted, without +Inf
  SummaryConfig summary;
};

struct HistogramState {
  double sum = 0;
  uint64_t count = 0;
  std::vector<uint64_t> counts;  // per bound, then +Inf; not cumulative
};

/// One series. Allocated with its label values trailing the struct: `label_count` uint32 end offsets,
/// then the value bytes, so a counter with 4 short labels costs about 100 bytes.
struct Series {
  uint64_t hash;
  const Vector* vector;
  int64_t last_update_ns;
  int64_t ttl_ns;  // 0 = never expires
  union {
    double value;  // counter, gauge: written under the shard lock, read through atomic_ref
    HistogramState* histogram;
    SummaryState* summary;
  };
  uint32_t label_count;
  bool dead;

  [[nodiscard]] std::string_view label_value(size_t i) const {
    const auto* ends = reinterpret_cast<const uint32_t*>(this + 1);
    const char* chars = reinterpret_cast<const char*>(ends + label_count);
    const uint32_t begin = i == 0 ? 0 : ends[i - 1];
    return {chars + begin, ends[i] - begin};
  }
  [[nodiscard]] MetricKind kind() const;
};

/// Open-addressing hash set of Series* keyed by Series::hash (linear probing, backward-shift delete).
class SeriesTable {
 public:
  template <typename Eq>
  Series* find(uint64_t hash, Eq&& eq) const {
    if (slots_.empty()) return nullptr;
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      Series* s = slots_[i];
      if (s == nullptr) return nullptr;
      if (s->hash == hash && eq(*s)) return s;
    }
  }
  void insert(Series* series);
  void erase(Series* series);
  [[nodiscard]] size_t size() const { return size_; }
  template <typename F>
  void for_each(F&& f) const {
    for (Series* s : slots_)
      if (s != nullptr) f(s);
  }

 private:
  void grow();
  std::vector<Series*> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

struct alignas(64) Shard {
  mutable std::mutex mutex;
  SeriesTable table;
};

struct Family {
  std::string name;
  std::string help;
  MetricKind kind;
  std::vector<std::unique_ptr<Vector>> vectors;  // guarded by StoreImpl::families_mutex

  std::mutex members_mutex;
  // In exposition order as of the last exposition; written only by exposition (under exposition_mutex and
  // shared gc_mutex) and expire (exclusive gc_mutex), so reading it in an exposition needs no lock.
  std::vector<Series*> sorted;
  std::vector<Series*> pending;  // created since, unsorted; guarded by members_mutex
};

struct StoreImpl {
  explicit StoreImpl(MetricStore::Options options);
  ~StoreImpl();

  MetricStore::Options options;
  std::unique_ptr<Shard[]> shards;
  size_t shard_count;

  mutable std::mutex exposition_mutex;  // one exposition at a time: it alone reorders Family::sorted
  mutable std::shared_mutex gc_mutex;
  mutable std::mutex families_mutex;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families;

  std::atomic<size_t> series_total{0};
  std::atomic<size_t> series_with_ttl{0};  // lets expire() skip its scan when nothing can expire
  std::atomic<size_t> vectors_by_kind[4] = {};

  Shard& shard_for(uint64_t hash) const { return shards[(hash >> 40) % shard_count]; }

  /// Families in name order (a snapshot of the pointers; families are never freed before the store).
  std::vector<Family*> families_snapshot() const;
};

/// client_golang's metric order inside a family: fewer labels first, then label values in label-name order.
bool series_less(const Series* a, const Series* b);

/// Frees a series and its histogram/summary state.
void destroy_series(Series* series);

}  // namespace promcast::exporter::detail
