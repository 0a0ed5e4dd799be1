#pragma once
// A fake HTTP endpoint on 127.0.0.1 for tests: records every request (method, target, headers,
// body) and answers through a handler the test sets (default: 200 with an empty body). It stands
// in for a remote write receiver, an Alertmanager or a webhook receiver. Boost.Beast on one
// io_context thread; keep-alive is honoured (Go clients such as Alertmanager's webhook reuse
// connections). Header-only, for tests.
#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/http_client.h"

namespace promcast::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  HttpHeaders headers;
  std::string body;

  /// The first header named `name` (case-insensitive), if any.
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key.size() == name.size() && std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
          })) {
        return value;
      }
    }
    return std::nullopt;
  }
};

struct FakeResponse {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain";
};

class FakeHttpServer {
 public:
  using Handler = std::function<FakeResponse(const RecordedRequest&)>;

  /// Listens on 127.0.0.1 at `port` (0 = a free port the kernel picks).
  explicit FakeHttpServer(Handler handler = {}, std::uint16_t port = 0)
      : handler_(std::move(handler)),
        acceptor_(ioc_, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port)) {
    port_ = acceptor_.local_endpoint().port();
    accept();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~FakeHttpServer() { stop(); }
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string url(std::string_view path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  /// Replaces the handler (taking effect for the next request).
  void set_handler(Handler handler) {
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
  }

  /// A copy of every request received so far, in arrival order.
  [[nodiscard]] std::vector<RecordedRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  /// Waits until at least `count` requests arrived; false at the timeout.
  bool wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
  }

  /// Stops listening, closes connections and joins the thread. Idempotent.
  void stop() {
    if (!thread_.joinable()) return;
    boost::asio::post(ioc_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
    });
    ioc_.stop();
    thread_.join();
  }

 private:
  struct Session : std::enable_shared_from_this<Session> {
    Session(boost::asio::ip::tcp::socket socket, FakeHttpServer* server)
        : stream(std::move(socket)), owner(server) {}

    void read() {
      parser.emplace();
      parser->body_limit(512u << 20);
      boost::beast::http::async_read(stream, buffer, *parser,
                                     [self = shared_from_this()](const boost::system::error_code& ec,
                                                                 std::size_t) { self->on_read(ec); });
    }

    void on_read(const boost::system::error_code& ec) {
      if (ec) return;  // closed by the client, or garbage: drop the connection
      auto request = parser->release();
      RecordedRequest recorded;
      recorded.method = std::string(request.method_string());
      recorded.target = std::string(request.target());
      for (const auto& field : request) {
        recorded.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
      recorded.body = std::move(request.body());
      const FakeResponse answer = owner->record_and_answer(recorded);

      response = {};
      response.version(request.version());
      response.result(static_cast<unsigned>(answer.status));
      response.set(boost::beast::http::field::content_type, answer.content_type);
      response.body() = answer.body;
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      boost::beast::http::async_write(
          stream, response, [self = shared_from_this()](const boost::system::error_code& wec, std::size_t) {
            if (wec) return;
            if (self->response.keep_alive()) {
              self->read();
            } else {
              boost::system::error_code ignored;
              self->stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
            }
          });
    }

    boost::beast::tcp_stream stream;
    FakeHttpServer* owner;
    boost::beast::flat_buffer buffer;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser;
    boost::beast::http::response<boost::beast::http::string_body> response;
  };

  FakeResponse record_and_answer(const RecordedRequest& request) {
    Handler handler;
    {
      std::lock_guard lock(mutex_);
      handler = handler_;
    }
    // The handler runs before the request is visible, so a test that saw the request also sees
    // whatever state the handler changed.
    FakeResponse answer = handler ? handler(request) : FakeResponse{};
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    arrived_.notify_all();
    return answer;
  }

  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket) {
      if (ec) return;  // closed
      std::make_shared<Session>(std::move(socket), this)->read();
      accept();
    });
  }

  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  Handler handler_;
  std::vector<RecordedRequest> requests_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace promcast::testing
