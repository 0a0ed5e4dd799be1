// What users see, tested as they use it: promcast with a forecast and an anomaly rule on a real Prometheus
// (backfilled with promtool) that reads promcast's forecast paths back through remote read; a
// Grafana-style query against promcast's own API; then headless Chromium loads every status page, the
// test checks the DOM (rule names, series rows, an <svg> whose forecast extends past the "now" line,
// a hostile label value sent as a DogStatsD tag shown as text) and saves PNG screenshots under
// <build>/test-artifacts/web/.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <thread>

#include "tests/integration/rules_support.h"

namespace promcast::testing {
namespace {

// A fixed small model and two days of 5-minute history, so the first fit takes well under a second.
constexpr std::string_view kRules = R"(groups:
  - name: kafka-ingestion
    interval: 5s
    rules:
      - forecast: kafka_ingest_rate
        expr: kafka_ingest
        step: 5m
        history: 2d
        refit: 6h
        horizons: [0s, 1h, 6h]
        model: {order: [1, 0, 0], trend: c, fourier: [{period: 1d, harmonics: 2}]}
        intervals: [0.8, 0.95]
  - name: data-quality
    interval: 1s
    rules:
      - anomaly: DriftAnomaly
        expr: drift_metrics{metric_name="wasserstein"}
        step: 1s
        history: 2m
        detector: {method: zscore, window: 30, robust: true, z: 4, min_rel_scale: 0.01}
        for: 3s
        labels: {severity: warning}
)";

// A label value from the user's own data (a DogStatsD tag) that would be markup if a page did not escape it.
constexpr std::string_view kHostile = "<script>alert('x')</script>&";

std::string chromium() {
  const std::string path = "/usr/bin/chromium";
  return std::filesystem::exists(path) ? path : std::string();
}

std::vector<std::string> chromium_args(const std::string& binary, const std::string& profile) {
  return {binary,
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--hide-scrollbars",
          "--user-data-dir=" + profile};
}

// The first `attribute` value on an element whose class attribute is exactly `element_class`.
double attribute(const std::string& dom, const std::string& element_class, const std::string& attribute) {
  const std::regex re("class=\"" + element_class + "\"[^>]*" + attribute + "=\"([0-9.\\-]+)\"");
  std::smatch m;
  if (!std::regex_search(dom, m, re)) return std::nan("");
  return std::stod(m[1]);
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto p = text.find(part); p != std::string::npos; p = text.find(part, p + 1)) ++n;
  return n;
}

// A range query's points after `after` (unix seconds) in Prometheus' JSON, for series named `name`.
std::size_t future_points(const std::string& body, const std::string& name, std::int64_t after) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS) return 0;
  simdjson::dom::array result;
  if (doc["data"]["result"].get(result) != simdjson::SUCCESS) return 0;
  std::size_t n = 0;
  for (simdjson::dom::element series : result) {
    std::string_view metric_name;
    if (series["metric"]["__name__"].get(metric_name) != simdjson::SUCCESS || metric_name != name) continue;
    simdjson::dom::array values;
    if (series["values"].get(values) != simdjson::SUCCESS) continue;
    for (simdjson::dom::element v : values) {
      double t = 0;
      if (v.at(0).get(t) == simdjson::SUCCESS && t > static_cast<double>(after)) ++n;
    }
  }
  return n;
}

TEST(WebPages, StatusPagesRemoteReadAndQueryApiWithPrometheusAndChromium) {
  const std::string prometheus_bin = find_executable("prometheus");
  const std::string promtool = find_executable("promtool");
  if (prometheus_bin.empty() || promtool.empty()) GTEST_SKIP() << "prometheus and promtool are needed";
  const std::int64_t now = std::time(nullptr);
  TempDir dir;
  write_file(dir.file("rules.yml"), kRules);
  const std::uint16_t prometheus_port = free_port();
  const std::string prometheus_url = "http://127.0.0.1:" + std::to_string(prometheus_port);
  PromcastExporter promcast(kDriftMapping, {"--rules.config=" + dir.file("rules.yml"),
                                       "--rules.query.url=" + prometheus_url, "--web.enable-lifecycle"});
  ASSERT_TRUE(promcast.wait_ready()) << promcast.process().logs();
  PrometheusServer prometheus(
      prometheus_bin, prometheus_port, promcast.web_port(), ingest_openmetrics(now, 3),
      "remote_read:\n  - url: " + promcast.web_url("/api/v1/read") + "\n    read_recent: true\n");
  ASSERT_EQ(prometheus.backfill().exit_code, 0) << prometheus.backfill().err;
  ASSERT_TRUE(prometheus.wait_ready()) << prometheus.process().logs();
  std::atomic<bool> stop{false};
  std::thread pipeline([&] {
    for (int i = 0; !stop; ++i) {
      send_udp(promcast.statsd_port(),
               "drift_metrics.mushroom.v1.cap-diameter.wasserstein:" + std::to_string(0.1 + 0.002 * (i % 5)) +
                   "|g|#note:" + std::string(kHostile));
      std::this_thread::sleep_for(200ms);
    }
  });
  struct Join {
    std::atomic<bool>& stop;
    std::thread& t;
    ~Join() {
      stop = true;
      t.join();
    }
  } join{stop, pipeline};

  // The forecast exists (first evaluation after Prometheus came up).
  ASSERT_TRUE(
      wait_until([&] { return promcast.metrics().find("kafka_ingest_rate:yhat{") != std::string::npos; },
                 120000ms, 500ms))
      << promcast.process().logs();

  // 1. Prometheus' own query_range, ending 3h in the future, returns the forecast path via remote read.
  const std::int64_t later = std::time(nullptr);
  const std::string range =
      "&start=" + std::to_string(later - 3600) + "&end=" + std::to_string(later + 3 * 3600) + "&step=300";
  const auto through_prometheus = http_get(
      prometheus.url() + "/api/v1/query_range?query=" + url_encode("kafka_ingest_rate:yhat_path") + range);
  ASSERT_TRUE(through_prometheus && through_prometheus->status == 200);
  EXPECT_GE(future_points(through_prometheus->body, "kafka_ingest_rate:yhat_path", later), 30u)
      << through_prometheus->body << promcast.process().logs();
  const auto upper = http_get(prometheus.url() + "/api/v1/query_range?query=" +
                              url_encode("kafka_ingest_rate:yhat_path_upper{level=\"0.95\"}") + range);
  ASSERT_TRUE(upper && upper->status == 200);
  EXPECT_GE(future_points(upper->body, "kafka_ingest_rate:yhat_path_upper", later), 30u) << upper->body;

  // 2. The same from promcast's own API as Grafana asks for it (POST form, RFC 3339 is also accepted).
  HttpOptions form;
  form.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  const auto direct =
      http_post(promcast.web_url("/api/v1/query_range"),
                "query=" + url_encode("kafka_ingest_rate:yhat_path{topic=\"orders\"}") + range, form);
  ASSERT_TRUE(direct && direct->status == 200) << (direct ? direct->body : "no response");
  EXPECT_GE(future_points(direct->body, "kafka_ingest_rate:yhat_path", later), 30u) << direct->body;
  const auto error =
      http_get(promcast.web_url("/api/v1/query?query=" + url_encode("sum(kafka_ingest_rate:yhat)")));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->status, 400);
  EXPECT_NE(error->body.find("\"errorType\":\"bad_data\""), std::string::npos) << error->body;

  // The anomaly rule has its series too before the pages are loaded.
  ASSERT_TRUE(
      wait_until([&] { return promcast.metrics().find("DriftAnomaly:anomaly_score{") != std::string::npos; },
                 60000ms, 500ms))
      << promcast.process().logs();

  // 3. Every page in a real browser.
  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium is not installed: the pages were not checked in a browser";
  const std::filesystem::path artifacts =
      std::filesystem::path(PROMCAST_BINARY_DIR) / "test-artifacts" / "web";
  std::filesystem::create_directories(artifacts);
  TempDir profile;
  struct Page {
    std::string path, file;
    std::vector<std::string> contains;
  };
  const std::vector<Page> pages = {
      {"/", "landing", {"promcast", "kafka-ingestion", "data-quality", "statsd exporter"}},
      {"/rules", "rules", {"kafka_ingest_rate", "DriftAnomaly", "kafka-ingestion", "data-quality"}},
      {"/rules/kafka_ingest_rate", "rule_forecast", {"series-row", "<svg", "topic=\"orders\"", "SARIMAX"}},
      {"/rules/DriftAnomaly", "rule_anomaly", {"series-row", "<svg", "cap-diameter"}},
      {"/alerts", "alerts", {"Alerts"}},
      {"/mappings", "mappings", {"drift_metrics.*.*.*.*", "dataset_name"}},
      {"/status", "status", {"--rules.config=", "rules.yml", "reloads since start"}},
  };
  for (const auto& page : pages) {
    auto args = chromium_args(browser, profile.file("profile"));
    args.push_back("--dump-dom");
    args.push_back(promcast.web_url(page.path));
    const CommandResult dom = run_command(args, 120000ms);
    ASSERT_EQ(dom.exit_code, 0) << page.path << ": " << dom.err;
    for (const auto& part : page.contains)
      EXPECT_NE(dom.out.find(part), std::string::npos) << page.path << ": " << part;
    // The hostile label value is text, never markup.
    EXPECT_EQ(dom.out.find("<script>alert"), std::string::npos) << page.path;
    if (page.path == "/rules/DriftAnomaly") {
      EXPECT_NE(dom.out.find("&lt;script&gt;alert('x')&lt;/script&gt;&amp;"), std::string::npos) << dom.out;
    }
    if (page.path == "/rules/kafka_ingest_rate") {
      EXPECT_GE(count(dom.out, "class=\"series-row\""), 1u);
      const double now_x = attribute(dom.out, "promcast-chart", "data-now-x");
      const double forecast_x = attribute(dom.out, "forecast", "data-x-max");
      ASSERT_FALSE(std::isnan(now_x)) << dom.out;
      ASSERT_FALSE(std::isnan(forecast_x)) << dom.out;
      EXPECT_GT(forecast_x, now_x + 20) << "the forecast must extend past the now line";
    }
    auto shot = chromium_args(browser, profile.file("profile"));
    const std::string png = (artifacts / (page.file + ".png")).string();
    std::filesystem::remove(png);
    shot.push_back("--screenshot=" + png);
    shot.push_back("--window-size=1280,1600");
    shot.push_back(promcast.web_url(page.path));
    const CommandResult screenshot = run_command(shot, 120000ms);
    EXPECT_EQ(screenshot.exit_code, 0) << screenshot.err;
    EXPECT_TRUE(std::filesystem::exists(png) && std::filesystem::file_size(png) > 5000) << png;
  }
}

}  // namespace
}  // namespace promcast::testing
