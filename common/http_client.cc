#include "common/http_client.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <charconv>
#include <type_traits>

namespace promcast {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

Error error_of(std::string message) {
  Error error;
  error.message = std::move(message);
  return error;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

std::string host_header(const HttpUrl& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  return v6 ? fmt::format("[{}]:{}", url.host, url.port) : fmt::format("{}:{}", url.host, url.port);
}

// Numeric hosts (the common case: loopback tests, 127.0.0.1 targets) skip the resolver, whose
// getaddrinfo call cannot be bounded by the stream's deadline.
std::expected<std::vector<tcp::endpoint>, Error> endpoints_for(const HttpUrl& url, asio::io_context& ioc) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(url.host, ec);
  if (!ec) return std::vector<tcp::endpoint>{tcp::endpoint(address, url.port)};
  tcp::resolver resolver(ioc);
  const auto results = resolver.resolve(url.host, std::to_string(url.port), ec);
  if (ec) return std::unexpected(error_of(fmt::format("resolving {}: {}", url.host, ec.message())));
  std::vector<tcp::endpoint> out;
  for (const auto& entry : results) out.push_back(entry.endpoint());
  if (out.empty()) return std::unexpected(error_of(fmt::format("resolving {}: no addresses", url.host)));
  return out;
}

}  // namespace

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::expected<HttpUrl, Error> parse_http_url(std::string_view url) {
  constexpr std::string_view kHttp = "http://";
  constexpr std::string_view kHttps = "https://";
  HttpUrl out;
  std::string_view rest;
  if (url.size() >= kHttp.size() && iequals(url.substr(0, kHttp.size()), kHttp)) {
    rest = url.substr(kHttp.size());
  } else if (url.size() >= kHttps.size() && iequals(url.substr(0, kHttps.size()), kHttps)) {
    rest = url.substr(kHttps.size());
    out.https = true;
    out.port = 443;
  } else {
    return std::unexpected(error_of(fmt::format("unsupported URL (only http:// and https:// are): {}", url)));
  }
  const auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (const auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);

  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos)
      return std::unexpected(error_of(fmt::format("unterminated IPv6 host in URL: {}", url)));
    out.host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return std::unexpected(error_of(fmt::format("bad authority in URL: {}", url)));
      port_text = after.substr(1);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    out.host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  } else {
    out.host = authority;
  }
  if (out.host.empty()) return std::unexpected(error_of(fmt::format("missing host in URL: {}", url)));
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      return std::unexpected(error_of(fmt::format("bad port in URL: {}", url)));
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  if (target.empty()) {
    out.target = "/";
  } else if (target.front() == '?') {
    out.target = fmt::format("/{}", target);
  } else {
    out.target = target;
  }
  return out;
}

std::string url_encode(std::string_view text) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

namespace {

// One exchange's state, shared by the asynchronous steps of run_exchange.
struct Exchange {
  http::request<http::string_body> request;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  beast::error_code result;
  std::string_view failed_step;
  std::string direct_body;
  bool direct = false;

  void fail(const beast::error_code& ec, std::string_view step) { result = ec, failed_step = step; }
};

template <typename Stream>
constexpr bool kIsTls = !std::is_same_v<Stream, beast::tcp_stream>;

template <typename Stream>
void read_response(Stream& stream, Exchange& x) {
  // Header first: Beast 1.74 only enforces a Content-Length body limit when the header is parsed on
  // its own (an eager whole-message read skips the check).
  http::async_read_header(
      stream, x.buffer, x.parser, [&stream, &x](const beast::error_code& ec, std::size_t) {
        if (ec) return x.fail(ec, "read");
        // A body of known length (e.g. a large /metrics page) is read straight into its string: Beast's
        // parser copies it through the read buffer in small pieces, about 3x slower.
        const auto length = x.parser.content_length();
        if (!x.parser.is_done() && !x.parser.chunked() && length) {
          x.direct_body.resize(*length);
          const std::size_t have = std::min<std::size_t>(x.buffer.size(), *length);
          asio::buffer_copy(asio::buffer(x.direct_body.data(), have), x.buffer.data());
          x.direct = true;
          asio::async_read(stream, asio::buffer(x.direct_body.data() + have, *length - have),
                           [&x](const beast::error_code& ec2, std::size_t) {
                             if (ec2) x.fail(ec2, "read");
                           });
          return;
        }
        http::async_read(stream, x.buffer, x.parser, [&x](const beast::error_code& ec2, std::size_t) {
          if (ec2) x.fail(ec2, "read");
        });
      });
}

template <typename Stream>
void send_request(Stream& stream, Exchange& x) {
  http::async_write(stream, x.request, [&stream, &x](const beast::error_code& ec, std::size_t) {
    if (ec) return x.fail(ec, "write");
    read_response(stream, x);
  });
}

// Beast's deadline applies to asynchronous operations only, so the exchange is a chain of async
// steps (connect, TLS handshake, write, read) that the caller runs to completion on a private
// io_context; the lowest layer's expiry bounds all of them together.
template <typename Stream>
void run_exchange(Stream& stream, const std::vector<tcp::endpoint>& endpoints, Exchange& x) {
  beast::get_lowest_layer(stream).async_connect(
      endpoints, [&stream, &x](const beast::error_code& ec, const tcp::endpoint&) {
        if (ec) return x.fail(ec, "connect");
        if constexpr (kIsTls<Stream>) {
          stream.async_handshake(ssl::stream_base::client, [&stream, &x](const beast::error_code& ec2) {
            if (ec2) return x.fail(ec2, "TLS handshake");
            send_request(stream, x);
          });
        } else {
          send_request(stream, x);
        }
      });
}

bool is_ip_literal(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// The context is built per request: files are re-read each time, so rotated certificates and CA
// bundles take effect without a restart (requests are seconds apart, loading costs ~1 ms).
std::expected<void, Error> configure_tls_context(ssl::context& context, const TlsOptions& tls) {
  const auto failed = [](std::string_view what, const std::string& file, const beast::error_code& ec) {
    return std::unexpected(error_of(fmt::format("TLS {} {}: {}", what, file, ec.message())));
  };
  // TLS 1.2 is the oldest version Prometheus' own clients accept.
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  beast::error_code ec;
  if (tls.insecure_skip_verify) {
    context.set_verify_mode(ssl::verify_none);
  } else {
    context.set_verify_mode(ssl::verify_peer);
    if (tls.ca_file.empty()) {
      if (context.set_default_verify_paths(ec); ec) return failed("system CA store", "", ec);
    } else if (context.load_verify_file(tls.ca_file, ec); ec) {
      return failed("ca_file", tls.ca_file, ec);
    }
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return std::unexpected(error_of("TLS: cert_file and key_file must be given together"));
  }
  if (!tls.cert_file.empty()) {
    if (context.use_certificate_chain_file(tls.cert_file, ec); ec)
      return failed("cert_file", tls.cert_file, ec);
    // OpenSSL checks here that the key matches the certificate.
    if (context.use_private_key_file(tls.key_file, ssl::context::pem, ec); ec) {
      return failed("key_file", tls.key_file, ec);
    }
  }
  return {};
}

// SNI and the name the server's certificate must carry: server_name, else the URL's host. IP
// literals are matched against IP SANs and not sent as SNI (RFC 6066 allows host names only).
std::expected<void, Error> configure_tls_stream(SSL* handle, const HttpUrl& url, const TlsOptions& tls) {
  const std::string& name = tls.server_name.empty() ? url.host : tls.server_name;
  const bool ip = is_ip_literal(name);
  if (!ip && SSL_set_tlsext_host_name(handle, name.c_str()) != 1) {
    return std::unexpected(error_of(fmt::format("TLS: cannot set server name {}", name)));
  }
  if (tls.insecure_skip_verify) return {};
  X509_VERIFY_PARAM* param = SSL_get0_param(handle);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                    : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
  if (ok != 1) return std::unexpected(error_of(fmt::format("TLS: cannot verify against name {}", name)));
  return {};
}

}  // namespace

std::expected<HttpResponse, Error> http_request(std::string_view method, std::string_view url,
                                                std::string_view body, const HttpOptions& options) {
  auto parsed = parse_http_url(url);
  if (!parsed) return std::unexpected(parsed.error());

  asio::io_context ioc;
  auto endpoints = endpoints_for(*parsed, ioc);
  if (!endpoints) return std::unexpected(endpoints.error());

  Exchange x;
  auto& request = x.request;
  request.version(11);
  if (const auto verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
      verb != http::verb::unknown) {
    request.method(verb);
  } else {
    request.method_string(beast::string_view(method.data(), method.size()));
  }
  request.target(parsed->target);
  request.set(http::field::host, host_header(*parsed));
  request.set(http::field::user_agent, "promcast");
  request.set(http::field::connection, "close");
  for (const auto& [name, value] : options.headers) request.set(name, value);
  request.body() = body;
  if (!body.empty() || request.method() == http::verb::post || request.method() == http::verb::put) {
    request.prepare_payload();
  }
  x.parser.body_limit(options.max_body_bytes);
  if (request.method() == http::verb::head) x.parser.skip(true);

  std::string verify_failure;  // why the peer's certificate was refused, when it was
  if (parsed->https) {
    ssl::context context(ssl::context::tls_client);
    if (auto ok = configure_tls_context(context, options.tls); !ok) return std::unexpected(ok.error());
    beast::ssl_stream<beast::tcp_stream> stream(ioc, context);
    if (auto ok = configure_tls_stream(stream.native_handle(), *parsed, options.tls); !ok) {
      return std::unexpected(ok.error());
    }
    beast::get_lowest_layer(stream).expires_after(options.timeout);
    run_exchange(stream, *endpoints, x);
    ioc.run();
    if (const long verify = SSL_get_verify_result(stream.native_handle()); x.result && verify != X509_V_OK) {
      verify_failure = X509_verify_cert_error_string(verify);
    }
    // No close_notify exchange: the response is complete (Connection: close), and waiting for the
    // peer's reply would only add a round trip or hang on servers that just drop the connection.
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
  } else {
    beast::tcp_stream stream(ioc);
    stream.expires_after(options.timeout);
    run_exchange(stream, *endpoints, x);
    ioc.run();
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  if (x.result == http::error::body_limit) {
    return std::unexpected(error_of(
        fmt::format("{} {}: response body larger than {} bytes", method, url, options.max_body_bytes)));
  }
  if (x.result) {
    std::string reason = x.result == beast::error::timeout
                             ? fmt::format("timed out after {} ms", options.timeout.count())
                             : x.result.message();
    if (!verify_failure.empty()) reason += fmt::format(" ({})", verify_failure);
    return std::unexpected(error_of(fmt::format("{} {}: {}: {}", method, url, x.failed_step, reason)));
  }

  auto message = x.parser.release();
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = x.direct ? std::move(x.direct_body) : std::move(message.body());
  return response;
}

}  // namespace promcast
