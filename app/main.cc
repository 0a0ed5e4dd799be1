// promcast: a statsd exporter and a forecasting rule engine in one binary.
// The first argument picks a subcommand; anything else (including flags) runs the exporter,
// so that promcast is a drop-in replacement for statsd_exporter's command line.
#include <cstring>
#include <string_view>

#include "app/commands.h"

int main(int argc, char** argv) {
  using namespace promcast::app;
  if (argc >= 2) {
    const std::string_view sub = argv[1];
    if (sub == "check") return run_check(argc - 2, argv + 2);
    if (sub == "map") return run_map(argc - 2, argv + 2);
    if (sub == "forecast") return run_forecast(argc - 2, argv + 2);
    if (sub == "detect") return run_detect(argc - 2, argv + 2);
    if (sub == "exporter") return run_exporter(argc - 2, argv + 2);
  }
  return run_exporter(argc - 1, argv + 1);
}
