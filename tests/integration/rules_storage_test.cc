// Model snapshots (issue 10, --storage.path) with real servers on loopback: promcast fits a forecast
// rule's series against a backfilled Prometheus and keeps the models; restarted (SIGTERM, then the same
// flags) it fits nothing across several evaluations, counts every series as restored and exports the
// forecasts it exported before. With the file corrupted, the next start names the file in its log,
// fits every series and keeps running. Every wait is bounded (about 30 s in all).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>
#include <sstream>

#include "tests/integration/rules_support.h"

namespace promcast::testing {
namespace {

constexpr int kSeries = 5;

// kSeries series host_load{host="hN"} of one day at 5 minutes, each with its own level.
std::string hosts_openmetrics(std::int64_t end) {
  std::string out = "# HELP host_load Load.\n# TYPE host_load gauge\n";
  const std::int64_t start = end - kDaySeconds;
  for (int h = 0; h < kSeries; ++h)
    for (std::int64_t t = start - start % 300; t <= end; t += 300) {
      const double phase = 2 * std::numbers::pi * static_cast<double>(t % kDaySeconds) / kDaySeconds;
      out += fmt::format("host_load{{host=\"h{}\"}} {} {}\n", h,
                         10.0 * (h + 1) + 3.0 * std::sin(phase) + ingest_noise(t + h) / 20, t);
    }
  out += "# EOF\n";
  return out;
}

constexpr std::string_view kRules = R"yaml(groups:
  - name: capacity
    interval: 2s
    rules:
      - forecast: host_load_forecast
        expr: host_load
        step: 5m
        history: 1d
        refit: 1h
        horizons: [1h]
        model: {order: [1, 0, 0], trend: c}
)yaml";

// A self-metric of the rule (NaN until it appears).
double rule_metric(const std::string& exposition, std::string_view name) {
  std::size_t pos = 0;
  const std::string prefix = std::string(name) + "{";
  while ((pos = exposition.find(prefix, pos)) != std::string::npos) {
    const std::size_t end = exposition.find('\n', pos);
    const std::string line = exposition.substr(pos, end - pos);
    pos = end;
    if (line.find("rule=\"host_load_forecast\"") != std::string::npos)
      return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return std::nan("");
}

// host -> the exported 1h forecast.
std::map<std::string, double> forecasts(const std::string& exposition) {
  std::map<std::string, double> out;
  std::size_t pos = 0;
  const std::string prefix = "host_load_forecast:yhat{";
  while ((pos = exposition.find(prefix, pos)) != std::string::npos) {
    const std::size_t end = exposition.find('\n', pos);
    const std::string line = exposition.substr(pos, end - pos);
    pos = end;
    const std::size_t at = line.find("host=\"");
    if (at != std::string::npos)
      out[line.substr(at + 6, line.find('"', at + 6) - at - 6)] = std::stod(line.substr(line.rfind(' ') + 1));
  }
  return out;
}

TEST(RulesStorage, ARestartResumesWithoutRefittingAndACorruptSnapshotRefits) {
  const std::string prometheus_bin = find_executable("prometheus");
  if (prometheus_bin.empty() || find_executable("promtool").empty())
    GTEST_SKIP() << "prometheus and promtool (Debian packages) are needed";
  const std::int64_t now = std::time(nullptr);
  TempDir dir;
  write_file(dir.file("rules.yml"), kRules);
  const std::string storage = dir.file("storage");
  const std::string snapshot = storage + "/models.snapshot";
  const std::uint16_t prometheus_port = free_port();
  const std::vector<std::string> args{"--rules.config=" + dir.file("rules.yml"),
                                      "--rules.query.url=http://127.0.0.1:" + std::to_string(prometheus_port),
                                      "--storage.path=" + storage};

  auto first = std::make_unique<PromcastExporter>("", args);
  ASSERT_TRUE(first->wait_ready()) << first->process().logs();
  PrometheusServer prometheus(prometheus_bin, prometheus_port, first->web_port(), hosts_openmetrics(now));
  ASSERT_EQ(prometheus.backfill().exit_code, 0) << prometheus.backfill().err;
  ASSERT_TRUE(prometheus.wait_ready()) << prometheus.process().logs();

  // the first evaluation fits every series and writes the snapshot
  std::string m;
  ASSERT_TRUE(wait_until(
      [&] {
        m = first->metrics();
        return rule_metric(m, "promcast_rule_fits_total") == kSeries && forecasts(m).size() == kSeries &&
               std::filesystem::exists(snapshot);
      },
      30000ms, 200ms))
      << m << first->process().logs();
  const auto before = forecasts(first->metrics());
  first->process().stop();
  EXPECT_EQ(first->process().wait_exit(0ms), 0) << first->process().logs();

  // restarted on the same storage: two evaluations or more, no fit, every series restored
  PromcastExporter second("", args);
  ASSERT_TRUE(second.wait_ready()) << second.process().logs();
  ASSERT_TRUE(wait_until(
      [&] {
        m = second.metrics();
        return rule_metric(m, "promcast_rule_evaluations_total") >= 2 && forecasts(m).size() == kSeries;
      },
      15000ms, 200ms))
      << m << second.process().logs();
  EXPECT_EQ(rule_metric(m, "promcast_rule_fits_total"), 0.0) << m;
  EXPECT_EQ(rule_metric(m, "promcast_rule_models_restored_total"), kSeries) << m;
  for (const auto& [host, value] : forecasts(m)) {
    ASSERT_TRUE(before.contains(host)) << host;
    // the same model on the same (or a one-point newer) window: the level is 10-50, noise sd 1
    EXPECT_NEAR(value, before.at(host), 0.02 * std::abs(before.at(host)) + 0.2) << host;
  }
  EXPECT_NE(second.process().logs().find("Stored models handed to rule"), std::string::npos)
      << second.process().logs();
  second.process().stop();
  ASSERT_EQ(second.process().wait_exit(0ms), 0) << second.process().logs();

  // a corrupt snapshot: a warning naming the file, every series fits, promcast keeps running
  std::stringstream bytes;
  bytes << std::ifstream(snapshot, std::ios::binary).rdbuf();
  std::string corrupt = bytes.str();
  ASSERT_GT(corrupt.size(), 200u);
  corrupt[corrupt.size() / 2] = corrupt[corrupt.size() / 2] == '7' ? '8' : '7';
  write_file(snapshot, corrupt);
  PromcastExporter third("", args);
  ASSERT_TRUE(third.wait_ready()) << third.process().logs();
  ASSERT_TRUE(wait_until(
      [&] {
        m = third.metrics();
        return rule_metric(m, "promcast_rule_fits_total") == kSeries;
      },
      15000ms, 200ms))
      << m << third.process().logs();
  EXPECT_EQ(rule_metric(m, "promcast_rule_models_restored_total"), 0.0) << m;
  EXPECT_EQ(forecasts(m).size(), static_cast<std::size_t>(kSeries)) << m;
  const std::string logs = third.process().logs();
  EXPECT_NE(logs.find("Ignoring the model snapshot"), std::string::npos) << logs;
  EXPECT_NE(logs.find(snapshot), std::string::npos) << logs;
  EXPECT_NE(logs.find("checksum"), std::string::npos) << logs;
  EXPECT_TRUE(third.process().running());
}

}  // namespace
}  // namespace promcast::testing
