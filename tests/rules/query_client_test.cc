// QueryClient against a scripted HTTP server: what goes on the wire (aligned form fields, chunks,
// auth headers), how answers are joined, when it retries and when it gives up, and the caps.
#include "rules/query_client.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "tests/integration/support.h"
#include "tests/rules/fake_http_server.h"

namespace promcast::rules {
namespace {

using testing::FakeHttpServer;
using testing::FakeResponse;
using testing::RecordedRequest;
using namespace std::chrono_literals;

TimestampMs ms_of(const std::string& seconds) { return std::llround(std::stod(seconds) * 1000); }

// Answers like Prometheus: every series in `names` has a point at each step from start to end
// inclusive, valued t (in seconds) + its index, except where `keep` says no (a gap).
FakeResponse range_answer(const RecordedRequest& request, const std::vector<std::string>& names,
                          const std::function<bool(std::size_t, TimestampMs)>& keep = {}) {
  auto form = request.form();
  const TimestampMs start = ms_of(form["start"]), end = ms_of(form["end"]), step = ms_of(form["step"]);
  std::string result = "[";
  for (std::size_t s = 0; s < names.size(); ++s) {
    std::string values;
    for (TimestampMs t = start; t <= end; t += step) {
      if (keep && !keep(s, t)) continue;
      values += fmt::format("{}[{},\"{}\"]", values.empty() ? "" : ",", static_cast<double>(t) / 1000.0,
                            static_cast<double>(t) / 1000.0 + static_cast<double>(s));
    }
    if (values.empty()) continue;  // Prometheus leaves out series without points in the range
    result += fmt::format(R"({}{{"metric":{{"__name__":"m","name":"{}"}},"values":[{}]}})",
                          result.size() > 1 ? "," : "", names[s], values);
  }
  return {200, R"({"status":"success","data":{"resultType":"matrix","result":)" + result + "]}}"};
}

SourceConfig source_for(const FakeHttpServer& server) {
  SourceConfig config;
  config.name = "fake";
  config.url = server.url();
  config.client.timeout = 2000ms;
  config.client.min_backoff = 10ms;
  config.client.max_backoff = 50ms;
  return config;
}

RangeQuery query(TimestampMs start, TimestampMs end, Duration step) {
  RangeQuery q;
  q.expr = R"(sum by (topic) (rate(x{a="b"}[5m])))";
  q.start = start;
  q.end = end;
  q.step = step;
  q.rule_name = "kafka_ingest_rate";
  return q;
}

constexpr TimestampMs kT0 = 1'699'999'980'000;  // a multiple of 60 s (and of 1.5 s)

TEST(QueryClient, PostsAnAlignedFormToQueryRange) {
  FakeHttpServer server([](const RecordedRequest& r) { return range_answer(r, {"a"}); });
  QueryClient client(source_for(server), nullptr);
  // start and end 25 s and 59.999 s past a minute: both aligned down to the minute.
  const auto series = client.query_range(query(kT0 + 25'000, kT0 + 600'000 + 59'999, 60s));
  ASSERT_TRUE(series.has_value()) << series.error().to_string();
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/api/v1/query_range");
  EXPECT_EQ(requests[0].header("content-type"), "application/x-www-form-urlencoded");
  auto form = requests[0].form();
  EXPECT_EQ(form["query"], R"(sum by (topic) (rate(x{a="b"}[5m])))");
  EXPECT_EQ(form["start"], "1699999980");
  EXPECT_EQ(form["end"], "1700000580");
  EXPECT_EQ(form["step"], "60");
  ASSERT_EQ(series->size(), 1u);
  ASSERT_EQ((*series)[0].timestamps.size(), 11u);
  EXPECT_EQ((*series)[0].timestamps.front(), kT0);
  EXPECT_EQ((*series)[0].values.back(), 1700000580.0);
}

TEST(QueryClient, UrlPrefixesWithPathsAndTrailingSlashes) {
  // Mimir and VictoriaMetrics cluster serve the API under a path prefix.
  FakeHttpServer server([](const RecordedRequest& r) { return range_answer(r, {"a"}); });
  auto config = source_for(server);
  config.url = server.url() + "/select/0/prometheus/";
  ASSERT_TRUE(QueryClient(config, nullptr).query_range(query(kT0, kT0, 60s)).has_value());
  EXPECT_EQ(server.requests().at(0).target, "/select/0/prometheus/api/v1/query_range");
}

TEST(QueryClient, SubSecondStepsAndTimesKeepMilliseconds) {
  FakeHttpServer server([](const RecordedRequest& r) { return range_answer(r, {"a"}); });
  QueryClient client(source_for(server), nullptr);
  const auto series = client.query_range(query(kT0 + 1'234, kT0 + 2'999, 1500ms));
  ASSERT_TRUE(series.has_value()) << series.error().to_string();
  auto form = server.requests().at(0).form();
  EXPECT_EQ(form["start"], "1699999980");
  EXPECT_EQ(form["end"], "1699999981.500");
  EXPECT_EQ(form["step"], "1.500");
  EXPECT_EQ((*series)[0].timestamps, (std::vector<TimestampMs>{kT0, kT0 + 1500}));
}

TEST(QueryClient, LongReadsAreAlignedChunksJoinedWithoutDuplicates) {
  // 250 points with at most 100 per query: 100 + 100 + 50, each chunk starting a step after the last.
  // The server repeats the previous chunk's last point at each border (as a cache might): joined once.
  FakeHttpServer server([](const RecordedRequest& r) {
    auto widened = r;
    auto form = r.form();
    const TimestampMs start = ms_of(form["start"]);
    if (start != kT0)
      widened.body =
          fmt::format("start={}&end={}&step={}", (start - 60'000) / 1000.0, form["end"], form["step"]);
    return range_answer(widened, {"a", "b"});
  });
  auto config = source_for(server);
  config.max_points_per_query = 100;
  QueryClient client(config, nullptr);
  const auto series = client.query_range(query(kT0, kT0 + 249 * 60'000, 60s));
  ASSERT_TRUE(series.has_value()) << series.error().to_string();
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  const std::vector<std::pair<TimestampMs, TimestampMs>> expected = {
      {kT0, kT0 + 99 * 60'000},
      {kT0 + 100 * 60'000, kT0 + 199 * 60'000},
      {kT0 + 200 * 60'000, kT0 + 249 * 60'000}};
  for (std::size_t i = 0; i < 3; ++i) {
    auto form = requests[i].form();
    EXPECT_EQ(ms_of(form["start"]), expected[i].first) << i;
    EXPECT_EQ(ms_of(form["end"]), expected[i].second) << i;
  }
  ASSERT_EQ(series->size(), 2u);
  for (std::size_t s = 0; s < 2; ++s) {
    const Series& one = (*series)[s];
    ASSERT_EQ(one.timestamps.size(), 250u);
    for (std::size_t i = 0; i < 250; ++i) {
      ASSERT_EQ(one.timestamps[i], kT0 + static_cast<TimestampMs>(i) * 60'000);
      ASSERT_EQ(one.values[i], static_cast<double>(one.timestamps[i]) / 1000.0 + static_cast<double>(s));
    }
  }
}

TEST(QueryClient, SeriesThatAppearOrVanishBetweenChunksKeepTheirGaps) {
  // "old" stops after the first chunk, "new" starts in the third, "gappy" misses every 7th point.
  FakeHttpServer server([](const RecordedRequest& r) {
    return range_answer(r, {"old", "new", "gappy"}, [](std::size_t s, TimestampMs t) {
      const auto i = (t - kT0) / 60'000;
      if (s == 0) return i < 40;
      if (s == 1) return i >= 130;
      return i % 7 != 0;
    });
  });
  auto config = source_for(server);
  config.max_points_per_query = 50;
  QueryClient client(config, nullptr);
  const auto series = client.query_range(query(kT0, kT0 + 149 * 60'000, 60s));
  ASSERT_TRUE(series.has_value()) << series.error().to_string();
  ASSERT_EQ(series->size(), 3u);
  EXPECT_EQ(server.requests().size(), 3u);
  // Sorted by labels: gappy, new, old.
  EXPECT_EQ(label_value((*series)[0].labels, "name"), "gappy");
  EXPECT_EQ((*series)[0].timestamps.size(), 150u - 22u);  // i = 0, 7, ..., 147 missing
  EXPECT_EQ((*series)[1].timestamps.size(), 20u);
  EXPECT_EQ((*series)[1].timestamps.front(), kT0 + 130 * 60'000);
  EXPECT_EQ((*series)[2].timestamps.size(), 40u);
  EXPECT_EQ((*series)[2].timestamps.back(), kT0 + 39 * 60'000);
}

TEST(QueryClient, RetriesServerErrorsThenSucceeds) {
  std::atomic<int> calls{0};
  FakeHttpServer server([&](const RecordedRequest& r) {
    if (++calls <= 2) return FakeResponse{503, R"({"status":"error","errorType":"timeout","error":"slow"})"};
    return range_answer(r, {"a"});
  });
  prometheus::Registry registry;
  QueryClient client(source_for(server), &registry);
  const auto series = client.query_range(query(kT0, kT0 + 60'000, 60s));
  ASSERT_TRUE(series.has_value()) << series.error().to_string();
  EXPECT_EQ(server.requests().size(), 3u);
  const std::string metrics = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_NE(metrics.find(R"(promcast_query_duration_seconds_count{source="fake"} 3)"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(promcast_query_failures_total{source="fake"} 0)"), std::string::npos) << metrics;
}

TEST(QueryClient, TooManyRequestsHonoursRetryAfter) {
  std::atomic<int> calls{0};
  FakeHttpServer server([&](const RecordedRequest& r) {
    if (++calls == 1)
      return FakeResponse{.status = 429, .body = "slow down", .headers = {{"Retry-After", "1"}}};
    return range_answer(r, {"a"});
  });
  auto config = source_for(server);
  config.client.max_backoff = 2000ms;
  QueryClient client(config, nullptr);
  const auto start = std::chrono::steady_clock::now();
  const auto series = client.query_range(query(kT0, kT0, 60s));
  ASSERT_TRUE(series.has_value()) << series.error().to_string();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1000ms);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(QueryClient, RetryAfterBeyondMaxBackoffEndsTheRetries) {
  FakeHttpServer server([](const RecordedRequest&) {
    return FakeResponse{.status = 429, .headers = {{"Retry-After", "120"}}};
  });
  QueryClient client(source_for(server), nullptr);
  const auto series = client.query_range(query(kT0, kT0, 60s));
  ASSERT_FALSE(series.has_value());
  EXPECT_NE(series.error().message.find("HTTP 429"), std::string::npos) << series.error().message;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(QueryClient, GivesUpAfterMaxRetriesNamingTheRule) {
  FakeHttpServer server([](const RecordedRequest&) {
    return FakeResponse{500, R"({"status":"error","errorType":"internal","error":"boom"})"};
  });
  prometheus::Registry registry;
  QueryClient client(source_for(server), &registry);
  const auto series = client.query_range(query(kT0, kT0, 60s));
  ASSERT_FALSE(series.has_value());
  EXPECT_EQ(server.requests().size(), 4u);  // 1 + max_retries (3)
  EXPECT_NE(series.error().message.find("rule kafka_ingest_rate (source fake)"), std::string::npos)
      << series.error().message;
  EXPECT_NE(series.error().message.find("HTTP 500: internal: boom"), std::string::npos)
      << series.error().message;
  const std::string metrics = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_NE(metrics.find(R"(promcast_query_failures_total{source="fake"} 1)"), std::string::npos) << metrics;
}

TEST(QueryClient, ClientErrorsAreNeverRetried) {
  for (const int status : {400, 401, 404, 422}) {
    SCOPED_TRACE(status);
    FakeHttpServer server([&](const RecordedRequest&) {
      return FakeResponse{status,
                          R"({"status":"error","errorType":"bad_data","error":"parse error at char 3"})"};
    });
    QueryClient client(source_for(server), nullptr);
    const auto series = client.query_range(query(kT0, kT0, 60s));
    ASSERT_FALSE(series.has_value());
    EXPECT_EQ(server.requests().size(), 1u);
    EXPECT_NE(series.error().message.find(fmt::format("HTTP {}: bad_data: parse error at char 3", status)),
              std::string::npos)
        << series.error().message;
  }
}

TEST(QueryClient, MalformedTruncatedAndNonJsonAnswers) {
  struct Case {
    FakeResponse response;
    std::size_t requests;  // transport failures are retried, bad 200 bodies are not
    std::string expected;
  };
  const Case cases[] = {
      {{200, R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,)"},
       1,
       "not valid JSON"},
      {{200, "<html>proxy says hi</html>"}, 1, "<html>proxy says hi"},
      {{502, "<html>Bad Gateway</html>"}, 4, "HTTP 502"},
      {FakeResponse::raw_bytes("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"status\":"), 4, "read"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.expected);
    FakeHttpServer server([&](const RecordedRequest&) { return c.response; });
    QueryClient client(source_for(server), nullptr);
    const auto series = client.query_range(query(kT0, kT0, 60s));
    ASSERT_FALSE(series.has_value());
    EXPECT_EQ(server.requests().size(), c.requests);
    EXPECT_NE(series.error().message.find(c.expected), std::string::npos) << series.error().message;
  }
}

TEST(QueryClient, HugeAnswerIsRefusedOnceNotRetried) {
  // The length alone is over HttpOptions' default body limit (256 MB): refused before any body byte.
  FakeHttpServer server([](const RecordedRequest&) {
    return FakeResponse::raw_bytes("HTTP/1.1 200 OK\r\nContent-Length: 4000000000\r\n\r\n{");
  });
  QueryClient client(source_for(server), nullptr);
  const auto series = client.query_range(query(kT0, kT0, 60s));
  ASSERT_FALSE(series.has_value());
  EXPECT_NE(series.error().message.find("response body larger than"), std::string::npos)
      << series.error().message;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(QueryClient, ManySeriesAreJoinedAndSorted) {
  // 400 series x 500 points in two chunks (a 9 MB answer each): all there, sorted by labels.
  std::vector<std::string> names;
  for (int i = 399; i >= 0; --i) names.push_back(fmt::format("s{:03}", i));
  FakeHttpServer server([&](const RecordedRequest& r) { return range_answer(r, names); });
  auto config = source_for(server);
  config.max_points_per_query = 250;
  QueryClient client(config, nullptr);
  const auto series = client.query_range(query(kT0, kT0 + 499 * 60'000, 60s));
  ASSERT_TRUE(series.has_value()) << series.error().to_string();
  ASSERT_EQ(series->size(), 400u);
  for (std::size_t i = 0; i < series->size(); ++i) {
    const Series& one = (*series)[i];
    ASSERT_EQ(label_value(one.labels, "name"), fmt::format("s{:03}", i));
    ASSERT_EQ(one.timestamps.size(), 500u);
    // range_answer adds the series' index in `names` (reverse order) to the time.
    ASSERT_EQ(one.values.back(),
              static_cast<double>(kT0 + 499 * 60'000) / 1000.0 + static_cast<double>(399 - i));
  }
}

TEST(QueryClient, SlowServerTimesOutAndIsRetried) {
  FakeHttpServer server([](const RecordedRequest& r) {
    auto answer = range_answer(r, {"a"});
    answer.delay = 300ms;
    return answer;
  });
  auto config = source_for(server);
  config.client.timeout = 100ms;
  config.client.max_retries = 1;
  QueryClient client(config, nullptr);
  const auto series = client.query_range(query(kT0, kT0, 60s));
  ASSERT_FALSE(series.has_value());
  EXPECT_NE(series.error().message.find("timed out"), std::string::npos) << series.error().message;
  // The retry gets a connection of its own while the first answer is still being held back.
  EXPECT_TRUE(testing::wait_until([&] { return server.requests().size() == 2u; }, 3000ms));
}

TEST(QueryClient, ConnectionRefusedIsAnError) {
  SourceConfig config;
  config.url = "http://127.0.0.1:" + std::to_string(testing::free_port());
  config.client.min_backoff = 1ms;
  config.client.max_backoff = 2ms;
  QueryClient client(config, nullptr);
  const auto series = client.query_range(query(kT0, kT0, 60s));
  ASSERT_FALSE(series.has_value());
  EXPECT_NE(series.error().message.find("connect"), std::string::npos) << series.error().message;
}

TEST(QueryClient, NaNEverywhereComesBackAsNaN) {
  FakeHttpServer server([](const RecordedRequest&) {
    return FakeResponse{200, R"({"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{"a":"1"},"values":[[1700000000,"NaN"],[1700000060,"NaN"]]}]}})"};
  });
  QueryClient client(source_for(server), nullptr);
  const auto series = client.query_range(query(kT0, kT0 + 60'000, 60s));
  ASSERT_TRUE(series.has_value()) << series.error().to_string();
  ASSERT_EQ(series->at(0).values.size(), 2u);
  EXPECT_TRUE(std::isnan(series->at(0).values[0]) && std::isnan(series->at(0).values[1]));
}

TEST(QueryClient, AuthAndExtraHeadersReachTheServer) {
  FakeHttpServer server([](const RecordedRequest& r) { return range_answer(r, {"a"}); });
  testing::TempDir dir;
  auto config = source_for(server);
  config.client.headers = {{"X-Scope-OrgID", "tenant-1"}};

  config.client.basic_auth = {{"alice", "s3cret"}};
  ASSERT_TRUE(QueryClient(config, nullptr).query_range(query(kT0, kT0, 60s)).has_value());
  testing::write_file(dir.file("password"), "from-file\n");
  config.client.basic_auth_password_file = dir.file("password");
  ASSERT_TRUE(QueryClient(config, nullptr).query_range(query(kT0, kT0, 60s)).has_value());

  config.client.basic_auth.reset();
  config.client.basic_auth_password_file.clear();
  config.client.bearer_token = "inline-token";
  ASSERT_TRUE(QueryClient(config, nullptr).query_range(query(kT0, kT0, 60s)).has_value());

  // The token file is read at each request: a rotated token is used without a new client.
  config.client.bearer_token.clear();
  config.client.bearer_token_file = dir.file("token");
  testing::write_file(dir.file("token"), "token-1\n");
  QueryClient rotating(config, nullptr);
  ASSERT_TRUE(rotating.query_range(query(kT0, kT0, 60s)).has_value());
  testing::write_file(dir.file("token"), "token-2");
  ASSERT_TRUE(rotating.query_range(query(kT0, kT0, 60s)).has_value());

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[0].header("authorization"), "Basic YWxpY2U6czNjcmV0");      // alice:s3cret
  EXPECT_EQ(requests[1].header("authorization"), "Basic YWxpY2U6ZnJvbS1maWxl");  // alice:from-file
  EXPECT_EQ(requests[2].header("authorization"), "Bearer inline-token");
  EXPECT_EQ(requests[3].header("authorization"), "Bearer token-1");
  EXPECT_EQ(requests[4].header("authorization"), "Bearer token-2");
  for (const auto& r : requests) EXPECT_EQ(r.header("x-scope-orgid"), "tenant-1");

  std::filesystem::remove(dir.file("token"));
  const auto missing = rotating.query_range(query(kT0, kT0, 60s));
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("bearer_token_file"), std::string::npos) << missing.error().message;
}

TEST(QueryClient, SeriesAndSampleCapsNameTheRule) {
  FakeHttpServer server([](const RecordedRequest& r) { return range_answer(r, {"a", "b", "c"}); });
  auto config = source_for(server);
  QueryClient client(config, nullptr);

  auto q = query(kT0, kT0 + 9 * 60'000, 60s);  // 10 points x 3 series
  q.max_series = 2;
  auto series = client.query_range(q);
  ASSERT_FALSE(series.has_value());
  EXPECT_NE(series.error().message.find("rule kafka_ingest_rate"), std::string::npos)
      << series.error().message;
  EXPECT_NE(series.error().message.find("3 series, more than max_series (2)"), std::string::npos)
      << series.error().message;

  q.max_series = 0;  // the source's limit applies
  config.max_series = 3;
  config.max_samples = 29;
  QueryClient capped(config, nullptr);
  series = capped.query_range(q);
  ASSERT_FALSE(series.has_value());
  EXPECT_NE(series.error().message.find("more than max_samples (29)"), std::string::npos)
      << series.error().message;

  q.max_samples = 30;  // the rule's own limit wins over the source's
  series = capped.query_range(q);
  ASSERT_TRUE(series.has_value()) << series.error().to_string();
  EXPECT_EQ(series->size(), 3u);

  // A read that cannot fit even for one series is refused before any request.
  const std::size_t before = server.requests().size();
  q.max_samples = 5;
  series = capped.query_range(q);
  ASSERT_FALSE(series.has_value());
  EXPECT_NE(series.error().message.find("10 points per series"), std::string::npos) << series.error().message;
  EXPECT_EQ(server.requests().size(), before);
}

TEST(QueryClient, BadRangesAreErrors) {
  SourceConfig config;
  config.url = "http://127.0.0.1:1";
  QueryClient client(config, nullptr);
  EXPECT_FALSE(client.query_range(query(kT0, kT0 + 60'000, 0s)).has_value());
  EXPECT_FALSE(client.query_range(query(kT0 + 60'000, kT0, 60s)).has_value());
}

}  // namespace
}  // namespace promcast::rules
