#pragma once
// What the statsd line parser hands to the rest of the exporter: one Event per sample (observers with a
// sampling rate become several identical Events, as statsd_exporter does). Events are views into the
// parser's input and scratch buffers, valid only during the sink callback that receives them.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace promcast::exporter {

/// statsd types collapse to three: `c` -> Counter, `g` -> Gauge, `ms`/`h`/`d` -> Observer.
enum class EventType : uint8_t { Counter, Gauge, Observer };
inline constexpr std::size_t kEventTypeCount = 3;

/// The `type` label value statsd_exporter uses for this event type ("counter", "gauge", "observer").
constexpr std::string_view event_type_name(EventType type) noexcept {
  switch (type) {
    case EventType::Counter:
      return "counter";
    case EventType::Gauge:
      return "gauge";
    case EventType::Observer:
      return "observer";
  }
  return "unknown";
}

/// One label taken from the line's tags. `name` is already escaped the way statsd_exporter escapes
/// tag keys (invalid characters -> `_`, leading digit -> `_` prefix); `value` is the raw (valid UTF-8) text.
struct Tag {
  std::string_view name;
  std::string_view value;
};

struct Event {
  std::string_view name;  ///< metric name with tags stripped, not escaped (the mapper does that)
  double value = 0;       ///< counters already divided by the sampling rate; `ms` already in seconds
  EventType type = EventType::Counter;
  bool relative = false;  ///< gauges only: the value text began with `+` or `-` (add, don't set)
  /// Unique by name (when a line repeats a tag name the last value wins, like statsd_exporter's map),
  /// sorted by name.
  std::span<const Tag> tags;
};

}  // namespace promcast::exporter
