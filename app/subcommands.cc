// The subcommand table and the top-level help; main.cc only calls run_main().
#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <string>
#include <string_view>

#include "app/commands.h"
#include "app/rules_flags.h"
#include "exporter/flags.h"

namespace promcast::app {

namespace {

constexpr std::array kSubcommands = {
    Subcommand{"exporter", "the statsd exporter (the default: `promcast [flags]` runs it)", run_exporter},
    Subcommand{"check", "validate files: promcast check mappings|rules|backends|web-config FILE...", run_check},
    Subcommand{"map", "show the series statsd lines would produce under a mapping file", run_map},
    Subcommand{"forecast", "fit SARIMAX to a CSV series and print forecasts with intervals", run_forecast},
    Subcommand{"detect", "run an anomaly detector (esd, shesd, zscore, residual, iforest) on a CSV series",
               run_detect},
    Subcommand{"backtest", "replay a rule over past data: forecast accuracy against a baseline, alerts, incidents",
               run_backtest},
};

}  // namespace

std::span<const Subcommand> subcommands() { return kSubcommands; }

std::string usage() {
  std::string out =
      "usage: promcast [<subcommand>] [<flags>]\n"
      "\n"
      "promcast is a drop-in statsd_exporter and a forecasting / anomaly detection tool.\n"
      "\n"
      "Subcommands:\n";
  for (const auto& s : kSubcommands) out += fmt::format("  {:<10} {}\n", s.name, s.summary);
  out +=
      "\n"
      "`promcast <subcommand> --help` shows a subcommand's flags. Without a subcommand, promcast is the\n"
      "exporter and takes statsd_exporter's flags:\n"
      "\n";
  out += exporter::exporter_usage("promcast");
  out += '\n';
  out += rules_usage();
  return out;
}

int run_main(int argc, char** argv) {
  if (argc >= 2) {
    const std::string_view first = argv[1];
    for (const auto& s : kSubcommands)
      if (first == s.name) return s.run(argc - 2, argv + 2);
    if (first == "help") {  // `--help` and `-h` reach the exporter's flag parser, which prints usage() too
      std::fputs(usage().c_str(), stderr);  // kingpin writes usage to stderr and exits 0
      return 0;
    }
  }
  return run_exporter(argc - 1, argv + 1);
}

}  // namespace promcast::app
