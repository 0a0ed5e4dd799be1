#pragma once
// The TLS side of a web config: an OpenSSL server context (through asio::ssl) built from a
// TlsServerConfig. Reads the certificate, key and client CA files; their errors name the config file and
// the line of the key that pointed at them.
#include <boost/asio/ssl/context.hpp>
#include <expected>
#include <memory>

#include "common/error.h"
#include "exporter/web_config.h"

namespace promcast::exporter {

/// How long a client has to finish the TLS handshake before the connection is dropped, so that
/// connections that never speak cannot pile up (the HTTP request timeout applies after it).
inline constexpr std::chrono::seconds kTlsHandshakeTimeout{10};

/// A server context for `tls` (which must be enabled()): versions, cipher suites (Go names mapped to
/// OpenSSL's through their IANA names; TLS 1.3 names are accepted and, as in Go, do not restrict
/// anything), curves, client-certificate policy and allowed SANs. No ALPN is offered, so clients speak
/// HTTP/1.1. `config_file` is used in errors.
[[nodiscard]] std::expected<std::shared_ptr<boost::asio::ssl::context>, Error> make_tls_context(
    const TlsServerConfig& tls, const std::string& config_file);

}  // namespace promcast::exporter
