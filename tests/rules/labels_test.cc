#include "rules/labels.h"

#include <gtest/gtest.h>

namespace promcast::rules {
namespace {

TEST(MakeLabels, SortsByNameAndTheLaterDuplicateWins) {
  const Labels labels =
      make_labels({{"job", "node"}, {"__name__", "up"}, {"a", "1"}, {"job", "api"}, {"a", "2"}});
  const Labels expected = {{"__name__", "up"}, {"a", "2"}, {"job", "api"}};
  EXPECT_EQ(labels, expected);
  EXPECT_TRUE(make_labels({}).empty());
}

TEST(LabelsHash, IsFnv1aOverNameFfValueFf) {
  // Reference values computed outside this code base (Python, FNV-1a 64 over the same bytes).
  EXPECT_EQ(labels_hash({}), 0xcbf29ce484222325ULL);  // the FNV-1a 64 offset basis: no bytes hashed
  EXPECT_EQ(labels_hash({{"a", "b"}}), 0xd2b371819297f98aULL);
  EXPECT_EQ(labels_hash(make_labels({{"job", "node"}, {"__name__", "up"}})), 0x7bfed62635f64858ULL);
}

TEST(LabelsHash, SeparatorKeepsBoundariesApart) {
  // Without the 0xff separators these two sets would hash the same bytes "abc".
  EXPECT_NE(labels_hash({{"a", "bc"}}), labels_hash({{"ab", "c"}}));
  EXPECT_NE(labels_hash({{"a", ""}, {"b", ""}}), labels_hash({{"a", "b"}}));
  EXPECT_EQ(labels_hash({{"a", "b"}}), labels_hash(make_labels({{"a", "x"}, {"a", "b"}})));
}

TEST(LabelsToString, QuotesAndEscapesLikePrometheus) {
  EXPECT_EQ(labels_to_string({}), "{}");
  EXPECT_EQ(labels_to_string({{"a", "b"}, {"c", "d"}}), R"({a="b", c="d"})");
  EXPECT_EQ(labels_to_string({{"path", "C:\\x \"q\"\nend"}}), R"({path="C:\\x \"q\"\nend"})");
}

TEST(LabelValue, FindsPresentAndEmptyForAbsent) {
  const Labels labels = make_labels({{"b", "2"}, {"a", "1"}, {"d", "4"}});
  EXPECT_EQ(label_value(labels, "a"), "1");
  EXPECT_EQ(label_value(labels, "d"), "4");
  EXPECT_EQ(label_value(labels, "c"), "");
  EXPECT_EQ(label_value(labels, "zz"), "");
  EXPECT_EQ(label_value({}, "a"), "");
}

TEST(SetLabel, ReplacesOrInsertsInOrder) {
  Labels labels = make_labels({{"b", "2"}, {"d", "4"}});
  set_label(labels, "c", "3");
  set_label(labels, "a", "1");
  set_label(labels, "e", "5");
  set_label(labels, "b", "two");
  const Labels expected = {{"a", "1"}, {"b", "two"}, {"c", "3"}, {"d", "4"}, {"e", "5"}};
  EXPECT_EQ(labels, expected);
  EXPECT_EQ(labels_hash(labels),
            labels_hash(make_labels({{"e", "5"}, {"d", "4"}, {"c", "3"}, {"b", "two"}, {"a", "1"}})));
}

TEST(RemoveLabel, RemovesOnlyThatName) {
  Labels labels = make_labels({{"a", "1"}, {"b", "2"}, {"c", "3"}});
  remove_label(labels, "b");
  remove_label(labels, "zz");
  const Labels expected = {{"a", "1"}, {"c", "3"}};
  EXPECT_EQ(labels, expected);
  remove_label(labels, "a");
  remove_label(labels, "c");
  EXPECT_TRUE(labels.empty());
}

}  // namespace
}  // namespace promcast::rules
