#include "rules/output_store.h"

#include <gtest/gtest.h>

namespace promcast::rules {
namespace {

TEST(OutputStore, RendersFamiliesInNameOrderWithEscapedLabels) {
  OutputStore store;
  store.replace("g|r2", {{"b:yhat", {{"horizon", "1h"}}, 2.5}});
  store.replace("g|r1", {{"a:yhat", {{"job", "x\"y\\z\nw"}}, 1e6}, {"a:yhat", {{"job", "a"}}, -0.25}});
  std::string text;
  store.write_text(text);
  EXPECT_EQ(text,
            "# TYPE a:yhat gauge\n"
            "a:yhat{job=\"a\"} -0.25\n"
            "a:yhat{job=\"x\\\"y\\\\z\\nw\"} 1e+06\n"
            "# TYPE b:yhat gauge\n"
            "b:yhat{horizon=\"1h\"} 2.5\n");
}

TEST(OutputStore, ReplaceSwapsARulesSamplesAndRetainDropsOthers) {
  OutputStore store;
  store.replace("r1", {{"a", {}, 1}, {"a", {{"k", "v"}}, 2}});
  store.replace("r2", {{"b", {}, 3}});
  EXPECT_EQ(store.size(), 3u);
  store.replace("r1", {{"a", {}, 5}});
  EXPECT_EQ(store.size(), 2u);
  store.retain({"r2"});
  EXPECT_EQ(store.size(), 1u);
  EXPECT_TRUE(store.samples("r1").empty());
}

TEST(FormatSampleValue, MatchesGoText) {
  EXPECT_EQ(format_sample_value(42), "42");
  EXPECT_EQ(format_sample_value(0.1), "0.1");
  EXPECT_EQ(format_sample_value(1.5e-7), "1.5e-07");
  EXPECT_EQ(format_sample_value(123456), "123456");
  EXPECT_EQ(format_sample_value(1234567), "1.234567e+06");
  EXPECT_EQ(format_sample_value(0.0001), "0.0001");
  EXPECT_EQ(format_sample_value(0.00001), "1e-05");
  EXPECT_EQ(format_sample_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_sample_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(format_sample_value(0.0 / 0.0), "NaN");
}

}  // namespace
}  // namespace promcast::rules
