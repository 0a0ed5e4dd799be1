#pragma once
// Subcommands of the promcast binary. Each takes the arguments after its own name and returns the exit code.
#include <span>
#include <string>
#include <string_view>

namespace promcast::app {

/// The statsd exporter (the default when no subcommand is given): statsd_exporter's flags.
int run_exporter(int argc, char** argv);
/// `promcast check mappings|rules|backends FILE...`: validate mapping, rule or backends files; exit 1 listing
/// every error as file:line:column: message (rules and backends in promtool's layout).
int run_check(int argc, char** argv);
/// `promcast map --statsd.mapping-config FILE LINE...`: print the series each statsd line would produce.
int run_map(int argc, char** argv);
/// `promcast forecast --input FILE.csv ...`: fit SARIMAX and print forecasts.
int run_forecast(int argc, char** argv);
/// `promcast detect --input FILE.csv --method ...`: run an anomaly detector.
int run_detect(int argc, char** argv);
/// `promcast backtest --rules FILE [--rule NAME] --from T --to T ...`: replay rules over past data.
int run_backtest(int argc, char** argv);

/// One subcommand: its name on the command line, a one-line summary for `promcast --help`, its entry point.
struct Subcommand {
  std::string_view name;
  std::string_view summary;
  int (*run)(int argc, char** argv);
};

/// Every subcommand, in the order `promcast --help` lists them: the one place to add one (main() dispatches
/// from this table and the help text is built from it).
std::span<const Subcommand> subcommands();

/// `promcast --help`: the subcommands, then the exporter's flags (the default command's).
std::string usage();

/// What main() does: argv[1] names a subcommand, or everything is the exporter's command line, as
/// statsd_exporter's (whose `--help`/`-h`, like `promcast help`, print usage() to stderr and exit 0).
int run_main(int argc, char** argv);

}  // namespace promcast::app
