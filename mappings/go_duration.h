#pragma once
// Go's time.ParseDuration, because mapping files write ttl and max_age the way Go reads
// them ("1h30m", "500ms", "1.5s", "-2us"; a bare number other than "0" needs a unit).
#include <chrono>
#include <optional>
#include <string_view>

namespace promcast::mappings {

/// The duration `text` denotes, or nullopt where Go's time.ParseDuration returns an error
/// (empty, missing or unknown unit, overflow of int64 nanoseconds).
std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

}  // namespace promcast::mappings
