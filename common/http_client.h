#pragma once
// A small synchronous HTTP/1.1 client (Boost.Beast) for http:// and https:// URLs: one request per
// connection, a deadline covering connect+TLS handshake+write+read, errors as values. Used by tests, the
// load tool and the rules engine (Prometheus API, Alertmanager, remote write). https:// goes through
// OpenSSL (Boost.Beast's ssl_stream) with the CA, client certificate and server name of TlsOptions.
// No redirects.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace promcast {

/// Header fields in the order they were sent or received; names compare case-insensitively.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;  // raw bytes as received (de-chunked, never decompressed)

  /// Value of the first header named `name` (case-insensitive), if any.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
};

/// TLS settings for https:// URLs (Prometheus' tls_config: ca_file, cert_file, key_file, server_name,
/// insecure_skip_verify). Empty files mean the system's CA store and no client certificate.
struct TlsOptions {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;  ///< SNI and the name the certificate must carry; default: the URL's host
  bool insecure_skip_verify = false;
};

struct HttpOptions {
  /// Deadline for the whole exchange, from name resolution to the last body byte.
  std::chrono::milliseconds timeout{5000};
  /// Extra request headers (e.g. Content-Type, Accept-Encoding, Authorization).
  HttpHeaders headers;
  /// Responses with a larger body fail instead of growing memory without bound.
  std::size_t max_body_bytes = 256u << 20;
  /// Used only for https:// URLs.
  TlsOptions tls;
};

/// The parts of an `http[s]://host[:port][/target]` URL. IPv6 hosts are written `[::1]`.
struct HttpUrl {
  bool https = false;
  std::string host;  // without brackets
  std::uint16_t port = 80;  // 443 by default for https
  std::string target = "/";  // path plus query, always starting with '/'
};

/// Splits an http:// or https:// URL; anything else (other schemes, missing host, bad port) is an error.
std::expected<HttpUrl, Error> parse_http_url(std::string_view url);

/// Percent-encodes `text` for a query component (RFC 3986 unreserved characters kept).
std::string url_encode(std::string_view text);

/// Sends one request and reads the whole response. Any status is a response; only transport
/// failures, timeouts and oversized bodies are errors.
std::expected<HttpResponse, Error> http_request(std::string_view method, std::string_view url,
                                                std::string_view body = {}, const HttpOptions& options = {});

/// GET `url`.
inline std::expected<HttpResponse, Error> http_get(std::string_view url, const HttpOptions& options = {}) {
  return http_request("GET", url, {}, options);
}

/// POST `body` to `url` (set Content-Type through options.headers when it matters).
inline std::expected<HttpResponse, Error> http_post(std::string_view url, std::string_view body,
                                                    const HttpOptions& options = {}) {
  return http_request("POST", url, body, options);
}

}  // namespace promcast
