// Prometheus durations: the accepted forms and their values (cases from Prometheus' own model.Duration
// tests and the units table), the canonical printed form, and the messages for what is refused.
#include "rules/duration.h"

#include <gtest/gtest.h>

#include <string>

namespace promcast::rules {
namespace {

constexpr long long kS = 1000, kM = 60 * kS, kH = 60 * kM, kD = 24 * kH, kW = 7 * kD, kY = 365 * kD;

struct ParseCase {
  std::string text;
  long long ms;
  std::string canonical;  // format_duration of the value
};

TEST(Duration, ParsesAndFormats) {
  const ParseCase cases[] = {
      {"0", 0, "0s"},
      {"0s", 0, "0s"},
      {"324ms", 324, "324ms"},
      {"3s", 3 * kS, "3s"},
      {"5m", 5 * kM, "5m"},
      {"1h", kH, "1h"},
      {"4d", 4 * kD, "4d"},
      {"4d1h", 4 * kD + kH, "4d1h"},
      {"14d", 14 * kD, "2w"},
      {"3w", 3 * kW, "3w"},
      {"1y", kY, "1y"},
      {"90s", 90 * kS, "1m30s"},
      {"1h30m", kH + 30 * kM, "1h30m"},
      {"1y1w1d1h1m1s1ms", kY + kW + kD + kH + kM + kS + 1, "1y1w1d1h1m1s1ms"},
      {"1d10h17m36s789ms", 123456789, "1d10h17m36s789ms"},
      {"0h5m", 5 * kM, "5m"},
      {"292y", 292 * kY, "292y"},
  };
  for (const auto& c : cases) {
    auto d = parse_duration(c.text);
    ASSERT_TRUE(d.has_value()) << c.text << ": " << d.error();
    EXPECT_EQ(d->count(), c.ms) << c.text;
    EXPECT_EQ(format_duration(*d), c.canonical) << c.text;
    // The printed form parses back to the same value.
    auto again = parse_duration(format_duration(*d));
    ASSERT_TRUE(again.has_value()) << format_duration(*d);
    EXPECT_EQ(*again, *d);
  }
}

struct ErrorCase {
  std::string text;
  std::string message;
};

TEST(Duration, RefusesWithWhatWasExpected) {
  const ErrorCase cases[] = {
      {"", "empty duration (expected e.g. 5m, 1h30m, 14d or 0)"},
      {"5", "invalid duration \"5\": missing unit after the number (expected one of y, w, d, h, m, s, ms)"},
      {"1h30",
       "invalid duration \"1h30\": missing unit after the number (expected one of y, w, d, h, m, s, ms)"},
      {"5x", "invalid duration \"5x\": unknown unit \"x\" (expected one of y, w, d, h, m, s, ms)"},
      {"5M", "invalid duration \"5M\": unknown unit \"M\" (expected one of y, w, d, h, m, s, ms)"},
      {"1.5h", "invalid duration \"1.5h\": fractions are not allowed (write 1h30m rather than 1.5h)"},
      {"m",
       "invalid duration \"m\": expected a number at \"m\" (a duration is numbers with units y, w, d, h, m, "
       "s, ms, e.g. 1h30m)"},
      {"-5m",
       "invalid duration \"-5m\": expected a number at \"-5m\" (a duration is numbers with units y, w, d, "
       "h, m, s, ms, e.g. 1h30m)"},
      {" 5m",
       "invalid duration \" 5m\": expected a number at \" 5m\" (a duration is numbers with units y, w, d, "
       "h, m, s, ms, e.g. 1h30m)"},
      {"30m1h",
       "invalid duration \"30m1h\": unit \"h\" out of order (units go from largest to smallest, each at "
       "most once: y, w, d, h, m, s, ms)"},
      {"1h1h",
       "invalid duration \"1h1h\": unit \"h\" out of order (units go from largest to smallest, each at "
       "most once: y, w, d, h, m, s, ms)"},
      {"293y", "invalid duration \"293y\": out of range (at most about 292 years)"},
      {"99999999999999999999s",
       "invalid duration \"99999999999999999999s\": out of range (at most about 292 years)"},
      {"292y25w", "invalid duration \"292y25w\": out of range (at most about 292 years)"},
  };
  for (const auto& c : cases) {
    auto d = parse_duration(c.text);
    ASSERT_FALSE(d.has_value()) << c.text << " parsed as " << d->count();
    EXPECT_EQ(d.error(), c.message) << c.text;
  }
}

}  // namespace
}  // namespace promcast::rules
