// Template expansion corner cases: statsd_exporter's glob formatter and Go's regexp.Expand
// read the same-looking templates differently, and both are kept.
#include "mappings/template.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace promcast::mappings::detail {
namespace {

std::string glob(std::string_view expr, std::vector<std::string_view> captures) {
  std::string out = "stale";
  Template::glob(expr, captures.size()).expand(captures, out);
  return out;
}

TEST(GlobTemplate, StatsdExporterFormatter) {
  EXPECT_EQ(glob("plain", {"a"}), "plain");
  EXPECT_EQ(glob("$1", {"a"}), "a");
  EXPECT_EQ(glob("${1}", {"a"}), "a");
  EXPECT_EQ(glob("${1}_$2", {"a", "b"}), "a_b");
  EXPECT_EQ(glob("$1_total", {"a"}), "");       // reference `1_total`
  EXPECT_EQ(glob("$1-$2", {"a", "b"}), "a-b");  // `-` ends a reference
  EXPECT_EQ(glob("$1.$1", {"a"}), "a.a");
  EXPECT_EQ(glob("$01", {"a"}), "a");        // Atoi accepts a leading zero
  EXPECT_EQ(glob("$0", {"a"}), "");          // captures count from 1
  EXPECT_EQ(glob("$3", {"a", "b"}), "");     // beyond the glob's captures
  EXPECT_EQ(glob("$1$2", {"a", "b"}), "");   // `$` belongs to the reference: `1$2`
  EXPECT_EQ(glob("${1", {"a"}), "a");        // the closing brace is optional
  EXPECT_EQ(glob("$1}", {"a"}), "a");        // and consumed when present
  EXPECT_EQ(glob("cost$", {"a"}), "cost$");  // a lone `$` stays
  EXPECT_EQ(glob("${}", {"a"}), "${}");
  EXPECT_EQ(glob("$name", {"a"}), "");  // named references do not exist for globs
  EXPECT_EQ(glob("x${2}y", {"a", "b"}), "xby");
}

std::string regex(std::string_view pattern, std::string_view expr, std::string_view text) {
  RE2 re(pattern);
  EXPECT_TRUE(re.ok());
  Template t = Template::regex(expr, re);
  const int groups = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> pieces(static_cast<size_t>(groups));
  EXPECT_TRUE(re.Match(text, 0, text.size(), RE2::UNANCHORED, pieces.data(), groups));
  std::vector<std::string_view> captures;
  for (const auto& p : pieces) captures.emplace_back(p.data() ? std::string_view(p.data(), p.size()) : "");
  std::string out = "stale";
  t.expand(captures, out);
  return out;
}

TEST(RegexTemplate, GoRegexpExpand) {
  EXPECT_EQ(regex(R"((\w+)\.(\w+))", "${2}_$1", "a.b"), "b_a");
  EXPECT_EQ(regex(R"((\w+)\.(\w+))", "$1x", "a.b"), "");  // reference `1x`
  EXPECT_EQ(regex(R"((\w+)\.(\w+))", "$$1", "a.b"), "$1");
  EXPECT_EQ(regex(R"((\w+)\.(\w+))", "${1", "a.b"), "${1");  // malformed: kept as text
  EXPECT_EQ(regex(R"((\w+)\.(\w+))", "$", "a.b"), "$");
  EXPECT_EQ(regex(R"((\w+)\.(\w+))", "$-1", "a.b"), "$-1");
  EXPECT_EQ(regex(R"((\w+)\.(\w+))", "$01", "a.b"), "");  // leading zero: a name, not a number
  EXPECT_EQ(regex(R"((\w+)\.(\w+))", "$0", "a.b"), "a.b");
  EXPECT_EQ(regex(R"((\w+)\.(\w+))", "$3", "a.b"), "");
  EXPECT_EQ(regex(R"((?P<first>\w+)\.(\w+))", "$first/${first}", "a.b"), "a/a");
  EXPECT_EQ(regex(R"((?P<first>\w+)\.(\w+))", "${first}_x", "a.b"), "a_x");
  EXPECT_EQ(regex(R"((?P<first>\w+)\.(\w+))", "$first_x", "a.b"), "");
  EXPECT_EQ(regex(R"((a)|(b))", "[$1][$2]", "b"), "[][b]");  // unset group
}

}  // namespace
}  // namespace promcast::mappings::detail
