#pragma once
// The status pages as pure functions from view data to a complete HTML document (UTF-8, inline CSS, no
// JavaScript). web_ui.cc gathers the data from the engine and the exporter; tests call these directly with
// hostile strings. Every user string goes through html_escape (web/html.h); links to rules percent-encode
// the rule name.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rules/engine.h"
#include "rules/rule_evaluator.h"

namespace promcast::web {

/// What every page shows in its header and what /, /status describe.
struct SiteInfo {
  std::string version;
  std::string telemetry_path = "/metrics";
  rules::TimestampMs started_ms = 0;
  rules::TimestampMs now_ms = 0;
  bool rules_enabled = false;             ///< --rules.config given (the engine runs)
  bool lifecycle = false;                 ///< --web.enable-lifecycle
  std::vector<std::string> args;          ///< the command line after the program name, as given
  std::string mapping_file;               ///< --statsd.mapping-config ("" = none)
  std::vector<std::string> rule_files;    ///< --rules.config patterns
  rules::TimestampMs last_reload_ms = 0;  ///< 0 = no reload since start
  bool last_reload_ok = true;
  std::size_t reloads = 0;
  std::size_t mappings = 0;  ///< loaded mapping count
};

/// One series row on a rule's page, with its chart when the rule still has the series.
struct SeriesRow {
  rules::SeriesStatus status;
  std::optional<rules::SeriesChart> chart;
};

/// One pending or firing alert.
struct AlertRow {
  std::string rule;
  std::string group;
  std::string state;  ///< "pending" or "firing"
  rules::Labels labels;
  double value = 0, expected = 0, score = 0;
  rules::Labels annotations;  ///< expanded, e.g. summary
};

/// One entry of the loaded mapping file.
struct MappingRow {
  std::string match, match_type, name, action;
  std::vector<std::pair<std::string, std::string>> labels;
  int line = 0;
  std::uint64_t hits = 0;  ///< events matched since the mapping file was loaded
};

std::string render_landing(const SiteInfo& site, const std::vector<rules::RuleStatus>& rules);
std::string render_rules_page(const SiteInfo& site, const std::vector<rules::RuleStatus>& rules);
std::string render_rule_page(const SiteInfo& site, const rules::RuleStatus& rule,
                             const std::vector<SeriesRow>& rows);
std::string render_alerts_page(const SiteInfo& site, const std::vector<AlertRow>& alerts);
std::string render_mappings_page(const SiteInfo& site, const std::vector<MappingRow>& mappings);
std::string render_status_page(const SiteInfo& site);
/// A 404 page naming the path (escaped).
std::string render_not_found(const SiteInfo& site, std::string_view what);

}  // namespace promcast::web
