// Label matchers with Prometheus' semantics, the selector parser, and series/sample selection.
#include "web/selector.h"

#include <gtest/gtest.h>

#include "web/remote_read.h"

namespace promcast::web {
namespace {

LabelMatcher m(MatchType t, std::string name, std::string value) {
  auto made = LabelMatcher::make(t, std::move(name), std::move(value));
  EXPECT_TRUE(made.has_value());
  return *made;
}

TEST(LabelMatcher, RegexesAreAnchoredAtBothEnds) {
  EXPECT_TRUE(m(MatchType::Regex, "a", "foo|bar").matches("bar"));
  EXPECT_FALSE(m(MatchType::Regex, "a", "foo|bar").matches("barx"));
  EXPECT_FALSE(m(MatchType::Regex, "a", "oo").matches("foo"));
  EXPECT_TRUE(m(MatchType::Regex, "a", ".*").matches(""));
  EXPECT_TRUE(m(MatchType::Regex, "a", "a.b").matches("a\nb"));  // (?s) like Prometheus
  EXPECT_TRUE(m(MatchType::NotRegex, "a", "foo|bar").matches("foobar"));
  EXPECT_FALSE(m(MatchType::NotRegex, "a", "foo|bar").matches("foo"));
  EXPECT_FALSE(LabelMatcher::make(MatchType::Regex, "a", "(").has_value());
}

TEST(LabelMatcher, MissingLabelIsEmpty) {
  const rules::Labels labels{{"job", "x"}};
  EXPECT_TRUE(m(MatchType::Equal, "absent", "").matches(labels));
  EXPECT_FALSE(m(MatchType::NotEqual, "absent", "").matches(labels));
  EXPECT_TRUE(m(MatchType::NotEqual, "job", "y").matches(labels));
  EXPECT_FALSE(m(MatchType::Equal, "job", "y").matches(labels));
}

TEST(ParseSelector, NamesMatchersAndQuotes) {
  auto s = parse_selector(R"(kafka:yhat_path{topic=~"ord.*", level!='0.8', x!~`a\b`, y="q\"\n"})");
  ASSERT_TRUE(s.has_value()) << s.error();
  ASSERT_EQ(s->size(), 5u);
  EXPECT_EQ((*s)[0].name(), "__name__");
  EXPECT_EQ((*s)[0].value(), "kafka:yhat_path");
  EXPECT_EQ((*s)[1].type(), MatchType::Regex);
  EXPECT_EQ((*s)[2].type(), MatchType::NotEqual);
  EXPECT_EQ((*s)[2].value(), "0.8");
  EXPECT_EQ((*s)[3].type(), MatchType::NotRegex);
  EXPECT_EQ((*s)[3].value(), "a\\b");
  EXPECT_EQ((*s)[4].value(), "q\"\n");
  auto bare = parse_selector(" { __name__ = \"up\" , } ");
  ASSERT_TRUE(bare.has_value()) << bare.error();
  EXPECT_EQ(bare->size(), 1u);
}

TEST(ParseSelector, RejectsWhatIsNotASelector) {
  for (const char* q : {"rate(x[5m])", "x[5m]", "x offset 5m", "sum by (a) (x)", "x > 1", "{a=\"b\"",
                        "x{a=b}", "x{a=~\"(\"}", "", "{}"}) {
    auto s = parse_selector(q);
    EXPECT_FALSE(s.has_value()) << q;
  }
  auto e = parse_selector("rate(x[5m])");
  EXPECT_NE(e.error().find("only series selectors"), std::string::npos) << e.error();
  auto empty = parse_selector("{a=~\".*\"}");
  ASSERT_FALSE(empty.has_value());
  EXPECT_NE(empty.error().find("at least one non-empty matcher"), std::string::npos);
}

TEST(SelectSeries, ByMatchersAndTimeRange) {
  std::vector<rules::Series> all(2);
  all[0].labels = {{"__name__", "r:yhat_path"}, {"topic", "a"}};
  all[0].timestamps = {1000, 2000, 3000};
  all[0].values = {1, 2, 3};
  all[1].labels = {{"__name__", "r:yhat_path"}, {"topic", "b"}};
  all[1].timestamps = {5000};
  all[1].values = {9};
  auto sel = parse_selector("r:yhat_path");
  ASSERT_TRUE(sel.has_value());
  auto picked = select_series(all, *sel, 2000, 5000);
  ASSERT_EQ(picked.size(), 2u);
  EXPECT_EQ(picked[0].timestamps, (std::vector<rules::TimestampMs>{2000, 3000}));
  EXPECT_EQ(picked[0].values, (std::vector<double>{2, 3}));
  EXPECT_EQ(select_series(all, *sel, 3500, 4500).size(), 0u);  // no sample: series dropped

  // Remote read answers each query separately, in order.
  std::vector<ReadQuery> queries(2);
  queries[0] = {0, 10000, *parse_selector("{topic=\"b\"}")};
  queries[1] = {0, 10000, *parse_selector("{topic!=\"b\", __name__=~\"r:.*\"}")};
  auto answers = answer_read(queries, all);
  ASSERT_EQ(answers.size(), 2u);
  ASSERT_EQ(answers[0].size(), 1u);
  EXPECT_EQ(rules::label_value(answers[0][0].labels, "topic"), "b");
  ASSERT_EQ(answers[1].size(), 1u);
  EXPECT_EQ(rules::label_value(answers[1][0].labels, "topic"), "a");
}

}  // namespace
}  // namespace promcast::web
