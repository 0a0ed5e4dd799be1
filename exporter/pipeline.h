#pragma once
// The glue between parser, mapper and store, as statsd_exporter's pkg/exporter handleEvent does it:
// map name+type (through a per-thread cache), drop action, unmapped names escaped, labels = tags + mapping
// labels (mapping wins unless honor_labels), scale, counter/gauge/observer -> histogram or summary by
// observer_type (mapping, then defaults), then MetricStore::apply and the self-metric counters.
// One Pipeline per reader thread: it owns a LineParser and a MapperCache and counts into plain integers;
// nothing on this path locks except the store's shard and, once per batch, the stats slot.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "exporter/event.h"
#include "exporter/flags.h"
#include "exporter/line_parser.h"
#include "exporter/metric_store.h"
#include "exporter/self_metrics.h"
#include "mappings/mapper.h"

namespace promcast::exporter {

class Relay;

/// A loaded mapping file ready for the hot path: the Mapper plus per-mapping store options converted once.
struct MappingState {
  std::shared_ptr<const mappings::MappingConfig> config;
  std::unique_ptr<mappings::Mapper> mapper;
  std::vector<SummarySpec> summary_specs;  // index = position in config->mappings
  SummarySpec default_summary;             // from `defaults`

  /// Builds the state from a parsed config.
  static std::shared_ptr<const MappingState> build(mappings::MappingConfig config);
  /// An empty mapping (no file given): every event is unmapped.
  static std::shared_ptr<const MappingState> empty();
  /// Loads and validates a mapping file; every error has file:line:column.
  static std::expected<std::shared_ptr<const MappingState>, std::vector<Error>> load_file(
      const std::string& path);

  /// Events that matched mapping i (drop actions included) since this state was loaded, as published by
  /// the readers once per batch: what /mappings shows.
  [[nodiscard]] uint64_t hits(std::size_t mapping_index) const;
  /// Adds one reader's counts (index = position in config->mappings).
  void add_hits(std::span<const uint64_t> counts) const;

 private:
  // Counters in an otherwise immutable, shared state: readers add to them, pages read them.
  mutable std::unique_ptr<std::atomic<uint64_t>[]> hits_;
  std::size_t hit_slots_ = 0;
};

/// The current mapping, swapped atomically on reload. Readers check generation() once per batch and only
/// then take the (locking) shared_ptr load, so the hot path stays lock-free.
class MappingHolder {
 public:
  explicit MappingHolder(std::shared_ptr<const MappingState> state);
  [[nodiscard]] std::shared_ptr<const MappingState> get() const;
  [[nodiscard]] uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  void set(std::shared_ptr<const MappingState> state);

 private:
  std::atomic<std::shared_ptr<const MappingState>> state_;
  std::atomic<uint64_t> generation_{0};
};

struct PipelineOptions {
  ParserOptions parser;
  mappings::MapperCache::Kind cache_kind = mappings::MapperCache::Kind::Lru;
  std::size_t cache_size = 1000;

  static PipelineOptions from_flags(const ExporterFlags& flags);
};

class Pipeline {
 public:
  /// `relay` may be null. All references must outlive the pipeline.
  Pipeline(const PipelineOptions& options, const MappingHolder& mappings, MetricStore& store, Relay* relay);

  /// Picks up a reloaded mapping (new cache) if there is one. Call at the start of every batch.
  void refresh();
  /// A UDP/unixgram datagram: split on '\n' (an empty piece is still a line), relay, parse, apply.
  void process_packet(std::string_view datagram, std::chrono::steady_clock::time_point now);
  /// One TCP line without its terminator.
  void process_line(std::string_view line, std::chrono::steady_clock::time_point now);

  /// The counters this thread accumulated since the last publish (parser stats merged in by publish()).
  RuntimeCounters& counters() { return counters_; }
  /// Moves everything counted so far into `slot` (once per batch).
  void publish(StatsSlot& slot);
  /// Entries in this pipeline's mapper cache (statsd_metric_mapper_cache_length), readable from any thread.
  [[nodiscard]] std::size_t cache_entries() const { return cache_entries_.load(std::memory_order_relaxed); }

 private:
  void handle_event(const Event& event);

  PipelineOptions options_;
  const MappingHolder& holder_;
  MetricStore& store_;
  Relay* relay_;
  LineParser parser_;
  std::shared_ptr<const MappingState> state_;
  std::unique_ptr<mappings::MapperCache> cache_;
  uint64_t generation_ = 0;
  uint64_t cache_hits_seen_ = 0;
  uint64_t cache_misses_seen_ = 0;
  std::vector<uint64_t> mapping_hits_;  // per mapping of state_, since the last publish
  std::atomic<std::size_t> cache_entries_{0};
  RuntimeCounters counters_;
  std::chrono::steady_clock::time_point now_{};
  std::vector<LabelPair> labels_;  // scratch, reused per event
  std::string escaped_name_;       // scratch for mapped names that need escaping
};

/// Runs `lines` through a fresh pipeline against `state` and reports, per event, what would be stored:
/// used by `promcast map`. Returns one human-readable line per event.
std::vector<std::string> explain_lines(const MappingState& state, const ParserOptions& parser,
                                       std::span<const std::string_view> lines);

}  // namespace promcast::exporter
