#include "common/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <future>
#include <string>
#include <thread>

namespace promcast {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A one-connection server on 127.0.0.1 that captures the raw request and answers with fixed bytes,
// so the client is checked against the wire format rather than against another Beast component.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response, bool hang = false)
      : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        response_(std::move(response)),
        hang_(hang) {
    thread_ = std::thread([this] { serve(); });
  }
  ~OneShotServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  OneShotServer(const OneShotServer&) = delete;
  OneShotServer& operator=(const OneShotServer&) = delete;

  [[nodiscard]] std::string url(std::string_view target = "/") const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + std::string(target);
  }
  /// The raw request bytes (headers and body) once the server has read them.
  std::string request() { return request_.get_future().get(); }

 private:
  void serve() {
    boost::system::error_code ec;
    tcp::socket socket(ioc_);
    acceptor_.accept(socket, ec);
    if (ec) return;
    asio::streambuf buf;
    const std::size_t header_end = asio::read_until(socket, buf, "\r\n\r\n", ec);
    std::string raw(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
    const auto cl = raw.find("Content-Length: ");
    if (!ec && cl != std::string::npos && cl < header_end) {
      const std::size_t length = std::stoul(raw.substr(cl + 16));
      while (raw.size() < header_end + length && !ec) {
        char chunk[4096];
        const std::size_t n = socket.read_some(asio::buffer(chunk), ec);
        raw.append(chunk, n);
      }
    }
    request_.set_value(raw);
    if (hang_) {
      while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      return;
    }
    asio::write(socket, asio::buffer(response_), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::string response_;
  bool hang_;
  std::atomic<bool> stop_{false};
  std::promise<std::string> request_;
  std::thread thread_;
};

TEST(ParseHttpUrl, SplitsHostPortAndTarget) {
  struct Case {
    std::string_view url;
    std::string host;
    std::uint16_t port;
    std::string target;
  };
  const Case cases[] = {
      {"http://127.0.0.1:9102/metrics", "127.0.0.1", 9102, "/metrics"},
      {"http://localhost", "localhost", 80, "/"},
      {"HTTP://example.org:8080", "example.org", 8080, "/"},
      {"http://[::1]:9090/api/v1/query?query=up", "::1", 9090, "/api/v1/query?query=up"},
      {"http://[::1]/x", "::1", 80, "/x"},
      {"http://h:1?a=b", "h", 1, "/?a=b"},
      {"http://h:2/p#frag", "h", 2, "/p"},
      {"https://prom.example:9443/api", "prom.example", 9443, "/api"},
      {"https://h", "h", 443, "/"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    const auto url = parse_http_url(c.url);
    ASSERT_TRUE(url.has_value()) << url.error().to_string();
    EXPECT_EQ(url->host, c.host);
    EXPECT_EQ(url->port, c.port);
    EXPECT_EQ(url->target, c.target);
    EXPECT_EQ(url->https, c.url.starts_with("https"));
  }
}

TEST(ParseHttpUrl, RejectsWhatItCannotServe) {
  for (const std::string_view bad :
       {"ftp://h", "https://", "httpx://h/", "http://", "http://:80/", "http://h:0/", "http://h:65536/", "http://h:9x/",
        "http://[::1/", "http://[::1]x/", "127.0.0.1:80"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(parse_http_url(bad).has_value());
  }
}

TEST(UrlEncode, KeepsUnreservedAndEscapesTheRest) {
  EXPECT_EQ(url_encode("drift_metrics"), "drift_metrics");
  EXPECT_EQ(url_encode("a b&c=d/é~-."), "a%20b%26c%3Dd%2F%C3%A9~-.");
  EXPECT_EQ(url_encode(R"(up{job="x"})"), "up%7Bjob%3D%22x%22%7D");
}

TEST(HttpClient, GetSendsARequestAndReadsStatusHeadersBody) {
  OneShotServer server(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Test: yes\r\nContent-Length: 5\r\n\r\nhello");
  HttpOptions options;
  options.headers = {{"Accept-Encoding", "gzip"}};
  const auto response = http_get(server.url("/metrics?x=1"), options);
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->header("x-test"), "yes");
  EXPECT_EQ(response->header("content-type"), "text/plain");
  EXPECT_FALSE(response->header("missing").has_value());
  const std::string request = server.request();
  EXPECT_TRUE(request.starts_with("GET /metrics?x=1 HTTP/1.1\r\n")) << request;
  EXPECT_NE(request.find("Accept-Encoding: gzip\r\n"), std::string::npos) << request;
  EXPECT_NE(request.find("Host: 127.0.0.1:"), std::string::npos) << request;
}

TEST(HttpClient, PostSendsBodyWithLength) {
  OneShotServer server("HTTP/1.1 204 No Content\r\n\r\n");
  HttpOptions options;
  options.headers = {{"Content-Type", "application/json"}};
  const auto response = http_post(server.url("/api"), R"({"a":1})", options);
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->status, 204);
  EXPECT_TRUE(response->body.empty());
  const std::string request = server.request();
  EXPECT_TRUE(request.starts_with("POST /api HTTP/1.1\r\n")) << request;
  EXPECT_NE(request.find("Content-Length: 7\r\n"), std::string::npos) << request;
  EXPECT_NE(request.find("Content-Type: application/json\r\n"), std::string::npos) << request;
  EXPECT_TRUE(request.ends_with("\r\n\r\n{\"a\":1}")) << request;
}

TEST(HttpClient, EmptyPostStillSendsContentLength) {
  // Lifecycle endpoints (/-/reload) are POSTed with no body; some servers insist on a length.
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  const auto response = http_post(server.url("/-/reload"), "");
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_NE(server.request().find("Content-Length: 0\r\n"), std::string::npos);
}

TEST(HttpClient, ReadsLargeBodiesOfKnownLengthIntact) {
  // Several MB: part arrives with the header, the rest in many reads.
  std::string body(5u << 20, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + (i * 7919) % 26);
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                       body);
  const auto response = http_get(server.url("/metrics"));
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body.size(), body.size());
  EXPECT_TRUE(response->body == body);
}

TEST(HttpClient, TruncatedBodyIsAnError) {
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
  const auto response = http_get(server.url());
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message.find("read"), std::string::npos) << response.error().message;
}

TEST(HttpClient, DecodesChunkedBodies) {
  OneShotServer server(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
  const auto response = http_get(server.url());
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->body, "abcdefg");
}

TEST(HttpClient, ErrorStatusIsAResponseNotAnError) {
  OneShotServer server("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found");
  const auto response = http_get(server.url("/nope"));
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->body, "not found");
}

TEST(HttpClient, BodyUntilCloseWithoutLength) {
  OneShotServer server("HTTP/1.1 200 OK\r\n\r\nstreamed until close");
  const auto response = http_get(server.url());
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->body, "streamed until close");
}

TEST(HttpClient, TimesOutOnASilentServer) {
  OneShotServer server("", /*hang=*/true);
  HttpOptions options;
  options.timeout = std::chrono::milliseconds(200);
  const auto start = std::chrono::steady_clock::now();
  const auto response = http_get(server.url(), options);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message.find("timed out"), std::string::npos) << response.error().message;
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST(HttpClient, RefusedConnectionIsAnError) {
  std::uint16_t port = 0;
  {
    asio::io_context ioc;
    tcp::acceptor probe(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  const auto response = http_get("http://127.0.0.1:" + std::to_string(port) + "/");
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message.find("connect"), std::string::npos) << response.error().message;
}

TEST(HttpClient, RefusesBodiesOverTheLimit) {
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
  HttpOptions options;
  options.max_body_bytes = 10;
  const auto response = http_get(server.url(), options);
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message.find("larger than 10 bytes"), std::string::npos)
      << response.error().message;
}

TEST(HttpClient, RefusesChunkedBodiesOverTheLimit) {
  OneShotServer server(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n");
  HttpOptions options;
  options.max_body_bytes = 10;
  const auto response = http_get(server.url(), options);
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message.find("larger than 10 bytes"), std::string::npos)
      << response.error().message;
}

TEST(HttpClient, BadUrlIsAnError) {
  const auto response = http_get("ftp://127.0.0.1/");
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message.find("only http:// and https://"), std::string::npos);
}

}  // namespace
}  // namespace promcast
