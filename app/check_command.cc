// `promcast check mappings|rules|backends|web-config FILE...`: validates configuration without starting anything.
// Output follows promtool's `check rules`: "Checking FILE", then "  SUCCESS: N rules found" on stdout, or
// "  FAILED:" and every error as file:line:column: message on stderr; exit 1 when any file failed, 2 for
// usage errors.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#include "app/commands.h"
#include "exporter/web_security.h"
#include "mappings/config.h"
#include "rules/rule_loader.h"

namespace promcast::app {
namespace {

void print_errors(const std::vector<Error>& errors) {
  std::fputs("  FAILED:\n", stdout);
  for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
}

int check_mappings(const std::vector<std::string>& files) {
  int failed = 0;
  for (const auto& path : files) {
    auto parsed = mappings::MappingConfig::load_file(path);
    if (!parsed) {
      ++failed;
      for (const auto& e : parsed.error()) std::printf("%s\n", e.to_string().c_str());
      continue;
    }
    // Deprecations do not fail the check (statsd_exporter 0.27-0.29 accept them) but are named.
    for (const auto& w : parsed->warnings) std::printf("warning: %s\n", w.to_string().c_str());
    std::printf("%s: ok (%zu mappings)\n", path.c_str(), parsed->mappings.size());
  }
  return failed == 0 ? 0 : 1;
}

int check_rules(const std::vector<std::string>& patterns, const rules::LoadOptions& options) {
  // Globs are accepted as in --rules.config; a pattern that names no existing file is an error.
  auto files = rules::expand_rule_files(patterns);
  if (!files) {
    for (const auto& e : files.error()) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    return 1;
  }
  if (files->empty()) {
    std::fputs("no rule files matched\n", stderr);
    return 1;
  }
  int failed = 0;
  for (const auto& path : *files) {
    std::printf("Checking %s\n", path.c_str());
    std::fflush(stdout);
    auto set = rules::load_rule_files({path}, options);
    if (!set) {
      ++failed;
      print_errors(set.error());
      std::fflush(stderr);
      continue;
    }
    std::size_t forecasts = 0, anomalies = 0;
    for (const auto& g : set->groups) {
      for (const auto& r : g.rules) (std::holds_alternative<rules::ForecastRule>(r) ? forecasts : anomalies) += 1;
    }
    std::printf("  SUCCESS: %zu rules found (%zu forecast, %zu anomaly, in %zu groups)\n", forecasts + anomalies,
                forecasts, anomalies, set->groups.size());
  }
  std::fflush(stdout);
  return failed == 0 ? 0 : 1;
}

int check_backends(const std::vector<std::string>& files) {
  int failed = 0;
  for (const auto& path : files) {
    std::printf("Checking %s\n", path.c_str());
    std::fflush(stdout);
    auto b = rules::load_backends(path);
    if (!b) {
      ++failed;
      print_errors(b.error());
      std::fflush(stderr);
      continue;
    }
    std::printf("  SUCCESS: %zu sources, %zu remote-write targets, %zu Alertmanagers\n", b->sources.size(),
                b->remote_write.size(), b->alertmanagers.size());
  }
  std::fflush(stdout);
  return failed == 0 ? 0 : 1;
}

int check_web_config(const std::vector<std::string>& files) {
  // Like `promtool check web-config`: the file is parsed and its certificates and keys are loaded.
  int failed = 0;
  for (const auto& path : files) {
    std::printf("Checking %s\n", path.c_str());
    std::fflush(stdout);
    auto snapshot = exporter::load_web_snapshot(path);
    if (!snapshot) {
      ++failed;
      print_errors(snapshot.error());
      std::fflush(stderr);
      continue;
    }
    std::printf("  SUCCESS: TLS %s, %zu basic auth users\n", (*snapshot)->tls ? "enabled" : "disabled",
                (*snapshot)->config.users.size());
  }
  std::fflush(stdout);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int run_check(int argc, char** argv) {
  CLI::App app{"Validates configuration files without starting anything.", "promcast check"};
  app.require_subcommand(1);
  std::vector<std::string> mapping_files, rule_files, backend_files, web_config_files;
  std::string interval = "1m";
  auto* mappings_cmd = app.add_subcommand("mappings", "statsd mapping files (statsd_exporter's format)");
  mappings_cmd->add_option("FILE", mapping_files, "mapping files")->required();
  auto* rules_cmd = app.add_subcommand("rules", "forecast and anomaly rule files (globs accepted)");
  rules_cmd->add_option("FILE", rule_files, "rule files or globs")->required();
  rules_cmd->add_option("--rules.evaluation-interval", interval,
                        "the default group interval, as promcast runs with it (default 1m)");
  auto* backends_cmd = app.add_subcommand("backends", "the backends file (sources, remote_write, alertmanagers)");
  backends_cmd->add_option("FILE", backend_files, "backends files")->required();
  auto* web_cmd = app.add_subcommand("web-config", "--web.config.file files (exporter-toolkit's format)");
  web_cmd->add_option("FILE", web_config_files, "web config files")->required();
  std::vector<std::string> args;
  for (int i = argc - 1; i >= 0; --i) args.emplace_back(argv[i]);  // CLI11 takes them reversed
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (mappings_cmd->parsed()) return check_mappings(mapping_files);
  if (backends_cmd->parsed()) return check_backends(backend_files);
  if (web_cmd->parsed()) return check_web_config(web_config_files);
  rules::LoadOptions options;
  auto d = rules::parse_duration(interval);
  if (!d || d->count() <= 0) {
    std::fprintf(stderr, "promcast check rules: --rules.evaluation-interval: %s\n",
                 d ? "must be greater than 0" : d.error().c_str());
    return 2;
  }
  options.default_interval = *d;
  return check_rules(rule_files, options);
}

}  // namespace promcast::app
