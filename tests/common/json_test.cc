// The one JSON writer (common/json.h) on hostile strings: quotes, backslashes, every control character,
// invalid UTF-8 (replaced by U+FFFD, never a throw), and numbers JSON cannot hold.
#include "common/json.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace promcast::json {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

TEST(Json, QuotesBackslashesAndControlCharactersAreEscaped) {
  EXPECT_EQ(dump(Json("a\"b\\c/d")), R"("a\"b\\c/d")");
  EXPECT_EQ(dump(Json("\b\f\n\r\t")), R"("\b\f\n\r\t")");
  EXPECT_EQ(dump(Json(std::string("\x00\x01\x1f", 3))), R"("\u0000\u0001\u001f")");
  // every control character, as a key and as a value, survives a round trip
  std::string all;
  for (int c = 0; c < 0x20; ++c) all += static_cast<char>(c);
  all += "\"\\\x7f";
  const Json doc = {{all, all}};
  const std::string text = dump(doc);
  for (char c : text) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << text;  // nothing raw below 0x20
  EXPECT_EQ(Json::parse(text), doc);
}

TEST(Json, ValidUtf8IsKeptAsIs) {
  const std::string s = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";  // café € 😀
  EXPECT_EQ(dump(Json(s)), "\"" + s + "\"");
}

TEST(Json, InvalidUtf8BecomesTheReplacementCharacterInsteadOfThrowing) {
  EXPECT_EQ(dump(Json("a\x80"
                      "b")),
            "\"a" + kReplacement + "b\"");  // a lone continuation byte
  EXPECT_EQ(dump(Json("\xFF")), "\"" + kReplacement + "\"");
  // truncated, overlong and surrogate sequences: valid UTF-8 out, the good text around them kept
  for (const std::string bad : {"x\xE2\x82", "x\xC0\xAFy", "x\xED\xA0\x80y", "\xF0\x9F\x98"}) {
    std::string text;
    ASSERT_NO_THROW(text = dump(Json(bad))) << bad;
    EXPECT_NE(text.find(kReplacement), std::string::npos) << text;
    EXPECT_EQ(text.substr(0, 2), bad[0] == 'x' ? "\"x" : "\"\xEF") << text;
    Json parsed;
    EXPECT_NO_THROW(parsed = Json::parse(text)) << text;  // the parser rejects invalid UTF-8: this is valid
  }
  // as an object key too
  EXPECT_EQ(dump(Json{{"k\xC3", 1}}), "{\"k" + kReplacement + "\":1}");
}

TEST(Json, NumbersAndTheirNullsForNanAndInfinity) {
  EXPECT_EQ(dump(number_or_null(0.1)), "0.1");
  EXPECT_EQ(dump(number_or_null(2.0)), "2.0");
  EXPECT_EQ(dump(number_or_null(std::numeric_limits<double>::max())), "1.7976931348623157e+308");
  EXPECT_EQ(dump(number_or_null(std::nan(""))), "null");
  EXPECT_EQ(dump(number_or_null(std::numeric_limits<double>::infinity())), "null");
  EXPECT_EQ(dump(number_or_null(-std::numeric_limits<double>::infinity())), "null");
  EXPECT_EQ(dump(Json(42)), "42");
}

TEST(Json, ObjectsKeepInsertionOrderAndIndentIsOptional) {
  Json doc = {{"z", 1}, {"a", {1, 2}}};
  EXPECT_EQ(dump(doc), R"({"z":1,"a":[1,2]})");
  EXPECT_EQ(dump(doc, 2), "{\n  \"z\": 1,\n  \"a\": [\n    1,\n    2\n  ]\n}");
}

}  // namespace
}  // namespace promcast::json
