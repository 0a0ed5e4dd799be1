// statsd_exporter's EscapeMetricName, byte for byte on valid UTF-8.
#include <string>
#include <string_view>

#include "mappings/mapper.h"

namespace promcast::mappings {
namespace {

bool is_valid_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Length of the UTF-8 sequence starting at s[i], or 1 for a byte that starts none.
size_t utf8_length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = 1;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
  } else {
    return 1;
  }
  if (i + n > s.size()) return 1;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  }
  return n;
}

}  // namespace

namespace detail {
/// escape_metric_name writing into `out` (contents replaced, capacity kept).
void escape_metric_name_into(std::string_view name, std::string& out) {
  out.clear();
  if (name.empty()) return;
  if (name[0] >= '0' && name[0] <= '9') out.push_back('_');
  bool previous_dash = false;
  size_t i = 0;
  while (i < name.size()) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (is_valid_char(c)) {
      size_t run = i + 1;  // copy runs of valid characters at once
      while (run < name.size() && is_valid_char(static_cast<unsigned char>(name[run]))) ++run;
      out.append(name.substr(i, run - i));
      previous_dash = false;
      i = run;
      continue;
    }
    if (c == '-') {
      // A dash after a dash disappears (statsd_exporter keeps `--` mappable).
      if (!previous_dash) out.push_back('_');
      previous_dash = true;
      ++i;
      continue;
    }
    // One `_` per character. Go would treat an invalid byte as U+FFFD; statsd_exporter
    // drops lines with invalid UTF-8 before mapping, so each stray byte is simply one `_`.
    out.push_back('_');
    previous_dash = false;
    i += utf8_length(name, i);
  }
}
}  // namespace detail

std::string escape_metric_name(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  detail::escape_metric_name_into(name, out);
  return out;
}

}  // namespace promcast::mappings
