// RemoteWriter against the real receivers (Debian packages, loopback, free ports): Prometheus with
// --web.enable-remote-write-receiver and VictoriaMetrics at /api/v1/write. What was written is read
// back through each server's query API. Skipped when a server is not installed.
#include "rules/remote_write.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <optional>
#include <string>

#include "tests/integration/support.h"

namespace promcast::testing {
namespace {

using rules::RemoteWriteConfig;
using rules::RemoteWriter;
using rules::Sample;

// Unix time in milliseconds, rounded down to a whole second.
std::int64_t now_ms() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::seconds>(now).count() * 1000;
}

// The value of the single series in a /api/v1/query vector answer; nullopt otherwise.
std::optional<std::string> single_value(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::array result;
  if (doc["data"]["result"].get(result) != simdjson::SUCCESS || result.size() != 1) return std::nullopt;
  std::string_view value;
  if (result.at(0)["value"].at(1).get(value) != simdjson::SUCCESS) return std::nullopt;
  return std::string(value);
}

// The label `name` of the single series in a vector answer ("" when absent).
std::string single_label(const std::string& json, std::string_view name) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view value;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS ||
      doc["data"]["result"].at(0)["metric"][name].get(value) != simdjson::SUCCESS) {
    return "";
  }
  return std::string(value);
}

// Polls `query` at `time_ms` until it returns one series with value `expected`.
std::string query_until(const std::string& base, const std::string& query, std::int64_t time_ms,
                        const std::string& expected) {
  std::string last;
  wait_until(
      [&] {
        const auto response = http_get(base + "/api/v1/query?query=" + url_encode(query) +
                                       "&time=" + std::to_string(time_ms / 1000));
        if (!response) return false;
        last = response->body;
        return response->status == 200 && single_value(last) == expected;
      },
      30000ms, 250ms);
  return last;
}

// Five samples a minute apart ending at `end`, plus one for a second series.
std::vector<Sample> forecast_samples(std::int64_t end) {
  std::vector<Sample> out;
  for (int i = 0; i < 5; ++i) {
    out.push_back(Sample{{{"__name__", "kafka_ingest_rate:yhat"}, {"horizon", "1h"}, {"topic", "orders"}},
                         end - (4 - i) * 60'000,
                         100.0 + i});
  }
  out.push_back(
      Sample{{{"__name__", "kafka_ingest_rate:yhat"}, {"horizon", "1h"}, {"topic", "payments"}}, end, 7.5});
  return out;
}

RemoteWriteConfig writer_config(const std::string& url) {
  RemoteWriteConfig config;
  config.name = "it";
  config.url = url;
  config.client.min_backoff = 50ms;
  config.client.max_backoff = 500ms;
  config.max_samples_per_send = 4;  // two requests
  config.batch_send_deadline = 100ms;
  return config;
}

void check_written(const std::string& base, std::int64_t end) {
  const std::string series = R"(kafka_ingest_rate:yhat{topic="orders",horizon="1h"})";
  std::string answer = query_until(base, series, end, "104");
  EXPECT_EQ(single_value(answer), "104") << answer;
  EXPECT_EQ(single_label(answer, "topic"), "orders") << answer;
  answer = query_until(base, "count_over_time(" + series + "[10m])", end, "5");
  EXPECT_EQ(single_value(answer), "5") << answer;
  answer = query_until(base, "sum_over_time(" + series + "[10m])", end, "510");
  EXPECT_EQ(single_value(answer), "510") << answer;
  answer = query_until(base, R"(kafka_ingest_rate:yhat{topic="payments"})", end, "7.5");
  EXPECT_EQ(single_value(answer), "7.5") << answer;
}

TEST(RemoteWriteServers, PrometheusReceiverStoresTheSamples) {
  const std::string prometheus = find_executable("prometheus");
  if (prometheus.empty())
    GTEST_SKIP() << "the prometheus binary (Debian package prometheus) is not installed";
  TempDir dir;
  write_file(dir.file("prometheus.yml"), "global:\n  scrape_interval: 1m\n");
  const std::uint16_t port = free_port();
  Process server(
      {prometheus, "--config.file=" + dir.file("prometheus.yml"), "--storage.tsdb.path=" + dir.file("data"),
       "--web.listen-address=127.0.0.1:" + std::to_string(port), "--web.enable-remote-write-receiver",
       "--log.level=warn"},
      dir.path().string(), "prometheus");
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(wait_for_http_ok(base + "/-/ready", 30000ms)) << server.logs();

  const std::int64_t end = now_ms();
  {
    RemoteWriter writer(writer_config(base + "/api/v1/write"), nullptr);
    writer.append(forecast_samples(end));
    ASSERT_TRUE(writer.flush(20000ms)) << server.logs();
  }
  check_written(base, end);
}

TEST(RemoteWriteServers, VictoriaMetricsStoresTheSamples) {
  const std::string vm = find_executable("victoria-metrics");
  if (vm.empty())
    GTEST_SKIP() << "the victoria-metrics binary (Debian package victoria-metrics) is not installed";
  TempDir dir;
  const std::uint16_t port = free_port();
  Process server(
      {vm, "-httpListenAddr=127.0.0.1:" + std::to_string(port), "-storageDataPath=" + dir.file("data"),
       "-loggerLevel=WARN", "-search.disableCache", "-search.latencyOffset=0s"},
      dir.path().string(), "victoria-metrics");
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(wait_for_http_ok(base + "/health", 30000ms)) << server.logs();

  const std::int64_t end = now_ms();
  {
    RemoteWriter writer(writer_config(base + "/api/v1/write"), nullptr);
    writer.append(forecast_samples(end));
    ASSERT_TRUE(writer.flush(20000ms)) << server.logs();
  }
  // New data becomes searchable after an internal flush (about a second); ask for it now.
  const auto flushed = http_get(base + "/internal/force_flush");
  ASSERT_TRUE(flushed && flushed->status == 200) << server.logs();
  check_written(base, end);
}

}  // namespace
}  // namespace promcast::testing
