// The query API with the requests Grafana's Prometheus data source sends (GET and POST form bodies, times
// as seconds with decimals or RFC 3339), parsed back as JSON.
#include "web/query_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace promcast::web {
namespace {

using nlohmann::json;
constexpr rules::TimestampMs kNow = 1'700'000'000'000;

std::vector<rules::Series> data() {
  std::vector<rules::Series> all(3);
  all[0].labels = {{"__name__", "ingest:yhat_path"}, {"topic", "orders"}};
  all[1].labels = {{"__name__", "ingest:yhat_path_upper"}, {"level", "0.95"}, {"topic", "orders"}};
  for (int i = 1; i <= 12; ++i) {  // hourly, into the future
    all[0].timestamps.push_back(kNow + i * 3'600'000);
    all[0].values.push_back(100 + i);
    all[1].timestamps.push_back(kNow + i * 3'600'000);
    all[1].values.push_back(120 + i);
  }
  all[2].labels = {{"__name__", "ingest:yhat"}, {"horizon", "1h"}, {"topic", "pay\"ments"}};
  all[2].timestamps = {kNow - 30'000};
  all[2].values = {42.5};
  return all;
}

struct Fixture : ::testing::Test {
  QueryApi api{[] { return data(); }, [] { return kNow; }, "0.1.0"};

  std::pair<int, json> get(const std::string& target) {
    exporter::HttpRequest r;
    r.method = "GET";
    r.target = target;
    r.path = target.substr(0, target.find('?'));
    auto response = api.handle(r);
    EXPECT_TRUE(response.has_value()) << target;
    if (!response) return {0, json()};
    EXPECT_EQ(response->content_type, "application/json");
    return {response->status, json::parse(response->body)};
  }
  std::pair<int, json> post(const std::string& path, const std::string& form) {
    exporter::HttpRequest r;
    r.method = "POST";
    r.target = path;
    r.path = path;
    r.body = form;
    r.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    auto response = api.handle(r);
    EXPECT_TRUE(response.has_value());
    return {response->status, json::parse(response->body)};
  }
};

TEST(ParseTime, SecondsAndRfc3339) {
  EXPECT_EQ(parse_time("1700000000"), 1'700'000'000'000);
  EXPECT_EQ(parse_time("1700000000.123"), 1'700'000'000'123);
  EXPECT_EQ(parse_time("2023-11-14T22:13:20Z"), 1'700'000'000'000);
  EXPECT_EQ(parse_time("2023-11-14T22:13:20.5Z"), 1'700'000'000'500);
  EXPECT_EQ(parse_time("2023-11-14T23:13:20+01:00"), 1'700'000'000'000);
  EXPECT_EQ(parse_time("2023-11-14T21:13:20.250-01:00"), 1'700'000'000'250);
  EXPECT_FALSE(parse_time("yesterday").has_value());
  EXPECT_FALSE(parse_time("2023-13-14T22:13:20Z").has_value());
  EXPECT_FALSE(parse_time("2023-11-14T22:13:20").has_value());  // no zone
}

TEST_F(Fixture, QueryRangeIntoTheFutureLikeGrafana) {
  // Grafana: POST form, start/end in seconds, step in seconds.
  auto [status, body] =
      post("/api/v1/query_range",
           "query=ingest%3Ayhat_path%7Btopic%3D%22orders%22%7D&start=1699996400&end=1700043200&step=3600");
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["status"], "success");
  EXPECT_EQ(body["data"]["resultType"], "matrix");
  ASSERT_EQ(body["data"]["result"].size(), 1u);
  const auto& r = body["data"]["result"][0];
  EXPECT_EQ(r["metric"]["__name__"], "ingest:yhat_path");
  EXPECT_EQ(r["metric"]["topic"], "orders");
  // Steps from now-1h to now+12h; points exist only at and after the first forecast step.
  ASSERT_EQ(r["values"].size(), 12u);
  EXPECT_EQ(r["values"][0][0], 1'700'003'600);
  EXPECT_EQ(r["values"][0][1], "101");
  EXPECT_EQ(r["values"][11][0], 1'700'043'200);
  EXPECT_EQ(r["values"][11][1], "112");

  // The same over GET with RFC 3339 and a duration step, and a regex matcher.
  auto [s2, b2] =
      get("/api/v1/query_range?query=%7B__name__%3D~%22ingest%3Ayhat_path.*%22%7D"
          "&start=2023-11-14T23:13:20Z&end=2023-11-15T00:13:20Z&step=30m");
  ASSERT_EQ(s2, 200) << b2.dump();
  ASSERT_EQ(b2["data"]["result"].size(), 2u);
  // 5-minute lookback: 23:43:20 has no sample within 5 minutes (23:13:20 is 30 min before), so 3 steps
  // give 2 points (23:13:20 and 00:13:20).
  EXPECT_EQ(b2["data"]["result"][0]["values"].size(), 2u);
}

TEST_F(Fixture, InstantQueryLabelsSeriesAndValues) {
  auto [s, b] = get("/api/v1/query?query=ingest%3Ayhat&time=1700000000");
  ASSERT_EQ(s, 200) << b.dump();
  EXPECT_EQ(b["data"]["resultType"], "vector");
  ASSERT_EQ(b["data"]["result"].size(), 1u);
  EXPECT_EQ(b["data"]["result"][0]["metric"]["topic"], "pay\"ments");
  EXPECT_EQ(b["data"]["result"][0]["value"][1], "42.5");
  // Grafana's "Save & test" query.
  auto [s1, one] = get("/api/v1/query?query=1%2B1&time=1700000000.5");
  ASSERT_EQ(s1, 200);
  EXPECT_EQ(one["data"]["resultType"], "scalar");
  EXPECT_EQ(one["data"]["result"][0], 1700000000.5);
  EXPECT_EQ(one["data"]["result"][1], "2");

  auto [sl, labels] = get("/api/v1/labels?start=1699990000&end=1700090000");
  ASSERT_EQ(sl, 200);
  EXPECT_EQ(labels["data"], json::array({"__name__", "horizon", "level", "topic"}));
  auto [sv, names] = get("/api/v1/label/__name__/values");
  EXPECT_EQ(names["data"], json::array({"ingest:yhat", "ingest:yhat_path", "ingest:yhat_path_upper"}));
  auto [st, topics] = post("/api/v1/label/topic/values", "match%5B%5D=ingest%3Ayhat_path");
  EXPECT_EQ(topics["data"], json::array({"orders"}));
  auto [ss, series] =
      post("/api/v1/series", "match[]=%7Blevel%3D%220.95%22%7D&match[]=ingest%3Ayhat&start=0");
  ASSERT_EQ(ss, 200) << series.dump();
  ASSERT_EQ(series["data"].size(), 2u);
  EXPECT_EQ(series["data"][0]["level"], "0.95");
  EXPECT_EQ(series["data"][1]["horizon"], "1h");
}

TEST_F(Fixture, GrafanaProbesGetEmptyAnswers) {
  auto [s1, build] = get("/api/v1/status/buildinfo");
  EXPECT_EQ(s1, 200);
  EXPECT_EQ(build["data"]["version"], "0.1.0");
  auto [s2, metadata] = get("/api/v1/metadata");
  EXPECT_EQ(s2, 200);
  EXPECT_TRUE(metadata["data"].is_object());
  auto [s3, exemplars] = post("/api/v1/query_exemplars", "query=ingest%3Ayhat&start=1&end=2");
  EXPECT_EQ(s3, 200);
  EXPECT_EQ(exemplars["data"], json::array());
}

TEST_F(Fixture, ErrorsInPrometheusShape) {
  for (const char* target :
       {"/api/v1/query?query=rate(ingest%3Ayhat%5B5m%5D)", "/api/v1/query", "/api/v1/query?query=x&time=soon",
        "/api/v1/query_range?query=x&start=10&end=5&step=1",
        "/api/v1/query_range?query=x&start=0&end=100000&step=1",
        "/api/v1/query_range?query=x&start=0&end=10&step=0", "/api/v1/query_range?query=x&start=0&end=10",
        "/api/v1/series", "/api/v1/series?match[]=sum(x)"}) {
    auto [status, body] = get(target);
    EXPECT_EQ(status, 400) << target;
    EXPECT_EQ(body["status"], "error") << target;
    EXPECT_EQ(body["errorType"], "bad_data") << target;
    EXPECT_TRUE(body["error"].is_string() && !body["error"].get<std::string>().empty()) << target;
  }
  auto [status, body] = get("/api/v1/query?query=sum(x)");
  EXPECT_NE(body["error"].get<std::string>().find("only series selectors"), std::string::npos);
  exporter::HttpRequest other;
  other.method = "GET";
  other.path = other.target = "/api/v1/rules";
  EXPECT_FALSE(api.handle(other).has_value());
}

}  // namespace
}  // namespace promcast::web
