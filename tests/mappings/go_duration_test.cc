// parse_go_duration against Go's time.ParseDuration examples and error cases.
#include "mappings/go_duration.h"

#include <gtest/gtest.h>

namespace promcast::mappings {
namespace {

using std::chrono::nanoseconds;

TEST(GoDuration, Valid) {
  const std::pair<const char*, int64_t> cases[] = {
      {"0", 0},
      {"5s", 5'000'000'000},
      {"30s", 30'000'000'000},
      {"1478s", 1'478'000'000'000},
      {"-5s", -5'000'000'000},
      {"+5s", 5'000'000'000},
      {"-0", 0},
      {"5.0s", 5'000'000'000},
      {"5.6s", 5'600'000'000},
      {"5.s", 5'000'000'000},
      {".5s", 500'000'000},
      {"1.004s", 1'004'000'000},
      {"100.00100s", 100'001'000'000},
      {"10ns", 10},
      {"11us", 11'000},
      {"12\xC2\xB5s", 12'000},
      {"12\xCE\xBCs", 12'000},
      {"13ms", 13'000'000},
      {"14s", 14'000'000'000},
      {"15m", 900'000'000'000},
      {"16h", 57'600'000'000'000},
      {"3h30m", 12'600'000'000'000},
      {"10.5s4m", 250'500'000'000},
      {"-2m3.4s", -123'400'000'000},
      {"1h2m3s4ms5us6ns", 3'723'004'005'006},
      {"39h9m14.425s", 140'954'425'000'000},
      {"52763797000ns", 52'763'797'000},
      {"0.3333333333333333333h", 1'200'000'000'000},
      {"9223372036854775807ns", INT64_MAX},
      {"-9223372036854775808ns", INT64_MIN},
  };
  for (const auto& [text, want] : cases) {
    auto got = parse_go_duration(text);
    ASSERT_TRUE(got.has_value()) << text;
    EXPECT_EQ(got->count(), want) << text;
  }
}

TEST(GoDuration, Invalid) {
  for (const char* text : {"", "3", "-", "s", ".", "-.", ".s", "+.s", "1d", "1.2.3s", "9223372036854775808ns",
                           "10 minutes", "5s ", "1e3s"}) {
    EXPECT_FALSE(parse_go_duration(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace promcast::mappings
