// The README's main job: scripts/demo.sh with real Prometheus and Alertmanager, promcast's rules and the
// synthetic pipeline, bounded by DEMO_SECONDS. It must have a forecast queryable in Prometheus (and its
// cone: a query_range ending 6h ahead returns points after now, read from promcast by remote read) and
// the pipeline's injected anomaly as an alert in Alertmanager within 3 minutes, then clean up.
#include <gtest/gtest.h>

#include "tests/integration/support.h"

namespace promcast::testing {
namespace {

TEST(Demo, ForecastInPrometheusAndAlertInAlertmanagerWithinThreeMinutes) {
  if (find_executable("prometheus").empty() || find_executable("prometheus-alertmanager").empty() ||
      find_executable("promtool").empty())
    GTEST_SKIP() << "prometheus, promtool and prometheus-alertmanager (Debian packages) are needed";
  const std::string script = std::string(PROMCAST_SOURCE_DIR) + "/scripts/demo.sh";
  // env(1) keeps the command line explicit: no install, no build, this build's binary, a time limit,
  // and ports of our own so a demo someone runs by hand is left alone.
  const auto result = run_command(
      {"/usr/bin/env", "SKIP_INSTALL=1", "SKIP_BUILD=1", "PROMCAST_BIN=" + promcast_binary(), "DEMO_SECONDS=180",
       "STATSD_PORT=" + std::to_string(free_port()), "WEB_PORT=" + std::to_string(free_port()),
       "PROMETHEUS_PORT=" + std::to_string(free_port()), "ALERTMANAGER_PORT=" + std::to_string(free_port()),
       "/bin/bash", script},
      400000ms);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("demo: forecast queryable in Prometheus"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("demo: forecast cone queryable in Prometheus ahead of now"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("demo: DriftAnomaly alert in Alertmanager"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("demo: OK"), std::string::npos) << result.out << result.err;
  EXPECT_NE(result.out.find("demo: stopped"), std::string::npos) << "cleaned up";
}

}  // namespace
}  // namespace promcast::testing
