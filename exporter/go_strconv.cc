#include "exporter/go_strconv.h"

#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <system_error>

#include <locale.h>  // newlocale / strtod_l (POSIX)

namespace promcast::exporter {
namespace {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
// Go's strconv lower(): folds ASCII letters, and is only compared against letters.
constexpr char lower(char c) noexcept { return static_cast<char>(c | ('x' - 'X')); }
constexpr bool is_hex_letter(char c) noexcept { return lower(c) >= 'a' && lower(c) <= 'f'; }

// Length of the common prefix of s and the lower-case `prefix`, ignoring the case of s.
std::size_t common_prefix_ignore_case(std::string_view s, std::string_view prefix) noexcept {
  std::size_t n = std::min(s.size(), prefix.size());
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
    if (c != prefix[i]) return i;
  }
  return n;
}

// Go's special(): "inf", "infinity" (optionally signed), "nan" (unsigned), any case, and nothing after.
bool parse_special(std::string_view s, double& out) noexcept {
  if (s.empty()) return false;
  std::size_t sign_len = 0;
  double sign = 1;
  switch (s[0]) {
    case '+':
    case '-':
      sign = s[0] == '-' ? -1 : 1;
      sign_len = 1;
      [[fallthrough]];
    case 'i':
    case 'I': {
      std::size_t n = common_prefix_ignore_case(s.substr(sign_len), "infinity");
      if (n > 3 && n < 8) n = 3;
      if ((n == 3 || n == 8) && sign_len + n == s.size()) {
        out = sign * std::numeric_limits<double>::infinity();
        return true;
      }
      return false;
    }
    case 'n':
    case 'N':
      if (s.size() == 3 && common_prefix_ignore_case(s, "nan") == 3) {
        out = std::numeric_limits<double>::quiet_NaN();
        return true;
      }
      return false;
    default:
      return false;
  }
}

// Go's underscoreOK(): '_' only between digits, or between the base prefix and a digit.
bool underscores_ok(std::string_view s) noexcept {
  char saw = '^';
  std::size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0' && (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
    i = 2;
    saw = '0';
    hex = lower(s[1]) == 'x';
  }
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (is_digit(c) || (hex && is_hex_letter(c))) {
      saw = '0';
      continue;
    }
    if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

struct Shape {
  bool ok = false;
  bool negative = false;
  bool hex = false;
  bool underscores = false;
  std::size_t body = 0;  // offset of the first mantissa character (after sign and 0x)
};

// Go's readFloat() used as a validator: the whole string must be one number.
Shape read_float_shape(std::string_view s) noexcept {
  Shape shape;
  std::size_t i = 0;
  const std::size_t n = s.size();
  if (n == 0) return shape;
  if (s[0] == '+') {
    i = 1;
  } else if (s[0] == '-') {
    i = 1;
    shape.negative = true;
  }
  if (i + 2 < n && s[i] == '0' && lower(s[i + 1]) == 'x') {
    shape.hex = true;
    i += 2;
  }
  shape.body = i;
  bool saw_dot = false;
  bool saw_digits = false;
  for (; i < n; ++i) {
    const char c = s[i];
    if (c == '_') {
      shape.underscores = true;
    } else if (c == '.') {
      if (saw_dot) break;
      saw_dot = true;
    } else if (is_digit(c) || (shape.hex && is_hex_letter(c))) {
      saw_digits = true;
    } else {
      break;
    }
  }
  if (!saw_digits) return shape;
  const char exp_char = shape.hex ? 'p' : 'e';
  if (i < n && lower(s[i]) == exp_char) {
    ++i;
    if (i >= n) return shape;
    if (s[i] == '+' || s[i] == '-') ++i;
    if (i >= n || !is_digit(s[i])) return shape;
    for (; i < n && (is_digit(s[i]) || s[i] == '_'); ++i) {
      if (s[i] == '_') shape.underscores = true;
    }
  } else if (shape.hex) {
    return shape;  // a hex mantissa needs a 'p' exponent
  }
  if (i != n) return shape;
  if (shape.underscores && !underscores_ok(s)) return shape;
  shape.ok = true;
  return shape;
}

// Exact for up to 15 significant digits and 22 decimals (both operands exact, one correctly rounded
// division), which covers nearly every statsd value without calling from_chars.
bool fast_decimal(std::string_view s, double& out) noexcept {
  if (s.empty() || s.size() > 16) return false;
  uint64_t mantissa = 0;
  int digits = 0;
  int frac = -1;
  for (const char c : s) {
    if (is_digit(c)) {
      mantissa = mantissa * 10 + static_cast<uint64_t>(c - '0');
      ++digits;
      if (frac >= 0) ++frac;
    } else if (c == '.' && frac < 0) {
      frac = 0;
    } else {
      return false;
    }
  }
  if (digits == 0 || digits > 15) return false;
  static constexpr double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16};
  out = static_cast<double>(mantissa);
  if (frac > 0) out /= kPow10[frac];
  return true;
}

// The slow path when from_chars reports out of range: it cannot say whether it overflowed (Go: +-Inf
// and ErrRange) or underflowed (Go: 0 or a subnormal, no error), and leaves the value untouched.
// strtod_l in the C locale gives the correctly rounded result with the sign of the overflow.
GoFloat out_of_range(std::string_view digits, bool hex, std::string& scratch) {
  scratch.assign(hex ? "0x" : "");
  scratch.append(digits);
  static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
  const double v = strtod_l(scratch.c_str(), nullptr, c_locale);
  if (std::isinf(v)) return {std::numeric_limits<double>::infinity(), GoNumStatus::Range};
  return {v, GoNumStatus::Ok};
}

}  // namespace

GoFloat parse_go_float(std::string_view s, std::string& scratch) {
  GoFloat result;
  if (s.empty()) return result;
  {
    // Fast path first: short plain decimals ("42", "-0.25") are what statsd clients send.
    const bool negative = s[0] == '-';
    const std::size_t sign = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    double value = 0;
    if (fast_decimal(s.substr(sign), value)) return {negative ? -value : value, GoNumStatus::Ok};
  }
  if (parse_special(s, result.value)) {
    result.status = GoNumStatus::Ok;
    return result;
  }
  const Shape shape = read_float_shape(s);
  if (!shape.ok) return result;  // ErrSyntax, value 0

  std::string_view digits = s.substr(shape.body);
  double value = 0;
  std::string cleaned;
  if (shape.underscores) {
    scratch.clear();
    for (const char c : digits) {
      if (c != '_') scratch.push_back(c);
    }
    cleaned.swap(scratch);  // keep the buffer: out_of_range() may reuse scratch
    digits = cleaned;
  }
  const auto fmt = shape.hex ? std::chars_format::hex : std::chars_format::general;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, fmt);
  if (ec == std::errc::result_out_of_range) {
    result = out_of_range(digits, shape.hex, scratch);
  } else if (ec != std::errc{} || ptr != digits.data() + digits.size()) {
    result = {};  // cannot happen for validated text; stay on the safe side
  } else {
    result = {value, GoNumStatus::Ok};
  }
  if (shape.underscores) scratch.swap(cleaned);
  if (shape.negative) result.value = -result.value;
  return result;
}

bool is_go_int64(std::string_view s) noexcept {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  const uint64_t limit = negative ? (uint64_t{1} << 63) : (uint64_t{1} << 63) - 1;
  uint64_t v = 0;
  for (const char c : s) {
    if (!is_digit(c)) return false;
    const auto d = static_cast<uint64_t>(c - '0');
    if (v > (limit - d) / 10) return false;
    v = v * 10 + d;
  }
  return true;
}

}  // namespace promcast::exporter
