#include "exporter/web_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace promcast::exporter {
namespace {

// Go's tls.CipherSuites(): the suites exporter-toolkit accepts by name (its insecure list is refused).
constexpr std::array<std::string_view, 17> kGoCipherSuites = {
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
};

constexpr std::array<std::string_view, 4> kCurves = {"CurveP256", "CurveP384", "CurveP521", "X25519"};

// exporter-toolkit's extraHTTPHeaders: the only headers a file may set, and for two of them the only values.
struct AllowedHeader {
  std::string_view name;
  std::vector<std::string_view> values;  // empty = any value
};
const std::array<AllowedHeader, 5>& allowed_headers() {
  static const std::array<AllowedHeader, 5> kHeaders = {{
      {"Strict-Transport-Security", {}},
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-XSS-Protection", {}},
      {"Content-Security-Policy", {}},
  }};
  return kHeaders;
}

class Decoder {
 public:
  Decoder(std::string_view file, std::vector<Error>& errors) : file_(file), errors_(errors) {}

  void error_at(const YAML::Node& at, std::string message) {
    const YAML::Mark mark = at.Mark();
    errors_.push_back(Error{std::move(message), file_, mark.is_null() ? 0 : mark.line + 1,
                            mark.is_null() ? 0 : mark.column + 1});
  }

  static int line_of(const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    return mark.is_null() ? 0 : mark.line + 1;
  }

  std::string string(const YAML::Node& node, std::string_view field) {
    if (node.IsNull()) return {};
    if (!node.IsScalar()) {
      error_at(node, fmt::format("{}: expected a string", field));
      return {};
    }
    return node.Scalar();
  }

  bool boolean(const YAML::Node& node, std::string_view field, bool fallback) {
    if (node.IsNull()) return fallback;
    if (node.IsScalar()) {
      // yaml.v2's booleans (YAML 1.1), which exporter-toolkit's files may use.
      static constexpr std::array<std::string_view, 8> kTrue = {"true", "True", "TRUE", "yes",
                                                                "Yes",  "YES",  "on",   "On"};
      static constexpr std::array<std::string_view, 8> kFalse = {"false", "False", "FALSE", "no",
                                                                 "No",    "NO",    "off",   "Off"};
      const std::string& s = node.Scalar();
      if (std::find(kTrue.begin(), kTrue.end(), s) != kTrue.end()) return true;
      if (std::find(kFalse.begin(), kFalse.end(), s) != kFalse.end()) return false;
    }
    error_at(node, fmt::format("{}: expected true or false", field));
    return fallback;
  }

  std::vector<std::string> strings(const YAML::Node& node, std::string_view field) {
    std::vector<std::string> out;
    if (node.IsNull()) return out;
    if (!node.IsSequence()) {
      error_at(node, fmt::format("{}: expected a list of strings", field));
      return out;
    }
    for (const auto& item : node) out.push_back(string(item, field));
    return out;
  }

  /// Walks a map strictly: unknown and repeated keys are errors; `visit(key, value)` gets the known ones.
  template <typename Visit>
  void fields(const YAML::Node& node, std::string_view section, std::initializer_list<std::string_view> known,
              Visit&& visit) {
    if (!node.IsDefined() || node.IsNull()) return;
    if (!node.IsMap()) {
      error_at(node, fmt::format("{}: expected a map", section));
      return;
    }
    std::set<std::string, std::less<>> seen;
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      const std::string name = key.IsScalar() ? key.Scalar() : std::string();
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        error_at(key, fmt::format("field {} not found in {}", name, section));
        continue;
      }
      if (!seen.insert(name).second) {
        error_at(key, fmt::format("field {} already set in {}", name, section));
        continue;
      }
      visit(std::string_view(name), key, entry.second);
    }
  }

 private:
  std::string file_;
  std::vector<Error>& errors_;
};

std::optional<ClientAuth> client_auth_of(std::string_view s) {
  if (s.empty() || s == "NoClientCert") return ClientAuth::NoClientCert;
  if (s == "RequestClientCert") return ClientAuth::RequestClientCert;
  if (s == "RequireAnyClientCert" || s == "RequireClientCert") return ClientAuth::RequireAnyClientCert;
  if (s == "VerifyClientCertIfGiven") return ClientAuth::VerifyClientCertIfGiven;
  if (s == "RequireAndVerifyClientCert") return ClientAuth::RequireAndVerifyClientCert;
  return std::nullopt;
}

std::optional<TlsVersion> tls_version_of(std::string_view s) {
  if (s == "TLS10") return TlsVersion::Tls10;
  if (s == "TLS11") return TlsVersion::Tls11;
  if (s == "TLS12") return TlsVersion::Tls12;
  if (s == "TLS13") return TlsVersion::Tls13;
  return std::nullopt;
}

/// exporter-toolkit joins relative paths with the config file's folder (config_util.JoinDir).
std::string resolve_path(std::string_view file, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  const std::filesystem::path dir = std::filesystem::path(std::string(file)).parent_path();
  return dir.empty() ? path : (dir / path).string();
}

void decode_tls(Decoder& d, const YAML::Node& node, std::string_view file, TlsServerConfig& tls) {
  std::string client_auth, min_version, max_version;
  YAML::Node client_auth_node, min_node, max_node, sans_node;
  d.fields(node, "tls_server_config",
           {"cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type", "client_ca_file",
            "client_allowed_sans", "min_version", "max_version", "cipher_suites",
            "prefer_server_cipher_suites", "curve_preferences"},
           [&](std::string_view key, const YAML::Node& k, const YAML::Node& v) {
             const int line = Decoder::line_of(k);
             if (key == "cert")
               tls.cert = {d.string(v, key), line};
             else if (key == "key")
               tls.key = {d.string(v, key), line};
             else if (key == "client_ca")
               tls.client_ca = {d.string(v, key), line};
             else if (key == "cert_file")
               tls.cert_file = {resolve_path(file, d.string(v, key)), line};
             else if (key == "key_file")
               tls.key_file = {resolve_path(file, d.string(v, key)), line};
             else if (key == "client_ca_file")
               tls.client_ca_file = {resolve_path(file, d.string(v, key)), line};
             else if (key == "client_auth_type") {
               client_auth = d.string(v, key);
               client_auth_node = v;
             } else if (key == "min_version") {
               min_version = d.string(v, key);
               min_node = v;
             } else if (key == "max_version") {
               max_version = d.string(v, key);
               max_node = v;
             } else if (key == "cipher_suites") {
               tls.cipher_suites = d.strings(v, key);
               std::size_t i = 0;
               for (const auto& item : v) {
                 if (i < tls.cipher_suites.size() && std::find(kGoCipherSuites.begin(), kGoCipherSuites.end(),
                                                               tls.cipher_suites[i]) == kGoCipherSuites.end())
                   d.error_at(item, fmt::format("unknown cipher: {}", tls.cipher_suites[i]));
                 ++i;
               }
             } else if (key == "curve_preferences") {
               tls.curve_preferences = d.strings(v, key);
               std::size_t i = 0;
               for (const auto& item : v) {
                 if (i < tls.curve_preferences.size() &&
                     std::find(kCurves.begin(), kCurves.end(), tls.curve_preferences[i]) == kCurves.end())
                   d.error_at(item, fmt::format("unknown curve: {}", tls.curve_preferences[i]));
                 ++i;
               }
             } else if (key == "prefer_server_cipher_suites") {
               tls.prefer_server_cipher_suites = d.boolean(v, key, true);
             } else if (key == "client_allowed_sans") {
               tls.client_allowed_sans = d.strings(v, key);
               sans_node = v;
             }
           });
  if (auto auth = client_auth_of(client_auth)) {
    tls.client_auth = *auth;
  } else {
    d.error_at(client_auth_node, fmt::format("invalid ClientAuth: {}", client_auth));
  }
  if (!min_version.empty()) {
    if (auto v = tls_version_of(min_version))
      tls.min_version = *v;
    else
      d.error_at(min_node,
                 fmt::format("unknown TLS version: {} (TLS10, TLS11, TLS12 or TLS13)", min_version));
  }
  if (!max_version.empty()) {
    if (auto v = tls_version_of(max_version))
      tls.max_version = *v;
    else
      d.error_at(max_node,
                 fmt::format("unknown TLS version: {} (TLS10, TLS11, TLS12 or TLS13)", max_version));
  }
  if (!tls.enabled()) return;
  // The consistency rules of exporter-toolkit's ConfigToTLSConfig, plus two of ours (marked).
  if (tls.cert_file.value.empty() && tls.cert.value.empty())
    d.error_at(node, "missing one of cert or cert_file");
  if (tls.key_file.value.empty() && tls.key.value.empty()) d.error_at(node, "missing one of key or key_file");
  if (!tls.cert_file.value.empty() && !tls.cert.value.empty())
    d.error_at(node, "at most one of cert and cert_file must be configured");
  if (!tls.key_file.value.empty() && !tls.key.value.empty())
    d.error_at(node, "at most one of key and key_file must be configured");
  if (!tls.client_ca_file.value.empty() && !tls.client_ca.value.empty())
    d.error_at(node, "at most one of client_ca and client_ca_file must be configured");
  const bool has_ca = !tls.client_ca_file.value.empty() || !tls.client_ca.value.empty();
  if (has_ca && tls.client_auth == ClientAuth::NoClientCert)
    d.error_at(node, "client CA's have been configured without a Client Auth Policy");
  // Ours: Go would verify against the system roots; a server that trusts any public CA's client
  // certificates is almost certainly a mistake, so the CA must be named.
  if (!has_ca && (tls.client_auth == ClientAuth::VerifyClientCertIfGiven ||
                  tls.client_auth == ClientAuth::RequireAndVerifyClientCert))
    d.error_at(client_auth_node,
               fmt::format("client_auth_type {} needs client_ca_file or client_ca", client_auth));
  if (sans_node.IsDefined() && !sans_node.IsNull() && tls.client_auth != ClientAuth::RequireAnyClientCert &&
      tls.client_auth != ClientAuth::RequireAndVerifyClientCert)
    d.error_at(sans_node,
               "client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or "
               "RequireAndVerifyClientCert");
  if (tls.min_version > tls.max_version)  // ours: Go fails every handshake instead
    d.error_at(min_node.IsDefined() ? min_node : node, "min_version is above max_version");
}

void decode_http(Decoder& d, const YAML::Node& node, WebConfig& out) {
  d.fields(node, "http_server_config", {"http2", "headers"},
           [&](std::string_view key, const YAML::Node&, const YAML::Node& v) {
             if (key == "http2") {
               out.http2 = d.boolean(v, key, true);
               return;
             }
             d.fields(
                 v, "headers",
                 {"Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
                  "X-XSS-Protection", "Content-Security-Policy"},
                 [&](std::string_view name, const YAML::Node&, const YAML::Node& value) {
                   const std::string text = d.string(value, name);
                   for (const auto& allowed : allowed_headers()) {
                     if (allowed.name != name) continue;
                     if (!allowed.values.empty() && std::find(allowed.values.begin(), allowed.values.end(),
                                                              text) == allowed.values.end()) {
                       d.error_at(value, fmt::format("invalid value for {}: expected one of {}, got \"{}\"",
                                                     name, fmt::join(allowed.values, ", "), text));
                       return;
                     }
                   }
                   if (!text.empty()) out.headers.emplace_back(std::string(name), text);  // blank = unset
                 });
           });
}

void decode_users(Decoder& d, const YAML::Node& node, WebConfig& out) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    d.error_at(node, "basic_auth_users: expected a map of user: bcrypt hash");
    return;
  }
  for (const auto& entry : node) {
    const std::string user = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
    const std::string hash = d.string(entry.second, "basic_auth_users");
    if (out.users.contains(user)) {
      d.error_at(entry.first, fmt::format("user {} already set in basic_auth_users", user));
      continue;
    }
    if (const std::string problem = bcrypt_hash_problem(hash); !problem.empty()) {
      d.error_at(entry.second.IsNull() ? entry.first : entry.second,
                 fmt::format("basic_auth_users: user {}: {}", user, problem));
      continue;
    }
    out.users.emplace(user, hash);
  }
}

}  // namespace

bool TlsServerConfig::enabled() const {
  return !cert_file.value.empty() || !cert.value.empty() || !key_file.value.empty() || !key.value.empty() ||
         !client_ca_file.value.empty() || !client_ca.value.empty() || client_auth != ClientAuth::NoClientCert;
}

std::string bcrypt_hash_problem(std::string_view hash) {
  // $2?$NN$ then 22 salt + 31 digest characters of bcrypt's base64 alphabet.
  constexpr std::string_view kAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  if (hash.empty()) return "empty password hash";
  if (hash.size() < 4 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$')
    return "not a bcrypt hash (expected $2a$, $2b$ or $2y$)";
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y')
    return fmt::format("unsupported bcrypt version $2{}$ (expected $2a$, $2b$ or $2y$)", hash[2]);
  if (hash.size() != 60) return fmt::format("bcrypt hash has {} characters, expected 60", hash.size());
  if (!std::isdigit(static_cast<unsigned char>(hash[4])) ||
      !std::isdigit(static_cast<unsigned char>(hash[5])) || hash[6] != '$')
    return "bcrypt hash has no two-digit cost";
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) return fmt::format("bcrypt cost {} is outside 4..31", cost);
  if (hash.substr(7).find_first_not_of(kAlphabet) != std::string_view::npos)
    return "bcrypt hash has characters outside its base64 alphabet";
  return {};
}

std::expected<WebConfig, std::vector<Error>> parse_web_config(std::string_view text, std::string_view file) {
  std::vector<Error> errors;
  WebConfig out;
  out.file = std::string(file);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    const bool has_mark = !e.mark.is_null();
    errors.push_back(
        Error{e.msg, std::string(file), has_mark ? e.mark.line + 1 : 0, has_mark ? e.mark.column + 1 : 0});
    return std::unexpected(std::move(errors));
  }
  Decoder d(file, errors);
  d.fields(root, "the web config",
           {"tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"},
           [&](std::string_view key, const YAML::Node& k, const YAML::Node& v) {
             if (key == "tls_server_config") {
               out.tls.line = Decoder::line_of(k);
               decode_tls(d, v, file, out.tls);
             } else if (key == "http_server_config") {
               decode_http(d, v, out);
             } else if (key == "basic_auth_users") {
               decode_users(d, v, out);
             } else {
               d.error_at(
                   k, "rate_limit is not supported by promcast (put a reverse proxy in front to rate-limit)");
             }
           });
  if (!errors.empty()) return std::unexpected(std::move(errors));
  return out;
}

std::expected<WebConfig, std::vector<Error>> load_web_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(std::vector<Error>{Error{"cannot read the web config file", path, 0, 0}});
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad())
    return std::unexpected(std::vector<Error>{Error{"cannot read the web config file", path, 0, 0}});
  return parse_web_config(content.str(), path);
}

}  // namespace promcast::exporter
