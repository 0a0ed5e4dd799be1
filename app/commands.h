#pragma once
// Subcommands of the promcast binary. Each takes the arguments after its own name and returns the exit code.
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

}  // namespace promcast::app
