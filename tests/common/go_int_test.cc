// parse_go_int against strconv.ParseInt(s, 0, 64)'s documented rules.
#include <gtest/gtest.h>

#include "common/go_int.h"

namespace promcast {
namespace {

struct Ok {
  const char* text;
  int64_t value;
};

TEST(GoInt, AcceptsWhatStrconvAccepts) {
  const Ok cases[] = {{"0", 0},       {"42", 42},    {"+42", 42},  {"-42", -42},
                      {"0x1F", 31},   {"0X1f", 31},  {"0b101", 5}, {"0o17", 15},
                      {"017", 15},    {"-0x10", -16},
                      {"9223372036854775807", INT64_MAX},
                      {"-9223372036854775808", INT64_MIN}};
  for (const auto& c : cases) {
    auto got = parse_go_int(c.text);
    ASSERT_TRUE(got.has_value()) << c.text;
    EXPECT_EQ(*got, c.value) << c.text;
  }
}

TEST(GoInt, RejectsSyntaxAndRange) {
  for (const char* bad : {"", "+", "-", "0x", "1.5", " 1", "1 ", "08", "0b2", "--1", "+-1", "0x-1", "1e3"}) {
    auto got = parse_go_int(bad);
    ASSERT_FALSE(got.has_value()) << bad;
    EXPECT_EQ(got.error(), GoIntError::Syntax) << bad;
  }
  for (const char* big : {"9223372036854775808", "-9223372036854775809", "0x10000000000000000"}) {
    auto got = parse_go_int(big);
    ASSERT_FALSE(got.has_value()) << big;
    EXPECT_EQ(got.error(), GoIntError::Range) << big;
  }
}

}  // namespace
}  // namespace promcast
