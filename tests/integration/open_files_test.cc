// promcast raises its soft limit on open files to the hard limit, as Go servers do, so that thousands of
// scrape and statsd TCP connections do not run into the usual 1024 (found by scripts/reliability.py: with
// 1024, 10,000 idle connections made accept fail and /-/healthy stop answering).
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <fstream>
#include <sstream>

#include "tests/integration/support.h"

namespace promcast::testing {
namespace {

// "Max open files  <soft>  <hard>  files" from /proc/<pid>/limits.
std::pair<std::string, std::string> open_files_limits(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("Max open files")) continue;
    std::istringstream fields(line.substr(std::string("Max open files").size()));
    std::string soft, hard;
    fields >> soft >> hard;
    return {soft, hard};
  }
  return {};
}

TEST(OpenFiles, SoftLimitIsRaisedToTheHardLimitAtStart) {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max <= 256) GTEST_SKIP() << "hard limit too low to tell";
  TempDir dir;
  const std::uint16_t web = free_port();
  const std::uint16_t statsd = free_port_except({web});
  const std::string port = std::to_string(statsd);
  // start it from a shell whose soft limit is 256, below the hard limit
  Process promcast({"/bin/sh", "-c", "ulimit -Sn 256 && exec \"$0\" \"$@\"", promcast_binary(),
                    "--web.listen-address=127.0.0.1:" + std::to_string(web),
                    "--statsd.listen-udp=127.0.0.1:" + port, "--statsd.listen-tcp=127.0.0.1:" + port},
                   dir.path().string(), "promcast");
  ASSERT_TRUE(wait_for_http_ok("http://127.0.0.1:" + std::to_string(web) + "/-/healthy", 15000ms))
      << promcast.logs();
  const auto [soft, hard] = open_files_limits(promcast.pid());
  ASSERT_FALSE(hard.empty());
  EXPECT_EQ(soft, hard) << "soft limit was 256 at exec";
  EXPECT_NE(soft, "256");
}

}  // namespace
}  // namespace promcast::testing
