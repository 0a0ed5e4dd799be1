// The load-time grammars (statsd_exporter's metricLineRE, metricNameRE, labelNameRE) and
// the Go-to-RE2 named-group rewrite.
#include "mappings/syntax.h"

#include <gtest/gtest.h>

#include "mappings/mapper.h"

namespace promcast::mappings::detail {
namespace {

TEST(Syntax, GlobGrammar) {
  for (const char* ok : {"*", "a", "_a", "a.b", "a.*", "*.b", "a.1b", "a-b.c-d-e", "a.b_c.*.*", "A9.Z_"}) {
    EXPECT_TRUE(is_valid_glob(ok)) << ok;
  }
  for (const char* bad : {"", ".", "a.", ".a", "a..b", "1a", "-a", "a-", "a--b", "a.b-", "a*", "a.*b", "**",
                          "a.b c", "a/b", "a.b.$1"}) {
    EXPECT_FALSE(is_valid_glob(bad)) << bad;
  }
}

TEST(Syntax, NameTemplateGrammar) {
  for (const char* ok : {"a", "_", "abc_1", "$1", "${1}", "${1", "$1}", "a$1", "$1_$2", "${12}x", "$1$2"}) {
    EXPECT_TRUE(is_valid_name_template(ok)) << ok;
  }
  for (const char* bad : {"", "1a", "a-b", "a.b", "$", "${}", "$x", "${name}", "a:b", "a b"}) {
    EXPECT_FALSE(is_valid_name_template(bad)) << bad;
  }
}

TEST(Syntax, LabelNameGrammar) {
  for (const char* ok : {"ab", "_a", "a1", "__name__", "A_B"}) EXPECT_TRUE(is_valid_label_name(ok)) << ok;
  for (const char* bad : {"", "a", "1a", "a-b", "a.b", "é1"}) EXPECT_FALSE(is_valid_label_name(bad)) << bad;
}

TEST(Syntax, GoNamedGroupsForRe2) {
  EXPECT_EQ(go_regex_for_re2(R"((?<svc>\w+)\.x)"), R"((?P<svc>\w+)\.x)");
  EXPECT_EQ(go_regex_for_re2(R"((?P<svc>\w+))"), R"((?P<svc>\w+))");
  EXPECT_EQ(go_regex_for_re2(R"(\(?<svc>)"), R"(\(?<svc>)");       // escaped paren: untouched
  EXPECT_EQ(go_regex_for_re2(R"([(?<]x)"), R"([(?<]x)");           // inside a class
  EXPECT_EQ(go_regex_for_re2(R"([]](?<a>b))"), R"([]](?P<a>b))");  // `]` first in a class is literal
  EXPECT_EQ(go_regex_for_re2(R"((?<=x))"), R"((?<=x))");           // lookbehind stays (and stays invalid)
}

TEST(Syntax, NewStyleNamedGroupsWorkInMappings) {
  auto parsed = MappingConfig::parse(R"y(mappings:
- match: '^(?<service>[a-z]+)\.hits$'
  match_type: regex
  name: hits
  labels:
    service: "${service}"
)y",
                                     "named.yml");
  ASSERT_TRUE(parsed.has_value()) << parsed.error()[0].to_string();
  Mapper mapper(std::make_shared<const MappingConfig>(std::move(*parsed)));
  MapResult r = mapper.map("web.hits", MetricType::Counter);
  ASSERT_TRUE(r.matched());
  EXPECT_EQ(r.labels[0].second, "web");
}

}  // namespace
}  // namespace promcast::mappings::detail
