// Smoke test of the statsd_load tool against a real promcast: a small paced run must be counted
// exactly (by the tool, from promcast's self-metrics, and in the per-series counters), and the
// tool's safety limits must refuse non-loopback targets and oversized runs before sending anything.
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/support.h"

namespace promcast::testing {
namespace {

std::string statsd_load_binary() {
#ifdef STATSD_LOAD_BINARY
  return STATSD_LOAD_BINARY;
#else
  return "";
#endif
}

TEST(StatsdLoad, SmallRunIsCountedExactly) {
  const std::string tool = statsd_load_binary();
  if (tool.empty()) GTEST_SKIP() << "statsd_load is built with the benchmarks (PROMCAST_BENCH=ON)";
  PromcastExporter promcast(kDriftMapping);
  ASSERT_TRUE(promcast.wait_ready()) << promcast.process().logs();
  // The UDP listener may come up a moment after HTTP.
  ASSERT_TRUE(wait_until(
      [&] {
        send_udp(promcast.statsd_port(), "probe:1|g");
        std::this_thread::sleep_for(50ms);
        return sample_value(promcast.metrics(), "probe").has_value();
      },
      5000ms, 100ms));

  // 20,000 lines over 100 names: each name's counter must reach 200. Slow enough (0.4 s, ~1 MB
  // in flight) that even a starved reader cannot overflow the receive buffer.
  const auto result = run_command({tool, "--target", "127.0.0.1:" + std::to_string(promcast.statsd_port()),
                                   "--metrics-url", promcast.metrics_url(), "--rate", "50000", "--lines",
                                   "20000", "--lines-per-datagram", "20", "--names", "100", "--sockets", "2"},
                                  60000ms);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("lines sent      20000 in 1000 datagrams"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("lines counted   20000\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("loss            0.000 %"), std::string::npos) << result.out;

  const std::string body = promcast.metrics();
  for (
      const std::string_view series :
      {R"(drift_metrics{column_name="col0",dataset_name="ds0",dataset_version="v1",metric_name="metric"})",
       R"(drift_metrics{column_name="col1",dataset_name="ds49",dataset_version="v1",metric_name="metric"})"}) {
    EXPECT_EQ(sample_value(body, series), 200.0) << series << "\n" << body;
  }
}

TEST(StatsdLoad, TcpRunIsCountedExactly) {
  const std::string tool = statsd_load_binary();
  if (tool.empty()) GTEST_SKIP() << "statsd_load is built with the benchmarks (PROMCAST_BENCH=ON)";
  PromcastExporter promcast(kDriftMapping);
  ASSERT_TRUE(promcast.wait_ready()) << promcast.process().logs();
  // 10,007 lines: not a multiple of the 50 lines per write, so the tail write is exercised too.
  const auto result = run_command({tool, "--target", "127.0.0.1:" + std::to_string(promcast.statsd_port()),
                                   "--proto", "tcp", "--metrics-url", promcast.metrics_url(), "--rate", "0",
                                   "--lines", "10007", "--lines-per-datagram", "50", "--names", "1000"},
                                  60000ms);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("lines counted   10007\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("loss            0.000 %"), std::string::npos) << result.out;
}

TEST(StatsdLoad, RefusesNonLoopbackTargetsAndOversizedRuns) {
  const std::string tool = statsd_load_binary();
  if (tool.empty()) GTEST_SKIP() << "statsd_load is built with the benchmarks (PROMCAST_BENCH=ON)";
  // Documentation-range addresses: refused before any socket is opened.
  const auto remote = run_command({tool, "--target", "192.0.2.1:9125", "--metrics-url", ""});
  EXPECT_EQ(remote.exit_code, 2);
  EXPECT_NE(remote.err.find("refusing non-loopback target"), std::string::npos) << remote.err;
  const auto remote_metrics = run_command({tool, "--metrics-url", "http://192.0.2.1:9102/metrics"});
  EXPECT_EQ(remote_metrics.exit_code, 2) << remote_metrics.err;
  const auto too_many = run_command({tool, "--lines", "2e9", "--metrics-url", ""});
  EXPECT_EQ(too_many.exit_code, 2);
  EXPECT_NE(too_many.err.find("--lines must be in"), std::string::npos) << too_many.err;
  const auto too_long = run_command({tool, "--rate", "1000", "--lines", "1e6", "--metrics-url", ""});
  EXPECT_EQ(too_long.exit_code, 2);
  EXPECT_NE(too_long.err.find("longer than 120 s"), std::string::npos) << too_long.err;
}

}  // namespace
}  // namespace promcast::testing
