#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "rules/query_client.h"

namespace promcast::rules {
namespace {

std::string matrix(std::string_view result) {
  return R"({"status":"success","data":{"resultType":"matrix","result":)" + std::string(result) + "}}";
}

TEST(ParseQueryResponse, MatrixWithLabelsGapsAndSpecialValues) {
  // As Prometheus 2.42 writes it: fractional-second timestamps, values as strings, series in any
  // order; a gap (stale marker or missing scrape) is simply a missing timestamp.
  const auto series = parse_query_response(matrix(R"([
    {"metric":{"job":"node","__name__":"up","instance":"b"},"values":[[1435781430.781,"1"],[1435781445.781,"NaN"],
                                                                         [1435781475.781,"+Inf"]]},
    {"metric":{"__name__":"up","job":"node","instance":"a"},"values":[[1435781430,"-Inf"],[1435781490,"-2.5e-3"]]}
  ])"));
  ASSERT_TRUE(series.has_value()) << series.error().to_string();
  ASSERT_EQ(series->size(), 2u);
  const Series& a = (*series)[0];
  const Series& b = (*series)[1];
  EXPECT_EQ(label_value(a.labels, "instance"), "a");  // sorted by labels
  EXPECT_EQ(a.labels, make_labels({{"__name__", "up"}, {"instance", "a"}, {"job", "node"}}));
  EXPECT_EQ(a.timestamps, (std::vector<TimestampMs>{1435781430000, 1435781490000}));
  EXPECT_EQ(a.values[0], -INFINITY);
  EXPECT_DOUBLE_EQ(a.values[1], -0.0025);
  EXPECT_EQ(b.timestamps, (std::vector<TimestampMs>{1435781430781, 1435781445781, 1435781475781}));
  EXPECT_EQ(b.values[0], 1.0);
  EXPECT_TRUE(std::isnan(b.values[1]));
  EXPECT_EQ(b.values[2], INFINITY);
}

TEST(ParseQueryResponse, NaNEverywhereIsDataNotAnError) {
  const auto series = parse_query_response(matrix(
      R"([{"metric":{},"values":[[1,"NaN"],[2,"NaN"],[3,"NaN"]]},{"metric":{"a":"1"},"values":[[1,"NaN"]]}])"));
  ASSERT_TRUE(series.has_value()) << series.error().to_string();
  ASSERT_EQ(series->size(), 2u);
  EXPECT_TRUE((*series)[0].labels.empty());
  for (const auto& s : *series)
    for (const double v : s.values) EXPECT_TRUE(std::isnan(v));
}

TEST(ParseQueryResponse, VectorScalarAndEmpty) {
  auto series = parse_query_response(
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"x":"2"},"value":[10.5,"7"]},
          {"metric":{"x":"1"},"value":[10.5,"8"]}]},"warnings":["w"]})");
  ASSERT_TRUE(series.has_value()) << series.error().to_string();
  ASSERT_EQ(series->size(), 2u);
  EXPECT_EQ(label_value((*series)[0].labels, "x"), "1");
  EXPECT_EQ((*series)[0].values, std::vector<double>{8});
  EXPECT_EQ((*series)[1].timestamps, std::vector<TimestampMs>{10500});

  series = parse_query_response(R"({"status":"success","data":{"resultType":"scalar","result":[3,"4"]}})");
  ASSERT_TRUE(series.has_value()) << series.error().to_string();
  ASSERT_EQ(series->size(), 1u);
  EXPECT_EQ((*series)[0].values, std::vector<double>{4});

  series = parse_query_response(matrix("[]"));
  ASSERT_TRUE(series.has_value());
  EXPECT_TRUE(series->empty());
}

TEST(ParseQueryResponse, NativeHistogramOnlySeriesAreLeftOut) {
  const auto series = parse_query_response(matrix(
      R"([{"metric":{"h":"1"},"histograms":[[1,{"count":"2","sum":"3","buckets":[]}]]},{"metric":{"f":"1"},"values":[[1,"1"]]}])"));
  ASSERT_TRUE(series.has_value()) << series.error().to_string();
  ASSERT_EQ(series->size(), 1u);
  EXPECT_EQ(label_value((*series)[0].labels, "f"), "1");
}

TEST(ParseQueryResponse, ApiErrorCarriesErrorTypeAndMessage) {
  const auto series = parse_query_response(
      R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected character: '!'"})");
  ASSERT_FALSE(series.has_value());
  EXPECT_EQ(series.error().message, "bad_data: 1:5: parse error: unexpected character: '!'");
}

TEST(ParseQueryResponse, MalformedAnswersAreErrorsThatSayWhat) {
  struct Case {
    std::string body;
    std::string expected;  // part of the message
  };
  const Case cases[] = {
      {"", "not valid JSON"},
      {"<html><body>502 Bad Gateway</body></html>", "<html><body>502 Bad Gateway"},
      {R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],)",
       "not valid JSON"},
      {R"({"data":{}})", "no \"status\""},
      {R"({"status":"pending"})", "status \"pending\""},
      {R"({"status":"success"})", "no \"data\""},
      {R"({"status":"success","data":{"result":[]}})", "resultType"},
      {R"({"status":"success","data":{"resultType":"matrix"}})", "no data.result"},
      {R"({"status":"success","data":{"resultType":"string","result":[1,"x"]}})", "unsupported resultType"},
      {matrix("{}"), "not an array"},
      {matrix("[1]"), "not an object"},
      {matrix(R"([{"metric":[],"values":[]}])"), "\"metric\" is not an object"},
      {matrix(R"([{"metric":{"a":1},"values":[]}])"), "label a is not a string"},
      {matrix(R"([{"metric":{}}])"), "neither"},
      {matrix(R"([{"metric":{},"values":{}}])"), "\"values\" is not an array"},
      {matrix(R"([{"metric":{},"values":[[1]]}])"), "pair"},
      {matrix(R"([{"metric":{},"values":[[1,"1",2]]}])"), "pair"},
      {matrix(R"([{"metric":{},"values":[["1","1"]]}])"), "timestamp is not a number"},
      {matrix(R"([{"metric":{},"values":[[1e300,"1"]]}])"), "out of range"},
      {matrix(R"([{"metric":{},"values":[[1,1]]}])"), "value is not a string"},
      {matrix(R"([{"metric":{},"values":[[1,"abc"]]}])"), "not a number: \"abc\""},
      {matrix(R"([{"metric":{},"values":[[1,"1x"]]}])"), "not a number"},
      {matrix(R"([{"metric":{},"values":[[1,""]]}])"), "not a number"},
      {matrix(R"([{"metric":{},"values":[[1,"+-1"]]}])"), "not a number"},
      {matrix(R"([{"metric":{},"values":[[1,"1e999"]]}])"), "not a number"},
      {matrix(R"([{"metric":{"a":"1"},"values":[[2,"1"],[2,"1"]]}])"), "do not increase"},
      {matrix(R"([{"metric":{"a":"1"},"values":[[2,"1"],[1,"1"]]}])"), "do not increase"},
      {matrix(R"([{"metric":{"a":"1"},"values":[[1,"1"]]},{"metric":{"a":"1"},"values":[[2,"1"]]}])"),
       "appears twice"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    const auto series = parse_query_response(c.body);
    ASSERT_FALSE(series.has_value());
    EXPECT_NE(series.error().message.find(c.expected), std::string::npos) << series.error().message;
  }
}

TEST(ParseQueryResponse, LargeAnswerIsReadCompletely) {
  // 50 series x 4,000 points (about 4 MB): every point arrives, in order.
  std::string result = "[";
  for (int s = 0; s < 50; ++s) {
    result +=
        (s ? "," : "") + std::string(R"({"metric":{"s":")") + std::to_string(1000 + s) + R"("},"values":[)";
    for (int i = 0; i < 4000; ++i) {
      result += (i ? "," : "") + std::string("[") + std::to_string(1700000000 + 60 * i) + ",\"" +
                std::to_string(s * 4000 + i) + "\"]";
    }
    result += "]}";
  }
  result += "]";
  const auto series = parse_query_response(matrix(result));
  ASSERT_TRUE(series.has_value()) << series.error().to_string();
  ASSERT_EQ(series->size(), 50u);
  for (int s = 0; s < 50; ++s) {
    const Series& one = (*series)[static_cast<std::size_t>(s)];
    EXPECT_EQ(label_value(one.labels, "s"), std::to_string(1000 + s));
    ASSERT_EQ(one.values.size(), 4000u);
    EXPECT_EQ(one.values.back(), s * 4000 + 3999);
    EXPECT_EQ(one.timestamps.back(), (1700000000LL + 60 * 3999) * 1000);
  }
}

}  // namespace
}  // namespace promcast::rules
