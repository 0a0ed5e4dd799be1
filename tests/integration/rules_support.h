#pragma once
// Support for the rule engine's end-to-end tests: real Prometheus, Alertmanager and VictoriaMetrics
// processes on free loopback ports, backfilled history, a webhook receiver standing in for
// PagerDuty/Opsgenie, and small query helpers. Every wait is bounded.
#include <simdjson.h>

#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <numbers>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "exporter/http_server.h"
#include "tests/integration/support.h"

namespace promcast::testing {

constexpr std::int64_t kDaySeconds = 86400;

/// The synthetic ingestion rate the forecast tests backfill: a daily cycle plus seeded noise (sd 20).
inline double ingest_truth(std::int64_t unix_seconds) {
  return 1000.0 + 300.0 * std::sin(2 * std::numbers::pi * static_cast<double>(unix_seconds % kDaySeconds) /
                                   kDaySeconds);
}
inline double ingest_noise(std::int64_t unix_seconds) {
  std::mt19937_64 rng(static_cast<std::uint64_t>(unix_seconds));
  return std::normal_distribution<double>(0.0, 20.0)(rng);
}

/// `days` of 5-minute samples of kafka_ingest{topic="orders"} ending at `end` (unix seconds).
inline std::string ingest_openmetrics(std::int64_t end, int days) {
  std::string out = "# HELP kafka_ingest Messages in per second.\n# TYPE kafka_ingest gauge\n";
  const std::int64_t start = end - days * kDaySeconds;
  for (std::int64_t t = start - start % 300; t <= end; t += 300)
    out += "kafka_ingest{topic=\"orders\"} " + std::to_string(ingest_truth(t) + ingest_noise(t)) + " " +
           std::to_string(t) + "\n";
  out += "# EOF\n";
  return out;
}

/// The same samples in Prometheus' text format with millisecond timestamps (VictoriaMetrics' import).
inline std::string ingest_text_ms(std::int64_t end, int days) {
  std::string out;
  const std::int64_t start = end - days * kDaySeconds;
  for (std::int64_t t = start - start % 300; t <= end; t += 300)
    out += "kafka_ingest{topic=\"orders\"} " + std::to_string(ingest_truth(t) + ingest_noise(t)) + " " +
           std::to_string(t * 1000) + "\n";
  return out;
}

struct QueryResult {
  std::map<std::string, std::string> labels;
  double value = std::nan("");
};

/// An instant query against a Prometheus-compatible API; empty on any failure.
inline std::vector<QueryResult> instant_query(const std::string& base, const std::string& expr) {
  std::vector<QueryResult> out;
  const auto response = http_get(base + "/api/v1/query?query=" + url_encode(expr));
  if (!response || response->status != 200) return out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(response->body).get(doc) != simdjson::SUCCESS) return out;
  simdjson::dom::array result;
  if (doc["data"]["result"].get(result) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element series : result) {
    QueryResult r;
    simdjson::dom::object metric;
    if (series["metric"].get(metric) == simdjson::SUCCESS)
      for (auto [key, value] : metric) {
        std::string_view text;
        if (value.get(text) == simdjson::SUCCESS) r.labels[std::string(key)] = std::string(text);
      }
    simdjson::dom::array point;
    std::string_view value;
    if (series["value"].get(point) == simdjson::SUCCESS && point.at(1).get(value) == simdjson::SUCCESS)
      r.value = std::stod(std::string(value));
    out.push_back(std::move(r));
  }
  return out;
}

/// A real Prometheus with its own data dir (optionally backfilled) scraping `scrape_port` every second.
class PrometheusServer {
 public:
  /// `extra_config` is appended to prometheus.yml (e.g. a remote_read section).
  PrometheusServer(const std::string& binary, std::uint16_t port, std::uint16_t scrape_port,
                   const std::string& openmetrics = {}, const std::string& extra_config = {})
      : binary_(binary), port_(port) {
    write_file(dir_.file("prometheus.yml"),
               "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n"
               "  - job_name: promcast\n    static_configs:\n      - targets: ['127.0.0.1:" +
                   std::to_string(scrape_port) + "']\n" + extra_config);
    if (!openmetrics.empty()) {
      write_file(dir_.file("history.om"), openmetrics);
      const std::string promtool = find_executable("promtool");
      backfill_ = run_command(
          {promtool, "tsdb", "create-blocks-from", "openmetrics", dir_.file("history.om"), dir_.file("data")},
          120000ms);
    }
    start();
  }
  void start() {
    process_ = std::make_unique<Process>(
        std::vector<std::string>{binary_, "--config.file=" + dir_.file("prometheus.yml"),
                                 "--storage.tsdb.path=" + dir_.file("data"),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                 "--web.enable-remote-write-receiver", "--log.level=warn",
                                 "--storage.tsdb.retention.time=30d"},
        dir_.path().string(), "prometheus");
  }
  void stop() { process_->stop(); }
  bool wait_ready() { return wait_for_http_ok(url() + "/-/ready", 60000ms); }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] const CommandResult& backfill() const { return backfill_; }
  Process& process() { return *process_; }

 private:
  TempDir dir_;
  std::string binary_;
  std::uint16_t port_;
  CommandResult backfill_;
  std::unique_ptr<Process> process_;
};

/// Collects what Alertmanager's webhook receiver posts (the stand-in for PagerDuty or Opsgenie).
class WebhookReceiver {
 public:
  WebhookReceiver() {
    auto server = exporter::HttpServer::start("127.0.0.1:0", [this](const exporter::HttpRequest& r) {
      std::lock_guard lock(mutex_);
      bodies_.push_back(r.body);
      return exporter::HttpResponse{};
    });
    if (!server) throw std::runtime_error("webhook receiver: " + server.error().message);
    server_ = std::move(*server);
  }
  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/hook";
  }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }
  /// Whether some notification contains every one of `parts`.
  bool received(const std::vector<std::string>& parts) {
    for (const auto& body : bodies()) {
      bool all = true;
      for (const auto& p : parts)
        if (body.find(p) == std::string::npos) all = false;
      if (all) return true;
    }
    return false;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> bodies_;
  std::unique_ptr<exporter::HttpServer> server_;
};

/// A real Alertmanager (no gossip port) routing everything to `webhook_url` at once.
class AlertmanagerServer {
 public:
  AlertmanagerServer(const std::string& binary, std::uint16_t port, const std::string& webhook_url)
      : binary_(binary), port_(port) {
    write_file(dir_.file("alertmanager.yml"),
               "route:\n  receiver: hook\n  group_by: ['alertname']\n  group_wait: 1s\n  group_interval: 1s\n"
               "  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: '" +
                   webhook_url + "'\n        send_resolved: true\n");
    start();
  }
  void start() {
    process_ = std::make_unique<Process>(
        std::vector<std::string>{binary_, "--config.file=" + dir_.file("alertmanager.yml"),
                                 "--storage.path=" + dir_.file("data"),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                 "--cluster.listen-address=", "--log.level=warn"},
        dir_.path().string(), "alertmanager");
  }
  void stop() { process_->stop(); }
  bool wait_ready() { return wait_for_http_ok(url() + "/-/ready", 30000ms); }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// GET /api/v2/alerts body ("" on failure).
  std::string alerts() {
    const auto r = http_get(url() + "/api/v2/alerts");
    return r && r->status == 200 ? r->body : std::string();
  }
  Process& process() { return *process_; }

 private:
  TempDir dir_;
  std::string binary_;
  std::uint16_t port_;
  std::unique_ptr<Process> process_;
};

/// The sum of every sample of `name` in an exposition (all label sets).
inline double metric_sum(const std::string& exposition, std::string_view name) {
  double sum = 0;
  std::size_t pos = 0;
  while ((pos = exposition.find(std::string(name), pos)) != std::string::npos) {
    const bool line_start = pos == 0 || exposition[pos - 1] == '\n';
    const std::size_t end = exposition.find('\n', pos);
    const std::string line = exposition.substr(pos, end - pos);
    pos = end;
    if (!line_start) continue;
    const char after = line.size() > name.size() ? line[name.size()] : ' ';
    if (after != '{' && after != ' ') continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

/// An anomaly rule group on the drift gauge the pipeline below sends (1 s steps, rolling robust z-score).
constexpr std::string_view kDriftGroup = R"yaml(  - name: data-quality
    interval: 1s
    rules:
      - anomaly: DriftAnomaly
        expr: drift_metrics{metric_name="wasserstein"}
        step: 1s
        history: 5m
        detector: {method: zscore, window: 120, robust: true, z: 4, min_rel_scale: 0.01}
        for: 3s
        labels: {severity: warning}
        annotations:
          summary: "Drift on {{ $labels.dataset_name }}/{{ $labels.column_name }} is {{ $value }} (expected {{ printf \"%.2f\" $expected }})"
)yaml";

// Sends the drift gauge every 200 ms on a thread of its own; the value can be changed at any time.
class DriftPipeline {
 public:
  explicit DriftPipeline(std::uint16_t port) : port_(port), thread_([this] { run(); }) {}
  ~DriftPipeline() {
    stop_ = true;
    thread_.join();
  }
  void set(double value) {
    growth_ = 1.0;
    value_ = value;
  }
  // From `value`, multiplied by `factor` every second: a level the rolling detector never gets used to.
  void grow(double value, double factor) {
    value_ = value;
    growth_ = factor;
  }

 private:
  void run() {
    int i = 0;
    while (!stop_) {
      if (i % 5 == 0) value_ = value_ * growth_;
      const double v = value_ + 0.002 * (i++ % 5);  // a little jitter above the level
      send_udp(port_, "drift_metrics.mushroom.v1.cap-diameter.wasserstein:" + std::to_string(v) + "|g");
      std::this_thread::sleep_for(200ms);
    }
  }
  std::uint16_t port_;
  std::atomic<double> value_{0.1};
  std::atomic<double> growth_{1.0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace promcast::testing
