// https:// through OpenSSL against a TLS server in this process, with a throwaway CA, server and
// client certificates made by the openssl CLI at run time (nothing secret is checked in).
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/http_client.h"
#include "tests/integration/support.h"

namespace promcast {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using testing::TempDir;

// A CA, a second unrelated CA, a server certificate for prom.test, localhost and 127.0.0.1 and a
// client certificate, all signed by the first CA. Made once for the whole suite (a few openssl runs).
class Pki {
 public:
  Pki() {
    openssl_ = testing::find_executable("openssl");
    if (openssl_.empty()) return;
    ok_ =
        make_ca("ca") && make_ca("other-ca") &&
        make_leaf("server", "prom.test",
                  "subjectAltName=DNS:prom.test,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n") &&
        make_leaf("client", "promcast-client", "extendedKeyUsage=clientAuth\n");
  }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string& log() const { return log_; }
  [[nodiscard]] std::string file(std::string_view name) const { return dir_.file(name); }

 private:
  bool run(std::vector<std::string> args) {
    args.insert(args.begin(), openssl_);
    const auto result = testing::run_command(args, std::chrono::seconds(30));
    log_ += result.err;
    return result.exit_code == 0;
  }
  bool make_ca(const std::string& name) {
    return run({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-days", "2", "-subj", "/CN=promcast test " + name, "-keyout", file(name + ".key"), "-out",
                file(name + ".crt")});
  }
  bool make_leaf(const std::string& name, const std::string& cn, const std::string& extensions) {
    testing::write_file(file(name + ".ext"), extensions);
    return run({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj",
                "/CN=" + cn, "-keyout", file(name + ".key"), "-out", file(name + ".csr")}) &&
           run({"x509", "-req", "-in", file(name + ".csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key"),
                "-CAcreateserial", "-days", "2", "-extfile", file(name + ".ext"), "-out",
                file(name + ".crt")});
  }

  TempDir dir_;
  std::string openssl_;
  std::string log_;
  bool ok_ = false;
};

// Serves TLS connections one at a time on 127.0.0.1 until destroyed. Each answer says which SNI
// name and which client certificate (subject CN) the server saw; "/big" answers with 2 MB.
class TlsServer {
 public:
  TlsServer(const Pki& pki, bool require_client_cert) : context_(ssl::context::tls_server) {
    context_.use_certificate_chain_file(pki.file("server.crt"));
    context_.use_private_key_file(pki.file("server.key"), ssl::context::pem);
    if (require_client_cert) {
      context_.load_verify_file(pki.file("ca.crt"));
      context_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~TlsServer() {
    stop_ = true;
    boost::system::error_code ec;
    tcp::socket wake(ioc_);
    wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    thread_.join();
  }
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  [[nodiscard]] std::string url(std::string_view host = "127.0.0.1", std::string_view path = "/") const {
    return "https://" + std::string(host) + ":" + std::to_string(port_) + std::string(path);
  }
  /// Handshakes the server refused (e.g. no client certificate).
  [[nodiscard]] int failed_handshakes() const { return failed_handshakes_; }

 private:
  void serve() {
    while (true) {
      boost::system::error_code ec;
      ssl::stream<tcp::socket> stream(ioc_, context_);
      acceptor_.accept(stream.next_layer(), ec);
      if (stop_) return;
      if (ec) continue;
      stream.handshake(ssl::stream_base::server, ec);
      if (ec) {
        ++failed_handshakes_;
        continue;
      }
      asio::streambuf request;
      asio::read_until(stream, request, "\r\n\r\n", ec);
      if (ec) continue;
      const std::string head(asio::buffers_begin(request.data()), asio::buffers_end(request.data()));
      const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
      std::string body = "sni=" + std::string(sni != nullptr ? sni : "none") + " client=" + client_cn(stream);
      if (head.starts_with("GET /big ")) body = std::string(2u << 20, 'b');
      const std::string response =
          "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      asio::write(stream, asio::buffer(response), ec);
      stream.shutdown(ec);
    }
  }
  static std::string client_cn(ssl::stream<tcp::socket>& stream) {
    X509* cert = SSL_get1_peer_certificate(stream.native_handle());
    if (cert == nullptr) return "none";
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    X509_free(cert);
    return cn;
  }

  asio::io_context ioc_;
  ssl::context context_;
  tcp::acceptor acceptor_{ioc_};
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> failed_handshakes_{0};
  std::thread thread_;
};

class HttpsClient : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = std::make_unique<Pki>(); }
  static void TearDownTestSuite() { pki_.reset(); }
  void SetUp() override {
    if (testing::find_executable("openssl").empty()) GTEST_SKIP() << "the openssl CLI is not installed";
    ASSERT_TRUE(pki_->ok()) << pki_->log();
  }
  static HttpOptions with_ca(std::string_view ca = "ca.crt") {
    HttpOptions options;
    options.timeout = std::chrono::seconds(5);
    options.tls.ca_file = pki_->file(ca);
    return options;
  }
  static std::unique_ptr<Pki> pki_;
};
std::unique_ptr<Pki> HttpsClient::pki_;

TEST_F(HttpsClient, TrustedCaVerifiesAnIpHost) {
  TlsServer server(*pki_, false);
  const auto response = http_get(server.url(), with_ca());
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "sni=none client=none");  // no SNI for an IP literal
}

TEST_F(HttpsClient, HostNameIsSentAsSniAndVerified) {
  TlsServer server(*pki_, false);
  const auto response = http_get(server.url("localhost"), with_ca());
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->body, "sni=localhost client=none");
}

TEST_F(HttpsClient, ServerNameOverridesSniAndVerification) {
  TlsServer server(*pki_, false);
  auto options = with_ca();
  options.tls.server_name = "prom.test";
  const auto response = http_get(server.url(), options);
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->body, "sni=prom.test client=none");
}

TEST_F(HttpsClient, WrongCaFails) {
  TlsServer server(*pki_, false);
  const auto response = http_get(server.url(), with_ca("other-ca.crt"));
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message.find("TLS handshake"), std::string::npos) << response.error().message;
  EXPECT_NE(response.error().message.find("certificate"), std::string::npos) << response.error().message;
}

TEST_F(HttpsClient, SystemStoreDoesNotTrustTheTestCa) {
  TlsServer server(*pki_, false);
  HttpOptions options;
  options.timeout = std::chrono::seconds(5);
  const auto response = http_get(server.url(), options);
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message.find("TLS handshake"), std::string::npos) << response.error().message;
}

TEST_F(HttpsClient, WrongServerNameFails) {
  TlsServer server(*pki_, false);
  auto options = with_ca();
  options.tls.server_name = "other.test";
  const auto response = http_get(server.url(), options);
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message.find("hostname mismatch"), std::string::npos)
      << response.error().message;
}

TEST_F(HttpsClient, InsecureSkipVerifyAcceptsAnyCertificate) {
  TlsServer server(*pki_, false);
  HttpOptions options;
  options.timeout = std::chrono::seconds(5);
  options.tls.server_name = "other.test";  // neither the CA nor the name would verify
  options.tls.insecure_skip_verify = true;
  const auto response = http_get(server.url(), options);
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->body, "sni=other.test client=none");
}

TEST_F(HttpsClient, ClientCertificateIsPresentedWhenRequired) {
  TlsServer server(*pki_, true);
  auto options = with_ca();
  options.tls.cert_file = pki_->file("client.crt");
  options.tls.key_file = pki_->file("client.key");
  const auto response = http_get(server.url(), options);
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->body, "sni=none client=promcast-client");
  EXPECT_EQ(server.failed_handshakes(), 0);
}

TEST_F(HttpsClient, MissingClientCertificateIsRefused) {
  TlsServer server(*pki_, true);
  const auto response = http_get(server.url(), with_ca());
  ASSERT_FALSE(response.has_value());
  // TLS 1.3 finishes the client's side of the handshake first, so the refusal can surface at read.
  EXPECT_TRUE(testing::wait_until([&] { return server.failed_handshakes() == 1; }, std::chrono::seconds(5)));
}

TEST_F(HttpsClient, LargeBodyOfKnownLength) {
  TlsServer server(*pki_, false);
  const auto response = http_get(server.url("127.0.0.1", "/big"), with_ca());
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->body, std::string(2u << 20, 'b'));
}

TEST_F(HttpsClient, BadTlsFilesAreErrorsNamingTheFile) {
  TlsServer server(*pki_, false);
  auto options = with_ca("missing.crt");
  auto response = http_get(server.url(), options);
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message.find("missing.crt"), std::string::npos) << response.error().message;

  options = with_ca();
  options.tls.cert_file = pki_->file("client.crt");
  response = http_get(server.url(), options);
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message.find("together"), std::string::npos) << response.error().message;

  options.tls.key_file = pki_->file("server.key");  // a key that does not match the certificate
  response = http_get(server.url(), options);
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message.find("server.key"), std::string::npos) << response.error().message;
}

TEST_F(HttpsClient, PlainHttpServerIsAHandshakeError) {
  // A TLS client talking to a non-TLS port must fail, not hang.
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::thread server([&] {
    tcp::socket socket(ioc);
    acceptor.accept(socket);
    char hello[512];
    boost::system::error_code ec;
    socket.read_some(asio::buffer(hello), ec);  // the start of the ClientHello
    const std::string answer = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    asio::write(socket, asio::buffer(answer), ec);
  });
  HttpOptions options;
  options.timeout = std::chrono::seconds(2);
  const auto response =
      http_get("https://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/", options);
  server.join();
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message.find("TLS handshake"), std::string::npos) << response.error().message;
}

}  // namespace
}  // namespace promcast
