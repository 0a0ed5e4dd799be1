// The rule engine's flags on the exporter's command line: --storage.path is routed with the --rules.*
// flags (the exporter's kingpin-compatible parser would reject it) and reaches EngineOptions.
#include "app/rules_flags.h"

#include <gtest/gtest.h>

namespace promcast::app {
namespace {

TEST(RulesFlags, StoragePathGoesToTheEngineInBothSpellings) {
  for (const auto& spelling : {std::vector<std::string_view>{"--storage.path", "/var/lib/promcast"},
                               std::vector<std::string_view>{"--storage.path=/var/lib/promcast"}}) {
    std::vector<std::string_view> args{"promcast", "--statsd.listen-udp=:9125", "--rules.config=r.yml"};
    args.insert(args.end(), spelling.begin(), spelling.end());
    std::vector<std::string> rules_args;
    std::vector<std::string_view> rest;
    split_rules_args(args, rules_args, rest);
    EXPECT_EQ(rest, (std::vector<std::string_view>{"promcast", "--statsd.listen-udp=:9125"}));
    auto flags = parse_rules_flags(rules_args);
    ASSERT_TRUE(flags) << flags.error();
    EXPECT_EQ(flags->storage_path, "/var/lib/promcast");
    auto options = engine_options(*flags, 9102);
    ASSERT_TRUE(options);
    EXPECT_EQ(options->storage_path, "/var/lib/promcast");
  }
  auto off = parse_rules_flags({"--rules.config", "r.yml"});
  ASSERT_TRUE(off);
  EXPECT_EQ(off->storage_path, "") << "off unless given";
  EXPECT_NE(rules_usage().find("--storage.path"), std::string::npos);
}

}  // namespace
}  // namespace promcast::app
