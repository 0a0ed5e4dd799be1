#pragma once
// A small HTTP/1.1 server on Boost.Beast: one thread running an asio io_context, keep-alive, requests
// answered by a handler callback. It knows nothing about metrics; exporter_app.cc defines the routes.
// Optionally HTTPS and basic auth from a web config (web_security.h).
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace promcast::exporter {

class WebSecurity;

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as sent
  std::string path;    // target without the query
  bool accepts_gzip = false;
  std::string body;  // up to the server's body limit (1 MiB)
  std::vector<std::pair<std::string, std::string>> headers;  // as received, names as sent

  /// The first header named `name` (case-insensitive), or empty.
  [[nodiscard]] std::string_view header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string content_encoding;  // "gzip" when body is compressed
  std::string allow;             // Allow header for 405s
  std::string www_authenticate;  // WWW-Authenticate header for 401s
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  /// Binds `listen_address` (":9102", "host:port", "[::1]:port"; port 0 picks a free port) and serves on a
  /// thread of its own until stop() or destruction. The handler runs on that thread. With `security` (the
  /// --web.config.file) every connection is TLS or not as it says, and every request of every route passes
  /// its basic auth and gets its extra headers before the handler sees it.
  static std::expected<std::unique_ptr<HttpServer>, Error> start(std::string_view listen_address, Handler handler,
                                                                 std::shared_ptr<WebSecurity> security = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// The bound port (useful with port 0).
  [[nodiscard]] uint16_t port() const;
  /// Stops accepting, closes connections and joins the thread. Idempotent.
  void stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace promcast::exporter
