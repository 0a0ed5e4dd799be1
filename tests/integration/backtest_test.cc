// `promcast backtest` as a user runs it: a real Prometheus backfilled with promtool (three days of a
// daily cycle plus noise), a backends file with two sources of which --source picks the real one, the
// promcast binary replaying a forecast rule over the last day (query_range with the rule's expr and
// step), its JSON checked (the rule beats the seasonal-naive baseline), then the --html report loaded
// in headless Chromium: the DOM has the rule, the accuracy table and an SVG chart per series; a PNG
// screenshot is saved under <build>/test-artifacts/backtest/.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/integration/rules_support.h"

namespace promcast::testing {
namespace {

constexpr std::string_view kRules = R"(groups:
  - name: kafka-ingestion
    interval: 1m
    rules:
      - forecast: kafka_ingest_rate
        expr: kafka_ingest
        source: prom
        step: 5m
        history: 2d
        refit: 6h
        horizons: [1h, 6h]
        model: {order: [1, 0, 0], trend: c, fourier: [{period: 1d, harmonics: 2}]}
        intervals: [0.8, 0.95]
  - name: quality
    interval: 5m
    rules:
      - anomaly: IngestSpike
        expr: kafka_ingest
        source: prom
        step: 5m
        history: 1d
        detector: {method: zscore, window: 24, robust: true, z: 6}
)";

// The backfill with one sample at `t` raised by 2000 (an incident to catch).
std::string with_spike(std::string openmetrics, std::int64_t t) {
  const std::string stamp = " " + std::to_string(t) + "\n";
  const auto end = openmetrics.find(stamp);
  const auto start = openmetrics.rfind("} ", end) + 2;
  const double value = std::stod(openmetrics.substr(start, end - start)) + 2000;
  return openmetrics.replace(start, end - start, std::to_string(value));
}

std::vector<std::string> chromium_args(const std::string& profile) {
  return {"/usr/bin/chromium",
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--hide-scrollbars",
          "--user-data-dir=" + profile};
}

TEST(Backtest, ForecastRuleOnARealPrometheusThenTheHtmlReportInChromium) {
  const std::string prometheus_bin = find_executable("prometheus");
  if (prometheus_bin.empty() || find_executable("promtool").empty())
    GTEST_SKIP() << "prometheus and promtool are needed";
  const std::int64_t now = std::time(nullptr);
  TempDir dir;
  const std::uint16_t port = free_port();
  const std::int64_t spike = now - 6 * 3600 - (now - 6 * 3600) % 300;
  PrometheusServer prometheus(prometheus_bin, port, free_port_except({port}),
                              with_spike(ingest_openmetrics(now, 3), spike));
  ASSERT_EQ(prometheus.backfill().exit_code, 0) << prometheus.backfill().err;
  ASSERT_TRUE(prometheus.wait_ready()) << prometheus.process().logs();
  write_file(dir.file("rules.yml"), kRules);
  // The first source is a closed port: a backtest that used it would fail.
  write_file(dir.file("backends.yml"),
             "sources:\n  - name: nowhere\n    url: http://127.0.0.1:1\n"
             "  - name: prom\n    url: " +
                 prometheus.url() + "\n");
  // The backfilled blocks are loaded at start; wait until the query API sees the oldest samples.
  ASSERT_TRUE(wait_until(
      [&] {
        return !instant_query(prometheus.url(), "count_over_time(kafka_ingest[3d])").empty() &&
               instant_query(prometheus.url(), "count_over_time(kafka_ingest[3d])")[0].value > 800;
      },
      60000ms, 500ms))
      << prometheus.process().logs();

  write_file(dir.file("incidents.csv"), "start,end,name\n" + std::to_string(spike - 600) + "," +
                                            std::to_string(spike + 600) + ",ingest spike\n");
  const std::string html = dir.file("report.html");
  const CommandResult run =
      run_command({promcast_binary(), "backtest", "--rules", dir.file("rules.yml"), "--backends",
                   dir.file("backends.yml"), "--from", "now-1d", "--to", "now", "--cuts", "6", "--incidents",
                   dir.file("incidents.csv"), "--format", "json", "--html", html},
                  300000ms);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err.find('\r'), std::string::npos) << "no progress bar: stderr is not a terminal";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(run.out).get(doc), simdjson::SUCCESS) << run.out;
  simdjson::dom::element rule = doc["rules"].at(0);
  EXPECT_EQ(std::string_view(rule["rule"]), "kafka_ingest_rate");
  EXPECT_NE(std::string_view(rule["data"]).find("prom ("), std::string_view::npos);
  EXPECT_EQ(int64_t(rule["season_steps"]), 288);
  EXPECT_EQ(simdjson::dom::array(rule["cuts"]).size(), 6u);
  simdjson::dom::element series = rule["series"].at(0);
  EXPECT_EQ(std::string_view(series["labels"]["topic"]), "orders");
  EXPECT_EQ(uint64_t(series["cuts_forecast"]), 6u);
  simdjson::dom::element all = rule["overall"]["all"];
  EXPECT_EQ(uint64_t(all["n"]), 6u * 72u) << "6 cuts, lead times 5m..6h";
  // Noise sd 20 around a daily sine: the seasonal naive forecast carries two noise terms, the model one.
  EXPECT_LT(double(all["mase"]), double(all["baseline"]["mase"]));
  EXPECT_GT(double(all["coverage"]["0.95"]), 0.8);

  // The anomaly rule over the same day: an alert at the spike, within one evaluation, and the incident
  // caught.
  simdjson::dom::element anomaly = doc["rules"].at(1);
  EXPECT_EQ(std::string_view(anomaly["rule"]), "IngestSpike");
  EXPECT_EQ(uint64_t(anomaly["evaluations"]), 289u) << "every 5m over a day, both ends";
  simdjson::dom::element incidents = anomaly["incidents"];
  EXPECT_EQ(uint64_t(incidents["caught"]), 1u) << run.out;
  const double lead = incidents["list"].at(0)["lead_seconds"];
  EXPECT_LE(lead, -600.0) << "the incident began 10 minutes before the spike";
  EXPECT_GT(lead, -900.0) << "the alert fires at the first evaluation that sees the spike";
  EXPECT_LE(uint64_t(incidents["false_alerts"]), 1u) << run.out;

  // The report in a real browser.
  if (!std::filesystem::exists("/usr/bin/chromium")) GTEST_SKIP() << "chromium is not installed";
  TempDir profile;
  auto args = chromium_args(profile.file("profile"));
  args.push_back("--dump-dom");
  args.push_back("file://" + html);
  const CommandResult dom = run_command(args, 120000ms);
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  for (const char* part : {"kafka_ingest_rate (forecast)", "class=\"accuracy\"", "<svg", "class=\"history\"",
                           "class=\"band\"", "{topic=\"orders\"}", "IngestSpike (anomaly)",
                           "class=\"incidents\"", "class=\"anomaly\"", "ingest spike"})
    EXPECT_NE(dom.out.find(part), std::string::npos) << part;
  const std::filesystem::path artifacts =
      std::filesystem::path(PROMCAST_BINARY_DIR) / "test-artifacts" / "backtest";
  std::filesystem::create_directories(artifacts);
  const std::string png = (artifacts / "report.png").string();
  std::filesystem::remove(png);
  auto shot = chromium_args(profile.file("profile"));
  shot.push_back("--screenshot=" + png);
  shot.push_back("--window-size=1280,1600");
  shot.push_back("file://" + html);
  const CommandResult screenshot = run_command(shot, 120000ms);
  EXPECT_EQ(screenshot.exit_code, 0) << screenshot.err;
  EXPECT_TRUE(std::filesystem::exists(png) && std::filesystem::file_size(png) > 5000) << png;
}

}  // namespace
}  // namespace promcast::testing
