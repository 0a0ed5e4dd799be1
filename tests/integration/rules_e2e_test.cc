// The rule engine end to end with real servers on loopback (Debian's prometheus, promtool,
// prometheus-alertmanager, victoria-metrics): a backfilled week of a seasonal ingestion rate is
// forecast, scraped and remote-written; drift metrics sent over statsd UDP raise an anomaly alert that
// travels through Alertmanager to a webhook and resolves; Alertmanager and Prometheus outages and a bad
// rules reload leave the engine working. Every wait is bounded.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <thread>

#include "tests/integration/rules_support.h"

namespace promcast::testing {
namespace {

constexpr std::string_view kForecastGroup = R"yaml(  - name: kafka-ingestion
    interval: 5s
    rules:
      - forecast: kafka_ingest_rate
        expr: kafka_ingest
        step: 5m
        history: 7d
        refit: 6h
        horizons: [0s, 1h, 6h]
        model: {order: auto, seasonal: {period: 1d, order: auto}}
        intervals: [0.8, 0.95]
        labels: {team: data-platform}
)yaml";

std::string rules_file(bool forecast, bool drift) {
  std::string out = "groups:\n";
  if (forecast) out += kForecastGroup;
  if (drift) out += kDriftGroup;
  return out;
}

double metric(const std::string& exposition, std::string_view series) {
  return sample_value(exposition, series).value_or(std::nan(""));
}

// The value of the first sample whose line starts with `prefix` and contains every one of `parts`.
double first_value(const std::string& exposition, std::string_view prefix,
                   const std::vector<std::string>& parts) {
  std::size_t pos = 0;
  while (pos < exposition.size()) {
    std::size_t end = exposition.find('\n', pos);
    if (end == std::string::npos) end = exposition.size();
    const std::string line = exposition.substr(pos, end - pos);
    pos = end + 1;
    if (!line.starts_with(prefix)) continue;
    bool all = true;
    for (const auto& p : parts) all = all && line.find(p) != std::string::npos;
    if (all) return std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
  }
  return std::nan("");
}

struct Binaries {
  std::string prometheus = find_executable("prometheus");
  std::string promtool = find_executable("promtool");
  std::string alertmanager = find_executable("prometheus-alertmanager");
  std::string victoria = find_executable("victoria-metrics");
};

TEST(RulesEndToEnd, ForecastsAlertsOutagesAndReloadWithPrometheusAndAlertmanager) {
  const Binaries bin;
  if (bin.prometheus.empty() || bin.promtool.empty() || bin.alertmanager.empty())
    GTEST_SKIP() << "prometheus, promtool and prometheus-alertmanager (Debian packages) are needed";
  const std::int64_t now = std::time(nullptr);
  TempDir dir;
  write_file(dir.file("rules.yml"), rules_file(true, true));
  WebhookReceiver webhook;
  const std::uint16_t prometheus_port = free_port();
  const std::uint16_t alertmanager_port = free_port_except({prometheus_port});
  AlertmanagerServer alertmanager(bin.alertmanager, alertmanager_port, webhook.url());
  ASSERT_TRUE(alertmanager.wait_ready()) << alertmanager.process().logs();
  const std::string prometheus_url = "http://127.0.0.1:" + std::to_string(prometheus_port);

  PromcastExporter promcast(
      kDriftMapping,
      {"--rules.config=" + dir.file("rules.yml"), "--rules.query.url=" + prometheus_url,
       "--rules.alertmanager.url=" + alertmanager.url(),
       "--rules.remote-write.url=" + prometheus_url + "/api/v1/write", "--rules.external-label=replica=e2e",
       "--rules.resend-delay=2s", "--web.enable-lifecycle"});
  ASSERT_TRUE(promcast.wait_ready()) << promcast.process().logs();
  PrometheusServer prometheus(bin.prometheus, prometheus_port, promcast.web_port(),
                              ingest_openmetrics(now, 7));
  ASSERT_EQ(prometheus.backfill().exit_code, 0) << prometheus.backfill().out << prometheus.backfill().err;
  ASSERT_TRUE(prometheus.wait_ready()) << prometheus.process().logs();
  DriftPipeline pipeline(promcast.statsd_port());

  // 1. the forecast is scraped by Prometheus for every horizon, with bands around it
  std::vector<QueryResult> found;
  ASSERT_TRUE(wait_until(
      [&] {
        found = instant_query(prometheus.url(), "kafka_ingest_rate:yhat{job=\"promcast\"}");
        return found.size() == 3;
      },
      180000ms, 1000ms))
      << promcast.process().logs() << prometheus.process().logs();
  const std::int64_t last_step = now - now % 300;
  for (const auto& r : found) {
    const std::string& horizon = r.labels.at("horizon");
    const std::int64_t ahead = horizon == "0s" ? 0 : horizon == "1h" ? 3600 : 6 * 3600;
    EXPECT_EQ(r.labels.at("topic"), "orders");
    EXPECT_EQ(r.labels.at("team"), "data-platform");
    // the last grid point is within a step of `now` when the first evaluation ran
    EXPECT_NEAR(r.value, ingest_truth(last_step + ahead), 90.0) << "horizon " << horizon;
    const auto lower = instant_query(
        prometheus.url(),
        "kafka_ingest_rate:yhat_lower{job=\"promcast\",level=\"0.95\",horizon=\"" + horizon + "\"}");
    const auto upper = instant_query(
        prometheus.url(),
        "kafka_ingest_rate:yhat_upper{job=\"promcast\",level=\"0.95\",horizon=\"" + horizon + "\"}");
    ASSERT_EQ(lower.size(), 1u);
    ASSERT_EQ(upper.size(), 1u);
    EXPECT_LT(lower[0].value, r.value);
    EXPECT_GT(upper[0].value, r.value);
  }
  // ... and remote-written (the written copy carries the external label, the scraped one does not)
  ASSERT_TRUE(wait_until(
      [&] { return !instant_query(prometheus.url(), "kafka_ingest_rate:yhat{replica=\"e2e\"}").empty(); },
      30000ms, 500ms))
      << promcast.process().logs();

  // 2. a drift spike through statsd: pending, firing, at Alertmanager and its webhook, then resolved
  ASSERT_TRUE(wait_until(
      [&] {
        return !std::isnan(
            first_value(promcast.metrics(), "DriftAnomaly:anomaly_score{",
                        {"column_name=\"cap-diameter\"", "severity=\"warning\"", "job=\"promcast\""}));
      },
      90000ms, 500ms))
      << promcast.process().logs();
  pipeline.set(5.0);
  bool saw_pending = false;
  ASSERT_TRUE(wait_until(
      [&] {
        const std::string m = promcast.metrics();
        saw_pending =
            saw_pending ||
            m.find("promcast_alerts{alertname=\"DriftAnomaly\",alertstate=\"pending\"") != std::string::npos;
        return m.find("promcast_alerts{alertname=\"DriftAnomaly\",alertstate=\"firing\"") !=
               std::string::npos;
      },
      60000ms, 200ms))
      << promcast.process().logs();
  EXPECT_TRUE(saw_pending) << "pending for 3s before firing";
  ASSERT_TRUE(wait_until([&] { return alertmanager.alerts().find("DriftAnomaly") != std::string::npos; },
                         30000ms, 500ms))
      << promcast.process().logs() << alertmanager.process().logs();
  const std::string am = alertmanager.alerts();
  EXPECT_NE(am.find("\"severity\":\"warning\""), std::string::npos) << am;
  EXPECT_NE(am.find("\"replica\":\"e2e\""), std::string::npos) << am;
  EXPECT_NE(am.find("Drift on mushroom/cap-diameter is 5"), std::string::npos) << am;
  ASSERT_TRUE(wait_until(
      [&] {
        return webhook.received({"\"status\":\"firing\"", "DriftAnomaly", "cap-diameter"});
      },
      30000ms, 500ms))
      << alertmanager.process().logs();
  pipeline.set(0.1);
  ASSERT_TRUE(wait_until(
      [&] {
        return webhook.received({"\"status\":\"resolved\"", "DriftAnomaly"});
      },
      60000ms, 500ms))
      << promcast.process().logs() << alertmanager.process().logs();

  // 4a. Alertmanager down while an alert fires: once it is back, the alert is there. The drift keeps growing
  // so that the rolling detector (120 points) cannot take it for the new normal during a slow restart: an
  // alert that resolved during the outage would rightly never reach Alertmanager as firing.
  alertmanager.stop();
  pipeline.grow(7.0, 1.1);
  const auto firing = [&] {
    return promcast.metrics().find("promcast_alerts{alertname=\"DriftAnomaly\",alertstate=\"firing\"") !=
           std::string::npos;
  };
  ASSERT_TRUE(wait_until(firing, 60000ms, 200ms)) << promcast.process().logs();
  std::this_thread::sleep_for(3s);  // sends fail and are retried meanwhile
  alertmanager.start();
  ASSERT_TRUE(alertmanager.wait_ready()) << alertmanager.process().logs();
  // Alertmanager keeps no alerts across a restart: what it shows now was sent after it came back.
  EXPECT_TRUE(wait_until([&] { return alertmanager.alerts().find("DriftAnomaly") != std::string::npos; },
                         30000ms, 500ms))
      << promcast.process().logs() << alertmanager.process().logs();
  EXPECT_TRUE(firing()) << "still firing in promcast while Alertmanager shows it";
  pipeline.set(0.1);

  // 4b. Prometheus down: failures are counted, the last outputs stay; after a restart evaluations succeed
  const double failures_before = metric_sum(promcast.metrics(), "promcast_rule_evaluation_failures_total");
  prometheus.stop();
  ASSERT_TRUE(wait_until(
      [&] {
        return metric_sum(promcast.metrics(), "promcast_rule_evaluation_failures_total") > failures_before;
      },
      30000ms, 500ms))
      << promcast.process().logs();
  EXPECT_NE(promcast.metrics().find("kafka_ingest_rate:yhat{"), std::string::npos) << "last outputs kept";
  prometheus.start();
  ASSERT_TRUE(prometheus.wait_ready()) << prometheus.process().logs();
  std::this_thread::sleep_for(7s);  // one forecast interval (5s) plus slack
  const double failures_after_restart =
      metric_sum(promcast.metrics(), "promcast_rule_evaluation_failures_total");
  std::this_thread::sleep_for(6s);
  EXPECT_EQ(metric_sum(promcast.metrics(), "promcast_rule_evaluation_failures_total"), failures_after_restart)
      << "evaluations succeed again\n"
      << promcast.process().logs();

  // 5. a bad rules file on reload: the old rules keep running, the error is logged and reported
  write_file(dir.file("rules.yml"),
             "groups:\n  - name: broken\n    rules:\n      - forecast: x\n        exprr: up\n");
  const auto reload = http_post(promcast.web_url("/-/reload"), "");
  ASSERT_TRUE(reload);
  EXPECT_EQ(reload->status, 500);
  const std::string after = promcast.metrics();
  EXPECT_EQ(metric(after, "promcast_rules_config_last_reload_successful"), 0.0);
  const double evaluations = metric_sum(after, "promcast_rule_evaluations_total");
  EXPECT_TRUE(wait_until(
      [&] { return metric_sum(promcast.metrics(), "promcast_rule_evaluations_total") > evaluations + 2; },
      20000ms, 500ms));
  EXPECT_NE(promcast.process().stderr_text().find("exprr"), std::string::npos)
      << "the error names the bad key";
}

TEST(RulesEndToEnd, VictoriaMetricsAsQuerySourceAndRemoteWriteTarget) {
  const Binaries bin;
  if (bin.victoria.empty()) GTEST_SKIP() << "victoria-metrics (Debian package) is needed";
  const std::int64_t now = std::time(nullptr);
  TempDir dir;
  const std::uint16_t vm_port = free_port();
  Process vm({bin.victoria, "-storageDataPath=" + dir.file("vm"),
              "-httpListenAddr=127.0.0.1:" + std::to_string(vm_port), "-search.latencyOffset=1s",
              "-loggerLevel=WARN"},
             dir.path().string(), "victoria-metrics");
  const std::string vm_url = "http://127.0.0.1:" + std::to_string(vm_port);
  ASSERT_TRUE(wait_for_http_ok(vm_url + "/health", 30000ms)) << vm.logs();
  const auto imported = http_post(vm_url + "/api/v1/import/prometheus", ingest_text_ms(now, 7));
  ASSERT_TRUE(imported && imported->status / 100 == 2)
      << (imported ? imported->body : imported.error().message);
  ASSERT_TRUE(wait_until([&] { return !instant_query(vm_url, "kafka_ingest").empty(); }, 30000ms, 500ms))
      << vm.logs();

  // The prefixed layout (/prometheus/api/v1/...), which is what vmselect's /select/<tenant>/prometheus
  // and vminsert's /insert/<tenant>/prometheus reduce to on a single node: the query URL is a prefix
  // before /api/v1/, the write URL is used as given. (The single-node 1.79 answers 400 to the
  // /select/<tenant>/ and /insert/<tenant>/ forms themselves; tests/rules cover those URLs.)
  write_file(dir.file("rules.yml"), rules_file(true, false));
  PromcastExporter promcast("", {"--rules.config=" + dir.file("rules.yml"),
                                 "--rules.query.url=" + vm_url + "/prometheus",
                                 "--rules.remote-write.url=" + vm_url + "/prometheus/api/v1/write",
                                 "--rules.external-label=replica=vm"});
  ASSERT_TRUE(promcast.wait_ready()) << promcast.process().logs();
  std::vector<QueryResult> found;
  ASSERT_TRUE(wait_until(
      [&] {
        found = instant_query(vm_url, "kafka_ingest_rate:yhat{replica=\"vm\",horizon=\"1h\"}");
        return !found.empty();
      },
      180000ms, 1000ms))
      << promcast.process().logs() << vm.logs();
  EXPECT_NEAR(found[0].value, ingest_truth(now - now % 300 + 3600), 90.0);
  EXPECT_EQ(found[0].labels.at("topic"), "orders");
}

}  // namespace
}  // namespace promcast::testing
