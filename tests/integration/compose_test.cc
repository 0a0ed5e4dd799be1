// compose/ as far as it can be tested without Docker and Grafana:
// 1. every config passes its own checker (promtool, amtool, promcast check), the commented PagerDuty and
//    Opsgenie receivers included once uncommented;
// 2. every Grafana dashboard has the fields Grafana needs, and its data sources are the provisioned ones;
// 3. against the demo's data (drift history from scripts/drift_pipeline.py, Kafka history from
//    scripts/demo/kafka_pipeline.py, both backfilled with promtool), a real Prometheus running
//    compose/prometheus.yml (hosts replaced by loopback ports) and promcast running compose/rules/*.yml,
//    every dashboard panel's query and every Prometheus rule's expression returns data, with Grafana's
//    template variables replaced as Grafana would (the first value of each label_values variable).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>

#include "tests/integration/rules_support.h"

namespace promcast::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string source(const std::string& path) { return std::string(PROMCAST_SOURCE_DIR) + "/" + path; }

std::vector<std::string> files_in(const std::string& dir, const std::string& extension) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(source(dir)))
    if (entry.path().extension() == extension) out.push_back(entry.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto p = text.find(from); p != std::string::npos; p = text.find(from, p + to.size()))
    text.replace(p, from.size(), to);
  return text;
}

bool tools_present() {
  return !find_executable("prometheus").empty() && !find_executable("promtool").empty() &&
         !find_executable("amtool").empty() && !find_executable("prometheus-alertmanager").empty();
}

TEST(Compose, ConfigsPassTheirCheckers) {
  if (!tools_present()) GTEST_SKIP() << "prometheus, promtool, amtool and prometheus-alertmanager are needed";
  const auto expect_ok = [](const std::vector<std::string>& argv, const std::string& needle) {
    const CommandResult r = run_command(argv, 60000ms);
    EXPECT_EQ(r.exit_code, 0) << argv[1] << " " << argv[2] << ":\n" << r.out << r.err;
    EXPECT_NE((r.out + r.err).find(needle), std::string::npos) << r.out << r.err;
  };
  const std::string promtool = find_executable("promtool");
  expect_ok({promtool, "check", "config", source("compose/prometheus.yml")}, "SUCCESS: 1 rule files found");
  for (const auto& file : files_in("compose/prometheus-rules", ".yml"))
    expect_ok({promtool, "check", "rules", file}, "SUCCESS");
  const std::string amtool = find_executable("amtool");
  expect_ok({amtool, "check-config", source("compose/alertmanager.yml")}, "SUCCESS");
  // The paging receivers, uncommented as the file tells users to, must be valid too.
  TempDir dir;
  std::string paging;
  std::istringstream in(read_file(source("compose/alertmanager.yml")));
  const std::regex commented("^( +)# "), route("receiver: webhook +# receiver: ([a-z]+)");
  for (std::string line; std::getline(in, line);)
    paging += std::regex_replace(std::regex_replace(line, commented, "$1"), route, "receiver: $1") + "\n";
  write_file(dir.file("paging.yml"), paging);
  expect_ok({amtool, "check-config", dir.file("paging.yml")}, "3 receivers");
  EXPECT_NE(paging.find("receiver: pagerduty"), std::string::npos);
  EXPECT_NE(paging.find("routing_key:"), std::string::npos);
  EXPECT_NE(paging.find("opsgenie_configs:"), std::string::npos);

  const std::string promcast = promcast_binary();
  expect_ok({promcast, "check", "rules", source("compose/rules/*.yml")}, "SUCCESS");
  expect_ok({promcast, "check", "mappings", source("compose/statsd_mapping.yml")}, "ok");
  expect_ok({promcast, "check", "backends", source("compose/backends.yml")}, "SUCCESS");
}

TEST(Compose, DashboardsHaveWhatGrafanaNeeds) {
  const std::string datasources = read_file(source("compose/grafana/provisioning/datasources/datasources.yml"));
  const auto dashboards = files_in("compose/grafana/dashboards", ".json");
  ASSERT_EQ(dashboards.size(), 4u);
  std::set<std::string> uids;
  for (const auto& file : dashboards) {
    SCOPED_TRACE(file);
    const json board = json::parse(read_file(file));  // throws (fails the test) if not JSON
    ASSERT_TRUE(board.contains("uid") && board["uid"].is_string()) << "uid";
    const std::string uid = board["uid"];
    EXPECT_TRUE(!uid.empty() && uid.size() <= 40) << "Grafana's uid limit is 40 characters";
    EXPECT_TRUE(uids.insert(uid).second) << "duplicate uid " << uid;
    EXPECT_TRUE(board.contains("title") && board["title"].is_string() && !board["title"].get<std::string>().empty());
    EXPECT_TRUE(board.contains("schemaVersion") && board["schemaVersion"].is_number_integer());
    ASSERT_TRUE(board.contains("panels") && board["panels"].is_array() && !board["panels"].empty());
    std::set<int> ids;
    for (const auto& panel : board["panels"]) {
      ASSERT_TRUE(panel.contains("id") && panel["id"].is_number_integer()) << panel.dump();
      EXPECT_TRUE(ids.insert(panel["id"].get<int>()).second) << "duplicate panel id " << panel["id"];
      EXPECT_TRUE(panel.contains("type") && panel["type"].is_string()) << panel.dump();
      EXPECT_TRUE(panel.contains("title") && panel["title"].is_string()) << panel.dump();
      ASSERT_TRUE(panel.contains("gridPos")) << panel.dump();
      for (const char* key : {"x", "y", "w", "h"})
        EXPECT_TRUE(panel["gridPos"].contains(key) && panel["gridPos"][key].is_number_integer()) << key;
      EXPECT_LE(panel["gridPos"].value("x", 0) + panel["gridPos"].value("w", 0), 24) << "Grafana's grid is 24 wide";
      ASSERT_TRUE(panel.contains("targets") && panel["targets"].is_array() && !panel["targets"].empty());
      std::set<std::string> refs;
      for (const auto& target : panel["targets"]) {
        EXPECT_TRUE(target.contains("expr") && target["expr"].is_string() &&
                    !target["expr"].get<std::string>().empty())
            << target.dump();
        EXPECT_TRUE(target.contains("refId") && refs.insert(target.value("refId", "")).second) << target.dump();
        ASSERT_TRUE(target.contains("datasource") && target["datasource"].contains("uid")) << target.dump();
        EXPECT_EQ(target["datasource"].value("type", ""), "prometheus");
        const std::string ds = target["datasource"]["uid"];
        EXPECT_NE(datasources.find("uid: " + ds + "\n"), std::string::npos) << "not provisioned: " << ds;
      }
    }
  }
}

// ---- the queries, against the real servers ----

struct Answer {
  bool ok = false;
  std::size_t series = 0;
  std::size_t points = 0;
  std::size_t future_points = 0;  // points after `now`
  std::string body;
};

Answer parse_answer(const std::expected<HttpResponse, Error>& response, double now) {
  Answer a;
  if (!response) {
    a.body = response.error().message;
    return a;
  }
  a.body = response->body.substr(0, 2000);
  const json doc = json::parse(response->body, nullptr, false);
  if (response->status != 200 || doc.is_discarded() || doc.value("status", "") != "success") return a;
  a.ok = true;
  for (const auto& series : doc["data"]["result"]) {
    ++a.series;
    if (series.contains("value")) ++a.points;
    if (series.contains("values"))
      for (const auto& v : series["values"]) {
        ++a.points;
        if (v[0].get<double>() > now) ++a.future_points;
      }
  }
  return a;
}

// At the server's now, or at `time` (unix seconds).
Answer instant(const std::string& base, const std::string& expr, std::optional<std::int64_t> time = {}) {
  const std::string at = time ? "&time=" + std::to_string(*time) : "";
  return parse_answer(http_get(base + "/api/v1/query?query=" + url_encode(expr) + at), 0);
}

Answer range(const std::string& base, const std::string& expr, std::int64_t start, std::int64_t end,
             double now) {
  return parse_answer(http_get(base + "/api/v1/query_range?query=" + url_encode(expr) + "&start=" +
                               std::to_string(start) + "&end=" + std::to_string(end) + "&step=60"),
                      now);
}

// Grafana's "now-6h" / "now+1d" as an offset in seconds.
std::int64_t grafana_offset(const std::string& text) {
  std::smatch m;
  const std::string s = text;
  if (!std::regex_match(s, m, std::regex(R"(now(?:([+-])(\d+)([smhdw]))?)"))) return 0;
  if (!m[1].matched) return 0;
  const std::int64_t n = std::stoll(m[2]);
  const std::int64_t unit = m[3] == "s" ? 1 : m[3] == "m" ? 60 : m[3] == "h" ? 3600 : m[3] == "d" ? 86400 : 604800;
  return (m[1] == "-" ? -1 : 1) * n * unit;
}

TEST(Compose, EveryDashboardQueryAndAlertRuleReturnsData) {
  if (!tools_present()) GTEST_SKIP() << "prometheus, promtool, amtool and prometheus-alertmanager are needed";
  TempDir dir;
  const std::uint16_t prometheus_port = free_port();
  const std::uint16_t kafka_port = free_port_except({prometheus_port});
  const std::string prometheus_url = "http://127.0.0.1:" + std::to_string(prometheus_port);
  const std::string kafka_address = "127.0.0.1:" + std::to_string(kafka_port);

  WebhookReceiver webhook;
  AlertmanagerServer alertmanager(find_executable("prometheus-alertmanager"),
                                  free_port_except({prometheus_port, kafka_port}), webhook.url());
  ASSERT_TRUE(alertmanager.wait_ready()) << alertmanager.process().logs();

  // compose/backends.yml with the service names replaced by the loopback servers.
  std::string backends = read_file(source("compose/backends.yml"));
  backends = replace_all(backends, "http://prometheus:9090", prometheus_url);
  backends = replace_all(backends, "http://alertmanager:9093", alertmanager.url());
  write_file(dir.file("backends.yml"), backends);
  PromcastExporter promcast(read_file(source("compose/statsd_mapping.yml")),
                            {"--rules.config=" + source("compose/rules/*.yml"),
                             "--rules.backends.config=" + dir.file("backends.yml"), "--web.enable-lifecycle"});
  ASSERT_TRUE(promcast.wait_ready()) << promcast.process().logs();
  const std::string promcast_address = "127.0.0.1:" + std::to_string(promcast.web_port());

  // The demo's history, labelled as the live scrapes will be, so history and live series are one series.
  const std::int64_t now = std::time(nullptr);
  const std::string python = find_executable("python3");
  const CommandResult drift = run_command({python, source("scripts/drift_pipeline.py"), "--backfill",
                                           dir.file("drift.om"), "--days", "7", "--step", "60", "--job",
                                           "promcast", "--instance", promcast_address},
                                          120000ms);
  ASSERT_EQ(drift.exit_code, 0) << drift.err;
  // The Kafka topics' daily peak 6 hours from now: the capacity alert must fire.
  const std::string anchor = std::to_string(now);
  const CommandResult kafka = run_command(
      {python, source("scripts/demo/kafka_pipeline.py"), "--backfill", dir.file("kafka.om"), "--days", "14",
       "--step", "60", "--anchor", anchor, "--end", anchor, "--job", "kafka", "--instance", kafka_address},
      120000ms);
  ASSERT_EQ(kafka.exit_code, 0) << kafka.err;
  const std::string promtool = find_executable("promtool");
  for (const char* om : {"drift.om", "kafka.om"}) {
    const CommandResult blocks = run_command(
        {promtool, "tsdb", "create-blocks-from", "openmetrics", dir.file(om), dir.file("data")}, 300000ms);
    ASSERT_EQ(blocks.exit_code, 0) << blocks.out << blocks.err;
  }

  Process kafka_broker({python, source("scripts/demo/kafka_pipeline.py"), "--port", std::to_string(kafka_port),
                        "--anchor", anchor},
                       dir.path().string(), "kafka");
  // Every column drifts 6x for minutes at a time from the start, so DriftAnomaly has an active alert.
  Process pipeline({python, source("scripts/drift_pipeline.py"), "--port", std::to_string(promcast.statsd_port()),
                    "--interval", "1", "--anomaly-after", "0", "--anomaly-every", "600", "--anomaly-seconds",
                    "600", "--quiet"},
                   dir.path().string(), "pipeline");

  // compose/prometheus.yml itself, the hosts replaced.
  std::string config = read_file(source("compose/prometheus.yml"));
  config = replace_all(config, "promcast:9102", promcast_address);
  config = replace_all(config, "kafka-broker:9308", kafka_address);
  config = replace_all(config, "alertmanager:9093", alertmanager.url().substr(7));
  config = replace_all(config, "localhost:9090", prometheus_url.substr(7));
  config = replace_all(config, "prometheus-rules/*.yml", source("compose/prometheus-rules/*.yml"));
  ASSERT_NE(config.find("- " + source("compose/prometheus-rules/*.yml") + "\n"), std::string::npos) << config;
  write_file(dir.file("prometheus.yml"), config);
  Process prometheus({find_executable("prometheus"), "--config.file=" + dir.file("prometheus.yml"),
                      "--storage.tsdb.path=" + dir.file("data"),
                      "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port),
                      "--web.enable-remote-write-receiver", "--storage.tsdb.retention.time=30d", "--log.level=warn"},
                     dir.path().string(), "prometheus");
  ASSERT_TRUE(wait_for_http_ok(prometheus_url + "/-/ready", 60000ms)) << prometheus.logs();

  // promcast's first evaluations after Prometheus came up (groups run every minute), their remote-written
  // outputs in Prometheus, and Prometheus' capacity alert evaluated on them. Each condition's arrival is
  // printed, so a slow or missing one is named.
  // A forecast path has samples only after its window's end (the last 5-minute step), so at "now" a
  // 5-minute lookback sees one only between a step boundary and the next evaluation, sometimes a
  // second. It is asked for an hour ahead, inside the path, as a Grafana panel reaching past now does.
  struct Condition {
    std::string expr;
    std::int64_t ahead_seconds = 0;
  };
  const std::vector<Condition> conditions = {{"kafka_ingest_rate:yhat{horizon=\"6h\"}"},
                                             {"kafka_ingest_rate:yhat_path", 3600},
                                             {"DriftAnomaly:anomaly_score"},
                                             {"promcast_alerts"},
                                             {"ALERTS{alertname=\"KafkaIngestionOverCapacityIn6h\"}"}};
  const auto waiting_since = std::chrono::steady_clock::now();
  std::map<std::string, double> arrived;  // expr -> seconds after Prometheus was ready
  const bool ready = wait_until(
      [&] {
        for (const auto& c : conditions)
          if (!arrived.contains(c.expr) &&
              instant(prometheus_url, c.expr, std::time(nullptr) + c.ahead_seconds).series > 0)
            arrived[c.expr] =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - waiting_since).count();
        return arrived.size() == conditions.size();
      },
      480000ms, 2000ms);
  std::string report;
  for (const auto& c : conditions)
    report += "  " + c.expr + ": " +
              (arrived.contains(c.expr) ? std::to_string(std::lround(arrived[c.expr])) + " s"
                                        : std::string("never")) +
              "\n";
  std::printf("after Prometheus was ready:\n%s", report.c_str());
  ASSERT_TRUE(ready) << "not all outputs arrived within 480 s:\n"
                     << report << promcast.process().logs() << prometheus.logs();
  // A few more scrapes so rate() over the rate interval has two samples of every self-metric.
  std::this_thread::sleep_for(15s);

  // Every Prometheus rule's expression.
  for (const auto& file : files_in("compose/prometheus-rules", ".yml")) {
    const YAML::Node rules = YAML::LoadFile(file);
    for (const auto& group : rules["groups"])
      for (const auto& rule : group["rules"]) {
        const std::string name = rule["alert"] ? rule["alert"].as<std::string>() : rule["record"].as<std::string>();
        const Answer a = instant(prometheus_url, rule["expr"].as<std::string>());
        EXPECT_TRUE(a.ok && a.series > 0) << file << ": " << name << " returned no data: " << a.body;
      }
  }

  // Every panel's targets, as Grafana would send them.
  std::size_t checked = 0;
  for (const auto& file : files_in("compose/grafana/dashboards", ".json")) {
    const json board = json::parse(read_file(file));
    const std::int64_t t = std::time(nullptr);
    const std::int64_t start = t + std::max<std::int64_t>(grafana_offset(board["time"]["from"]), -6 * 3600);
    const std::int64_t end = t + grafana_offset(board["time"]["to"]);
    std::map<std::string, std::string> vars = {{"__rate_interval", "1m"}, {"__interval", "1m"}, {"__range", "1h"}};
    const auto substitute = [&](std::string expr) {
      for (const auto& [name, value] : vars) expr = replace_all(expr, "$" + name, value);
      return expr;
    };
    for (const auto& var : board["templating"]["list"]) {
      // label_values(SELECTOR, LABEL): Grafana asks the label values API and picks the first.
      const std::string query = var["query"]["query"];
      std::smatch m;
      ASSERT_TRUE(std::regex_match(query, m, std::regex(R"(label_values\((.+), *(\w+)\))"))) << query;
      const auto response = http_get(prometheus_url + "/api/v1/label/" + std::string(m[2]) +
                                     "/values?match[]=" + url_encode(substitute(m[1])) + "&start=" +
                                     std::to_string(start) + "&end=" + std::to_string(t));
      ASSERT_TRUE(response && response->status == 200) << query;
      const json values = json::parse(response->body)["data"];
      ASSERT_FALSE(values.empty()) << file << ": variable " << var["name"] << " has no values: " << query;
      vars[var["name"]] = values[0];
    }
    for (const auto& panel : board["panels"])
      for (const auto& target : panel["targets"]) {
        const std::string expr = substitute(target["expr"]);
        SCOPED_TRACE(file + ": panel \"" + panel["title"].get<std::string>() + "\" " + target["refId"].get<std::string>() +
                     ": " + expr);
        EXPECT_EQ(expr.find('$'), std::string::npos) << "a variable the dashboard does not define";
        const std::string base = target["datasource"]["uid"] == "promcast" ? promcast.web_url() : prometheus_url;
        const bool is_instant = target.value("instant", false) && !target.value("range", true);
        const Answer a = is_instant ? instant(base, expr) : range(base, expr, start, end, static_cast<double>(t));
        EXPECT_TRUE(a.ok && a.series > 0 && a.points > 0) << "no data: " << a.body;
        // The cone: a forecast path must reach into the future, through Prometheus and from promcast.
        if (expr.find("yhat_path") != std::string::npos) {
          EXPECT_GT(a.future_points, 60u) << a.body;
        }
        ++checked;
      }
  }
  EXPECT_GE(checked, 50u);
}

}  // namespace
}  // namespace promcast::testing
