#pragma once
// The rule engine's flags on the exporter's command line (`promcast --rules.config=rules.yml ...`), and
// --storage.path (where the engine keeps its fitted models, named like Prometheus' flag). They are taken
// out of the arguments before the kingpin-compatible exporter parser sees them, so the exporter's
// statsd_exporter command line stays exactly as it is, and parsed with CLI11.
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "rules/engine.h"

namespace promcast::app {

struct RulesFlags {
  std::vector<std::string> rule_files;
  std::string backends_file;
  std::string query_url;
  std::vector<std::string> remote_write_urls;
  std::string remote_write_future_window = "0s";
  std::vector<std::string> alertmanager_urls;
  std::vector<std::string> external_labels;  ///< name=value
  std::string evaluation_interval = "1m";
  std::string resend_delay = "1m";
  std::string external_url;
  std::size_t workers = 0;
  std::string shard;  ///< "i/n"
  std::string storage_path;  ///< --storage.path: fitted models kept across restarts ("" = off)
  [[nodiscard]] bool enabled() const { return !rule_files.empty(); }
};

/// Splits `args` into the rule engine's (`--rules.*` and `--storage.*`, with their values) and the rest.
void split_rules_args(const std::vector<std::string_view>& args, std::vector<std::string>& rules_args,
                      std::vector<std::string_view>& rest);

/// Parses the rule engine's arguments; the error is CLI11's message.
std::expected<RulesFlags, std::string> parse_rules_flags(const std::vector<std::string>& rules_args);

/// The --help text of the rule engine's flags.
std::string rules_usage();

/// Engine options from the flags: the backends file when given, the URL flags otherwise (or on top).
/// `web_port` builds the default external URL.
std::expected<rules::EngineOptions, std::vector<Error>> engine_options(const RulesFlags& flags, int web_port);

}  // namespace promcast::app
