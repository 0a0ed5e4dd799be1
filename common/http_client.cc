#include "common/http_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <charconv>

namespace promcast {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
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
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() || !iequals(url.substr(0, kScheme.size()), kScheme)) {
    return std::unexpected(error_of(fmt::format("unsupported URL (only http:// is): {}", url)));
  }
  std::string_view rest = url.substr(kScheme.size());
  const auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (const auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);

  HttpUrl out;
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

std::expected<HttpResponse, Error> http_request(std::string_view method, std::string_view url,
                                                std::string_view body, const HttpOptions& options) {
  auto parsed = parse_http_url(url);
  if (!parsed) return std::unexpected(parsed.error());
  const auto fail = [&](std::string_view what, const beast::error_code& ec) {
    const std::string reason = ec == beast::error::timeout
                                   ? fmt::format("timed out after {} ms", options.timeout.count())
                                   : ec.message();
    return std::unexpected(error_of(fmt::format("{} {}: {}: {}", method, url, what, reason)));
  };

  asio::io_context ioc;
  auto endpoints = endpoints_for(*parsed, ioc);
  if (!endpoints) return std::unexpected(endpoints.error());

  http::request<http::string_body> request;
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

  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.max_body_bytes);
  if (request.method() == http::verb::head) parser.skip(true);

  // Beast's deadline applies to asynchronous operations only, so the exchange is a chain of
  // async steps run to completion on a private io_context.
  beast::error_code result;
  std::string_view failed_step;
  std::string direct_body;
  bool direct = false;
  stream.expires_after(options.timeout);
  stream.async_connect(*endpoints, [&](const beast::error_code& ec, const tcp::endpoint&) {
    if (ec) {
      result = ec, failed_step = "connect";
      return;
    }
    http::async_write(stream, request, [&](const beast::error_code& ec2, std::size_t) {
      if (ec2) {
        result = ec2, failed_step = "write";
        return;
      }
      // Header first: Beast 1.74 only enforces a Content-Length body limit when the header is
      // parsed on its own (an eager whole-message read skips the check).
      http::async_read_header(stream, buffer, parser, [&](const beast::error_code& ec3, std::size_t) {
        if (ec3) {
          result = ec3, failed_step = "read";
          return;
        }
        // A body of known length (e.g. a large /metrics page) is read straight into its string:
        // Beast's parser copies it through the read buffer in small pieces, about 3x slower.
        const auto length = parser.content_length();
        if (!parser.is_done() && !parser.chunked() && length) {
          direct_body.resize(*length);
          const std::size_t have = std::min<std::size_t>(buffer.size(), *length);
          asio::buffer_copy(asio::buffer(direct_body.data(), have), buffer.data());
          asio::async_read(stream, asio::buffer(direct_body.data() + have, *length - have),
                           [&](const beast::error_code& ec4, std::size_t) {
                             if (ec4) result = ec4, failed_step = "read";
                           });
          direct = true;
          return;
        }
        http::async_read(stream, buffer, parser, [&](const beast::error_code& ec4, std::size_t) {
          if (ec4) result = ec4, failed_step = "read";
        });
      });
    });
  });
  ioc.run();
  if (result == http::error::body_limit) {
    return std::unexpected(error_of(
        fmt::format("{} {}: response body larger than {} bytes", method, url, options.max_body_bytes)));
  }
  if (result) return fail(failed_step, result);

  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);

  auto message = parser.release();
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = direct ? std::move(direct_body) : std::move(message.body());
  return response;
}

}  // namespace promcast
