// The --web.config.file parser (every field, strictness, errors at file:line:column), the bcrypt check
// against hashes made by Python's crypt module and published vectors (web_config_bcrypt_fixture.py), the
// verdict cache, the Authorization header, and the TLS context's file errors.
#include "exporter/web_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/http_client.h"
#include "exporter/basic_auth.h"
#include "exporter/http_server.h"
#include "exporter/web_security.h"
#include "exporter/web_tls.h"

namespace promcast::exporter {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr const char* kHash = "$2y$04$k0O.XKiOszSWa/60qwl1fO4WpjuvpnAqByordjsolwYM4Jy31TqbO";  // "secret"

std::vector<Error> errors_of(std::string_view yaml) {
  auto parsed = parse_web_config(yaml, "/etc/web.yml");
  EXPECT_FALSE(parsed.has_value()) << yaml;
  return parsed ? std::vector<Error>{} : parsed.error();
}

/// The one error of `yaml`, as "file:line:column: message".
std::string error_of(std::string_view yaml) {
  const auto errors = errors_of(yaml);
  EXPECT_EQ(errors.size(), 1u) << yaml;
  return errors.empty() ? "" : errors.front().to_string();
}

TEST(WebConfigParse, EmptyFileIsPlainHttpWithoutAuth) {
  for (std::string_view text : {"", "---\n", "# nothing\n"}) {
    auto parsed = parse_web_config(text, "web.yml");
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_FALSE(parsed->tls.enabled());
    EXPECT_TRUE(parsed->users.empty());
    EXPECT_TRUE(parsed->headers.empty());
    EXPECT_TRUE(parsed->http2);
  }
}

TEST(WebConfigParse, EveryTlsField) {
  auto parsed = parse_web_config(R"(tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca/clients.pem
  client_allowed_sans: [scraper.example, 10.0.0.1]
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384]
  prefer_server_cipher_suites: false
  curve_preferences: [X25519, CurveP256]
)",
                                 "/etc/promcast/web.yml");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().front().to_string();
  const TlsServerConfig& tls = parsed->tls;
  EXPECT_TRUE(tls.enabled());
  EXPECT_EQ(tls.line, 1);
  // Relative paths are taken from the config file's folder, as exporter-toolkit does.
  EXPECT_EQ(tls.cert_file.value, "/etc/promcast/server.crt");
  EXPECT_EQ(tls.cert_file.line, 2);
  EXPECT_EQ(tls.key_file.value, "/abs/server.key");
  EXPECT_EQ(tls.key_file.line, 3);
  EXPECT_EQ(tls.client_ca_file.value, "/etc/promcast/ca/clients.pem");
  EXPECT_EQ(tls.client_ca_file.line, 5);
  EXPECT_EQ(tls.client_auth, ClientAuth::RequireAndVerifyClientCert);
  EXPECT_THAT(tls.client_allowed_sans, ::testing::ElementsAre("scraper.example", "10.0.0.1"));
  EXPECT_EQ(tls.min_version, TlsVersion::Tls13);
  EXPECT_EQ(tls.max_version, TlsVersion::Tls13);
  EXPECT_THAT(tls.cipher_suites,
              ::testing::ElementsAre("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"));
  EXPECT_FALSE(tls.prefer_server_cipher_suites);
  EXPECT_THAT(tls.curve_preferences, ::testing::ElementsAre("X25519", "CurveP256"));
}

TEST(WebConfigParse, TlsDefaultsAndInlinePem) {
  auto parsed = parse_web_config("tls_server_config:\n  cert: |\n    PEM1\n  key: PEM2\n", "web.yml");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().front().to_string();
  EXPECT_EQ(parsed->tls.cert.value, "PEM1\n");
  EXPECT_EQ(parsed->tls.key.value, "PEM2");
  EXPECT_EQ(parsed->tls.client_auth, ClientAuth::NoClientCert);
  EXPECT_EQ(parsed->tls.min_version, TlsVersion::Tls12);
  EXPECT_EQ(parsed->tls.max_version, TlsVersion::Tls13);
  EXPECT_TRUE(parsed->tls.prefer_server_cipher_suites);
}

TEST(WebConfigParse, EveryClientAuthType) {
  const std::pair<std::string_view, ClientAuth> cases[] = {
      {"NoClientCert", ClientAuth::NoClientCert},
      {"RequestClientCert", ClientAuth::RequestClientCert},
      {"RequireAnyClientCert", ClientAuth::RequireAnyClientCert},
      {"RequireClientCert", ClientAuth::RequireAnyClientCert},  // exporter-toolkit's old spelling
      {"VerifyClientCertIfGiven", ClientAuth::VerifyClientCertIfGiven},
      {"RequireAndVerifyClientCert", ClientAuth::RequireAndVerifyClientCert},
  };
  for (const auto& [name, expected] : cases) {
    const std::string yaml =
        fmt::format("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: {}\n{}", name,
                    expected == ClientAuth::NoClientCert ? "" : "  client_ca_file: ca.pem\n");
    auto parsed = parse_web_config(yaml, "web.yml");
    ASSERT_TRUE(parsed.has_value()) << name << ": " << parsed.error().front().to_string();
    EXPECT_EQ(parsed->tls.client_auth, expected) << name;
  }
}

TEST(WebConfigParse, EveryTlsVersion) {
  const std::pair<std::string_view, TlsVersion> cases[] = {{"TLS10", TlsVersion::Tls10},
                                                           {"TLS11", TlsVersion::Tls11},
                                                           {"TLS12", TlsVersion::Tls12},
                                                           {"TLS13", TlsVersion::Tls13}};
  for (const auto& [name, expected] : cases) {
    auto parsed = parse_web_config(
        fmt::format("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: {}\n", name),
        "web.yml");
    ASSERT_TRUE(parsed.has_value()) << name;
    EXPECT_EQ(parsed->tls.min_version, expected);
  }
}

TEST(WebConfigParse, HttpServerConfigAndUsers) {
  auto parsed = parse_web_config(R"(http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    Strict-Transport-Security: max-age=31536000
    Content-Security-Policy: ""
basic_auth_users:
  alice: $2y$04$k0O.XKiOszSWa/60qwl1fO4WpjuvpnAqByordjsolwYM4Jy31TqbO
  bob: "$2b$10$uHjb8dv1TGUuiOlsRwe9XetVL6fTR2BSZsk7PmZ0EFWQoT8f2b/jK"
)",
                                 "web.yml");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().front().to_string();
  EXPECT_FALSE(parsed->http2);
  EXPECT_FALSE(parsed->tls.enabled());
  // A blank value leaves the header unset, as in exporter-toolkit.
  EXPECT_THAT(parsed->headers,
              ::testing::ElementsAre(::testing::Pair("X-Frame-Options", "deny"),
                                     ::testing::Pair("X-Content-Type-Options", "nosniff"),
                                     ::testing::Pair("Strict-Transport-Security", "max-age=31536000")));
  ASSERT_EQ(parsed->users.size(), 2u);
  EXPECT_EQ(parsed->users.at("alice"), kHash);
  EXPECT_EQ(parsed->users.at("bob"), "$2b$10$uHjb8dv1TGUuiOlsRwe9XetVL6fTR2BSZsk7PmZ0EFWQoT8f2b/jK");
}

TEST(WebConfigParse, ErrorsNameFileLineAndColumn) {
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  cert_flie: c\n"),
            "/etc/web.yml:4:3: field cert_flie not found in tls_server_config");
  EXPECT_EQ(error_of("basic_auth_users:\n  alice: $2y$04$tooshort\n"),
            "/etc/web.yml:2:10: basic_auth_users: user alice: bcrypt hash has 15 characters, expected 60");
  EXPECT_EQ(
      error_of("basic_auth_users:\n  alice: plaintext\n"),
      "/etc/web.yml:2:10: basic_auth_users: user alice: not a bcrypt hash (expected $2a$, $2b$ or $2y$)");
  EXPECT_EQ(error_of("basic_auth_users:\n  alice:\n"),
            "/etc/web.yml:2:3: basic_auth_users: user alice: empty password hash");
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireCert\n"),
            "/etc/web.yml:4:21: invalid ClientAuth: RequireCert");
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n"),
            "/etc/web.yml:4:16: unknown TLS version: TLS14 (TLS10, TLS11, TLS12 or TLS13)");
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites:\n  - "
                     "TLS_RSA_WITH_RC4_128_SHA\n"),
            "/etc/web.yml:5:5: unknown cipher: TLS_RSA_WITH_RC4_128_SHA");
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [P256]\n"),
            "/etc/web.yml:4:23: unknown curve: P256");
  EXPECT_EQ(error_of("http_server_config:\n  headers:\n    X-Frame-Options: allow\n"),
            "/etc/web.yml:3:22: invalid value for X-Frame-Options: expected one of deny, sameorigin, got "
            "\"allow\"");
  EXPECT_EQ(error_of("http_server_config:\n  headers:\n    Server: promcast\n"),
            "/etc/web.yml:3:5: field Server not found in headers");
  EXPECT_EQ(error_of("http_server_config:\n  http2: maybe\n"),
            "/etc/web.yml:2:10: http2: expected true or false");
  EXPECT_EQ(error_of("rate_limit:\n  interval: 1s\n"),
            "/etc/web.yml:1:1: rate_limit is not supported by promcast (put a reverse proxy in front to "
            "rate-limit)");
  EXPECT_EQ(error_of("basic_auth_users: [alice]\n"),
            "/etc/web.yml:1:19: basic_auth_users: expected a map of user: bcrypt hash");
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\ntls_server_config: {}\n"),
            "/etc/web.yml:4:1: field tls_server_config already set in the web config");
}

TEST(WebConfigParse, InconsistentTlsSettings) {
  EXPECT_EQ(error_of("tls_server_config:\n  key_file: b\n"),
            "/etc/web.yml:2:3: missing one of cert or cert_file");
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: a\n"),
            "/etc/web.yml:2:3: missing one of key or key_file");
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: a\n  cert: b\n  key_file: c\n"),
            "/etc/web.yml:2:3: at most one of cert and cert_file must be configured");
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n"),
            "/etc/web.yml:2:3: client CA's have been configured without a Client Auth Policy");
  EXPECT_EQ(
      error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: "
               "RequireAndVerifyClientCert\n"),
      "/etc/web.yml:4:21: client_auth_type RequireAndVerifyClientCert needs client_ca_file or client_ca");
  EXPECT_EQ(
      error_of(
          "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: VerifyClientCertIfGiven\n"
          "  client_ca_file: c\n  client_allowed_sans: [x]\n"),
      "/etc/web.yml:6:24: client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or "
      "RequireAndVerifyClientCert");
  EXPECT_EQ(
      error_of(
          "tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n"),
      "/etc/web.yml:4:16: min_version is above max_version");
  // A YAML syntax error keeps its position too.
  const auto syntax = errors_of("tls_server_config:\n  cert_file: [a\n");
  ASSERT_EQ(syntax.size(), 1u);
  EXPECT_EQ(syntax.front().file, "/etc/web.yml");
  EXPECT_GT(syntax.front().line, 1);
  // Every error is reported, not only the first.
  EXPECT_EQ(errors_of("a: 1\nb: 2\nbasic_auth_users:\n  x: y\n").size(), 3u);
}

TEST(WebConfigParse, BcryptHashProblems) {
  EXPECT_EQ(bcrypt_hash_problem(kHash), "");
  EXPECT_EQ(bcrypt_hash_problem("$2x$04$k0O.XKiOszSWa/60qwl1fO4WpjuvpnAqByordjsolwYM4Jy31TqbO"),
            "unsupported bcrypt version $2x$ (expected $2a$, $2b$ or $2y$)");
  EXPECT_EQ(bcrypt_hash_problem("$2y$03$k0O.XKiOszSWa/60qwl1fO4WpjuvpnAqByordjsolwYM4Jy31TqbO"),
            "bcrypt cost 3 is outside 4..31");
  EXPECT_EQ(bcrypt_hash_problem("$2y$32$k0O.XKiOszSWa/60qwl1fO4WpjuvpnAqByordjsolwYM4Jy31TqbO"),
            "bcrypt cost 32 is outside 4..31");
  EXPECT_EQ(bcrypt_hash_problem("$2y$x4$k0O.XKiOszSWa/60qwl1fO4WpjuvpnAqByordjsolwYM4Jy31TqbO"),
            "bcrypt hash has no two-digit cost");
  EXPECT_EQ(bcrypt_hash_problem("$2y$04$k0O.XKiOszSWa/60qwl1fO4WpjuvpnAqByordjsolwYM4Jy31Tqb!"),
            "bcrypt hash has characters outside its base64 alphabet");
  EXPECT_EQ(bcrypt_hash_problem("$6$rounds=5000$abc"), "not a bcrypt hash (expected $2a$, $2b$ or $2y$)");
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

TEST(Bcrypt, MatchesFixtureHashesAndRejectsNearMisses) {
  std::ifstream in(PROMCAST_SOURCE_DIR "/tests/exporter/web_config_bcrypt_fixture.tsv");
  ASSERT_TRUE(in) << "fixture missing";
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    const auto tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    const std::string password = from_hex(line.substr(0, tab));
    const std::string hash = line.substr(tab + 1);
    SCOPED_TRACE(hash);
    EXPECT_EQ(bcrypt_hash_problem(hash), "");
    EXPECT_TRUE(bcrypt_matches(password, hash));
    // bcrypt reads at most 72 bytes of password (every implementation, Go's included): beyond that,
    // extra characters do not count.
    EXPECT_EQ(bcrypt_matches(password + "x", hash), password.size() >= 72);
    if (!password.empty()) {
      EXPECT_FALSE(bcrypt_matches(password.substr(0, password.size() - 1), hash));
    }
    std::string other = hash;
    other[30] = other[30] == 'a' ? 'b' : 'a';  // another salt: the stored digest no longer follows
    EXPECT_FALSE(bcrypt_matches(password, other));
    ++rows;
  }
  EXPECT_EQ(rows, 27);
  EXPECT_FALSE(bcrypt_matches(std::string("secret\0x", 8), kHash));  // crypt would see only "secret"
  EXPECT_FALSE(bcrypt_matches("secret", "garbage"));
}

TEST(BasicAuth, ParsesTheAuthorizationHeader) {
  // "alice:s3:cr3t" and ":" in base64.
  auto c = parse_basic_authorization("Basic YWxpY2U6czM6Y3IzdA==");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "s3:cr3t");  // the password may hold colons, the user may not
  c = parse_basic_authorization("basic Og==");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->user, "");
  EXPECT_EQ(c->password, "");
  EXPECT_FALSE(parse_basic_authorization(""));
  EXPECT_FALSE(parse_basic_authorization("Bearer YWxpY2U6eA=="));
  EXPECT_FALSE(parse_basic_authorization("Basic YWxpY2U="));  // "alice": no colon
  EXPECT_FALSE(parse_basic_authorization("Basic !!!!"));
}

TEST(BasicAuth, CachesVerdictsSoBcryptRunsOncePerCredentials) {
  BasicAuthenticator auth;
  const BasicAuthenticator::Users users = {{"alice", kHash}};
  EXPECT_TRUE(auth.authorize(users, {"alice", "secret"}));
  EXPECT_EQ(auth.bcrypt_runs(), 1u);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(auth.authorize(users, {"alice", "secret"}));
  EXPECT_EQ(auth.bcrypt_runs(), 1u);
  EXPECT_FALSE(auth.authorize(users, {"alice", "wrong"}));
  EXPECT_FALSE(auth.authorize(users, {"alice", "wrong"}));
  EXPECT_EQ(auth.bcrypt_runs(), 2u);
  // An unknown user pays bcrypt too (against a fixed hash), and is refused even with that hash's password.
  EXPECT_FALSE(auth.authorize(users, {"mallory", "secret"}));
  EXPECT_EQ(auth.bcrypt_runs(), 3u);
  // A changed hash for the same user is a new key: the old verdict does not carry over.
  const BasicAuthenticator::Users rotated = {
      {"alice", "$2b$04$aNmdn3A41gsec0ZeC70oyeugw332wPrLaONWrqKbUo6xDbfqGrFwK"}};
  EXPECT_TRUE(auth.authorize(rotated, {"alice", "secret"}));
  EXPECT_EQ(auth.bcrypt_runs(), 4u);
  const BasicAuthenticator::Users other_password = {
      {"alice",
       "$2b$04$LzDvIKbDDTumfJUJ1.bPm.f.j7dNcYwjSvAhIumfRsyRIMGCwErgy"}};  // "correct horse battery staple"
  EXPECT_FALSE(auth.authorize(other_password, {"alice", "secret"}));
}

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("promcast-webcfg-test-" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  [[nodiscard]] std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(path_ / name) << content;
    return (path_ / name).string();
  }

 private:
  fs::path path_;
};

TEST(WebTls, UnreadableOrBadFilesNameTheConfigLine) {
  TempDir dir;
  const std::string config =
      dir.write("web.yml", "tls_server_config:\n  cert_file: missing.crt\n  key_file: k.key\n");
  auto loaded = load_web_snapshot(config);
  ASSERT_FALSE(loaded.has_value());
  ASSERT_EQ(loaded.error().size(), 1u);
  EXPECT_EQ(loaded.error().front().file, config);
  EXPECT_EQ(loaded.error().front().line, 2);
  EXPECT_THAT(loaded.error().front().message, HasSubstr("cannot read cert_file"));
  EXPECT_THAT(loaded.error().front().message, HasSubstr("missing.crt"));

  (void)dir.write("bad.crt", "not a certificate\n");
  const std::string config2 =
      dir.write("web2.yml", "tls_server_config:\n  key_file: k.key\n  cert_file: bad.crt\n");
  (void)dir.write("k.key", "not a key\n");
  loaded = load_web_snapshot(config2);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().front().line, 3);
  EXPECT_THAT(loaded.error().front().message, HasSubstr("failed to load certificate"));

  // The web config file itself missing.
  loaded = load_web_snapshot(dir.write("unused", "") + ".nope");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_THAT(loaded.error().front().message, HasSubstr("cannot read the web config file"));
}

TEST(WebSecurity, ReReadsTheFileWhenItChangesAndFailsClosed) {
  TempDir dir;
  const std::string path = dir.write("web.yml", fmt::format("basic_auth_users:\n  alice: {}\n", kHash));
  auto security = WebSecurity::load(path);
  ASSERT_TRUE(security.has_value());
  EXPECT_FALSE((*security)->tls());
  auto first = (*security)->current();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ((*first)->config.users.size(), 1u);
  EXPECT_EQ((*security)->current()->get(), first->get());  // unchanged file: the same snapshot
  // "alice:secret"
  EXPECT_TRUE((*security)->authorize(**first, "Basic YWxpY2U6c2VjcmV0"));
  EXPECT_FALSE((*security)->authorize(**first, "Basic YWxpY2U6d3Jvbmc="));
  EXPECT_FALSE((*security)->authorize(**first, ""));

  (void)dir.write("web.yml", fmt::format("basic_auth_users:\n  bob: {}\n  carol: {}\n", kHash, kHash));
  auto second = (*security)->current();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ((*second)->config.users.size(), 2u);
  EXPECT_FALSE((*security)->authorize(**second, "Basic YWxpY2U6c2VjcmV0"));

  (void)dir.write("web.yml", "basic_auth_users:\n  bob: not-a-hash\n");
  auto broken = (*security)->current();
  ASSERT_FALSE(broken.has_value());
  EXPECT_EQ(broken.error().front().line, 2);
}

TEST(WebSecurity, PlainHttpServerAuthenticatesAddsHeadersAndFailsClosed) {
  TempDir dir;
  const std::string path = dir.write(
      "web.yml", fmt::format("http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n"
                             "basic_auth_users:\n  alice: {}\n",
                             kHash));
  auto security = WebSecurity::load(path);
  ASSERT_TRUE(security.has_value());
  std::atomic<int> handled = 0;  // written on the server thread
  auto server = HttpServer::start(
      "127.0.0.1:0",
      [&handled](const HttpRequest&) {
        ++handled;
        HttpResponse r;
        r.body = "hello\n";
        return r;
      },
      *security);
  ASSERT_TRUE(server.has_value()) << server.error().to_string();
  const std::string url = fmt::format("http://127.0.0.1:{}/anything", (*server)->port());
  auto get = [&](std::string authorization) {
    promcast::HttpOptions options;
    if (!authorization.empty()) options.headers.emplace_back("Authorization", std::move(authorization));
    auto response = promcast::http_get(url, options);
    EXPECT_TRUE(response.has_value());
    return response ? *response : promcast::HttpResponse{};
  };
  auto denied = get("");
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.header("WWW-Authenticate").value_or(""), "Basic");
  EXPECT_EQ(denied.header("X-Content-Type-Options").value_or(""), "nosniff");
  EXPECT_EQ(get("Basic YWxpY2U6d3Jvbmc=").status, 401);  // alice:wrong
  EXPECT_EQ(handled, 0);                                 // refused requests never reach the handler
  auto ok = get("Basic YWxpY2U6c2VjcmV0");               // alice:secret
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "hello\n");
  EXPECT_EQ(ok.header("X-Content-Type-Options").value_or(""), "nosniff");
  EXPECT_EQ(handled, 1);

  (void)dir.write("web.yml", "basic_auth_users:\n  alice: broken\n");
  EXPECT_EQ(get("Basic YWxpY2U6c2VjcmV0").status, 500);
  EXPECT_EQ(handled, 1);
}

}  // namespace
}  // namespace promcast::exporter
