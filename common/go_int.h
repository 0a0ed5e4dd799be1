#pragma once
// Integers as Go's strconv.ParseInt(s, 0, 64) reads them, because statsd_exporter's flags (kingpin) and
// its mapping file (yaml.v2) both decide what an integer is that way: optional sign, then 0x/0o/0b
// prefixes or a leading 0 for octal, else decimal. Digit separators ('_') are the caller's business.
#include <cstdint>
#include <expected>
#include <string_view>

namespace promcast {

enum class GoIntError : uint8_t { Syntax, Range };

/// strconv.ParseInt(s, 0, 64) without '_' separators.
std::expected<int64_t, GoIntError> parse_go_int(std::string_view s) noexcept;

}  // namespace promcast
