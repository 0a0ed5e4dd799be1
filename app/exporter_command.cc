// `promcast [exporter] [flags]`: the statsd exporter with statsd_exporter's command line.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands.h"
#include "app/rules_flags.h"
#include "exporter/exporter_app.h"
#include "exporter/flags.h"
#include "exporter/pipeline.h"
#include "rules/engine.h"
#include "web/web_ui.h"

namespace promcast::app {

namespace {

// A server holding thousands of scrape, push and statsd TCP connections needs more than the usual soft
// limit of 1024 open files; like Go programs (Prometheus, statsd_exporter) since Go 1.19, raise the soft
// limit to the hard one. Failure only leaves the limit as it was.
void raise_open_files_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace

int run_exporter(int argc, char** argv) {
  using namespace promcast::exporter;
  raise_open_files_limit();
  const std::vector<std::string_view> all_args(argv, argv + argc);
  std::vector<std::string> rules_args;
  std::vector<std::string_view> args;
  split_rules_args(all_args, rules_args, args);
  auto rules_flags = parse_rules_flags(rules_args);
  if (!rules_flags) {
    std::fprintf(stderr, "promcast: error: %s, try --help\n", rules_flags.error().c_str());
    return 1;
  }
  auto parsed = parse_exporter_flags(args);
  if (!parsed) {
    // kingpin's wording and exit code.
    std::fprintf(stderr, "promcast: error: %s, try --help\n", parsed.error().message.c_str());
    return 1;
  }
  if (parsed->action == FlagsAction::Help) {
    // the subcommands, the exporter's flags, the rule engine's; kingpin writes usage to stderr
    std::fputs(usage().c_str(), stderr);
    return 0;
  }
  if (parsed->action == FlagsAction::Version) {
    std::fprintf(stderr, "promcast, version %s (statsd_exporter compatible)\n", PROMCAST_VERSION);
    return 0;
  }
  const ExporterFlags& flags = parsed->flags;
  configure_logging(flags);
  spdlog::info("Starting StatsD -> Prometheus Exporter version={}", PROMCAST_VERSION);

  if (flags.check_config) {
    if (!flags.mapping_config.empty()) {
      auto loaded = MappingState::load_file(flags.mapping_config);
      if (!loaded) {
        for (const auto& e : loaded.error()) spdlog::error("error loading config: {}", e.to_string());
        return 1;
      }
      log_mapping_warnings(**loaded);
    }
    spdlog::info("Configuration check successful, exiting");
    return 0;
  }

  // Signals are taken synchronously by this thread only; every thread started below inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // The rule engine starts first: bad rule files stop promcast before any listener opens.
  std::unique_ptr<rules::RuleEngine> engine;
  if (rules_flags->enabled()) {
    const std::string& web = flags.web_listen_addresses.front();
    const int port = std::atoi(web.substr(web.rfind(':') + 1).c_str());
    auto options = engine_options(*rules_flags, port);
    if (!options) {
      for (const auto& e : options.error()) spdlog::error("{}", e.to_string());
      return 1;
    }
    auto started = rules::RuleEngine::start(std::move(*options));
    if (!started) {
      for (const auto& e : started.error()) spdlog::error("error loading rules: {}", e.to_string());
      return 1;
    }
    engine = std::move(*started);
  }
  web::WebOptions web_options;
  web_options.version = PROMCAST_VERSION;
  web_options.telemetry_path = flags.telemetry_path;
  web_options.lifecycle = flags.enable_lifecycle;
  web_options.args.assign(all_args.begin(), all_args.end());
  web_options.mapping_file = flags.mapping_config;
  web_options.rule_files = rules_flags->rule_files;
  web_options.engine = engine.get();
  auto web = std::make_shared<web::WebUi>(std::move(web_options));
  ExporterExtension extension = web::make_extension(web, engine.get());

  auto app = ExporterApp::start(flags, PROMCAST_VERSION, std::move(extension));
  if (!app) {
    for (const auto& e : app.error()) spdlog::error("{}", e.to_string());
    return 1;
  }
  web->set_mappings(&(*app)->mappings());
  for (;;) {
    if ((*app)->wait_for_quit(std::chrono::milliseconds(0))) break;  // /-/quit (logged by the handler)
    timespec timeout{0, 200'000'000};
    const int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig == SIGHUP) {
      if (engine) {
        spdlog::info("Received signal, attempting reload signal=hangup");
        (*app)->reload_all();  // the extension records the outcome
        continue;
      }
      if (flags.mapping_config.empty()) {
        spdlog::warn("Received signal but no mapping config to reload signal=hangup");
        continue;
      }
      spdlog::info("Received signal, attempting reload signal=hangup");
      web->record_reload((*app)->reload());
    } else if (sig == SIGINT || sig == SIGTERM) {
      spdlog::info("Received os signal, exiting signal={}", sig == SIGINT ? "interrupt" : "terminated");
      break;
    }
  }
  (*app)->stop();
  if (engine) {
    engine->flush(std::chrono::seconds(5));  // queued alerts and samples get a last chance
    engine->stop();
  }
  return 0;
}

}  // namespace promcast::app
