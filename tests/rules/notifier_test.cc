// The notifier: the JSON Alertmanager's API v2 takes (checked against the postableAlerts schema of
// Alertmanager's OpenAPI spec), delivery to every Alertmanager, batches of 64, retries while all
// Alertmanagers are down, and the bounded queue.
#include "rules/notifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/rules/fake_http_server.h"
#include "tests/rules/registry_value.h"

namespace promcast::rules {
namespace {

using namespace std::chrono_literals;
using testing::FakeHttpServer;
using testing::FakeResponse;
using testing::RecordedRequest;
using testing::registry_value;

// Alertmanager's api/v2/openapi.yaml: postableAlerts is an array of postableAlert, an object with
// the required `labels` (labelSet: an object of strings) and the optional `annotations` (labelSet),
// `startsAt` and `endsAt` (date-time) and `generatorURL` (uri). Returns what violates it.
std::vector<std::string> schema_violations(const nlohmann::json& body) {
  std::vector<std::string> out;
  if (!body.is_array()) return {"body is not an array"};
  const std::regex date_time(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))");
  const auto label_set = [&](const nlohmann::json& value, const std::string& where) {
    if (!value.is_object()) return out.push_back(where + " is not an object");
    for (const auto& [key, item] : value.items()) {
      if (!item.is_string()) out.push_back(where + "." + key + " is not a string");
    }
  };
  for (const auto& alert : body) {
    if (!alert.is_object()) {
      out.push_back("an alert is not an object");
      continue;
    }
    if (!alert.contains("labels")) out.push_back("labels missing");
    for (const auto& [key, value] : alert.items()) {
      if (key == "labels" || key == "annotations") {
        label_set(value, key);
      } else if (key == "startsAt" || key == "endsAt") {
        if (!value.is_string() || !std::regex_match(value.get<std::string>(), date_time))
          out.push_back(key + " is not a date-time");
      } else if (key == "generatorURL") {
        if (!value.is_string() || value.get<std::string>().find("://") == std::string::npos)
          out.push_back("generatorURL is not a URI");
      } else {
        out.push_back("unknown property " + key);
      }
    }
  }
  return out;
}

Alert drift_alert(int i = 0) {
  Alert alert;
  alert.labels = {{"alertname", "DriftAnomaly"},
                  {"column_name", "cap-diameter"},
                  {"n", std::to_string(i)},
                  {"severity", "warning"}};
  alert.annotations = {{"summary", "Drift on mushroom/cap-diameter is 42 (expected 3)"}};
  alert.starts_at = 1700000000123;  // 2023-11-14T22:13:20.123Z
  alert.ends_at = 1700000240000;
  alert.generator_url = "http://127.0.0.1:9102/rules#DriftAnomaly";
  return alert;
}

TEST(AlertsToJson, MatchesThePostableAlertsSchema) {
  const auto body = nlohmann::json::parse(alerts_to_json({drift_alert(), drift_alert(1)}));
  EXPECT_THAT(schema_violations(body), ::testing::IsEmpty()) << body.dump(2);
  ASSERT_EQ(body.size(), 2u);
  const auto& alert = body[0];
  EXPECT_EQ(alert["labels"]["alertname"], "DriftAnomaly");
  EXPECT_EQ(alert["labels"]["severity"], "warning");
  EXPECT_EQ(alert["labels"].size(), 4u);
  EXPECT_EQ(alert["annotations"]["summary"], "Drift on mushroom/cap-diameter is 42 (expected 3)");
  EXPECT_EQ(alert["startsAt"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(alert["endsAt"], "2023-11-14T22:17:20.000Z");
  EXPECT_EQ(alert["generatorURL"], "http://127.0.0.1:9102/rules#DriftAnomaly");
  EXPECT_EQ(body[1]["labels"]["n"], "1");
}

TEST(AlertsToJson, UnsetFieldsAreLeftOut) {
  Alert alert;
  alert.labels = {{"alertname", "A"}};
  const auto body = nlohmann::json::parse(alerts_to_json({alert}));
  EXPECT_THAT(schema_violations(body), ::testing::IsEmpty()) << body.dump(2);
  EXPECT_FALSE(body[0].contains("startsAt"));
  EXPECT_FALSE(body[0].contains("endsAt"));
  EXPECT_FALSE(body[0].contains("generatorURL"));
  EXPECT_TRUE(body[0]["annotations"].is_object());
  EXPECT_EQ(alerts_to_json({}), "[]");
}

TEST(AlertsToJson, InvalidUtf8IsReplacedNotThrown) {
  Alert alert;
  alert.labels = {{"alertname", "A"}, {"job", std::string("bad\xff")}};
  std::string text;
  ASSERT_NO_THROW(text = alerts_to_json({alert}));
  EXPECT_EQ(nlohmann::json::parse(text)[0]["labels"]["job"], "bad\xEF\xBF\xBD");
}

TEST(AlertsToJson, EpochAndSecondsBeforeIt) {
  Alert alert;
  alert.labels = {{"alertname", "A"}};
  alert.starts_at = 1;
  alert.ends_at = -1;
  const auto body = nlohmann::json::parse(alerts_to_json({alert}));
  EXPECT_EQ(body[0]["startsAt"], "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(body[0]["endsAt"], "1969-12-31T23:59:59.999Z");
}

AlertmanagerConfig am_config(const std::string& url) {
  AlertmanagerConfig config;
  config.url = url;
  config.client.timeout = 5000ms;
  config.client.min_backoff = 10ms;
  config.client.max_backoff = 50ms;
  return config;
}

std::size_t alerts_in(const RecordedRequest& request) { return nlohmann::json::parse(request.body).size(); }

TEST(Notifier, DeliversToEveryAlertmanager) {
  FakeHttpServer first;
  FakeHttpServer second;
  prometheus::Registry registry;
  auto with_auth = am_config(second.url("/"));  // a trailing slash must not double
  with_auth.client.bearer_token = "am-token";
  Notifier notifier({am_config(first.url()), with_auth}, 100, &registry);
  notifier.send({drift_alert(0), drift_alert(1), drift_alert(2)});
  ASSERT_TRUE(notifier.flush(10s));
  for (FakeHttpServer* server : {&first, &second}) {
    ASSERT_EQ(server->requests().size(), 1u);
    const RecordedRequest request = server->requests()[0];
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/api/v2/alerts");
    EXPECT_EQ(request.header("Content-Type"), "application/json");
    const auto body = nlohmann::json::parse(request.body);
    EXPECT_THAT(schema_violations(body), ::testing::IsEmpty());
    ASSERT_EQ(body.size(), 3u);
    EXPECT_EQ(body[2]["labels"]["n"], "2");
  }
  EXPECT_FALSE(first.requests()[0].header("Authorization").has_value());
  EXPECT_EQ(second.requests()[0].header("Authorization"), "Bearer am-token");
  EXPECT_EQ(registry_value(registry, "promcast_notifications_sent_total",
                           {{"alertmanager", first.url("/api/v2/alerts")}}),
            3.0);
  EXPECT_EQ(registry_value(registry, "promcast_notifications_sent_total",
                           {{"alertmanager", second.url("/api/v2/alerts")}}),
            3.0);
  EXPECT_EQ(registry_value(registry, "promcast_notifications_queue_capacity"), 100.0);
  EXPECT_EQ(registry_value(registry, "promcast_notifications_queue_length"), 0.0);
}

TEST(Notifier, BatchesOfSixtyFour) {
  FakeHttpServer server;
  Notifier notifier({am_config(server.url())}, 1000, nullptr);
  std::vector<Alert> alerts;
  for (int i = 0; i < 150; ++i) alerts.push_back(drift_alert(i));
  notifier.send(alerts);
  ASSERT_TRUE(notifier.flush(10s));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(alerts_in(requests[0]), 64u);
  EXPECT_EQ(alerts_in(requests[1]), 64u);
  EXPECT_EQ(alerts_in(requests[2]), 22u);
  EXPECT_EQ(nlohmann::json::parse(requests[2].body)[21]["labels"]["n"], "149");
}

TEST(Notifier, OneAlertmanagerDownTheOtherTakesTheBatch) {
  std::uint16_t dead_port = 0;
  {
    FakeHttpServer probe;
    dead_port = probe.port();
  }
  FakeHttpServer alive;
  prometheus::Registry registry;
  const std::string dead_url = "http://127.0.0.1:" + std::to_string(dead_port);
  Notifier notifier({am_config(dead_url), am_config(alive.url())}, 100, &registry);
  notifier.send({drift_alert()});
  ASSERT_TRUE(notifier.flush(10s));
  std::this_thread::sleep_for(100ms);  // room for a wrong retry
  EXPECT_EQ(alive.requests().size(), 1u);
  EXPECT_EQ(registry_value(registry, "promcast_notifications_errors_total",
                           {{"alertmanager", dead_url + "/api/v2/alerts"}}),
            1.0);
  EXPECT_EQ(registry_value(registry, "promcast_notifications_sent_total",
                           {{"alertmanager", alive.url("/api/v2/alerts")}}),
            1.0);
}

TEST(Notifier, AlertsQueuedWhileAllAlertmanagersAreDownArriveLater) {
  std::uint16_t port = 0;
  {
    FakeHttpServer probe;
    port = probe.port();
  }
  prometheus::Registry registry;
  Notifier notifier({am_config("http://127.0.0.1:" + std::to_string(port))}, 100, &registry);
  notifier.send({drift_alert(0)});
  notifier.send({drift_alert(1)});
  EXPECT_FALSE(notifier.flush(300ms));
  EXPECT_GE(registry_value(registry, "promcast_notifications_errors_total").value_or(0), 2.0);
  FakeHttpServer server({}, port);
  ASSERT_TRUE(notifier.flush(10s));
  std::vector<std::string> seen;
  for (const auto& request : server.requests()) {
    for (const auto& alert : nlohmann::json::parse(request.body)) seen.push_back(alert["labels"]["n"]);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(registry_value(registry, "promcast_notifications_dropped_total"), 0.0);
}

TEST(Notifier, ServiceUnavailableIsRetried) {
  std::atomic<int> calls = 0;
  FakeHttpServer server([&](const RecordedRequest&) {
    return FakeResponse{calls++ < 2 ? 503 : 200, "", "text/plain"};
  });
  Notifier notifier({am_config(server.url())}, 100, nullptr);
  notifier.send({drift_alert()});
  ASSERT_TRUE(notifier.flush(10s));
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(Notifier, RefusedByEveryAlertmanagerIsDroppedNotRetried) {
  FakeHttpServer server([](const RecordedRequest&) {
    return FakeResponse{400, "{\"message\":\"bad\"}", "application/json"};
  });
  prometheus::Registry registry;
  Notifier notifier({am_config(server.url())}, 100, &registry);
  notifier.send({drift_alert(0), drift_alert(1)});
  ASSERT_TRUE(notifier.flush(10s));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(registry_value(registry, "promcast_notifications_dropped_total"), 2.0);
  EXPECT_EQ(registry_value(registry, "promcast_notifications_errors_total"), 2.0);
}

TEST(Notifier, FullQueueDropsTheOldestAndCounts) {
  std::uint16_t port = 0;
  {
    FakeHttpServer probe;
    port = probe.port();
  }
  prometheus::Registry registry;
  Notifier notifier({am_config("http://127.0.0.1:" + std::to_string(port))}, 3, &registry);
  std::vector<Alert> alerts;
  for (int i = 0; i < 5; ++i) alerts.push_back(drift_alert(i));
  notifier.send(alerts);  // one call: the queue was empty, so nothing is in flight yet
  EXPECT_EQ(registry_value(registry, "promcast_notifications_dropped_total"), 2.0);
  FakeHttpServer server({}, port);
  ASSERT_TRUE(notifier.flush(10s));
  std::vector<std::string> seen;
  for (const auto& request : server.requests()) {
    for (const auto& alert : nlohmann::json::parse(request.body)) seen.push_back(alert["labels"]["n"]);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"2", "3", "4"}));
}

}  // namespace
}  // namespace promcast::rules
