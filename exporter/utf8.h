#pragma once
// UTF-8 validation with Go's utf8.ValidString rules (no overlongs, no surrogates, nothing above U+10FFFF):
// statsd_exporter rejects a whole line as malformed_line when it is not valid UTF-8.
#include <string_view>

namespace promcast::exporter {

/// True when s is valid UTF-8 (NUL bytes are valid). ASCII is checked eight bytes at a time.
bool is_valid_utf8(std::string_view s) noexcept;

}  // namespace promcast::exporter
