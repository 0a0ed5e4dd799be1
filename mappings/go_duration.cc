#include "mappings/go_duration.h"

#include <cstdint>

namespace promcast::mappings {
namespace {

constexpr uint64_t kMaxMagnitude = uint64_t{1} << 63;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::optional<uint64_t> unit_nanoseconds(std::string_view unit) {
  if (unit == "ns") return 1;
  // Go accepts "us", U+00B5 MICRO SIGN and U+03BC GREEK SMALL LETTER MU followed by "s".
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1'000;
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "m") return 60'000'000'000;
  if (unit == "h") return 3'600'000'000'000;
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text == "0") return std::chrono::nanoseconds{0};
  if (text.empty()) return std::nullopt;
  uint64_t total = 0;
  while (!text.empty()) {
    // Integer part; Go rejects overflow beyond 1<<63 here.
    uint64_t whole = 0;
    size_t i = 0;
    bool overflow = false;
    while (i < text.size() && is_digit(text[i])) {
      if (whole > (kMaxMagnitude - 9) / 10 + 1) overflow = true;
      whole = whole * 10 + static_cast<uint64_t>(text[i] - '0');
      if (whole > kMaxMagnitude) overflow = true;
      ++i;
    }
    if (overflow) return std::nullopt;
    const bool had_whole = i > 0;
    // Fraction: digits beyond what int64 can scale are ignored, as Go does.
    uint64_t fraction = 0;
    double scale = 1;
    bool had_fraction = false;
    if (i < text.size() && text[i] == '.') {
      ++i;
      const size_t start = i;
      bool saturated = false;
      while (i < text.size() && is_digit(text[i])) {
        if (!saturated) {
          if (fraction > (kMaxMagnitude - 1) / 10) {
            saturated = true;
          } else {
            fraction = fraction * 10 + static_cast<uint64_t>(text[i] - '0');
            scale *= 10;
          }
        }
        ++i;
      }
      had_fraction = i > start;
    }
    if (!had_whole && !had_fraction) return std::nullopt;
    const size_t unit_start = i;
    while (i < text.size() && text[i] != '.' && !is_digit(text[i])) ++i;
    if (i == unit_start) return std::nullopt;  // missing unit
    const auto unit = unit_nanoseconds(text.substr(unit_start, i - unit_start));
    if (!unit) return std::nullopt;
    if (whole > kMaxMagnitude / *unit) return std::nullopt;
    uint64_t value = whole * *unit;
    if (fraction > 0) {
      value += static_cast<uint64_t>(static_cast<double>(fraction) * (static_cast<double>(*unit) / scale));
      if (value > kMaxMagnitude) return std::nullopt;
    }
    total += value;
    if (total > kMaxMagnitude) return std::nullopt;
    text.remove_prefix(i);
  }
  if (negative) return std::chrono::nanoseconds{-static_cast<int64_t>(total - 1) - 1};
  if (total > kMaxMagnitude - 1) return std::nullopt;
  return std::chrono::nanoseconds{static_cast<int64_t>(total)};
}

}  // namespace promcast::mappings
