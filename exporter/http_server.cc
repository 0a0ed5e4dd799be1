#include "exporter/http_server.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "exporter/listeners_address.h"
#include "exporter/web_security.h"
#include "exporter/web_tls.h"

namespace promcast::exporter {

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
      return value;
  return {};
}
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

bool header_accepts_gzip(std::string_view accept_encoding) {
  // Token match, honoring an explicit q=0 ("gzip;q=0" means refuse).
  std::size_t pos = 0;
  while (pos < accept_encoding.size()) {
    std::size_t end = accept_encoding.find(',', pos);
    if (end == std::string_view::npos) end = accept_encoding.size();
    std::string_view item = accept_encoding.substr(pos, end - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    const std::size_t semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding == "gzip" || coding == "*") {
      if (semi == std::string_view::npos) return true;
      std::string_view params = item.substr(semi + 1);
      const auto q = params.find("q=");
      if (q == std::string_view::npos) return true;
      std::string_view qv = params.substr(q + 2);
      bool all_zero = true;
      for (char c : qv) {
        if (c == ' ' || c == ';') break;
        if (c != '0' && c != '.') all_zero = false;
      }
      return !all_zero;
    }
    pos = end + 1;
  }
  return false;
}

/// What a connection answers with when a web config is in force: its snapshot (null when the file is
/// invalid, which fails closed with 500) and the shared authenticator.
struct Guard {
  std::shared_ptr<WebSecurity> security;  // null: no --web.config.file
  std::shared_ptr<const WebSnapshot> snapshot;
};

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(tcp::socket socket, const HttpServer::Handler& handler, Guard guard)
    requires(!kTls)
      : stream_(std::move(socket)), handler_(handler), guard_(std::move(guard)) {}
  Session(tcp::socket socket, const HttpServer::Handler& handler, Guard guard)
    requires(kTls)
      : stream_(beast::tcp_stream(std::move(socket)), *guard.snapshot->tls), handler_(handler), guard_(std::move(guard)) {}

  void start() {
    if constexpr (kTls) {
      // The handshake has its own short deadline: a peer that connects and never speaks (or speaks
      // slowly) costs one socket for at most kTlsHandshakeTimeout, not the request timeout.
      beast::get_lowest_layer(stream_).expires_after(kTlsHandshakeTimeout);
      beast::async_detect_ssl(beast::get_lowest_layer(stream_), buffer_,
                              [self = this->shared_from_this()](beast::error_code ec, bool is_tls) {
                                self->on_detect(ec, is_tls);
                              });
    } else {
      read();
    }
  }

 private:
  void on_detect(beast::error_code ec, bool is_tls) {
    if (ec) return close_now();
    if (!is_tls) {
      // Go's net/http answers the same to plain HTTP on a TLS port; the request is not served.
      static constexpr std::string_view kRefusal =
          "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
      asio::async_write(beast::get_lowest_layer(stream_), asio::buffer(kRefusal.data(), kRefusal.size()),
                        [self = this->shared_from_this()](beast::error_code, std::size_t) { self->close_now(); });
      return;
    }
    stream_.async_handshake(asio::ssl::stream_base::server, buffer_.data(),
                            [self = this->shared_from_this()](beast::error_code hec, std::size_t used) {
                              if (hec) return self->close_now();
                              self->buffer_.consume(used);
                              self->read();
                            });
  }

  void close_now() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close();
  }

  void close_gracefully() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->close_now(); });
    } else {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  void read() {
    request_ = {};
    parser_.emplace();
    parser_->body_limit(1 << 20);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(60));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  HttpResponse answer() {
    HttpRequest req;
    req.method = std::string(request_.method_string());
    req.target = std::string(request_.target());
    req.path = req.target.substr(0, req.target.find('?'));
    const auto accept = request_[http::field::accept_encoding];
    req.accepts_gzip = header_accepts_gzip(std::string_view(accept.data(), accept.size()));
    for (const auto& field : request_) req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    req.body = std::move(request_.body());
    HttpResponse out;
    if (guard_.security) {
      if (!guard_.snapshot) {  // the web config is invalid now: fail closed (the error is logged)
        out.status = 500;
        out.body = "Internal Server Error\n";
        return out;
      }
      const auto authorization = request_[http::field::authorization];
      if (!guard_.security->authorize(*guard_.snapshot, std::string_view(authorization.data(), authorization.size()))) {
        out.status = 401;
        out.body = "Unauthorized\n";
        out.www_authenticate = "Basic";
        return out;
      }
    }
    try {
      out = handler_(req);
    } catch (const std::exception& e) {  // process boundary: never let a handler kill the server thread
      out = {};
      out.status = 500;
      out.body = fmt::format("internal error: {}\n", e.what());
    }
    return out;
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      if (ec == http::error::end_of_stream) return close_gracefully();
      // Say why before closing, as Go's server does, rather than leave the client guessing.
      if (ec == http::error::body_limit) return refuse(http::status::payload_too_large);
      if (ec == http::error::header_limit) return refuse(http::status::request_header_fields_too_large);
      return close_now();
    }
    request_ = parser_->release();
    HttpResponse out = answer();
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(request_.version());
    response->result(static_cast<http::status>(out.status));
    response->set(http::field::content_type, out.content_type);
    if (!out.content_encoding.empty()) response->set(http::field::content_encoding, out.content_encoding);
    if (!out.allow.empty()) response->set(http::field::allow, out.allow);
    if (!out.www_authenticate.empty()) response->set(http::field::www_authenticate, out.www_authenticate);
    if (guard_.snapshot) {
      for (const auto& [name, value] : guard_.snapshot->config.headers) response->set(name, value);
    }
    response->set(http::field::vary, "Accept-Encoding");
    response->keep_alive(request_.keep_alive());
    if (request_.method() != http::verb::head) response->body() = std::move(out.body);
    response->prepare_payload();
    const bool close = response->need_eof();
    http::async_write(stream_, *response,
                      [self = this->shared_from_this(), response, close](beast::error_code wec, std::size_t) {
                        if (wec) return self->close_now();
                        if (close) return self->close_gracefully();
                        self->read();
                      });
  }

  // Answers a request that could not be read whole (too large) and closes the connection.
  void refuse(http::status status) {
    auto response = std::make_shared<http::response<http::string_body>>(status, 11);
    response->set(http::field::content_type, "text/plain; charset=utf-8");
    response->body() = std::string(http::obsolete_reason(status)) + "\n";
    response->keep_alive(false);
    response->prepare_payload();
    http::async_write(stream_, *response, [self = this->shared_from_this(), response](beast::error_code wec, std::size_t) {
      if (wec) return self->close_now();
      self->close_gracefully();
    });
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
  const HttpServer::Handler& handler_;
  Guard guard_;
};

}  // namespace

struct HttpServer::Impl {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  Handler handler;
  std::shared_ptr<WebSecurity> security;
  std::thread thread;
  std::atomic<bool> stopped{false};
  uint16_t port = 0;

  void start_session(tcp::socket socket) {
    if (!security) return std::make_shared<Session<beast::tcp_stream>>(std::move(socket), handler, Guard{})->start();
    // exporter-toolkit reads the web config for every connection; we re-read it when a file changed.
    auto current = security->current();
    Guard guard{security, current ? *current : nullptr};
    if (!security->tls()) {
      return std::make_shared<Session<beast::tcp_stream>>(std::move(socket), handler, std::move(guard))->start();
    }
    if (!guard.snapshot) return;  // no valid TLS settings: the connection is closed unanswered
    std::make_shared<Session<TlsStream>>(std::move(socket), handler, std::move(guard))->start();
  }

  // Accept errors such as EMFILE (out of file descriptors) repeat at once if retried at once: back off
  // 5 ms doubling to 1 s, as Go's http.Server does, instead of spinning on the one I/O thread.
  asio::steady_timer accept_retry{io};
  std::chrono::milliseconds accept_delay{0};

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
        accept_delay = std::clamp(accept_delay * 2, std::chrono::milliseconds(5), std::chrono::milliseconds(1000));
        spdlog::warn("http: accept error: {}; retrying in {} ms", ec.message(), accept_delay.count());
        accept_retry.expires_after(accept_delay);
        accept_retry.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec && acceptor.is_open()) accept();
        });
        return;
      }
      accept_delay = std::chrono::milliseconds(0);
      start_session(std::move(socket));
      accept();
    });
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

std::expected<std::unique_ptr<HttpServer>, Error> HttpServer::start(std::string_view listen_address,
                                                                    Handler handler,
                                                                    std::shared_ptr<WebSecurity> security) {
  auto host_port = split_host_port(listen_address);
  if (!host_port) return std::unexpected(host_port.error());
  // Bind with our own helper (dual-stack wildcard like Go), then hand the fd to asio.
  auto fd = open_bound_socket(*host_port, SOCK_STREAM, false);
  if (!fd) return std::unexpected(fd.error());
  auto impl = std::make_unique<Impl>();
  impl->handler = std::move(handler);
  impl->security = std::move(security);
  impl->port = bound_port(*fd);
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  ::getsockname(*fd, reinterpret_cast<sockaddr*>(&local), &length);
  const tcp protocol = local.ss_family == AF_INET6 ? tcp::v6() : tcp::v4();
  beast::error_code ec;
  impl->acceptor.assign(protocol, *fd, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return std::unexpected(Error{fmt::format("listen {}: {}", listen_address, ec.message()), {}, 0, 0});
  }
  impl->accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  asio::post(impl_->io, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->accept_retry.cancel();
    impl->io.stop();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace promcast::exporter
