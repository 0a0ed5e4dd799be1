// The scenario users follow in the course material: a drift metric sent over UDP is mapped by a
// 4-capture glob, shows up on promcast's /metrics, and a real Prometheus scraping promcast returns
// it with the mapped labels from its query API.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "tests/integration/support.h"

namespace promcast::testing {
namespace {

constexpr std::string_view kDriftLine = "drift_metrics.mushroom.v1.cap-diameter.wasserstein:42|g";
constexpr std::string_view kDriftSeries =
    R"(drift_metrics{column_name="cap-diameter",dataset_name="mushroom",dataset_version="v1",metric_name="wasserstein"})";

// Sends the line until the sample appears: the UDP listener may come up a moment after HTTP, and
// re-sending a gauge with the same value is idempotent.
std::string send_until_visible(PromcastExporter& promcast) {
  std::string body;
  wait_until(
      [&] {
        send_udp(promcast.statsd_port(), kDriftLine);
        std::this_thread::sleep_for(50ms);
        body = promcast.metrics();
        return sample_value(body, kDriftSeries) == 42.0;
      },
      10000ms, 200ms);
  return body;
}

struct QuerySample {
  std::string dataset_name, dataset_version, column_name, metric_name, job, value;
};

// Parses a /api/v1/query vector answer into the drift labels and value of each series.
std::vector<QuerySample> parse_query_answer(const std::string& json) {
  std::vector<QuerySample> out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) return out;
  std::string_view status;
  if (doc["status"].get(status) != simdjson::SUCCESS || status != "success") return out;
  simdjson::dom::array result;
  if (doc["data"]["result"].get(result) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element series : result) {
    QuerySample sample;
    simdjson::dom::object metric;
    if (series["metric"].get(metric) != simdjson::SUCCESS) continue;
    for (auto [key, value] : metric) {
      std::string_view text;
      if (value.get(text) != simdjson::SUCCESS) continue;
      if (key == "dataset_name") sample.dataset_name = text;
      if (key == "dataset_version") sample.dataset_version = text;
      if (key == "column_name") sample.column_name = text;
      if (key == "metric_name") sample.metric_name = text;
      if (key == "job") sample.job = text;
    }
    simdjson::dom::array point;
    std::string_view value;
    if (series["value"].get(point) == simdjson::SUCCESS && point.at(1).get(value) == simdjson::SUCCESS) {
      sample.value = value;
    }
    out.push_back(std::move(sample));
  }
  return out;
}

TEST(PrometheusScrape, DriftMetricOnMetricsEndpoint) {
  PromcastExporter promcast(kDriftMapping);
  ASSERT_TRUE(promcast.wait_ready()) << promcast.process().logs();
  const std::string body = send_until_visible(promcast);
  EXPECT_NE(body.find(std::string(kDriftSeries) + " 42\n"), std::string::npos)
      << body << promcast.process().logs();
  EXPECT_NE(body.find("# TYPE drift_metrics gauge\n"), std::string::npos) << body;
}

TEST(PrometheusScrape, RealPrometheusReturnsTheDriftSeries) {
  const std::string prometheus = find_executable("prometheus");
  if (prometheus.empty())
    GTEST_SKIP() << "the prometheus binary (Debian package prometheus) is not installed";

  PromcastExporter promcast(kDriftMapping);
  ASSERT_TRUE(promcast.wait_ready()) << promcast.process().logs();
  ASSERT_EQ(sample_value(send_until_visible(promcast), kDriftSeries), 42.0) << promcast.process().logs();

  TempDir dir;
  const std::uint16_t prometheus_port = free_port_except({promcast.statsd_port(), promcast.web_port()});
  write_file(dir.file("prometheus.yml"),
             "global:\n"
             "  scrape_interval: 1s\n"
             "  evaluation_interval: 1s\n"
             "scrape_configs:\n"
             "  - job_name: promcast\n"
             "    static_configs:\n"
             "      - targets: ['127.0.0.1:" +
                 std::to_string(promcast.web_port()) + "']\n");
  Process server(
      {prometheus, "--config.file=" + dir.file("prometheus.yml"), "--storage.tsdb.path=" + dir.file("data"),
       "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port), "--log.level=warn"},
      dir.path().string(), "prometheus");
  const std::string base = "http://127.0.0.1:" + std::to_string(prometheus_port);
  ASSERT_TRUE(wait_for_http_ok(base + "/-/ready", 30000ms)) << server.logs();

  std::vector<QuerySample> found;
  std::string last_answer;
  const bool seen = wait_until(
      [&] {
        const auto response = http_get(base + "/api/v1/query?query=" + url_encode("drift_metrics"));
        if (!response || response->status != 200) return false;
        last_answer = response->body;
        found = parse_query_answer(response->body);
        return !found.empty();
      },
      30000ms, 250ms);
  ASSERT_TRUE(seen) << "last answer: " << last_answer << "\n" << server.logs() << promcast.process().logs();
  ASSERT_EQ(found.size(), 1u) << last_answer;
  EXPECT_EQ(found[0].dataset_name, "mushroom");
  EXPECT_EQ(found[0].dataset_version, "v1");
  EXPECT_EQ(found[0].column_name, "cap-diameter");
  EXPECT_EQ(found[0].metric_name, "wasserstein");
  EXPECT_EQ(found[0].job, "promcast");
  EXPECT_EQ(found[0].value, "42");
}

}  // namespace
}  // namespace promcast::testing
