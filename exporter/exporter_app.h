#pragma once
// The running exporter: mapping (reloadable), metric store, self-metrics, listeners, relay, HTTP endpoints
// and the housekeeping timer (TTL expiry, self-metric folding). `promcast` (app/exporter_command.cc) builds
// one from the flags, forwards SIGHUP to reload() and waits for quit; tests build one on loopback ports.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <memory>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "exporter/flags.h"
#include "exporter/http_server.h"
#include "exporter/listeners.h"
#include "exporter/metric_store.h"
#include "exporter/pipeline.h"
#include "exporter/relay.h"
#include "exporter/self_metrics.h"

namespace promcast::exporter {

/// What the other half of promcast (the rule engine) adds to the exporter's HTTP server: more series on
/// the telemetry path, more routes, and a part in reloads. Given once at start; the callbacks run on the
/// HTTP thread (and reload also on the signal-handling thread), so they must be thread-safe.
struct ExporterExtension {
  /// Appends expositions to merge into /metrics, each with its families in name order.
  std::function<void(std::vector<std::string>& sections)> write_metrics;
  /// Answers the requests it knows (nullopt: not its route).
  std::function<std::optional<HttpResponse>(const HttpRequest&)> handle;
  /// Runs on SIGHUP and /-/reload after the mapping reload; returns success.
  std::function<bool()> reload;
};

class ExporterApp {
 public:
  /// Loads the mapping file (errors: every problem with file:line:column), binds every enabled listener and
  /// the web address, starts all threads. Addresses may use port 0 (tests); see the *_port() getters.
  static std::expected<std::unique_ptr<ExporterApp>, std::vector<Error>> start(const ExporterFlags& flags,
                                                                               std::string version,
                                                                               ExporterExtension extension = {});
  ~ExporterApp();
  ExporterApp(const ExporterApp&) = delete;
  ExporterApp& operator=(const ExporterApp&) = delete;

  /// Reloads the mapping file (SIGHUP, /-/reload). On failure the old mapping stays, every error is logged
  /// with file:line:column and promcast_config_last_reload_successful becomes 0. Thread-safe.
  bool reload();

  /// The mapping reload and the extension's reload (SIGHUP, /-/reload); true when all succeeded.
  bool reload_all();

  /// The /metrics body: self-metrics and statsd series merged in name order.
  std::string render_metrics();

  /// Routes one HTTP request (exposed for tests).
  HttpResponse handle(const HttpRequest& request);

  /// Blocks until quit is requested (/-/quit) or `timeout` passes; true when quit was requested.
  bool wait_for_quit(std::chrono::milliseconds timeout);
  void request_quit();

  /// Stops listeners, HTTP and timers. Idempotent; the destructor calls it.
  void stop();

  /// The port of the first --web.listen-address.
  [[nodiscard]] uint16_t http_port() const { return http_.empty() ? 0 : http_.front()->port(); }
  [[nodiscard]] uint16_t udp_port() const { return udp_ ? udp_->port() : 0; }
  [[nodiscard]] uint16_t tcp_port() const { return tcp_ ? tcp_->port() : 0; }
  SelfMetrics& self_metrics() { return *self_metrics_; }
  MetricStore& store() { return *store_; }
  const MappingHolder& mappings() const { return *mappings_; }

 private:
  ExporterApp(const ExporterFlags& flags, std::string version);
  void housekeeping();

  ExporterFlags flags_;
  ExporterExtension extension_;
  std::unique_ptr<SelfMetrics> self_metrics_;
  std::unique_ptr<MetricStore> store_;
  std::unique_ptr<MappingHolder> mappings_;
  std::unique_ptr<Relay> relay_;
  std::unique_ptr<UdpListener> udp_;
  std::unique_ptr<TcpListener> tcp_;
  std::unique_ptr<UnixgramListener> unixgram_;
  std::vector<std::unique_ptr<HttpServer>> http_;
  std::mutex reload_mutex_;
  std::mutex render_mutex_;
  std::string self_text_;   // reused between scrapes
  std::string store_text_;  // reused between scrapes
  std::mutex quit_mutex_;
  std::condition_variable quit_cv_;
  bool quit_ = false;
  bool stopping_ = false;
  std::thread housekeeping_thread_;
};

/// Sets up spdlog for --log.level / --log.format (logfmt or json, UTC timestamps like promlog).
void configure_logging(const ExporterFlags& flags);

/// Logs a loaded mapping file's warnings (deprecated keys such as `timer_type`), one line each with
/// file:line:column. mappings/ only returns them; logging is the exporter's job.
void log_mapping_warnings(const MappingState& state);

}  // namespace promcast::exporter
