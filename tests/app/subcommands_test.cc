// The top-level command line: `promcast --help` lists every subcommand from the one table, and anything
// that is not a subcommand still goes to the exporter (statsd_exporter's command line keeps working).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "app/commands.h"

namespace promcast::app {
namespace {

int run(std::vector<std::string> args, std::string& err) {
  args.insert(args.begin(), "promcast");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStderr();
  const int rc = run_main(static_cast<int>(argv.size()), argv.data());
  err = ::testing::internal::GetCapturedStderr();
  return rc;
}

TEST(Subcommands, TheTableHasEveryCommandOnce) {
  std::vector<std::string> names;
  for (const auto& s : subcommands()) {
    EXPECT_FALSE(s.summary.empty()) << s.name;
    EXPECT_NE(s.run, nullptr) << s.name;
    names.emplace_back(s.name);
  }
  for (const char* want : {"exporter", "check", "map", "forecast", "detect", "backtest"})
    EXPECT_EQ(std::count(names.begin(), names.end(), want), 1) << want;
}

TEST(Subcommands, HelpListsEverySubcommandThenTheExporterFlags) {
  for (const char* flag : {"--help", "-h", "help"}) {
    std::string err;
    EXPECT_EQ(run({flag}, err), 0) << flag;
    for (const auto& s : subcommands()) {
      EXPECT_NE(err.find("  " + std::string(s.name) + " "), std::string::npos)
          << flag << ": " << s.name << "\n"
          << err;
    }
    EXPECT_LT(err.find("Subcommands:"), err.find("--statsd.mapping-config"))
        << err;  // then the exporter's flags
  }
}

TEST(Subcommands, ExporterFlagsWithoutASubcommandStillReachTheExporter) {
  std::string err;
  // a bad exporter flag is the exporter's error (kingpin's wording), not "unknown subcommand"
  EXPECT_EQ(run({"--statsd.no-such-flag"}, err), 1);
  EXPECT_NE(err.find("promcast: error: unknown long flag '--statsd.no-such-flag'"), std::string::npos) << err;
  // the exporter's own --check-config runs through the default path
  EXPECT_EQ(run({"--check-config", "--log.level=error"}, err), 0) << err;
}

TEST(Subcommands, ASubcommandGetsOnlyItsOwnArguments) {
  std::string err;
  EXPECT_EQ(run({"check"}, err), 2);  // run_check saw no arguments: a usage error of its own
  EXPECT_EQ(err.find("--statsd.mapping-config"), std::string::npos) << err;  // not the exporter's
}

}  // namespace
}  // namespace promcast::app
