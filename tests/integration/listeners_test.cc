// The promcast binary end to end: TCP and unixgram listeners, several values per line, the
// self-metric counters statsd_exporter exposes, and the check/map subcommands and flag errors.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <regex>
#include <string>

#include "tests/integration/support.h"

namespace promcast::testing {
namespace {

double value_or_zero(std::string_view body, std::string_view series) {
  return sample_value(body, series).value_or(0);
}

// Self-metric counts are published by each reader after it applied its batch, so a scrape can see a
// sample a moment before the counters that go with it: poll (bounded) until they reach the expected
// value, then the caller asserts the exact value (an overshoot still fails).
std::string wait_for_counts(const PromcastExporter& promcast,
                            const std::function<bool(std::string_view body)>& reached) {
  std::string body;
  wait_until(
      [&] {
        body = promcast.metrics();
        return reached(body);
      },
      5000ms);
  return body;
}

TEST(Listeners, TcpReadsSeveralLinesAndLinesSplitAcrossWrites) {
  PromcastExporter promcast("");
  ASSERT_TRUE(promcast.wait_ready()) << promcast.process().logs();
  const double connections_before =
      value_or_zero(promcast.metrics(), "statsd_exporter_tcp_connections_total");
  {
    TcpClient client(promcast.statsd_port());
    client.send("tcp.first:1|c\ntcp.second:2|g\n");
    client.send("tcp.spl");
    std::this_thread::sleep_for(100ms);  // the halves arrive in separate reads
    client.send("it:5|c\ntcp.third:7|g\n");
    const std::string body = promcast.wait_for_sample("tcp_third", 7);
    EXPECT_EQ(sample_value(body, "tcp_first"), 1.0) << body;
    EXPECT_EQ(sample_value(body, "tcp_second"), 2.0) << body;
    EXPECT_EQ(sample_value(body, "tcp_split"), 5.0) << body;
    EXPECT_EQ(sample_value(body, "tcp_third"), 7.0) << body;
    EXPECT_FALSE(sample_value(body, "tcp_spl").has_value()) << "a partial line must not be parsed on its own";
    const std::string counts = wait_for_counts(promcast, [&](std::string_view b) {
      return value_or_zero(b, "statsd_exporter_tcp_connections_total") >= connections_before + 1;
    });
    EXPECT_EQ(value_or_zero(counts, "statsd_exporter_tcp_connections_total"), connections_before + 1)
        << counts;
  }
  TcpClient second(promcast.statsd_port());
  second.send("tcp.second:3|g\n");
  const std::string body = promcast.wait_for_sample("tcp_second", 3);
  EXPECT_EQ(sample_value(body, "tcp_second"), 3.0) << body;
  const std::string counts = wait_for_counts(promcast, [&](std::string_view b) {
    return value_or_zero(b, "statsd_exporter_tcp_connections_total") >= connections_before + 2;
  });
  EXPECT_EQ(value_or_zero(counts, "statsd_exporter_tcp_connections_total"), connections_before + 2) << counts;
}

TEST(Listeners, UnixgramSocketWithMode) {
  TempDir dir;
  const std::string socket = dir.file("statsd.sock");
  PromcastExporter promcast("", {"--statsd.listen-unixgram=" + socket, "--statsd.unixsocket-mode=660"});
  ASSERT_TRUE(promcast.wait_ready()) << promcast.process().logs();
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(socket); }, 5000ms))
      << promcast.process().logs();
  struct stat info {};
  ASSERT_EQ(::stat(socket.c_str(), &info), 0);
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 0777, 0660u);

  send_unixgram(socket, "unix.metric:3|c\nunix.gauge:9|g");
  const std::string body = promcast.wait_for_sample("unix_gauge", 9);
  EXPECT_EQ(sample_value(body, "unix_metric"), 3.0) << body;
  EXPECT_EQ(sample_value(body, "unix_gauge"), 9.0) << body;
}

TEST(Listeners, SeveralValuesPerLine) {
  // Two forms, as in statsd_exporter: `name:v|type:v|type...` (each sample with its type), and
  // DogStatsD extended aggregation `name:v:v:v|type`, valid for timers/histograms/distributions only.
  PromcastExporter promcast("");
  ASSERT_TRUE(promcast.wait_ready()) << promcast.process().logs();
  send_udp(promcast.statsd_port(),
           "multi.counter:1|c:2|c:3|c\nmulti.gauge:4|g:5|g\nmulti.timer:100:200:300|ms\nbad.aggregate:1:2|"
           "c\nmulti.marker:1|g");
  const std::string body = promcast.wait_for_sample("multi_marker", 1);
  EXPECT_EQ(sample_value(body, "multi_counter"), 6.0) << body;
  EXPECT_EQ(sample_value(body, "multi_gauge"), 5.0) << "the last value of a gauge line wins\n" << body;
  EXPECT_EQ(sample_value(body, "multi_timer_count"), 3.0) << body;
  const auto sum = sample_value(body, "multi_timer_sum");
  ASSERT_TRUE(sum.has_value()) << body;
  EXPECT_NEAR(*sum, 0.6, 1e-9) << "timer values are milliseconds, exported in seconds";
  EXPECT_FALSE(sample_value(body, "bad_aggregate").has_value()) << body;
  const std::string_view error =
      R"(statsd_exporter_sample_errors_total{reason="invalid_extended_aggregate_type"})";
  const std::string counts =
      wait_for_counts(promcast, [&](std::string_view b) { return value_or_zero(b, error) >= 1; });
  EXPECT_EQ(sample_value(counts, error), 1.0) << counts;
}

TEST(Listeners, SelfMetricsCountLinesPacketsAndMalformedLines) {
  PromcastExporter promcast("");
  ASSERT_TRUE(promcast.wait_ready()) << promcast.process().logs();
  // The listener may come up a moment after HTTP: prove it is there before taking the baseline.
  ASSERT_TRUE(wait_until(
      [&] {
        send_udp(promcast.statsd_port(), "probe:1|g");
        std::this_thread::sleep_for(50ms);
        return sample_value(promcast.metrics(), "probe").has_value();
      },
      5000ms, 100ms))
      << promcast.process().logs();

  const std::string before = promcast.metrics();
  const std::string_view malformed = R"(statsd_exporter_sample_errors_total{reason="malformed_line"})";
  send_udp(promcast.statsd_port(), "good.one:1|c\nthis_line_has_no_colon\ngood.two:2|c");
  promcast.wait_for_sample("good_two", 2);
  const std::string after = wait_for_counts(promcast, [&](std::string_view b) {
    return value_or_zero(b, "statsd_exporter_lines_total") >=
               value_or_zero(before, "statsd_exporter_lines_total") + 3 &&
           value_or_zero(b, malformed) >= value_or_zero(before, malformed) + 1;
  });
  EXPECT_EQ(sample_value(after, "good_one"), 1.0) << "lines before the malformed one are read\n" << after;
  EXPECT_EQ(sample_value(after, "good_two"), 2.0) << "lines after the malformed one are read\n" << after;
  const auto delta = [&](std::string_view series) {
    return value_or_zero(after, series) - value_or_zero(before, series);
  };
  EXPECT_EQ(delta("statsd_exporter_lines_total"), 3.0) << after;
  EXPECT_EQ(delta("statsd_exporter_udp_packets_total"), 1.0) << after;
  EXPECT_EQ(delta("statsd_exporter_samples_total"), 2.0) << after;
  EXPECT_EQ(delta(malformed), 1.0) << after;
  EXPECT_EQ(delta(R"(statsd_exporter_events_total{type="counter"})"), 2.0) << after;
}

TEST(Listeners, DisabledListenersDoNotBind) {
  // An empty address disables a listener, as in statsd_exporter: the TCP port stays free.
  const std::uint16_t web = free_port();
  const std::uint16_t statsd = free_port_except({web});
  TempDir dir;
  Process promcast(
      {promcast_binary(), "--statsd.listen-tcp=", "--statsd.listen-udp=127.0.0.1:" + std::to_string(statsd),
       "--web.listen-address=127.0.0.1:" + std::to_string(web)},
      dir.path().string(), "promcast");
  ASSERT_TRUE(wait_for_http_ok("http://127.0.0.1:" + std::to_string(web) + "/metrics", 15000ms))
      << promcast.logs();
  EXPECT_THROW(TcpClient client(statsd), std::runtime_error);
}

// --- subcommands and flags ---

TEST(Commands, CheckMappingsAcceptsAGoodFile) {
  TempDir dir;
  write_file(dir.file("good.yml"),
             "mappings:\n  - match: \"drift_metrics.*.*.*.*\"\n    name: \"drift_metrics\"\n"
             "    labels:\n      dataset_name: \"$1\"\n");
  const auto result = run_command({promcast_binary(), "check", "mappings", dir.file("good.yml")});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

TEST(Commands, CheckMappingsListsEveryErrorWithFileLineColumn) {
  TempDir dir;
  const std::string path = dir.file("bad.yml");
  write_file(path,
             "mappings:\n"              // 1
             "  - match: \"a.*\"\n"     // 2
             "    name: \"ok\"\n"       // 3
             "  - match: \"b.*\"\n"     // 4
             "    name: \"x\"\n"        // 5
             "    unknown_key: 1\n"     // 6: not part of the format
             "  - match: \"c.*\"\n"     // 7
             "    name: \"y\"\n"        // 8
             "    action: explode\n");  // 9: not map or drop
  const auto result = run_command({promcast_binary(), "check", "mappings", path});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const std::string output = result.out + result.err;
  EXPECT_TRUE(std::regex_search(
      output, std::regex(std::regex_replace(path, std::regex(R"([.])"), R"(\.)") + R"(:6:\d+: )")))
      << output;
  EXPECT_TRUE(std::regex_search(
      output, std::regex(std::regex_replace(path, std::regex(R"([.])"), R"(\.)") + R"(:9:\d+: )")))
      << output;
}

TEST(Commands, CheckMappingsFailsOnAMissingFile) {
  const auto result =
      run_command({promcast_binary(), "check", "mappings", "/nonexistent/promcast/mapping.yml"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE((result.out + result.err).find("/nonexistent/promcast/mapping.yml"), std::string::npos)
      << result.out << result.err;
}

TEST(Commands, MapPrintsTheSeriesEachLineWouldProduce) {
  TempDir dir;
  write_file(dir.file("drift.yml"),
             "mappings:\n  - match: \"drift_metrics.*.*.*.*\"\n    name: \"drift_metrics\"\n"
             "    labels:\n      dataset_name: \"$1\"\n      dataset_version: \"$2\"\n"
             "      column_name: \"$3\"\n      metric_name: \"$4\"\n");
  const auto result =
      run_command({promcast_binary(), "map", "--statsd.mapping-config", dir.file("drift.yml"),
                   "drift_metrics.mushroom.v1.cap-diameter.wasserstein:42|g", "unmapped.thing:1|c"});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const std::string& out = result.out;
  EXPECT_NE(out.find("drift_metrics"), std::string::npos) << out;
  for (const std::string_view label : {R"(column_name="cap-diameter")", R"(dataset_name="mushroom")",
                                       R"(dataset_version="v1")", R"(metric_name="wasserstein")"}) {
    EXPECT_NE(out.find(label), std::string::npos) << label << " missing in\n" << out;
  }
  EXPECT_NE(out.find("gauge"), std::string::npos) << out;
  EXPECT_NE(out.find("unmapped_thing"), std::string::npos) << "unmapped names are escaped\n" << out;
  EXPECT_NE(out.find("counter"), std::string::npos) << out;
}

TEST(Commands, UnknownFlagIsAnError) {
  const auto result = run_command({promcast_binary(), "--no-such-flag=1"});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.err.find("unknown long flag"), std::string::npos) << result.err;
}

TEST(Commands, VersionExitsZero) {
  const auto result = run_command({promcast_binary(), "--version"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_FALSE((result.out + result.err).empty());
}

}  // namespace
}  // namespace promcast::testing
