#pragma once
// The `--web.config.file` format of Prometheus' exporter-toolkit (what statsd_exporter, node_exporter and
// Prometheus read), parsed strictly: unknown or repeated keys, bad enumerations, inconsistent TLS settings
// and malformed bcrypt hashes are errors naming file:line:column. Parsing reads no other file; the
// certificate files are read by make_tls_context() (web_tls.h), so `promcast check web-config` and the
// server report the same errors.
//
// Supported: tls_server_config (cert/cert_file, key/key_file, client_ca/client_ca_file, client_auth_type,
// min_version, max_version, cipher_suites, prefer_server_cipher_suites, curve_preferences,
// client_allowed_sans), http_server_config (headers; http2 accepted but HTTP/2 is never served),
// basic_auth_users. Refused with a clear error: rate_limit.
#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace promcast::exporter {

/// Go's tls.ClientAuthType, by the names exporter-toolkit accepts.
enum class ClientAuth : uint8_t {
  NoClientCert,                // no certificate asked for
  RequestClientCert,           // asked for, not required, not verified
  RequireAnyClientCert,        // required, not verified against the CA
  VerifyClientCertIfGiven,     // not required; verified when sent
  RequireAndVerifyClientCert,  // required and verified (the only secure choice for client auth)
};

enum class TlsVersion : uint8_t { Tls10, Tls11, Tls12, Tls13 };

/// A value taken from the file with the line it was on, so that errors found later (an unreadable
/// cert_file) still point into the config file.
struct Sourced {
  std::string value;
  int line = 0;  // 1-based line of the key in the web config file; 0 = not from the file
};

struct TlsServerConfig {
  Sourced cert_file;  // resolved against the config file's folder, as exporter-toolkit does
  Sourced key_file;
  Sourced client_ca_file;
  Sourced cert;       // inline PEM (instead of cert_file)
  Sourced key;        // inline PEM (instead of key_file)
  Sourced client_ca;  // inline PEM (instead of client_ca_file)
  ClientAuth client_auth = ClientAuth::NoClientCert;
  TlsVersion min_version = TlsVersion::Tls12;
  TlsVersion max_version = TlsVersion::Tls13;
  std::vector<std::string> cipher_suites;  // Go/IANA names; only TLS <= 1.2 ones take effect (as in Go)
  bool prefer_server_cipher_suites = true;
  std::vector<std::string> curve_preferences;    // CurveP256, CurveP384, CurveP521, X25519
  std::vector<std::string> client_allowed_sans;  // exact match against any DNS/IP/email/URI SAN
  int line = 0;                                  // line of `tls_server_config:`

  /// Whether any TLS field is set (exporter-toolkit's IsEnabled): otherwise the server speaks plain HTTP.
  [[nodiscard]] bool enabled() const;
};

struct WebConfig {
  std::string file;  // as given; errors name it
  TlsServerConfig tls;
  bool http2 = true;  // accepted for compatibility; promcast serves HTTP/1.1 only
  std::vector<std::pair<std::string, std::string>> headers;  // added to every response
  std::map<std::string, std::string, std::less<>> users;     // user -> bcrypt hash; empty = no basic auth
};

/// Parses `text` as the web config file `file` (used in errors and to resolve relative paths).
[[nodiscard]] std::expected<WebConfig, std::vector<Error>> parse_web_config(std::string_view text,
                                                                            std::string_view file);

/// Reads and parses the file at `path`.
[[nodiscard]] std::expected<WebConfig, std::vector<Error>> load_web_config(const std::string& path);

/// Why `hash` is not a bcrypt hash promcast can verify (`$2a$`, `$2b$`, `$2y$`, cost 4..31, 53 characters of
/// salt and digest in bcrypt's base64), or empty when it is one.
[[nodiscard]] std::string bcrypt_hash_problem(std::string_view hash);

}  // namespace promcast::exporter
