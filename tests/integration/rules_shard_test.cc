// Scaling out (issue 10) with real servers on loopback: n promcast replicas with --rules.shard=i/n
// against one Prometheus split a rule's series so that each is fitted by exactly one replica (read
// from the replicas' own metrics and outputs); a stopped replica's series are left absent, not taken
// over; an HA pair (same shard, same external labels) sends identical alerts that Alertmanager
// deduplicates into one. Every wait is bounded.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <ctime>
#include <map>
#include <numbers>
#include <set>

#include "tests/integration/rules_support.h"

namespace promcast::testing {
namespace {

constexpr int kHosts = 12;

// kHosts series host_load{host="hNN"} of 2 days at 5 minutes, each with its own level and phase.
std::string hosts_openmetrics(std::int64_t end) {
  std::string out = "# HELP host_load Load.\n# TYPE host_load gauge\n";
  const std::int64_t start = end - 2 * kDaySeconds;
  for (int h = 0; h < kHosts; ++h) {
    const std::string labels = fmt::format("{{host=\"h{:02}\"}}", h);
    for (std::int64_t t = start - start % 300; t <= end; t += 300) {
      const double phase =
          2 * std::numbers::pi * static_cast<double>((t + h * 3600) % kDaySeconds) / kDaySeconds;
      out += fmt::format("host_load{} {} {}\n", labels,
                         10.0 * (h + 1) + 3.0 * std::sin(phase) + ingest_noise(t) / 20, t);
    }
  }
  out += "# EOF\n";
  return out;
}

constexpr std::string_view kCapacityRules = R"yaml(groups:
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

// The hosts whose forecast a replica exposes on its /metrics.
std::set<std::string> forecast_hosts(const std::string& exposition) {
  std::set<std::string> hosts;
  std::size_t pos = 0;
  const std::string prefix = "host_load_forecast:yhat{";
  while ((pos = exposition.find(prefix, pos)) != std::string::npos) {
    const std::size_t line_end = exposition.find('\n', pos);
    const std::string line = exposition.substr(pos, line_end - pos);
    pos = line_end;
    const std::size_t at = line.find("host=\"");
    if (at != std::string::npos) hosts.insert(line.substr(at + 6, line.find('"', at + 6) - at - 6));
  }
  return hosts;
}

// A per-rule self-metric of the forecast rule (its rule_group label is "<file>|capacity").
double rule_metric(const std::string& exposition, std::string_view name) {
  std::size_t pos = 0;
  const std::string prefix = std::string(name) + "{";
  while ((pos = exposition.find(prefix, pos)) != std::string::npos) {
    const std::size_t end = exposition.find('\n', pos);
    const std::string line = exposition.substr(pos, end - pos);
    pos = end;
    if (line.find("rule=\"host_load_forecast\"") != std::string::npos &&
        line.find("|capacity\"") != std::string::npos)
      return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return std::nan("");
}

struct ShardCase {
  int replicas;
};

class RulesShard : public ::testing::TestWithParam<ShardCase> {};

TEST_P(RulesShard, EverySeriesIsFittedByExactlyOneReplicaAndAStoppedShardIsNotTakenOver) {
  const std::string prometheus_bin = find_executable("prometheus");
  if (prometheus_bin.empty() || find_executable("promtool").empty())
    GTEST_SKIP() << "prometheus and promtool (Debian packages) are needed";
  const int n = GetParam().replicas;
  const std::int64_t now = std::time(nullptr);
  TempDir dir;
  write_file(dir.file("rules.yml"), kCapacityRules);

  const std::uint16_t prometheus_port = free_port();
  const std::string prometheus_url = "http://127.0.0.1:" + std::to_string(prometheus_port);
  std::vector<std::unique_ptr<PromcastExporter>> replicas;
  for (int i = 0; i < n; ++i) {
    replicas.push_back(std::make_unique<PromcastExporter>(
        "", std::vector<std::string>{"--rules.config=" + dir.file("rules.yml"),
                                     "--rules.query.url=" + prometheus_url,
                                     fmt::format("--rules.shard={}/{}", i, n),
                                     fmt::format("--rules.external-label=replica=r{}", i)}));
    ASSERT_TRUE(replicas.back()->wait_ready()) << replicas.back()->process().logs();
  }
  PrometheusServer prometheus(prometheus_bin, prometheus_port, replicas[0]->web_port(),
                              hosts_openmetrics(now));
  ASSERT_EQ(prometheus.backfill().exit_code, 0) << prometheus.backfill().err;
  ASSERT_TRUE(prometheus.wait_ready()) << prometheus.process().logs();

  // every replica evaluates and the outputs of all of them together cover each host exactly once
  std::vector<std::set<std::string>> hosts(static_cast<std::size_t>(n));
  ASSERT_TRUE(wait_until(
      [&] {
        std::size_t total = 0;
        for (int i = 0; i < n; ++i) {
          hosts[static_cast<std::size_t>(i)] =
              forecast_hosts(replicas[static_cast<std::size_t>(i)]->metrics());
          total += hosts[static_cast<std::size_t>(i)].size();
        }
        return total >= static_cast<std::size_t>(kHosts);
      },
      120000ms, 1000ms))
      << replicas[0]->process().logs();
  std::set<std::string> all;
  for (int i = 0; i < n; ++i) {
    const auto& mine = hosts[static_cast<std::size_t>(i)];
    EXPECT_FALSE(mine.empty()) << "replica " << i << " got no series (hash split too uneven for " << kHosts
                               << ")";
    for (const auto& h : mine) EXPECT_TRUE(all.insert(h).second) << h << " forecast by two replicas";
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kHosts));

  // each replica fitted its own series once (a fixed order: one fit per series, refits are hours away)
  for (int i = 0; i < n; ++i) {
    const std::string m = replicas[static_cast<std::size_t>(i)]->metrics();
    const double series = rule_metric(m, "promcast_rule_series");
    EXPECT_EQ(series, static_cast<double>(hosts[static_cast<std::size_t>(i)].size())) << "replica " << i;
    EXPECT_EQ(rule_metric(m, "promcast_rule_fits_total"), series) << "replica " << i;
  }

  // the last replica stops: its series stay unforecast, the others keep only their own
  const std::size_t last = static_cast<std::size_t>(n - 1);
  replicas[last]->process().stop();
  std::this_thread::sleep_for(5s);  // two evaluation intervals and a little more
  std::size_t live = 0;
  for (std::size_t i = 0; i < last; ++i) {
    const std::string m = replicas[i]->metrics();
    EXPECT_EQ(forecast_hosts(m), hosts[i]) << "replica " << i << " took over nothing";
    EXPECT_EQ(rule_metric(m, "promcast_rule_fits_total"), static_cast<double>(hosts[i].size()));
    live += hosts[i].size();
  }
  EXPECT_EQ(live, static_cast<std::size_t>(kHosts) - hosts[last].size());
}

INSTANTIATE_TEST_SUITE_P(Replicas, RulesShard, ::testing::Values(ShardCase{2}, ShardCase{3}),
                         [](const auto& info) { return std::to_string(info.param.replicas) + "Replicas"; });

TEST(RulesHaPair, IdenticalAlertsFromTwoReplicasAreOneAlertInAlertmanager) {
  const std::string prometheus_bin = find_executable("prometheus");
  const std::string alertmanager_bin = find_executable("prometheus-alertmanager");
  if (prometheus_bin.empty() || alertmanager_bin.empty())
    GTEST_SKIP() << "prometheus and prometheus-alertmanager (Debian packages) are needed";
  TempDir dir;
  write_file(dir.file("rules.yml"), "groups:\n" + std::string(kDriftGroup));
  WebhookReceiver webhook;
  const std::uint16_t prometheus_port = free_port();
  const std::uint16_t alertmanager_port = free_port_except({prometheus_port});
  AlertmanagerServer alertmanager(alertmanager_bin, alertmanager_port, webhook.url());
  ASSERT_TRUE(alertmanager.wait_ready()) << alertmanager.process().logs();
  const std::string prometheus_url = "http://127.0.0.1:" + std::to_string(prometheus_port);

  // Two replicas of the same shard with the same external labels; the first also receives the drift
  // metrics that Prometheus scrapes, so both read the same series.
  const std::vector<std::string> args{"--rules.config=" + dir.file("rules.yml"),
                                      "--rules.query.url=" + prometheus_url,
                                      "--rules.alertmanager.url=" + alertmanager.url(),
                                      "--rules.shard=0/1",
                                      "--rules.external-label=cluster=ha",
                                      "--rules.resend-delay=2s"};
  PromcastExporter a(kDriftMapping, args);
  ASSERT_TRUE(a.wait_ready()) << a.process().logs();
  PromcastExporter b("", args);
  ASSERT_TRUE(b.wait_ready()) << b.process().logs();
  PrometheusServer prometheus(prometheus_bin, prometheus_port, a.web_port());
  ASSERT_TRUE(prometheus.wait_ready()) << prometheus.process().logs();
  DriftPipeline pipeline(a.statsd_port());

  const auto scored = [](PromcastExporter& p) {
    return p.metrics().find("DriftAnomaly:anomaly_score{") != std::string::npos;
  };
  ASSERT_TRUE(wait_until([&] { return scored(a) && scored(b); }, 120000ms, 500ms)) << a.process().logs();
  pipeline.grow(5.0, 1.1);
  const auto firing = [](PromcastExporter& p) {
    return p.metrics().find("promcast_alerts{alertname=\"DriftAnomaly\",alertstate=\"firing\"") !=
           std::string::npos;
  };
  ASSERT_TRUE(wait_until([&] { return firing(a) && firing(b); }, 60000ms, 200ms)) << b.process().logs();
  // both have sent (resend every 2 s), and Alertmanager holds one alert
  const auto sent = [](PromcastExporter& p) {
    return metric_sum(p.metrics(), "promcast_notifications_sent_total");
  };
  ASSERT_TRUE(wait_until([&] { return sent(a) > 0 && sent(b) > 0; }, 30000ms, 500ms));
  std::string alerts;
  ASSERT_TRUE(wait_until(
      [&] {
        alerts = alertmanager.alerts();
        return alerts.find("DriftAnomaly") != std::string::npos;
      },
      30000ms, 500ms));
  std::size_t count = 0;
  for (std::size_t pos = 0; (pos = alerts.find("\"alertname\":\"DriftAnomaly\"", pos)) != std::string::npos;
       ++pos)
    ++count;
  EXPECT_EQ(count, 1u) << alerts;
  EXPECT_NE(alerts.find("\"cluster\":\"ha\""), std::string::npos) << alerts;
  // and the webhook got one alert per notification, not two
  ASSERT_TRUE(wait_until(
      [&] {
        return webhook.received({"\"status\":\"firing\"", "DriftAnomaly"});
      },
      30000ms, 500ms));
  for (const std::string& body : webhook.bodies()) {
    simdjson::dom::parser parser;
    simdjson::dom::array in_body;
    ASSERT_EQ(parser.parse(body)["alerts"].get(in_body), simdjson::SUCCESS) << body;
    EXPECT_EQ(in_body.size(), 1u) << body;
  }
  pipeline.set(0.1);
}

}  // namespace
}  // namespace promcast::testing
