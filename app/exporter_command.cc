// `promcast [exporter] [flags]`: the statsd exporter with statsd_exporter's command line.
#include <csignal>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "exporter/exporter_app.h"
#include "exporter/flags.h"
#include "exporter/pipeline.h"

namespace promcast::app {

int run_exporter(int argc, char** argv) {
  using namespace promcast::exporter;
  const std::vector<std::string_view> args(argv, argv + argc);
  auto parsed = parse_exporter_flags(args);
  if (!parsed) {
    // kingpin's wording and exit code.
    std::fprintf(stderr, "promcast: error: %s, try --help\n", parsed.error().message.c_str());
    return 1;
  }
  if (parsed->action == FlagsAction::Help) {
    std::fputs(usage().c_str(), stderr);  // the subcommands, then the flags; kingpin writes usage to stderr
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

  auto app = ExporterApp::start(flags, PROMCAST_VERSION);
  if (!app) {
    for (const auto& e : app.error()) spdlog::error("{}", e.to_string());
    return 1;
  }
  for (;;) {
    if ((*app)->wait_for_quit(std::chrono::milliseconds(0))) break;  // /-/quit (logged by the handler)
    timespec timeout{0, 200'000'000};
    const int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig == SIGHUP) {
      if (flags.mapping_config.empty()) {
        spdlog::warn("Received signal but no mapping config to reload signal=hangup");
        continue;
      }
      spdlog::info("Received signal, attempting reload signal=hangup");
      (*app)->reload();
    } else if (sig == SIGINT || sig == SIGTERM) {
      spdlog::info("Received os signal, exiting signal={}", sig == SIGINT ? "interrupt" : "terminated");
      break;
    }
  }
  (*app)->stop();
  return 0;
}

}  // namespace promcast::app
