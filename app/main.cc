// promcast: a statsd exporter and a forecasting rule engine in one binary.
// The first argument picks a subcommand (app/subcommands.cc keeps the table); anything else (including
// flags) runs the exporter, so that promcast is a drop-in replacement for statsd_exporter's command line.
#include "app/commands.h"

int main(int argc, char** argv) { return promcast::app::run_main(argc, argv); }
