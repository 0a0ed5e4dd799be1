#pragma once
// Prometheus durations (model.Duration): units y, w, d, h, m, s, ms, each at most once, in that
// order, e.g. "1h30m", "5m", "14d", "500ms". "0" alone is zero. A year is 365 days.
#include <chrono>
#include <expected>
#include <string>
#include <string_view>

namespace promcast::rules {

using Duration = std::chrono::milliseconds;

/// Parses a Prometheus duration; the error says what was expected.
std::expected<Duration, std::string> parse_duration(std::string_view text);

/// The canonical form Prometheus prints: "1h30m", "1d", "5m", "0s".
std::string format_duration(Duration duration);

}  // namespace promcast::rules
