// Flag parsing must accept exactly what kingpin accepts for statsd_exporter's flag set.
#include "exporter/flags.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace promcast::exporter {
namespace {

std::expected<ParsedFlags, Error> parse(std::vector<std::string_view> args) {
  return parse_exporter_flags(std::span<const std::string_view>(args.data(), args.size()));
}

TEST(Flags, DefaultsMatchStatsdExporter) {
  auto r = parse({});
  ASSERT_TRUE(r.has_value());
  const ExporterFlags& f = r->flags;
  EXPECT_EQ(r->action, FlagsAction::Run);
  EXPECT_EQ(f.listen_udp, ":9125");
  EXPECT_EQ(f.listen_tcp, ":9125");
  EXPECT_EQ(f.listen_unixgram, "");
  EXPECT_EQ(f.unixsocket_mode, "755");
  EXPECT_EQ(f.mapping_config, "");
  EXPECT_EQ(f.read_buffer, 0);
  EXPECT_EQ(f.cache_size, 1000);
  EXPECT_EQ(f.cache_type, CacheType::Lru);
  EXPECT_EQ(f.event_queue_size, 10000);
  EXPECT_EQ(f.event_flush_threshold, 1000);
  EXPECT_EQ(f.event_flush_interval, std::chrono::milliseconds(200));
  EXPECT_TRUE(f.parse_dogstatsd_tags);
  EXPECT_TRUE(f.parse_influxdb_tags);
  EXPECT_TRUE(f.parse_librato_tags);
  EXPECT_TRUE(f.parse_signalfx_tags);
  EXPECT_EQ(f.udp_packet_queue_size, 10000);
  EXPECT_EQ(f.relay_address, "");
  EXPECT_EQ(f.relay_packet_length, 1400);
  EXPECT_EQ(f.web_listen_addresses, std::vector<std::string>{":9102"});
  EXPECT_EQ(f.telemetry_path, "/metrics");
  EXPECT_FALSE(f.enable_lifecycle);
  EXPECT_FALSE(f.check_config);
  EXPECT_EQ(f.log_level, "info");
  EXPECT_EQ(f.log_format, LogFormat::Logfmt);
  EXPECT_EQ(f.max_series, 0u);
}

TEST(Flags, EqualsAndSpaceForms) {
  auto r = parse({"--statsd.listen-udp=127.0.0.1:9999", "--statsd.listen-tcp", "", "--statsd.cache-size", "42",
                  "--statsd.cache-type=random", "--web.telemetry-path", "/m", "--statsd.event-flush-interval=1m30s",
                  "--statsd.mapping-config=/tmp/x.yml", "--log.format", "json", "--statsd.max-series=5000"});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->flags.listen_udp, "127.0.0.1:9999");
  EXPECT_EQ(r->flags.listen_tcp, "");  // empty string disables the listener
  EXPECT_EQ(r->flags.cache_size, 42);
  EXPECT_EQ(r->flags.cache_type, CacheType::Random);
  EXPECT_EQ(r->flags.telemetry_path, "/m");
  EXPECT_EQ(r->flags.event_flush_interval, std::chrono::seconds(90));
  EXPECT_EQ(r->flags.mapping_config, "/tmp/x.yml");
  EXPECT_EQ(r->flags.log_format, LogFormat::Json);
  EXPECT_EQ(r->flags.max_series, 5000u);
}

TEST(Flags, BooleanForms) {
  struct Case {
    std::vector<std::string_view> args;
    bool dogstatsd;
    bool lifecycle;
  };
  const std::vector<Case> cases = {
      {{"--no-statsd.parse-dogstatsd-tags"}, false, false},
      {{"--statsd.parse-dogstatsd-tags=false"}, false, false},
      {{"--statsd.parse-dogstatsd-tags=0", "--web.enable-lifecycle"}, false, true},
      {{"--web.enable-lifecycle=true"}, true, true},
      {{"--no-web.enable-lifecycle"}, true, false},
  };
  for (const auto& c : cases) {
    auto r = parse(c.args);
    ASSERT_TRUE(r.has_value()) << c.args[0] << ": " << r.error().message;
    EXPECT_EQ(r->flags.parse_dogstatsd_tags, c.dogstatsd) << c.args[0];
    EXPECT_EQ(r->flags.enable_lifecycle, c.lifecycle) << c.args[0];
  }
  // A boolean never consumes the next argument: it is then a positional argument, which is an error.
  EXPECT_FALSE(parse({"--check-config", "true"}).has_value());
}

TEST(Flags, ErrorsWorded) {
  struct Case {
    std::vector<std::string_view> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--foo"}, "unknown long flag '--foo'"},
      {{"--foo=bar"}, "unknown long flag '--foo'"},
      {{"--no-statsd.listen-udp"}, "unknown long flag '--no-statsd.listen-udp'"},
      {{"-x"}, "unknown short flag '-x'"},
      {{"extra"}, "unexpected extra"},
      {{"--statsd.cache-size"}, "expected argument for flag '--statsd.cache-size'"},
      {{"--statsd.cache-size=abc"}, "strconv.ParseInt: parsing \"abc\": invalid syntax"},
      {{"--statsd.cache-type=fifo"}, "enum value must be one of lru,random, got 'fifo'"},
      {{"--statsd.event-flush-interval=10"}, "time: missing unit in duration \"10\""},
      {{"--statsd.listen-udp=:1", "--statsd.listen-udp=:2"}, "flag 'statsd.listen-udp' cannot be repeated"},
      {{"--log.level=trace"}, "enum value must be one of debug,info,warn,error, got 'trace'"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.args);
    ASSERT_FALSE(r.has_value()) << c.args[0];
    EXPECT_EQ(r.error().message, c.message);
  }
}

TEST(Flags, WebListenAddressIsRepeatable) {
  // exporter-toolkit declares it with Strings(): the first use replaces the default, later ones add.
  auto r = parse({"--web.listen-address=127.0.0.1:1", "--web.listen-address", "[::1]:2"});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->flags.web_listen_addresses, (std::vector<std::string>{"127.0.0.1:1", "[::1]:2"}));
}

TEST(Flags, HelpAndVersion) {
  EXPECT_EQ(parse({"-h"})->action, FlagsAction::Help);
  EXPECT_EQ(parse({"--help"})->action, FlagsAction::Help);
  EXPECT_EQ(parse({"--version"})->action, FlagsAction::Version);
  const std::string usage = exporter_usage("promcast");
  EXPECT_NE(usage.find("--statsd.listen-udp"), std::string::npos);
  EXPECT_NE(usage.find("--[no-]statsd.parse-signalfx-tags"), std::string::npos);
}

TEST(Flags, GoDurations) {
  using namespace std::chrono;
  EXPECT_EQ(*parse_go_duration("200ms"), milliseconds(200));
  EXPECT_EQ(*parse_go_duration("1.5h"), minutes(90));
  EXPECT_EQ(*parse_go_duration("2h45m0.5s"), hours(2) + minutes(45) + milliseconds(500));
  EXPECT_EQ(*parse_go_duration("0"), nanoseconds(0));
  EXPECT_EQ(*parse_go_duration("10us"), microseconds(10));
  EXPECT_FALSE(parse_go_duration("").has_value());
  EXPECT_FALSE(parse_go_duration("ms").has_value());
  EXPECT_FALSE(parse_go_duration("3d").has_value());
}

}  // namespace
}  // namespace promcast::exporter
