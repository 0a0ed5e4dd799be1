#pragma once
// statsd / DogStatsD line parser, behaving like statsd_exporter's pkg/line (v0.28 and later):
//   name:value|type[|@rate][|#tags][|c:container][|T<timestamp>]
// several lines per datagram (split on '\n'), several ':'-separated values per line, DogStatsD extended
// aggregation (`name:1:2:3|ms`), and tags in DogStatsD, InfluxDB, Librato and SignalFx forms.
// Bad input is counted in ParseStats (the statsd_exporter_* self-metrics) and skipped; nothing throws and
// the steady state allocates nothing: all scratch space is owned by the parser and reused.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "exporter/event.h"

namespace promcast::exporter {

/// The `reason` label values of statsd_exporter_sample_errors_total, in statsd_exporter's spelling.
enum class ErrorReason : uint8_t {
  MalformedLine,                 ///< no ':' / empty name / invalid UTF-8
  MixedTaggingStyles,            ///< name tags (InfluxDB, Librato, SignalFx) and `|#` DogStatsD tags
  NotEnoughPartsAfterColon,      ///< no '|' after the first ':'
  InvalidExtendedAggregateType,  ///< `name:1:2|c` (multi-value only for ms, h, d)
  MalformedComponent,            ///< fewer than 2 or more than 8 '|' parts, or an empty part
  MalformedValue,                ///< value is not a Go strconv.ParseFloat number (or overflows)
  InvalidSampleFactor,           ///< `@` rate that does not parse, or an unknown `|x` section
  MalformedContainerId,          ///< a `|c...` section that is not `c:<id>`
  MalformedTimestamp,            ///< a `|T...` section that is not `T<int64>`
  IllegalEvent,                  ///< unknown type (`s` sets included); once per sample (never replicated)
};
inline constexpr std::size_t kErrorReasonCount = 10;

/// The `reason` label value for an error class, e.g. "malformed_line".
std::string_view error_reason_name(ErrorReason reason) noexcept;

/// An observer sampled at rate r is replicated int(1/r) times (statsd_exporter). Beyond this many copies
/// we clamp (statsd_exporter would queue billions of events for `@1e-9`); clamps are counted.
inline constexpr uint64_t kMaxObserverReplication = 100'000;

/// Which name-tag styles are recognised (`--statsd.parse-*-tags`, all on by default).
struct ParserOptions {
  bool dogstatsd_tags = true;
  bool influxdb_tags = true;
  bool librato_tags = true;
  bool signalfx_tags = true;
};

/// Counters behind statsd_exporter's parsing self-metrics. Plain integers: one parser per thread,
/// merged by the owner with add() / LineParser::take_stats().
struct ParseStats {
  uint64_t lines = 0;       ///< statsd_exporter_lines_total (every '\n'-separated piece, empty ones too)
  uint64_t samples = 0;     ///< statsd_exporter_samples_total
  uint64_t tags = 0;        ///< statsd_exporter_tags_total (samples that carried at least one tag)
  uint64_t tag_errors = 0;  ///< statsd_exporter_tag_errors_total
  std::array<uint64_t, kErrorReasonCount> errors{};  ///< statsd_exporter_sample_errors_total{reason}
  /// Events handed to the sink, by EventType. statsd_exporter's events_total{type} counts events the
  /// store accepted (after mapping, drops and conflicts), so the store should count that one itself.
  std::array<uint64_t, kEventTypeCount> events{};
  uint64_t replication_clamped = 0;  ///< observer replications cut to kMaxObserverReplication (ours)

  [[nodiscard]] uint64_t error(ErrorReason reason) const noexcept {
    return errors[static_cast<std::size_t>(reason)];
  }
  [[nodiscard]] uint64_t total_errors() const noexcept;
  void add(const ParseStats& other) noexcept;
};

class LineParser {
 public:
  explicit LineParser(ParserOptions options = {});

  /// Splits a datagram (UDP / unixgram) on '\n' exactly like statsd_exporter (`a\n` is two lines, the
  /// second empty; an empty datagram is one empty line) and calls sink(const Event&) for every event.
  template <class Sink>
  void parse_packet(std::string_view packet, Sink&& sink) {
    for (;;) {
      const std::size_t nl = packet.find('\n');
      parse_line(packet.substr(0, nl), sink);
      if (nl == std::string_view::npos) return;
      packet.remove_prefix(nl + 1);
    }
  }

  /// Parses one line (no '\n'; a TCP reader strips "\n" or "\r\n" first, as Go's ReadLine does) and
  /// calls sink(const Event&) for every event. The Event and its views are valid only during the call.
  template <class Sink>
  void parse_line(std::string_view line, Sink&& sink) {
    using S = std::remove_reference_t<Sink>;
    parse_line_erased(
        line, [](void* ctx, const Event& event) { (*static_cast<S*>(ctx))(event); },
        const_cast<void*>(static_cast<const void*>(&sink)));
  }

  [[nodiscard]] const ParseStats& stats() const noexcept { return stats_; }
  /// Returns the counters accumulated so far and resets them (for merging into shared self-metrics).
  ParseStats take_stats() noexcept;
  [[nodiscard]] const ParserOptions& options() const noexcept { return options_; }

 private:
  using Callback = void (*)(void* ctx, const Event& event);
  struct Suffix;          // a sample's text after its value: type and '|' sections
  struct SectionResult;   // what the '|' sections amount to (shared by a line's extended aggregation)

  void parse_line_erased(std::string_view line, Callback callback, void* ctx);
  std::string_view split_name_tags(std::string_view name);
  void parse_tag_list(std::string_view list, char separator, bool trim_hash);
  void parse_tag(std::string_view tag, char separator);
  void add_tag(std::string_view name, std::string_view value);
  void eval_sections(const Suffix& suffix, SectionResult& out);
  void process_sample(std::string_view value_text, const Suffix& suffix, SectionResult& sections,
                      Callback callback, void* ctx);
  void finish_tags();
  char* scratch(std::size_t n) noexcept;
  void count(ErrorReason reason) noexcept { ++stats_.errors[static_cast<std::size_t>(reason)]; }

  ParserOptions options_;
  ParseStats stats_;
  // Reusable scratch, grown to twice the largest line seen before each line is parsed, so views into it
  // stay valid for the whole line (escaped tag keys and SignalFx names never need more than that).
  std::vector<char> buffer_;
  std::size_t buffer_used_ = 0;
  std::string number_scratch_;
  std::string_view current_name_;  // the line's metric name, tags stripped
  struct RawTag {
    std::string_view name;
    std::string_view value;
    uint32_t seq;
  };
  std::vector<RawTag> raw_tags_;  // in arrival order, duplicates included
  bool tags_dirty_ = false;
  std::vector<Tag> tags_;  // raw_tags_ sorted by name, last duplicate kept
};

}  // namespace promcast::exporter
