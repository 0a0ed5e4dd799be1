// The exporter's HTTP endpoints on a free loopback port: status codes and bodies as statsd_exporter answers,
// gzip on request, the lifecycle API on and off, and mapping reloads (a bad file keeps the old mapping).
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <boost/asio.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "common/http_client.h"
#include "exporter/exporter_app.h"

namespace promcast::exporter {
namespace {

namespace fs = std::filesystem;

std::string gunzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  EXPECT_EQ(rc, Z_STREAM_END);
  return out;
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("promcast-http-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path write(const std::string& name, const std::string& content) const {
    std::ofstream(path_ / name) << content;
    return path_ / name;
  }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

constexpr const char* kMappingV1 = R"(mappings:
- match: "svc.*"
  name: svc_v1
  labels:
    which: "$1"
)";

struct App {
  explicit App(bool lifecycle, const std::string& mapping = "") {
    ExporterFlags flags;
    flags.listen_udp = "127.0.0.1:0";
    flags.listen_tcp = "";
    flags.udp_readers = 1;
    flags.web_listen_addresses = {"127.0.0.1:0"};
    flags.enable_lifecycle = lifecycle;
    flags.mapping_config = mapping;
    auto started = ExporterApp::start(flags, "test");
    if (!started) {
      for (const auto& e : started.error()) ADD_FAILURE() << e.to_string();
      return;
    }
    app = std::move(*started);
    base = "http://127.0.0.1:" + std::to_string(app->http_port());
  }
  std::unique_ptr<ExporterApp> app;
  std::string base;
};

TEST(HttpServer, MetricsEndpointAndContentType) {
  App a(false);
  ASSERT_TRUE(a.app);
  auto r = http_get(a.base + "/metrics");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Type").value_or(""), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r->body.find("# TYPE statsd_exporter_lines_total counter\nstatsd_exporter_lines_total 0\n"),
            std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find("statsd_exporter_loaded_mappings 0\n"), std::string::npos);
  // client_golang's handler counts scrapes: this one is in flight and not yet in the total.
  EXPECT_NE(r->body.find("promhttp_metric_handler_requests_in_flight 1\n"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("promhttp_metric_handler_requests_total{code=\"200\"} 0\n"), std::string::npos);
  auto second = http_get(a.base + "/metrics");
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(second->body.find("promhttp_metric_handler_requests_total{code=\"200\"} 1\n"), std::string::npos);
}

TEST(HttpServer, GzipWhenAsked) {
  App a(false);
  ASSERT_TRUE(a.app);
  HttpOptions options;
  options.headers.emplace_back("Accept-Encoding", "gzip");
  auto r = http_get(a.base + "/metrics", options);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Encoding").value_or(""), "gzip");
  const std::string plain = gunzip(r->body);
  EXPECT_NE(plain.find("statsd_exporter_lines_total"), std::string::npos);
  auto identity = http_get(a.base + "/metrics");
  ASSERT_TRUE(identity.has_value());
  EXPECT_FALSE(identity->header("Content-Encoding").has_value());
}

TEST(HttpServer, HealthReadyLandingAndNotFound) {
  App a(false);
  ASSERT_TRUE(a.app);
  auto healthy = http_get(a.base + "/-/healthy");
  ASSERT_TRUE(healthy.has_value());
  EXPECT_EQ(healthy->status, 200);
  EXPECT_EQ(healthy->body, "Statsd Exporter is Healthy.\n");
  auto ready = http_get(a.base + "/-/ready");
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(ready->body, "Statsd Exporter is Ready.\n");
  auto landing = http_get(a.base + "/");
  ASSERT_TRUE(landing.has_value());
  EXPECT_EQ(landing->status, 200);
  EXPECT_NE(landing->body.find("href=\"/metrics\""), std::string::npos);
  auto missing = http_get(a.base + "/nope");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
}

TEST(HttpServer, LifecycleDisabledIsForbidden) {
  App a(false);
  ASSERT_TRUE(a.app);
  for (const char* path : {"/-/reload", "/-/quit"}) {
    auto r = http_post(a.base + path, "");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 403) << path;
  }
  EXPECT_FALSE(a.app->wait_for_quit(std::chrono::milliseconds(0)));
}

TEST(HttpServer, LifecycleEnabled) {
  TempDir dir;
  const auto mapping = dir.write("m.yml", kMappingV1);
  App a(true, mapping.string());
  ASSERT_TRUE(a.app);
  auto get_reload = http_get(a.base + "/-/reload");
  ASSERT_TRUE(get_reload.has_value());
  EXPECT_EQ(get_reload->status, 405);
  auto reload = http_request("PUT", a.base + "/-/reload");
  ASSERT_TRUE(reload.has_value());
  EXPECT_EQ(reload->status, 200);
  EXPECT_EQ(a.app->self_metrics().value("statsd_exporter_config_reloads_total", "outcome", "success"), 1);
  auto quit = http_post(a.base + "/-/quit", "");
  ASSERT_TRUE(quit.has_value());
  EXPECT_EQ(quit->status, 200);
  EXPECT_EQ(quit->body, "Requesting termination... Goodbye!");
  EXPECT_TRUE(a.app->wait_for_quit(std::chrono::milliseconds(1000)));
}

TEST(HttpServer, BadReloadKeepsOldMapping) {
  TempDir dir;
  const auto mapping = dir.write("m.yml", kMappingV1);
  App a(true, mapping.string());
  ASSERT_TRUE(a.app);
  EXPECT_EQ(a.app->self_metrics().value("statsd_exporter_loaded_mappings"), 1);
  EXPECT_EQ(a.app->self_metrics().value("promcast_config_last_reload_successful"), 1);
  const auto before = a.app->mappings().get();

  dir.write("m.yml", "mappings:\n- match: \"svc.*\"\n  bogus_key: 1\n");
  EXPECT_FALSE(a.app->reload());  // the SIGHUP path calls exactly this
  EXPECT_EQ(a.app->mappings().get(), before);
  EXPECT_EQ(a.app->self_metrics().value("promcast_config_last_reload_successful"), 0);
  EXPECT_EQ(a.app->self_metrics().value("statsd_exporter_config_reloads_total", "outcome", "failure"), 1);
  EXPECT_EQ(a.app->self_metrics().value("statsd_exporter_loaded_mappings"), 1);

  dir.write("m.yml", std::string(kMappingV1) + "- match: \"other.*\"\n  name: other\n");
  EXPECT_TRUE(a.app->reload());
  EXPECT_NE(a.app->mappings().get(), before);
  EXPECT_EQ(a.app->self_metrics().value("promcast_config_last_reload_successful"), 1);
  EXPECT_EQ(a.app->self_metrics().value("statsd_exporter_loaded_mappings"), 2);
  auto r = http_get(a.base + "/metrics");
  ASSERT_TRUE(r.has_value());
  EXPECT_NE(r->body.find("statsd_exporter_config_reloads_total{outcome=\"failure\"} 1\n"), std::string::npos);
  EXPECT_NE(r->body.find("statsd_exporter_config_reloads_total{outcome=\"success\"} 1\n"), std::string::npos);
}

TEST(HttpServer, StartFailsOnBadMappingWithPosition) {
  TempDir dir;
  const auto mapping = dir.write("bad.yml", "mappings:\n- match: \"a.*\"\n  nme: x\n");
  ExporterFlags flags;
  flags.listen_udp = "127.0.0.1:0";
  flags.listen_tcp = "";
  flags.web_listen_addresses = {"127.0.0.1:0"};
  flags.mapping_config = mapping.string();
  auto started = ExporterApp::start(flags, "test");
  ASSERT_FALSE(started.has_value());
  ASSERT_FALSE(started.error().empty());
  EXPECT_EQ(started.error()[0].line, 3);
  EXPECT_GT(started.error()[0].column, 0);
}

}  // namespace
}  // namespace promcast::exporter

namespace promcast::exporter {
namespace {

// Sends `head` then `body_bytes` bytes of body on a raw connection and returns what the server answered
// (possibly cut short: the server closes after refusing).
std::string raw_exchange(std::uint16_t port, const std::string& head, std::size_t body_bytes) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  boost::system::error_code ec;
  asio::write(socket, asio::buffer(head), ec);
  const std::string chunk(1 << 16, 'z');
  for (std::size_t sent = 0; sent < body_bytes && !ec; sent += chunk.size())
    asio::write(socket, asio::buffer(chunk, std::min(chunk.size(), body_bytes - sent)), ec);
  std::string answer;
  char buf[4096];
  while (true) {
    const std::size_t n = socket.read_some(asio::buffer(buf), ec);
    if (ec) break;
    answer.append(buf, n);
  }
  return answer;
}

TEST(HttpServer, TooLargeRequestsAreAnsweredBeforeTheConnectionCloses) {
  App a(true);
  ASSERT_TRUE(a.app);
  const auto port = a.app->http_port();
  const std::string big_body = raw_exchange(
      port, "POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(2 << 20) + "\r\n\r\n",
      2 << 20);
  EXPECT_TRUE(big_body.starts_with("HTTP/1.1 413")) << big_body.substr(0, 80);
  const std::string big_header = raw_exchange(
      port, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1 << 20, 'a') + "\r\n\r\n", 0);
  EXPECT_TRUE(big_header.starts_with("HTTP/1.1 431")) << big_header.substr(0, 80);
  // and the server goes on answering
  EXPECT_TRUE(raw_exchange(port, "GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0)
                  .starts_with("HTTP/1.1 200"));
}

}  // namespace
}  // namespace promcast::exporter
