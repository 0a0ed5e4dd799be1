// The pieces under the line parser: Go strconv number rules, Go utf8.ValidString, statsd_exporter's
// EscapeMetricName for tag keys. Expected results are Go's documented behaviour (strconv docs and the
// cases of Go's own atof/atoi tests), written out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "exporter/go_strconv.h"
#include "exporter/tag_escape.h"
#include "exporter/utf8.h"

namespace promcast::exporter {
namespace {

struct FloatCase {
  const char* text;
  GoNumStatus status;
  double value;
};

TEST(GoParseFloat, AcceptsWhatGoAccepts) {
  const double inf = std::numeric_limits<double>::infinity();
  const FloatCase cases[] = {
      {"0", GoNumStatus::Ok, 0},
      {"1", GoNumStatus::Ok, 1},
      {"+1", GoNumStatus::Ok, 1},
      {"-1", GoNumStatus::Ok, -1},
      {"1.5", GoNumStatus::Ok, 1.5},
      {".5", GoNumStatus::Ok, 0.5},
      {"5.", GoNumStatus::Ok, 5},
      {"1e3", GoNumStatus::Ok, 1000},
      {"1E3", GoNumStatus::Ok, 1000},
      {"1.e3", GoNumStatus::Ok, 1000},
      {"1e+3", GoNumStatus::Ok, 1000},
      {"1e-3", GoNumStatus::Ok, 0.001},
      {"0.1", GoNumStatus::Ok, 0.1},
      {"123456789012345678901234567890", GoNumStatus::Ok, 1.2345678901234568e29},
      {"0.000000000000000000000000000001", GoNumStatus::Ok, 1e-30},
      {"1.7976931348623157e308", GoNumStatus::Ok, 1.7976931348623157e308},
      {"4.9e-324", GoNumStatus::Ok, 4.9406564584124654e-324},
      {"1e-400", GoNumStatus::Ok, 0},  // underflow is silent in Go
      {"-1e-400", GoNumStatus::Ok, -0.0},
      {"1e400", GoNumStatus::Range, inf},
      {"-1e400", GoNumStatus::Range, -inf},
      {"1.7976931348623159e308", GoNumStatus::Range, inf},
      {"1e99999999999999999999", GoNumStatus::Range, inf},
      {"0e99999999999999999999", GoNumStatus::Ok, 0},
      {"inf", GoNumStatus::Ok, inf},
      {"Inf", GoNumStatus::Ok, inf},
      {"+Inf", GoNumStatus::Ok, inf},
      {"-Inf", GoNumStatus::Ok, -inf},
      {"INFINITY", GoNumStatus::Ok, inf},
      {"-infinity", GoNumStatus::Ok, -inf},
      {"infinit", GoNumStatus::Syntax, 0},
      {"infx", GoNumStatus::Syntax, 0},
      {"infinityx", GoNumStatus::Syntax, 0},
      {"+nan", GoNumStatus::Syntax, 0},
      {"-NaN", GoNumStatus::Syntax, 0},
      {"nan(1)", GoNumStatus::Syntax, 0},
      {"nanx", GoNumStatus::Syntax, 0},
      {"0x1p-2", GoNumStatus::Ok, 0.25},
      {"0X1P+2", GoNumStatus::Ok, 4},
      {"0x1.8p1", GoNumStatus::Ok, 3},
      {"0x.8p1", GoNumStatus::Ok, 1},
      {"-0x10p0", GoNumStatus::Ok, -16},
      {"0xep0", GoNumStatus::Ok, 14},
      {"0x1p2000", GoNumStatus::Range, inf},
      {"0x1p-2000", GoNumStatus::Ok, 0},
      {"0x1", GoNumStatus::Syntax, 0},  // a hex mantissa needs a p exponent
      {"0x1e3", GoNumStatus::Syntax, 0},
      {"0x", GoNumStatus::Syntax, 0},
      {"0xp1", GoNumStatus::Syntax, 0},
      {"1p1", GoNumStatus::Syntax, 0},
      {"1_000", GoNumStatus::Ok, 1000},
      {"1_23.50_0_0e+1_2", GoNumStatus::Ok, 1.235e14},
      {"0x_1p0", GoNumStatus::Ok, 1},
      {"0x1_0p0", GoNumStatus::Ok, 16},
      {"_1", GoNumStatus::Syntax, 0},
      {"1_", GoNumStatus::Syntax, 0},
      {"1__0", GoNumStatus::Syntax, 0},
      {"1_.5", GoNumStatus::Syntax, 0},
      {"1._5", GoNumStatus::Syntax, 0},
      {"1.5_e3", GoNumStatus::Syntax, 0},
      {"1e_3", GoNumStatus::Syntax, 0},
      {"-_1", GoNumStatus::Syntax, 0},
      {"", GoNumStatus::Syntax, 0},
      {"+", GoNumStatus::Syntax, 0},
      {"-", GoNumStatus::Syntax, 0},
      {".", GoNumStatus::Syntax, 0},
      {"e3", GoNumStatus::Syntax, 0},
      {"1e", GoNumStatus::Syntax, 0},
      {"1e+", GoNumStatus::Syntax, 0},
      {"1.2.3", GoNumStatus::Syntax, 0},
      {"++1", GoNumStatus::Syntax, 0},
      {" 1", GoNumStatus::Syntax, 0},
      {"1 ", GoNumStatus::Syntax, 0},
      {"1,5", GoNumStatus::Syntax, 0},
      {"0b101", GoNumStatus::Syntax, 0},
      {"1f", GoNumStatus::Syntax, 0},
  };
  std::string scratch;
  for (const FloatCase& c : cases) {
    SCOPED_TRACE(c.text);
    const GoFloat got = parse_go_float(c.text, scratch);
    EXPECT_EQ(got.status, c.status);
    EXPECT_EQ(got.value, c.value);
    EXPECT_EQ(std::signbit(got.value), std::signbit(c.value));
  }
  EXPECT_TRUE(std::isnan(parse_go_float("nan", scratch).value));
  EXPECT_TRUE(parse_go_float("NaN", scratch).ok());
  EXPECT_TRUE(std::signbit(parse_go_float("-0", scratch).value));
}

TEST(GoParseFloat, CorrectlyRounded) {
  std::string scratch;
  // Halfway cases and long mantissas need the slow path to round right.
  EXPECT_EQ(parse_go_float("9007199254740993", scratch).value, 9007199254740992.0);
  EXPECT_EQ(parse_go_float("9007199254740995", scratch).value, 9007199254740996.0);
  EXPECT_EQ(parse_go_float("2.2250738585072011e-308", scratch).value, 2.225073858507201e-308);
  EXPECT_EQ(parse_go_float("0.1000000000000000055511151231257827", scratch).value, 0.1);
  std::string long_digits = "1." + std::string(5000, '0') + "1";
  EXPECT_EQ(parse_go_float(long_digits, scratch).value, 1.0);
}

TEST(GoParseInt, DecimalInt64Only) {
  EXPECT_TRUE(is_go_int64("0"));
  EXPECT_TRUE(is_go_int64("1656581400"));
  EXPECT_TRUE(is_go_int64("+5"));
  EXPECT_TRUE(is_go_int64("-5"));
  EXPECT_TRUE(is_go_int64("9223372036854775807"));
  EXPECT_TRUE(is_go_int64("-9223372036854775808"));
  EXPECT_TRUE(is_go_int64("000000000000000000000000000001"));
  EXPECT_FALSE(is_go_int64("9223372036854775808"));
  EXPECT_FALSE(is_go_int64("-9223372036854775809"));
  EXPECT_FALSE(is_go_int64(""));
  EXPECT_FALSE(is_go_int64("-"));
  EXPECT_FALSE(is_go_int64("1_000"));
  EXPECT_FALSE(is_go_int64("0x10"));
  EXPECT_FALSE(is_go_int64("1.0"));
  EXPECT_FALSE(is_go_int64(" 1"));
}

TEST(Utf8, GoValidString) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii that is longer than eight bytes"));
  EXPECT_TRUE(is_valid_utf8(std::string("nul\0byte", 8)));
  EXPECT_TRUE(is_valid_utf8("\xc3\xa9"));              // é
  EXPECT_TRUE(is_valid_utf8("\xe2\x82\xac"));          // €
  EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80"));      // U+1F600
  EXPECT_TRUE(is_valid_utf8("\xf4\x8f\xbf\xbf"));      // U+10FFFF
  EXPECT_TRUE(is_valid_utf8("\xed\x9f\xbf"));          // U+D7FF, last before surrogates
  EXPECT_TRUE(is_valid_utf8("abcdefgh\xc3\xa9zzzzzzzz"));
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_FALSE(is_valid_utf8("\x80"));                 // lone continuation
  EXPECT_FALSE(is_valid_utf8("\xc3\x28"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));             // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));         // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));         // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));     // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));             // truncated
  EXPECT_FALSE(is_valid_utf8("abcdefghijklmno\xe2"));  // truncated after the word loop
}

std::string escape(std::string_view key) {
  std::string out(escaped_size_bound(key.size()), '\0');
  return std::string(escape_tag_name(key, out.data()));
}

TEST(TagEscape, LikeEscapeMetricName) {
  EXPECT_EQ(escape("abc_XYZ_09"), "abc_XYZ_09");
  EXPECT_EQ(escape("09digits"), "_09digits");
  EXPECT_EQ(escape("tag.with.dots"), "tag_with_dots");
  EXPECT_EQ(escape("a-b"), "a_b");
  EXPECT_EQ(escape("a--b"), "a_b");
  EXPECT_EQ(escape("a---b"), "a_b");
  EXPECT_EQ(escape("--"), "_");
  EXPECT_EQ(escape("-a-"), "_a_");
  EXPECT_EQ(escape("a.-b"), "a__b");
  EXPECT_EQ(escape("a-.-b"), "a___b");
  EXPECT_EQ(escape("1-2"), "_1_2");
  EXPECT_EQ(escape("\xc3\xa9t\xc3\xa9"), "_t_");
  EXPECT_EQ(escape("\xf0\x9f\x98\x80x"), "_x");
  EXPECT_EQ(escape("a b"), "a_b");
  EXPECT_EQ(escape(":"), "_");
  // Unchanged keys are returned as views of the input, not copied.
  const std::string_view key = "plain";
  char out[8];
  EXPECT_EQ(escape_tag_name(key, out).data(), key.data());
}

}  // namespace
}  // namespace promcast::exporter
