#include "exporter/tag_escape.h"

namespace promcast::exporter {
namespace {

constexpr bool is_name_char(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Byte length of the UTF-8 sequence starting with lead byte c (input is already validated).
constexpr std::size_t rune_length(unsigned char c) noexcept {
  if (c < 0x80) return 1;
  if (c < 0xE0) return 2;
  if (c < 0xF0) return 3;
  return 4;
}

}  // namespace

std::string_view escape_tag_name(std::string_view key, char* out) noexcept {
  if (key.empty()) return key;
  const bool leading_digit = key[0] >= '0' && key[0] <= '9';
  std::size_t first_bad = 0;
  while (first_bad < key.size() && is_name_char(static_cast<unsigned char>(key[first_bad]))) ++first_bad;
  if (!leading_digit && first_bad == key.size()) return key;

  std::size_t n = 0;
  if (leading_digit) out[n++] = '_';
  for (std::size_t i = 0; i < first_bad; ++i) out[n++] = key[i];
  bool prev_dash = false;  // statsd_exporter compares with the previous rune
  for (std::size_t i = first_bad; i < key.size();) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (is_name_char(c)) {
      out[n++] = static_cast<char>(c);
      prev_dash = false;
      ++i;
      continue;
    }
    if (c == '-' && prev_dash) {
      ++i;  // "--" collapses: the second dash is dropped
      continue;
    }
    out[n++] = '_';
    prev_dash = c == '-';
    i += rune_length(c);
  }
  return {out, n};
}

}  // namespace promcast::exporter
