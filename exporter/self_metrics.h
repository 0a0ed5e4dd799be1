#pragma once
// statsd_exporter's self-metrics (same names, help texts and labels) kept in a prometheus-cpp Registry, plus
// promcast's own (named in docs/compatibility.md; checked by tests/exporter/self_metrics_conformance_test).
// Hot-path counters never touch the registry: each reader thread counts into a plain RuntimeCounters and
// publishes it into its StatsSlot once per batch (one uncontended mutex per recvmmsg batch / TCP read);
// fold() moves every slot's pending counts into the registry (periodically and before each scrape).
// Label children are created on first non-zero count, as client_golang's CounterVec does, so /metrics
// shows the same series as statsd_exporter.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/line_parser.h"
#include "exporter/metric_store.h"
#include "exporter/relay.h"

namespace prometheus {
class Registry;
}

namespace promcast::exporter {

/// Runtime counters (everything not counted by the line parser).
enum class Stat : uint8_t {
  UdpPackets,
  UnixgramPackets,
  TcpConnections,
  TcpConnectionErrors,
  TcpTooLongLines,
  EventsCounter,  // statsd_exporter_events_total{type}: accepted by the store
  EventsGauge,
  EventsObserver,
  EventsUnmapped,
  ActionMap,  // statsd_exporter_events_actions_total{action}
  ActionDrop,
  ErrorEmptyMetricName,  // statsd_exporter_events_error_total{reason}
  ErrorIllegalNegativeCounter,
  ErrorSeriesLimit,   // ours: --statsd.max-series reached
  EventQueueFlushed,  // one per processed batch (we have no event queue; see README)
  UdpKernelDrops,     // ours: SO_RXQ_OVFL
  CacheGets,          // statsd_metric_mapper_cache_gets_total
  CacheHits,          // statsd_metric_mapper_cache_hits_total
  kCount,
};
inline constexpr std::size_t kStatCount = static_cast<std::size_t>(Stat::kCount);

/// The `type` label of statsd_exporter_events_conflict_total.
enum class ConflictType : uint8_t { Counter, Gauge, Observer };
inline constexpr std::size_t kConflictTypeCount = 3;

struct RuntimeCounters {
  std::array<uint64_t, kStatCount> stats{};
  ParseStats parse;
  /// statsd_exporter_events_conflict_total{metric_name, type}: per metric name (the escaped name the event
  /// would have been stored under), as statsd_exporter 0.29+ counts it. Conflicts are an error path: the
  /// first conflict of a name in a batch allocates its entry; later ones in the batch only count.
  std::map<std::string, std::array<uint64_t, kConflictTypeCount>, std::less<>> conflicts;

  void inc(Stat s, uint64_t n = 1) noexcept { stats[static_cast<std::size_t>(s)] += n; }
  [[nodiscard]] uint64_t get(Stat s) const noexcept { return stats[static_cast<std::size_t>(s)]; }
  void add_conflict(ConflictType type, std::string_view metric_name);
  void add(const RuntimeCounters& other);
};

/// Where one thread publishes its counts. Owned jointly by the thread and SelfMetrics.
class StatsSlot {
 public:
  /// Adds `local` to the slot's pending counts and zeroes `local`.
  void publish(RuntimeCounters& local);
  /// The thread is done with the slot (a closed TCP connection): fold() drops it after its last take.
  void retire();

 private:
  friend class SelfMetrics;
  std::mutex mutex_;
  RuntimeCounters pending_;
  bool retired_ = false;
};

class SelfMetrics {
 public:
  explicit SelfMetrics(std::string version);
  ~SelfMetrics();
  SelfMetrics(const SelfMetrics&) = delete;
  SelfMetrics& operator=(const SelfMetrics&) = delete;

  /// A new publication slot for a reader thread or connection.
  std::shared_ptr<StatsSlot> new_slot();

  /// Moves every slot's pending counts into the registry. Thread-safe.
  void fold();

  /// Adds counts directly (single-threaded callers such as tests and `promcast map`).
  void add(const RuntimeCounters& counters);

  void set_loaded_mappings(std::size_t count);
  /// statsd_exporter_config_reloads_total{outcome} (statsd_exporter's), and promcast's own
  /// promcast_config_last_reload_successful and promcast_config_last_reload_success_timestamp_seconds.
  void record_reload(bool success, std::chrono::system_clock::time_point when);
  /// promcast_config_last_reload_successful at startup (1) without counting a reload.
  void set_initial_load(std::chrono::system_clock::time_point when);
  /// statsd_exporter_metrics_total{type}, taken from the store at scrape time.
  void set_metric_vectors(const MetricStore& store);
  /// statsd_metric_mapper_cache_length: entries across the readers' caches.
  void set_cache_length(std::size_t entries);
  /// statsd_exporter_relay_{packets,long_lines,lines_relayed}_total{target} (shown from the relay's start,
  /// as upstream creates them with the relay) and promcast's statsd_exporter_relay_dropped_lines_total.
  void set_relay_counts(std::string_view target, const RelayCounts& counts);

  /// promhttp_metric_handler_requests_in_flight / _requests_total{code}, as client_golang's handler counts
  /// its own scrapes (the total shown in a scrape excludes that scrape).
  void begin_scrape();
  void end_scrape(int status_code);

  /// Folds, refreshes process_* metrics and appends every family in Prometheus text format 0.0.4,
  /// formatted exactly like client_golang (Go float formatting, sorted families and label values).
  void write_text(std::string& out);

  prometheus::Registry& registry();

  /// A counter's or gauge's current value (tests); 0 when the series does not exist.
  double value(std::string_view name, std::string_view label_name = {}, std::string_view label_value = {});
  /// The same for a series with exactly these labels (any order).
  double value(std::string_view name,
               std::initializer_list<std::pair<std::string_view, std::string_view>> labels);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Merges two exposition texts whose families are each sorted by name into `out`, family by family, as
/// client_golang's Gatherers does: a family present in both is taken from `first` only.
void merge_expositions(std::string_view first, std::string_view second, std::string& out);

}  // namespace promcast::exporter
