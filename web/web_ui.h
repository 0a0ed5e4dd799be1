#pragma once
// promcast's own web routes on the exporter's HTTP server: the status pages (/, /rules, /rules/<name>,
// /alerts, /mappings, /status), /api/v1/rules (the engine's JSON, unchanged), the Prometheus-compatible
// query API (web/query_api.h) and remote read (POST /api/v1/read, web/remote_read.h). The exporter's own
// routes (/metrics, /-/healthy, /-/ready, /-/reload, /-/quit) are answered before these and never reach here.
//
// Threads: handle() runs on the HTTP threads and record_reload()/set_mappings() on others; all are
// thread-safe. The engine and the mapping holder must outlive the WebUi.
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "exporter/exporter_app.h"
#include "exporter/http_server.h"
#include "exporter/pipeline.h"
#include "rules/engine.h"
#include "web/pages.h"
#include "web/query_api.h"

namespace promcast::web {

struct WebOptions {
  std::string version;
  std::string telemetry_path = "/metrics";
  bool lifecycle = false;
  std::vector<std::string> args;        ///< command line after the program name
  std::string mapping_file;             ///< "" = none
  std::vector<std::string> rule_files;  ///< --rules.config patterns
  rules::RuleEngine* engine = nullptr;  ///< null when the rule engine is off
  Clock clock;                          ///< ms since the epoch; default: the system clock
};

class WebUi {
 public:
  explicit WebUi(WebOptions options);

  /// The response for one of the routes above, or nullopt (not a web route).
  [[nodiscard]] std::optional<exporter::HttpResponse> handle(const exporter::HttpRequest& request) const;

  /// The exporter's mappings, once it has started (the exporter is created after the extension).
  void set_mappings(const exporter::MappingHolder* holder);
  /// Records a reload's outcome for /status.
  void record_reload(bool ok);

  /// Every series the query API and remote read serve: the forecast paths and the current outputs.
  [[nodiscard]] std::vector<rules::Series> all_series() const;

 private:
  [[nodiscard]] SiteInfo site() const;
  [[nodiscard]] std::optional<exporter::HttpResponse> page(const exporter::HttpRequest& request) const;

  WebOptions options_;
  rules::TimestampMs started_ms_;
  std::unique_ptr<QueryApi> query_api_;
  mutable std::mutex mutex_;  // guards the fields below
  const exporter::MappingHolder* mappings_ = nullptr;
  rules::TimestampMs last_reload_ms_ = 0;
  bool last_reload_ok_ = true;
  std::size_t reloads_ = 0;
};

/// The exporter extension for promcast's process: routes to `web`; with an engine also its series and
/// self-metrics on /metrics and its reload (recorded for /status). `web` is shared with the caller, which
/// calls set_mappings() once the exporter has started.
exporter::ExporterExtension make_extension(std::shared_ptr<WebUi> web, rules::RuleEngine* engine);

}  // namespace promcast::web
