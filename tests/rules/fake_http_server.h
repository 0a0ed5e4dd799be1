#pragma once
// A fake HTTP/1.1 server on 127.0.0.1 for client tests. It records every request so tests check
// what the client sent (form fields, auth headers, bodies), and answers through a handler the test
// sets, so tests script what the client gets back: statuses, extra headers such as Retry-After,
// a slow answer, or raw bytes such as a truncated body. It stands in for a Prometheus query API,
// a remote write receiver, an Alertmanager or a webhook receiver.
//
// Boost.Beast on one io_context thread. Keep-alive is honoured because Go clients (Alertmanager's
// webhook) reuse connections; delays run on timers, so a slow answer holds back neither other
// connections nor the destructor. Header-only, for tests.
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
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
  HttpHeaders headers;  ///< names as the client spelled them
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

  /// Fields of an application/x-www-form-urlencoded body (percent-decoded, '+' as space).
  [[nodiscard]] std::map<std::string, std::string> form() const {
    std::map<std::string, std::string> out;
    std::size_t pos = 0;
    while (pos <= body.size()) {
      auto end = body.find('&', pos);
      if (end == std::string::npos) end = body.size();
      const std::string pair = body.substr(pos, end - pos);
      const auto eq = pair.find('=');
      if (eq != std::string::npos) out[decode(pair.substr(0, eq))] = decode(pair.substr(eq + 1));
      pos = end + 1;
    }
    return out;
  }

  static std::string decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '%' && i + 2 < text.size()) {
        out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += text[i] == '+' ? ' ' : text[i];
      }
    }
    return out;
  }
};

// An aggregate, so tests name only what they script: FakeResponse{.status = 429, .headers = ...}.
// Every member has an initializer so that leaving the later ones out is not a
// -Wmissing-field-initializers error.
struct FakeResponse {
  int status = 200;
  std::string body{};
  std::string content_type = "application/json";
  HttpHeaders headers{};  ///< extra headers (e.g. Retry-After)
  /// When not empty, sent instead of a well-formed response, then the connection is closed (the
  /// bytes may promise more than they hold, e.g. a truncated body).
  std::string raw{};
  /// Wait this long before answering (a slow server).
  std::chrono::milliseconds delay{0};
  /// Close the connection after this response even if the client asked for keep-alive.
  bool close_connection = false;

  /// Exactly these bytes on the wire, then the connection closed.
  static FakeResponse raw_bytes(std::string bytes) {
    FakeResponse out;
    out.raw = std::move(bytes);
    return out;
  }
};

class FakeHttpServer {
 public:
  using Handler = std::function<FakeResponse(const RecordedRequest&)>;

  /// Listens on 127.0.0.1 at `port` (0 = a free port the kernel picks). Without a handler every
  /// request gets FakeResponse{} (200, empty body).
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

  /// Stops listening, closes open connections (unanswered delayed requests included) and joins the
  /// thread, so a client sees a server that went down rather than one that hangs. Idempotent.
  void stop() {
    if (!thread_.joinable()) return;
    boost::asio::post(ioc_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      for (const auto& weak : sessions_)
        if (const auto session = weak.lock()) session->close();
      ioc_.stop();
    });
    thread_.join();
  }

 private:
  struct Session : std::enable_shared_from_this<Session> {
    Session(boost::asio::ip::tcp::socket socket, FakeHttpServer* server)
        : stream(std::move(socket)), timer(stream.get_executor()), owner(server) {}

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
      answer = owner->record_and_answer(recorded);

      response = {};
      response.version(request.version());
      response.result(static_cast<unsigned>(answer.status));
      response.set(boost::beast::http::field::content_type, answer.content_type);
      for (const auto& [name, value] : answer.headers) response.insert(name, value);
      response.body() = answer.body;
      response.keep_alive(request.keep_alive() && !answer.close_connection);
      response.prepare_payload();
      if (answer.delay.count() <= 0) {
        write();
        return;
      }
      timer.expires_after(answer.delay);
      timer.async_wait([self = shared_from_this()](const boost::system::error_code& tec) {
        if (!tec) self->write();
      });
    }

    void write() {
      if (!answer.raw.empty()) {
        boost::asio::async_write(
            stream.socket(), boost::asio::buffer(answer.raw),
            [self = shared_from_this()](const boost::system::error_code&, std::size_t) { self->close(); });
        return;
      }
      boost::beast::http::async_write(
          stream, response, [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
            if (ec) return;
            if (self->response.keep_alive()) {
              self->read();
            } else {
              self->close();
            }
          });
    }

    void close() {
      timer.cancel();
      boost::system::error_code ignored;
      stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
      stream.socket().close(ignored);
    }

    boost::beast::tcp_stream stream;
    boost::asio::steady_timer timer;
    FakeHttpServer* owner;
    boost::beast::flat_buffer buffer;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser;
    FakeResponse answer;
    boost::beast::http::response<boost::beast::http::string_body> response;
  };

  FakeResponse record_and_answer(const RecordedRequest& request) {
    Handler handler;
    {
      std::lock_guard lock(mutex_);
      handler = handler_;
    }
    // The handler runs before the request is visible, so a test that saw the request also sees
    // whatever state the handler changed. A response's delay comes later, so a slow answer's
    // request is already visible while the client waits.
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
      std::erase_if(sessions_, [](const std::weak_ptr<Session>& weak) { return weak.expired(); });
      auto session = std::make_shared<Session>(std::move(socket), this);
      sessions_.push_back(session);
      session->read();
      accept();
    });
  }

  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  Handler handler_;
  std::vector<RecordedRequest> requests_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::weak_ptr<Session>> sessions_;  ///< touched on the io_context thread only
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace promcast::testing
