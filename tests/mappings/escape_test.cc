// escape_metric_name against statsd_exporter's EscapeMetricName behaviour.
#include <gtest/gtest.h>

#include "mappings/mapper.h"

namespace promcast::mappings {
namespace {

TEST(EscapeMetricName, MatchesStatsdExporter) {
  const std::pair<std::string, std::string> cases[] = {
      {"clean", "clean"},
      {"0starts_with_digit", "_0starts_with_digit"},
      {"9", "_9"},
      {"with_underscore", "with_underscore"},
      {"with--doubledash", "with_doubledash"},
      {"with---multiple-dashes", "with_multiple_dashes"},
      {"-leading", "_leading"},
      {"trailing-", "trailing_"},
      {"a-.-b", "a___b"},  // a dash after a dot is not a double dash
      {"with.dot", "with_dot"},
      {"with\xF0\x9F\x98\xB1"
       "emoji",
       "with_emoji"},  // one `_` per character, not per byte
      {"caf\xC3\xA9", "caf_"},
      {"\xE2\x82\xAC"
       "1",
       "_1"},  // a leading non-digit character: no extra prefix
      {"with.*.multiple", "with___multiple"},
      {"test.web-server.foo.bar", "test_web_server_foo_bar"},
      {"tab\there", "tab_here"},
      {"colon:name", "colon_name"},  // statsd_exporter does not keep ':'
      {"", ""},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(escape_metric_name(in), want) << in;
  }
}

TEST(EscapeMetricName, InvalidUtf8NeverCrashesAndIsValid) {
  // statsd_exporter drops lines with invalid UTF-8 before mapping; we just keep the output
  // a valid metric name, one `_` per stray byte.
  EXPECT_EQ(escape_metric_name("a\xFF"
                               "b"),
            "a_b");
  EXPECT_EQ(escape_metric_name("\xC3"), "_");
  EXPECT_EQ(escape_metric_name(std::string("nul\0byte", 8)), "nul_byte");
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  const std::string out = escape_metric_name(all);
  for (char c : out) {
    EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
        << int(c);
  }
}

}  // namespace
}  // namespace promcast::mappings
