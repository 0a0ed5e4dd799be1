// Mapping reloads through the lifecycle API and SIGHUP: a broken file keeps the old mapping and
// sets promcast_config_last_reload_successful to 0; a fixed file applies and sets it to 1.
// Also /-/quit, and that lifecycle endpoints do nothing without --web.enable-lifecycle.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "tests/integration/support.h"

namespace promcast::testing {
namespace {

constexpr std::string_view kOldMapping = R"(mappings:
  - match: "app.*.requests"
    name: "old_requests"
    labels:
      service: "$1"
)";
// `bogus_key` is not part of the mapping format: strict parsing must reject the whole file.
constexpr std::string_view kBrokenMapping = R"(mappings:
  - match: "app.*.requests"
    name: "new_requests"
    bogus_key: 1
)";
constexpr std::string_view kNewMapping = R"(mappings:
  - match: "app.*.requests"
    name: "new_requests"
    labels:
      service: "$1"
      tier: "fixed"
)";
constexpr std::string_view kReloadGauge = "promcast_config_last_reload_successful";

// Sends `line` (a counter increment of 1 per send) until `series` shows up; returns whether it did.
// Counting is not asserted here: the point is which mapping applied.
bool mapped_as(PromcastExporter& promcast, std::string_view line, std::string_view series) {
  return wait_until(
      [&] {
        send_udp(promcast.statsd_port(), line);
        std::this_thread::sleep_for(50ms);
        return sample_value(promcast.metrics(), series).has_value();
      },
      5000ms, 100ms);
}

std::optional<double> reload_gauge(const PromcastExporter& promcast) {
  return sample_value(promcast.metrics(), kReloadGauge);
}

bool reload_gauge_becomes(const PromcastExporter& promcast, double value) {
  return wait_until([&] { return reload_gauge(promcast) == value; }, 5000ms);
}

std::expected<HttpResponse, Error> lifecycle(const PromcastExporter& promcast, std::string_view method,
                                             std::string_view path) {
  return http_request(method, promcast.web_url(path));
}

TEST(Reload, LifecycleApiKeepsOldMappingOnErrorAndAppliesFixedOne) {
  PromcastExporter promcast(kOldMapping, {"--web.enable-lifecycle"});
  ASSERT_TRUE(promcast.wait_ready()) << promcast.process().logs();
  ASSERT_TRUE(mapped_as(promcast, "app.web.requests:1|c", R"(old_requests{service="web"})"))
      << promcast.metrics() << promcast.process().logs();
  EXPECT_EQ(reload_gauge(promcast), 1.0) << promcast.metrics();

  write_file(promcast.mapping_path(), kBrokenMapping);
  const auto broken = lifecycle(promcast, "POST", "/-/reload");
  ASSERT_TRUE(broken.has_value()) << broken.error().to_string();
  EXPECT_EQ(broken->status, 200);
  EXPECT_TRUE(reload_gauge_becomes(promcast, 0.0)) << promcast.metrics();
  // The gauge and the counter are two updates: poll for the counter too, then check it exactly.
  const std::string_view failures = R"(statsd_exporter_config_reloads_total{outcome="failure"})";
  wait_until([&] { return sample_value(promcast.metrics(), failures).value_or(0) >= 1; }, 5000ms);
  EXPECT_EQ(sample_value(promcast.metrics(), failures), 1.0) << promcast.metrics();
  // The old mapping still applies, and the error names the file.
  EXPECT_TRUE(mapped_as(promcast, "app.api.requests:1|c", R"(old_requests{service="api"})"))
      << promcast.metrics();
  EXPECT_FALSE(sample_value(promcast.metrics(), R"(new_requests{service="api"})").has_value());
  EXPECT_NE(promcast.process().stderr_text().find("mapping.yml"), std::string::npos)
      << promcast.process().logs();

  write_file(promcast.mapping_path(), kNewMapping);
  const auto fixed = lifecycle(promcast, "PUT", "/-/reload");  // PUT is accepted like POST
  ASSERT_TRUE(fixed.has_value()) << fixed.error().to_string();
  EXPECT_EQ(fixed->status, 200);
  EXPECT_TRUE(reload_gauge_becomes(promcast, 1.0)) << promcast.metrics();
  EXPECT_TRUE(mapped_as(promcast, "app.db.requests:1|c", R"(new_requests{service="db",tier="fixed"})"))
      << promcast.metrics();
  EXPECT_FALSE(sample_value(promcast.metrics(), R"(old_requests{service="db"})").has_value());
}

TEST(Reload, SighupReloadsTheMappingFile) {
  PromcastExporter promcast(kOldMapping);
  ASSERT_TRUE(promcast.wait_ready()) << promcast.process().logs();
  ASSERT_TRUE(mapped_as(promcast, "app.web.requests:1|c", R"(old_requests{service="web"})"))
      << promcast.process().logs();

  write_file(promcast.mapping_path(), kBrokenMapping);
  promcast.process().signal(SIGHUP);
  EXPECT_TRUE(reload_gauge_becomes(promcast, 0.0)) << promcast.metrics();
  EXPECT_TRUE(mapped_as(promcast, "app.api.requests:1|c", R"(old_requests{service="api"})"))
      << promcast.metrics();

  write_file(promcast.mapping_path(), kNewMapping);
  promcast.process().signal(SIGHUP);
  EXPECT_TRUE(reload_gauge_becomes(promcast, 1.0)) << promcast.metrics();
  EXPECT_TRUE(mapped_as(promcast, "app.db.requests:1|c", R"(new_requests{service="db",tier="fixed"})"))
      << promcast.metrics();
  EXPECT_TRUE(promcast.process().running());
}

TEST(Reload, QuitEndpointStopsTheProcess) {
  PromcastExporter promcast(kOldMapping, {"--web.enable-lifecycle"});
  ASSERT_TRUE(promcast.wait_ready()) << promcast.process().logs();
  const auto response = lifecycle(promcast, "POST", "/-/quit");
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->status, 200);
  const auto code = promcast.process().wait_exit(10000ms);
  ASSERT_TRUE(code.has_value()) << "promcast still running after /-/quit\n" << promcast.process().logs();
  EXPECT_EQ(*code, 0) << promcast.process().logs();
}

TEST(Reload, LifecycleEndpointsNeedTheFlag) {
  PromcastExporter promcast(kOldMapping);  // no --web.enable-lifecycle
  ASSERT_TRUE(promcast.wait_ready()) << promcast.process().logs();
  ASSERT_TRUE(mapped_as(promcast, "app.web.requests:1|c", R"(old_requests{service="web"})"));

  write_file(promcast.mapping_path(), kNewMapping);
  ASSERT_TRUE(lifecycle(promcast, "POST", "/-/reload").has_value());
  ASSERT_TRUE(lifecycle(promcast, "POST", "/-/quit").has_value());
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(promcast.process().running()) << "/-/quit must be ignored without --web.enable-lifecycle";
  EXPECT_TRUE(mapped_as(promcast, "app.api.requests:1|c", R"(old_requests{service="api"})"))
      << promcast.metrics();
  EXPECT_FALSE(sample_value(promcast.metrics(), R"(new_requests{service="api",tier="fixed"})").has_value());
}

TEST(Reload, GetDoesNotReload) {
  PromcastExporter promcast(kOldMapping, {"--web.enable-lifecycle"});
  ASSERT_TRUE(promcast.wait_ready()) << promcast.process().logs();
  write_file(promcast.mapping_path(), kBrokenMapping);
  ASSERT_TRUE(lifecycle(promcast, "GET", "/-/reload").has_value());
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(reload_gauge(promcast), 1.0) << "a GET must not trigger a reload\n" << promcast.metrics();
}

}  // namespace
}  // namespace promcast::testing
