// --web.config.file end to end: promcast started with certificates made by the openssl CLI in a temp dir,
// queried with curl on loopback. Basic auth (right password 200, wrong 401 with WWW-Authenticate), plain
// HTTP refused on the TLS port, min_version TLS13 refusing a TLS 1.2 client, client certificates required
// by RequireAndVerifyClientCert, the file re-read when it changes, a silent connection dropped after the
// handshake timeout while others are served, and a bad file failing the start with file:line.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/support.h"

namespace promcast::testing {
namespace {

// bcrypt (cost 4) of "secret" and of "hunter2", made with Python's crypt module
// (tests/exporter/web_config_bcrypt_fixture.py makes the same kind).
constexpr std::string_view kSecretHash = "$2y$04$k0O.XKiOszSWa/60qwl1fO4WpjuvpnAqByordjsolwYM4Jy31TqbO";
constexpr std::string_view kOtherHash =
    "$2b$04$aNmdn3A41gsec0ZeC70oyeugw332wPrLaONWrqKbUo6xDbfqGrFwK";  // "secret" too

/// Runs the openssl CLI; fails the test with its output if it fails.
void openssl(std::vector<std::string> args) {
  args.insert(args.begin(), find_executable("openssl"));
  const auto r = run_command(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

/// A throwaway PKI: a CA, a server certificate for 127.0.0.1 and three client certificates: `client`
/// (SAN scraper.test) and `other` (SAN other.test and 10.1.2.3) signed by the CA, and a self-signed
/// `rogue` with client's SAN, so that only the signature tells those two apart.
void make_pki(const TempDir& dir) {
  const auto f = [&](std::string_view name) { return dir.file(name); };
  const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"};
  auto req = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"req"};
    args.insert(args.end(), ec.begin(), ec.end());
    args.insert(args.end(), extra.begin(), extra.end());
    openssl(args);
  };
  req({"-x509", "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "2", "-subj", "/CN=promcast test CA"});
  write_file(f("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  write_file(f("client.ext"), "subjectAltName=DNS:scraper.test\nextendedKeyUsage=clientAuth\n");
  write_file(f("other.ext"), "subjectAltName=DNS:other.test,IP:10.1.2.3\nextendedKeyUsage=clientAuth\n");
  for (std::string name : {"server", "client", "other"}) {
    req({"-keyout", f(name + ".key"), "-out", f(name + ".csr"), "-subj", "/CN=" + name});
    openssl({"x509", "-req", "-in", f(name + ".csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"),
             "-CAcreateserial", "-out", f(name + ".pem"), "-days", "2", "-extfile", f(name + ".ext")});
  }
  req({"-x509", "-keyout", f("rogue.key"), "-out", f("rogue.pem"), "-days", "2", "-subj", "/CN=rogue",
       "-addext", "subjectAltName=DNS:scraper.test"});
}

struct CurlResult {
  int exit_code = -1;
  int status = 0;       // 0 when no HTTP response came back
  std::string headers;  // the response head as received
  std::string body;
};

/// curl with `args` against `url`; never through a proxy.
CurlResult curl(const TempDir& dir, const std::string& url, std::vector<std::string> args) {
  const std::string head = dir.file("curl.head"), body = dir.file("curl.body");
  write_file(head, "");
  write_file(body, "");
  std::vector<std::string> argv = {
      find_executable("curl"), "-sS", "--noproxy", "*", "--max-time", "10", "-D", head, "-o", body, "-w",
      "%{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(url);
  const auto r = run_command(argv);
  CurlResult out;
  out.exit_code = r.exit_code;
  out.status = std::atoi(r.out.c_str());
  out.headers = read_file(head);
  out.body = read_file(body);
  return out;
}

class WebConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (find_executable("curl").empty() || find_executable("openssl").empty())
      GTEST_SKIP() << "needs curl and openssl";
    make_pki(pki_);
  }

  /// Starts promcast with `web_config` as its --web.config.file and waits until `probe` curl args get a 200.
  void start(std::string_view web_config, std::vector<std::string> probe) {
    write_file(config_path(), web_config);
    promcast_.emplace("", std::vector<std::string>{"--web.config.file=" + config_path()});
    const bool up = wait_until(
        [&] {
          return curl(pki_, https("/-/healthy"), probe).status == 200 || !promcast_->process().running();
        },
        15000ms, 100ms);
    ASSERT_TRUE(up && promcast_->process().running()) << promcast_->process().logs();
  }

  [[nodiscard]] std::string https(std::string_view path) const {
    return "https://127.0.0.1:" + std::to_string(promcast_->web_port()) + std::string(path);
  }
  [[nodiscard]] std::string config_path() const { return pki_.file("web.yml"); }
  [[nodiscard]] std::string pem(std::string_view name) const { return pki_.file(name); }

  TempDir pki_;
  std::optional<PromcastExporter> promcast_;
};

TEST_F(WebConfigTest, BasicAuthOverTlsOnEveryRoute) {
  const std::string config =
      "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
      "  min_version: TLS13\n"
      "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
      "basic_auth_users:\n  alice: " +
      std::string(kSecretHash) + "\n";
  const std::vector<std::string> alice = {"--cacert", pem("ca.pem"), "-u", "alice:secret"};
  start(config, alice);

  for (std::string_view path : {"/metrics", "/-/healthy", "/-/ready", "/", "/no-such-page"}) {
    SCOPED_TRACE(path);
    const auto ok = curl(pki_, https(path), alice);
    EXPECT_EQ(ok.status, path == "/no-such-page" ? 404 : 200) << ok.body;
    EXPECT_NE(ok.headers.find("X-Frame-Options: deny"), std::string::npos) << ok.headers;

    const auto wrong = curl(pki_, https(path), {"--cacert", pem("ca.pem"), "-u", "alice:wrong"});
    EXPECT_EQ(wrong.status, 401);
    EXPECT_NE(wrong.headers.find("WWW-Authenticate: Basic"), std::string::npos) << wrong.headers;
    EXPECT_NE(wrong.headers.find("X-Frame-Options: deny"), std::string::npos) << wrong.headers;
    EXPECT_EQ(wrong.body.find("statsd_exporter"), std::string::npos);

    EXPECT_EQ(curl(pki_, https(path), {"--cacert", pem("ca.pem")}).status, 401);
    EXPECT_EQ(curl(pki_, https(path), {"--cacert", pem("ca.pem"), "-u", "mallory:secret"}).status, 401);
  }
  const auto metrics = curl(pki_, https("/metrics"), alice);
  EXPECT_NE(metrics.body.find("statsd_exporter_build_info"), std::string::npos)
      << metrics.body.substr(0, 500);
  // The lifecycle API is behind the same auth (and still needs --web.enable-lifecycle).
  EXPECT_EQ(curl(pki_, https("/-/reload"), {"--cacert", pem("ca.pem"), "-X", "POST"}).status, 401);
  EXPECT_EQ(
      curl(pki_, https("/-/reload"), {"--cacert", pem("ca.pem"), "-u", "alice:secret", "-X", "POST"}).status,
      403);

  // Plain HTTP on the TLS port is answered with 400 and nothing else.
  const std::string plain = "http://127.0.0.1:" + std::to_string(promcast_->web_port()) + "/metrics";
  const auto refused = curl(pki_, plain, {"-u", "alice:secret"});
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("Client sent an HTTP request to an HTTPS server"), std::string::npos)
      << refused.body;
  EXPECT_EQ(refused.body.find("statsd_exporter"), std::string::npos);

  // min_version TLS13: a client capped at TLS 1.2 gets no connection (curl exit 35, SSL connect error).
  const auto old_tls =
      curl(pki_, https("/metrics"), {"--cacert", pem("ca.pem"), "-u", "alice:secret", "--tls-max", "1.2"});
  EXPECT_NE(old_tls.exit_code, 0);
  EXPECT_EQ(old_tls.status, 0);
  // Without the CA the server's certificate is not trusted: it really is the one we made.
  EXPECT_NE(curl(pki_, https("/metrics"), {"-u", "alice:secret"}).exit_code, 0);
}

TEST_F(WebConfigTest, ClientCertificateRequiredWhenConfigured) {
  const std::string config =
      "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
      "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n";
  const std::vector<std::string> with_cert = {"--cacert",        pem("ca.pem"), "--cert",
                                              pem("client.pem"), "--key",       pem("client.key")};
  start(config, with_cert);
  const auto ok = curl(pki_, https("/metrics"), with_cert);
  EXPECT_EQ(ok.status, 200);
  const auto no_cert = curl(pki_, https("/metrics"), {"--cacert", pem("ca.pem")});
  EXPECT_NE(no_cert.exit_code, 0);
  EXPECT_NE(no_cert.status, 200);
  const auto rogue = curl(pki_, https("/metrics"),
                          {"--cacert", pem("ca.pem"), "--cert", pem("rogue.pem"), "--key", pem("rogue.key")});
  EXPECT_NE(rogue.exit_code, 0);
  EXPECT_NE(rogue.status, 200);
  // TLS 1.2 takes a different path through OpenSSL's client-certificate checks: the same answers.
  auto tls12 = with_cert;
  tls12.insert(tls12.end(), {"--tls-max", "1.2"});
  EXPECT_EQ(curl(pki_, https("/metrics"), tls12).status, 200);
  EXPECT_NE(curl(pki_, https("/metrics"), {"--cacert", pem("ca.pem"), "--tls-max", "1.2"}).status, 200);
}

std::vector<std::string> client_args(const TempDir& pki, std::string_view name) {
  return {"--cacert", pki.file("ca.pem"),
          "--cert",   pki.file(std::string(name) + ".pem"),
          "--key",    pki.file(std::string(name) + ".key")};
}

TEST_F(WebConfigTest, ClientAllowedSans) {
  start(
      "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
      "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n"
      "  client_allowed_sans: [scraper.test, 10.9.9.9]\n",
      client_args(pki_, "client"));
  EXPECT_EQ(curl(pki_, https("/metrics"), client_args(pki_, "client")).status, 200);
  EXPECT_NE(curl(pki_, https("/metrics"), client_args(pki_, "other")).status,
            200);  // CA-signed, SAN not listed
  EXPECT_NE(curl(pki_, https("/metrics"), client_args(pki_, "rogue")).status,
            200);  // SAN listed, not CA-signed

  // RequireAnyClientCert does not verify the chain: the self-signed certificate passes on its SAN alone,
  // and an IP SAN matches in its textual form.
  write_file(config_path(),
             "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
             "  client_auth_type: RequireAnyClientCert\n  client_allowed_sans: [scraper.test, 10.1.2.3]\n");
  EXPECT_TRUE(wait_until(
      [&] { return curl(pki_, https("/metrics"), client_args(pki_, "rogue")).status == 200; }, 5000ms));
  EXPECT_EQ(curl(pki_, https("/metrics"), client_args(pki_, "other")).status, 200);
  EXPECT_NE(curl(pki_, https("/metrics"), {"--cacert", pem("ca.pem")}).status, 200);
}

TEST_F(WebConfigTest, CipherSuitesAndCurvesRestrictTls12) {
  // Go names in the file; curl (OpenSSL) names on the command line. The server key is P-256 ECDSA.
  start("tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  max_version: TLS12\n"
        "  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n  curve_preferences: [CurveP384]\n",
        {"--cacert", pem("ca.pem")});
  const auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"--cacert", pem("ca.pem")};
    args.insert(args.end(), extra.begin(), extra.end());
    return curl(pki_, https("/metrics"), args);
  };
  EXPECT_EQ(with({"--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256"}).status, 200);
  EXPECT_NE(with({"--ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384"}).status, 200);
  EXPECT_NE(with({"--ciphers", "ECDHE-ECDSA-CHACHA20-POLY1305"}).status, 200);
  // In TLS 1.2 the client's curve list also covers the server's ECDSA key (P-256), so both lists name it.
  EXPECT_EQ(with({"--curves", "P-384:P-256"}).status, 200);
  EXPECT_NE(with({"--curves", "X25519:P-256"}).status, 200);
  // max_version TLS12: a client that insists on TLS 1.3 gets nothing.
  EXPECT_NE(with({"--tlsv1.3"}).status, 200);
}

TEST_F(WebConfigTest, FileIsReReadWhenItChanges) {
  const std::string head =
      "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\nbasic_auth_users:\n";
  const std::vector<std::string> alice = {"--cacert", pem("ca.pem"), "-u", "alice:secret"};
  const std::vector<std::string> bob = {"--cacert", pem("ca.pem"), "-u", "bob:secret"};
  start(head + "  alice: " + std::string(kSecretHash) + "\n", alice);
  EXPECT_EQ(curl(pki_, https("/metrics"), bob).status, 401);
  write_file(config_path(), head + "  bob: " + std::string(kOtherHash) + "\n");
  EXPECT_TRUE(wait_until([&] { return curl(pki_, https("/metrics"), bob).status == 200; }, 5000ms));
  EXPECT_EQ(curl(pki_, https("/metrics"), alice).status, 401);
  // A broken edit fails closed (no fallback to the old users), and a fixed one serves again.
  write_file(config_path(), head + "  bob: plaintext\n");
  EXPECT_TRUE(wait_until([&] { return curl(pki_, https("/metrics"), bob).status != 200; }, 5000ms));
  EXPECT_NE(promcast_->process().stderr_text().find("web.yml:5:"), std::string::npos)
      << promcast_->process().stderr_text();
  write_file(config_path(), head + "  bob: " + std::string(kOtherHash) + "\n");
  EXPECT_TRUE(wait_until([&] { return curl(pki_, https("/metrics"), bob).status == 200; }, 5000ms));
}

/// A loopback TCP connection that the test controls byte by byte.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  [[nodiscard]] bool connected() const { return connected_; }
  void send(std::string_view data) const { (void)::send(fd_, data.data(), data.size(), MSG_NOSIGNAL); }
  /// Blocks until the server closes the connection (true) or `timeout` passes (false).
  bool closed_within(std::chrono::seconds timeout) const {
    timeval tv{static_cast<time_t>(timeout.count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buffer[256];
    while (true) {
      const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  int fd_;
  bool connected_ = false;
};

TEST_F(WebConfigTest, StalledHandshakesTimeOutWithoutBlockingOthers) {
  const std::vector<std::string> probe = {"--cacert", pem("ca.pem")};
  start("tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n", probe);
  const auto before = std::chrono::steady_clock::now();
  RawConnection silent(promcast_->web_port());
  RawConnection partial(promcast_->web_port());
  ASSERT_TRUE(silent.connected() && partial.connected());
  partial.send(std::string("\x16\x03\x01\x02\x00\x01", 6));  // the start of a ClientHello, then nothing
  // Meanwhile the server answers other clients at once.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(curl(pki_, https("/metrics"), probe).status, 200);
  EXPECT_TRUE(silent.closed_within(std::chrono::seconds(20)));
  EXPECT_TRUE(partial.closed_within(std::chrono::seconds(5)));
  const auto waited = std::chrono::steady_clock::now() - before;
  // The handshake timeout is 10 s: not much less (it is a timeout, not an instant refusal), not much more.
  EXPECT_GE(waited, std::chrono::seconds(9));
  EXPECT_LE(waited, std::chrono::seconds(16));
  EXPECT_EQ(curl(pki_, https("/metrics"), probe).status, 200);
}

TEST_F(WebConfigTest, InvalidFileFailsTheStartAndTheCheck) {
  write_file(config_path(), "tls_server_config:\n  cert_file: server.pem\n  key_file: missing.key\n");
  const auto run = run_command({promcast_binary(), "--statsd.listen-udp=127.0.0.1:0", "--statsd.listen-tcp=",
                                "--web.listen-address=127.0.0.1:0", "--web.config.file=" + config_path()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find(config_path() + ":3: cannot read key_file"), std::string::npos) << run.err;

  const auto check = run_command({promcast_binary(), "check", "web-config", config_path()});
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_NE(check.err.find(config_path() + ":3: cannot read key_file"), std::string::npos) << check.err;

  write_file(config_path(),
             "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
             "basic_auth_users:\n  alice: " +
                 std::string(kSecretHash) + "\n");
  const auto good = run_command({promcast_binary(), "check", "web-config", config_path()});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("SUCCESS: TLS enabled, 1 basic auth users"), std::string::npos) << good.out;
}

}  // namespace
}  // namespace promcast::testing
