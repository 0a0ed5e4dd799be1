// Prometheus' model.Duration: a number and a unit, repeated, units from largest to smallest and each at
// most once. Limited, like Prometheus, to what fits a Go time.Duration (int64 nanoseconds, ~292 years),
// so a file accepted here is accepted by Prometheus tooling and the other way round.
#include "rules/duration.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>

namespace promcast::rules {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t ms;
};

// Largest first: the order a duration must be written in.
constexpr std::array<Unit, 7> kUnits{{{"y", 365LL * 24 * 3600 * 1000},
                                      {"w", 7LL * 24 * 3600 * 1000},
                                      {"d", 24LL * 3600 * 1000},
                                      {"h", 3600LL * 1000},
                                      {"m", 60LL * 1000},
                                      {"s", 1000},
                                      {"ms", 1}}};

// The largest duration Go's time.Duration holds, in milliseconds.
constexpr std::int64_t kMaxMs = INT64_MAX / 1'000'000;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::expected<Duration, std::string> parse_duration(std::string_view text) {
  if (text == "0") return Duration{0};
  if (text.empty()) return std::unexpected(std::string("empty duration (expected e.g. 5m, 1h30m, 14d or 0)"));
  auto invalid = [&](std::string_view why) {
    return std::unexpected(fmt::format("invalid duration \"{}\": {}", text, why));
  };
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // index into kUnits of the largest unit still allowed
  std::string_view rest = text;
  while (!rest.empty()) {
    std::size_t i = 0;
    std::int64_t number = 0;
    bool too_big = false;
    while (i < rest.size() && is_digit(rest[i])) {
      if (number > (INT64_MAX - 9) / 10) too_big = true;
      if (!too_big) number = number * 10 + (rest[i] - '0');
      ++i;
    }
    if (i == 0)
      return invalid(
          fmt::format("expected a number at \"{}\" (a duration is numbers with units y, w, d, h, m, "
                      "s, ms, e.g. 1h30m)",
                      rest));
    rest.remove_prefix(i);
    std::size_t j = 0;
    while (j < rest.size() && !is_digit(rest[j])) ++j;
    const std::string_view unit = rest.substr(0, j);
    rest.remove_prefix(j);
    if (unit.empty()) return invalid("missing unit after the number (expected one of y, w, d, h, m, s, ms)");
    if (unit.front() == '.') return invalid("fractions are not allowed (write 1h30m rather than 1.5h)");
    std::size_t k = 0;
    while (k < kUnits.size() && kUnits[k].name != unit) ++k;
    if (k == kUnits.size())
      return invalid(fmt::format("unknown unit \"{}\" (expected one of y, w, d, h, m, s, ms)", unit));
    if (k < next_unit)
      return invalid(
          fmt::format("unit \"{}\" out of order (units go from largest to smallest, each at most once: "
                      "y, w, d, h, m, s, ms)",
                      unit));
    next_unit = k + 1;
    if (too_big || number > kMaxMs / kUnits[k].ms || total > kMaxMs - number * kUnits[k].ms)
      return invalid("out of range (at most about 292 years)");
    total += number * kUnits[k].ms;
  }
  return Duration{total};
}

std::string format_duration(Duration duration) {
  std::int64_t ms = duration.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms <
      0) {  // Prometheus never prints these (its parser has no sign); say it plainly rather than print 0s
    out = "-";
    ms = ms == INT64_MIN ? INT64_MAX : -ms;
  }
  for (const Unit& u : kUnits) {
    if (const std::int64_t v = ms / u.ms; v > 0) {
      out += fmt::format("{}{}", v, u.name);
      ms -= v * u.ms;
    }
  }
  return out;
}

}  // namespace promcast::rules
