// Notifier against a real Alertmanager (Debian package prometheus-alertmanager, no gossip port,
// loopback only) that routes to a webhook receiver run by the test, the stand-in for PagerDuty or
// Opsgenie. Checks GET /api/v2/alerts and the webhook, and that alerts sent while Alertmanager is
// stopped arrive after it is started again. Skipped when Alertmanager is not installed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "rules/notifier.h"
#include "tests/integration/support.h"
#include "tests/rules/fake_http_server.h"

namespace promcast::testing {
namespace {

using rules::Alert;
using rules::AlertmanagerConfig;
using rules::Notifier;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Alertmanager on a fixed port and storage folder, so a test can stop it and start it again.
class Alertmanager {
 public:
  Alertmanager(std::string binary, const TempDir& dir, std::uint16_t port, const std::string& webhook_url)
      : binary_(std::move(binary)), dir_(dir), port_(port) {
    write_file(dir_.file("alertmanager.yml"),
               "route:\n"
               "  receiver: webhook\n"
               "  group_by: [alertname]\n"
               "  group_wait: 200ms\n"
               "  group_interval: 1s\n"
               "  repeat_interval: 1h\n"
               "receivers:\n"
               "  - name: webhook\n"
               "    webhook_configs:\n"
               "      - url: " +
                   webhook_url +
                   "\n"
                   "        send_resolved: true\n");
  }

  bool start() {
    process_.reset();
    process_.emplace(std::vector<std::string>{binary_, "--config.file=" + dir_.file("alertmanager.yml"),
                                              "--storage.path=" + dir_.file("data"),
                                              "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                              "--cluster.listen-address=", "--log.level=warn"},
                     dir_.path().string(), "alertmanager-" + std::to_string(++starts_));
    return wait_for_http_ok(url("/-/ready"), 30000ms);
  }
  void stop() {
    if (process_) process_->stop();
  }
  [[nodiscard]] std::string url(std::string_view path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  [[nodiscard]] std::string logs() const { return process_ ? process_->logs() : ""; }

  /// GET /api/v2/alerts (active alerts) parsed; an empty array on any failure.
  [[nodiscard]] nlohmann::json alerts() const {
    const auto response = http_get(url("/api/v2/alerts"));
    if (!response || response->status != 200) return nlohmann::json::array();
    return nlohmann::json::parse(response->body, nullptr, false);
  }

 private:
  std::string binary_;
  const TempDir& dir_;
  std::uint16_t port_;
  int starts_ = 0;
  std::optional<Process> process_;
};

Alert drift_alert(std::string column) {
  Alert alert;
  alert.labels = {{"alertname", "DriftAnomaly"},
                  {"column_name", std::move(column)},
                  {"dataset_name", "mushroom"},
                  {"severity", "warning"}};
  alert.annotations = {{"summary", "Drift on mushroom is 42 (expected 3)"}};
  alert.starts_at = now_ms() - 60'000;
  alert.ends_at = now_ms() + 10 * 60'000;
  alert.generator_url = "http://127.0.0.1:9102/rules#DriftAnomaly";
  return alert;
}

// The active alert of Alertmanager whose column_name is `column`, if any.
std::optional<nlohmann::json> find_alert(const nlohmann::json& alerts, const std::string& column) {
  if (!alerts.is_array()) return std::nullopt;
  for (const auto& alert : alerts) {
    if (alert.value("labels", nlohmann::json::object()).value("column_name", "") == column) return alert;
  }
  return std::nullopt;
}

// Whether any webhook notification so far carries an alert with column_name `column`.
bool webhook_saw(const FakeHttpServer& webhook, const std::string& column, nlohmann::json* found = nullptr) {
  for (const auto& request : webhook.requests()) {
    const auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (!body.is_object() || !body.contains("alerts")) continue;
    for (const auto& alert : body["alerts"]) {
      if (alert["labels"].value("column_name", "") == column) {
        if (found != nullptr) *found = body;
        return true;
      }
    }
  }
  return false;
}

AlertmanagerConfig am_config(const Alertmanager& am) {
  AlertmanagerConfig config;
  config.url = am.url();
  config.client.timeout = 5000ms;
  config.client.min_backoff = 100ms;
  config.client.max_backoff = 500ms;
  return config;
}

class AlertmanagerServer : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = find_executable("prometheus-alertmanager");
    if (binary_.empty()) binary_ = find_executable("alertmanager");
    if (binary_.empty())
      GTEST_SKIP() << "Alertmanager (Debian package prometheus-alertmanager) is not installed";
  }
  std::string binary_;
  TempDir dir_;
  FakeHttpServer webhook_;
};

TEST_F(AlertmanagerServer, AlertReachesTheApiAndTheWebhook) {
  Alertmanager am(binary_, dir_, free_port_except({webhook_.port()}), webhook_.url("/hook"));
  ASSERT_TRUE(am.start()) << am.logs();
  Notifier notifier({am_config(am)}, 100, nullptr);
  notifier.send({drift_alert("cap-diameter")});
  ASSERT_TRUE(notifier.flush(10000ms)) << am.logs();

  std::optional<nlohmann::json> alert;
  ASSERT_TRUE(
      wait_until([&] { return (alert = find_alert(am.alerts(), "cap-diameter")).has_value(); }, 10000ms))
      << am.alerts().dump(2) << am.logs();
  EXPECT_EQ((*alert)["labels"]["alertname"], "DriftAnomaly");
  EXPECT_EQ((*alert)["labels"]["dataset_name"], "mushroom");
  EXPECT_EQ((*alert)["labels"]["severity"], "warning");
  EXPECT_EQ((*alert)["annotations"]["summary"], "Drift on mushroom is 42 (expected 3)");
  EXPECT_EQ((*alert)["generatorURL"], "http://127.0.0.1:9102/rules#DriftAnomaly");
  EXPECT_EQ((*alert)["status"]["state"], "active");

  nlohmann::json notification;
  ASSERT_TRUE(wait_until([&] { return webhook_saw(webhook_, "cap-diameter", &notification); }, 15000ms))
      << am.logs();
  EXPECT_EQ(notification["status"], "firing");
  EXPECT_EQ(notification["receiver"], "webhook");
  const auto& hooked = notification["alerts"][0];
  EXPECT_EQ(hooked["labels"]["alertname"], "DriftAnomaly");
  EXPECT_EQ(hooked["annotations"]["summary"], "Drift on mushroom is 42 (expected 3)");
  EXPECT_EQ(hooked["generatorURL"], "http://127.0.0.1:9102/rules#DriftAnomaly");
  EXPECT_EQ(webhook_.requests()[0].method, "POST");
  EXPECT_EQ(webhook_.requests()[0].target, "/hook");
}

TEST_F(AlertmanagerServer, AlertsSentWhileItIsDownArriveAfterRestart) {
  Alertmanager am(binary_, dir_, free_port_except({webhook_.port()}), webhook_.url("/hook"));
  ASSERT_TRUE(am.start()) << am.logs();
  am.stop();

  Notifier notifier({am_config(am)}, 100, nullptr);
  notifier.send({drift_alert("stem-width")});
  notifier.send({drift_alert("gill-color")});
  EXPECT_FALSE(notifier.flush(1500ms)) << "delivered although Alertmanager is stopped";

  ASSERT_TRUE(am.start()) << am.logs();
  ASSERT_TRUE(notifier.flush(15000ms)) << am.logs();
  ASSERT_TRUE(wait_until(
      [&] {
        const auto alerts = am.alerts();
        return find_alert(alerts, "stem-width") && find_alert(alerts, "gill-color");
      },
      10000ms))
      << am.alerts().dump(2) << am.logs();
  EXPECT_TRUE(wait_until(
      [&] { return webhook_saw(webhook_, "stem-width") && webhook_saw(webhook_, "gill-color"); }, 15000ms))
      << am.logs();
}

}  // namespace
}  // namespace promcast::testing
