#pragma once
// Tag keys become Prometheus label names the way statsd_exporter's mapper.EscapeMetricName does it:
// [a-zA-Z0-9_] kept, a leading digit gets a '_' prefix, every other character (a whole multi-byte rune
// counts as one) becomes '_', except that a '-' right after a '-' is dropped ("a--b" -> "a_b").
#include <cstddef>
#include <string_view>

namespace promcast::exporter {

/// Upper bound of the escaped size of a key of n bytes (the leading-digit prefix adds one byte).
constexpr std::size_t escaped_size_bound(std::size_t n) noexcept { return n + 1; }

/// Escapes `key` (valid UTF-8). Returns `key` itself when nothing changes; otherwise writes the result
/// to `out`, which must hold escaped_size_bound(key.size()) bytes, and returns a view of it.
std::string_view escape_tag_name(std::string_view key, char* out) noexcept;

}  // namespace promcast::exporter
