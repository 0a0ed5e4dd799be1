// The fake server's own promises, checked on raw sockets: other tests rely on them (keep-alive for
// Go clients, raw bytes for truncated bodies, delays for timeouts) and would fail confusingly, or
// pass vacuously, if the fake quietly did something else.
#include "tests/rules/fake_http_server.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <string>

namespace promcast::testing {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

struct Connection {
  explicit Connection(const FakeHttpServer& server) : socket(ioc) {
    socket.connect({asio::ip::make_address("127.0.0.1"), server.port()});
  }
  http::response<http::string_body> exchange(const std::string& request) {
    asio::write(socket, asio::buffer(request));
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    return response;
  }
  /// Everything until the server closes the connection.
  std::string read_to_end() {
    std::string out(static_cast<const char*>(buffer.data().data()), buffer.size());
    boost::system::error_code ec;
    std::array<char, 4096> chunk{};
    while (!ec) {
      // A bounded wait: a server that keeps the connection open fails here instead of hanging.
      pollfd ready{socket.native_handle(), POLLIN, 0};
      if (::poll(&ready, 1, 3000) != 1) {
        ADD_FAILURE() << "the connection is still open after 3 s";
        return out;
      }
      out.append(chunk.data(), socket.read_some(asio::buffer(chunk), ec));
    }
    EXPECT_EQ(ec, asio::error::eof);
    return out;
  }

  asio::io_context ioc;
  asio::ip::tcp::socket socket;
  boost::beast::flat_buffer buffer;
};

TEST(FakeHttpServer, KeepsTheConnectionAliveAndRecordsEachRequest) {
  FakeHttpServer server([](const RecordedRequest& r) {
    return FakeResponse{
        .status = r.target == "/a" ? 429 : 200, .body = r.target, .headers = {{"Retry-After", "7"}}};
  });
  Connection connection(server);
  const auto first = connection.exchange(
      "POST /a HTTP/1.1\r\nHost: x\r\nX-Token: secret\r\nContent-Length: 17\r\n\r\nq=up+%3D%3D+1&t=5");
  const auto second = connection.exchange("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(first.result_int(), 429);
  EXPECT_EQ(first[http::field::retry_after], "7");
  EXPECT_EQ(first[http::field::content_type], "application/json");
  EXPECT_EQ(second.result_int(), 200);
  EXPECT_EQ(second.body(), "/b");

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].header("x-token"), "secret");
  EXPECT_EQ(requests[0].header("X-TOKEN"), "secret");
  EXPECT_FALSE(requests[0].header("authorization").has_value());
  EXPECT_EQ(requests[0].form(), (std::map<std::string, std::string>{{"q", "up == 1"}, {"t", "5"}}));
  EXPECT_EQ(requests[1].target, "/b");
}

TEST(FakeHttpServer, CloseConnectionEndsTheConnectionAfterTheResponse) {
  FakeHttpServer server(
      [](const RecordedRequest&) { return FakeResponse{.body = "bye", .close_connection = true}; });
  Connection connection(server);
  const auto response = connection.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(response.body(), "bye");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(connection.read_to_end(), "");
}

TEST(FakeHttpServer, RawBytesGoOutAsTheyAreThenTheConnectionCloses) {
  const std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"status\":";
  FakeHttpServer server([&](const RecordedRequest&) { return FakeResponse::raw_bytes(raw); });
  Connection connection(server);
  asio::write(connection.socket, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  EXPECT_EQ(connection.read_to_end(), raw);
}

TEST(FakeHttpServer, ADelayedAnswerHoldsBackNeitherOtherConnectionsNorStop) {
  FakeHttpServer server([](const RecordedRequest& r) {
    FakeResponse out{.body = "done"};
    if (r.target == "/slow") out.delay = 5s;
    return out;
  });
  Connection slow(server);
  asio::write(slow.socket, asio::buffer(std::string("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")));
  ASSERT_TRUE(server.wait_for_requests(1, 2s));  // visible while its answer is held back

  const auto start = std::chrono::steady_clock::now();
  Connection fast(server);
  EXPECT_EQ(fast.exchange("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n").body(), "done");
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  EXPECT_EQ(slow.read_to_end(), "");  // dropped by stop(), never answered
}

}  // namespace
}  // namespace promcast::testing
