#include "app/rules_flags.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "rules/rule_loader.h"

namespace promcast::app {

namespace {

CLI::App& describe(CLI::App& cli, RulesFlags& f) {
  cli.add_option("--rules.config", f.rule_files,
                 "Rule file (repeatable, globs accepted); enables the rule engine");
  cli.add_option("--rules.backends.config", f.backends_file,
                 "YAML file with query sources, remote-write targets, Alertmanagers, external labels");
  cli.add_option("--rules.query.url", f.query_url,
                 "Prometheus-compatible query API base URL (the default source), e.g. http://localhost:9090");
  cli.add_option("--rules.remote-write.url", f.remote_write_urls,
                 "Remote-write URL for outputs (repeatable)");
  cli.add_option("--rules.remote-write.future-window", f.remote_write_future_window,
                 "Also write the forecast path up to this far ahead (0s = only the evaluation time)");
  cli.add_option("--rules.alertmanager.url", f.alertmanager_urls, "Alertmanager base URL (repeatable)");
  cli.add_option("--rules.external-label", f.external_labels,
                 "name=value added to alerts and written series (repeatable)");
  cli.add_option("--rules.evaluation-interval", f.evaluation_interval, "Default group interval");
  cli.add_option("--rules.resend-delay", f.resend_delay, "Minimum time before resending a firing alert");
  cli.add_option("--rules.external-url", f.external_url,
                 "promcast's URL as users reach it (alert generator links)");
  cli.add_option("--rules.workers", f.workers, "Threads fitting series (0 = one per core)");
  cli.add_option("--rules.shard", f.shard,
                 "i/n: evaluate only the series whose label hash is i modulo n (n replicas split the work)");
  cli.add_option(
      "--storage.path", f.storage_path,
      "Directory where fitted models are kept, so a restart resumes without refitting (empty = off)");
  return cli;
}

}  // namespace

void split_rules_args(const std::vector<std::string_view>& args, std::vector<std::string>& rules_args,
                      std::vector<std::string_view>& rest) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--") {  // everything after belongs to the exporter's parser
      rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      return;
    }
    if (!a.starts_with("--rules.") && !a.starts_with("--storage.")) {
      rest.push_back(a);
      continue;
    }
    rules_args.emplace_back(a);
    // every rules flag takes a value: `--rules.x value` unless written `--rules.x=value`
    if (a.find('=') == std::string_view::npos && i + 1 < args.size()) rules_args.emplace_back(args[++i]);
  }
}

std::expected<RulesFlags, std::string> parse_rules_flags(const std::vector<std::string>& rules_args) {
  RulesFlags flags;
  CLI::App cli{"promcast rule engine"};
  describe(cli, flags);
  std::vector<std::string> reversed(rules_args.rbegin(), rules_args.rend());  // CLI11 takes them reversed
  try {
    cli.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return std::unexpected(std::string(e.what()));
  }
  return flags;
}

std::string rules_usage() {
  RulesFlags flags;
  CLI::App cli{"Rule engine flags (promcast [exporter flags] --rules.config FILE ...):"};
  describe(cli, flags);
  cli.set_help_flag();
  return cli.help();
}

std::expected<rules::EngineOptions, std::vector<Error>> engine_options(const RulesFlags& flags,
                                                                       int web_port) {
  using rules::parse_duration;
  std::vector<Error> errors;
  rules::EngineOptions o;
  o.rule_files = flags.rule_files;
  o.workers = flags.workers;
  o.storage_path = flags.storage_path;
  o.external_url =
      flags.external_url.empty() ? fmt::format("http://localhost:{}", web_port) : flags.external_url;
  while (o.external_url.ends_with('/')) o.external_url.pop_back();
  auto duration = [&](const std::string& flag, const std::string& text, rules::Duration& out) {
    auto d = parse_duration(text);
    if (!d)
      errors.push_back(Error{fmt::format("{}: {}", flag, d.error()), {}, 0, 0});
    else
      out = *d;
  };
  duration("--rules.evaluation-interval", flags.evaluation_interval, o.default_interval);
  if (!flags.backends_file.empty()) {
    auto b = rules::load_backends(flags.backends_file);
    if (!b) return std::unexpected(b.error());
    o.backends = std::move(*b);
  }
  duration("--rules.resend-delay", flags.resend_delay, o.backends.resend_delay);
  if (!flags.query_url.empty()) {
    rules::SourceConfig s;
    s.name = "default";
    s.url = flags.query_url;
    // the flag's source comes first: rules without `source:` use it
    o.backends.sources.insert(o.backends.sources.begin(), s);
  }
  rules::Duration window{0};
  duration("--rules.remote-write.future-window", flags.remote_write_future_window, window);
  for (const auto& url : flags.remote_write_urls) {
    rules::RemoteWriteConfig w;
    w.name = url;
    w.url = url;
    w.future_window = window;
    o.backends.remote_write.push_back(w);
  }
  for (const auto& url : flags.alertmanager_urls) {
    rules::AlertmanagerConfig a;
    a.url = url;
    o.backends.alertmanagers.push_back(a);
  }
  for (const auto& pair : flags.external_labels) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      errors.push_back(Error{fmt::format("--rules.external-label '{}' is not name=value", pair), {}, 0, 0});
      continue;
    }
    rules::set_label(o.backends.external_labels, pair.substr(0, eq), pair.substr(eq + 1));
  }
  if (!flags.shard.empty()) {
    unsigned long long index = 0, count = 0;
    char slash = 0;
    int consumed = 0;
    if (std::sscanf(flags.shard.c_str(), "%llu%c%llu%n", &index, &slash, &count, &consumed) != 3 ||
        slash != '/' || consumed != static_cast<int>(flags.shard.size()) || count == 0 || index >= count)
      errors.push_back(
          Error{fmt::format("--rules.shard '{}' is not i/n with 0 <= i < n", flags.shard), {}, 0, 0});
    o.shard = {index, count};
  }
  if (!errors.empty()) return std::unexpected(std::move(errors));
  return o;
}

}  // namespace promcast::app
