#include "exporter/web_tls.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace promcast::exporter {
namespace {

namespace ssl = boost::asio::ssl;

std::string openssl_error() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

Error error_at(const std::string& file, const Sourced& field, std::string message) {
  return Error{std::move(message), file, field.line, 0};
}

/// The PEM text of an inline field or of the file it names.
std::expected<std::string, Error> pem_of(const Sourced& path, const Sourced& inline_pem,
                                         std::string_view what, const std::string& file) {
  if (path.value.empty()) return inline_pem.value;
  std::ifstream in(path.value, std::ios::binary);
  if (!in)
    return std::unexpected(
        error_at(file, path, fmt::format("cannot read {} {}: {}", what, path.value, std::strerror(errno))));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad())
    return std::unexpected(error_at(file, path, fmt::format("cannot read {} {}", what, path.value)));
  return content.str();
}

int protocol_version(TlsVersion v) {
  switch (v) {
    case TlsVersion::Tls10:
      return TLS1_VERSION;
    case TlsVersion::Tls11:
      return TLS1_1_VERSION;
    case TlsVersion::Tls12:
      return TLS1_2_VERSION;
    case TlsVersion::Tls13:
      return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

/// Go names its cipher suites by their IANA names, which OpenSSL calls "standard names".
std::map<std::string, std::string, std::less<>> openssl_cipher_names() {
  std::map<std::string, std::string, std::less<>> out;
  SSL_CTX* all = SSL_CTX_new(TLS_server_method());
  if (all == nullptr) return out;
  SSL_CTX_set_cipher_list(all, "ALL:COMPLEMENTOFALL");
  STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(all);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
    // TLS 1.3 suites are not cipher-list entries (and Go ignores them in cipher_suites).
    if (std::string_view(SSL_CIPHER_get_version(c)) == "TLSv1.3") continue;
    if (const char* standard = SSL_CIPHER_standard_name(c)) out.emplace(standard, SSL_CIPHER_get_name(c));
  }
  SSL_CTX_free(all);
  ERR_clear_error();
  return out;
}

std::vector<std::string> subject_alt_names(X509* cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    const ASN1_STRING* text = nullptr;
    if (name->type == GEN_DNS)
      text = name->d.dNSName;
    else if (name->type == GEN_EMAIL)
      text = name->d.rfc822Name;
    else if (name->type == GEN_URI)
      text = name->d.uniformResourceIdentifier;
    if (text != nullptr) {
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                       static_cast<std::size_t>(ASN1_STRING_length(text)));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      char buffer[INET6_ADDRSTRLEN] = {};
      const int family = ASN1_STRING_length(ip) == 4 ? AF_INET : ASN1_STRING_length(ip) == 16 ? AF_INET6 : 0;
      if (family != 0 && ::inet_ntop(family, ASN1_STRING_get0_data(ip), buffer, sizeof buffer) != nullptr)
        out.emplace_back(buffer);
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

}  // namespace

std::expected<std::shared_ptr<ssl::context>, Error> make_tls_context(const TlsServerConfig& tls,
                                                                     const std::string& config_file) {
  const Sourced section{"", tls.line};
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  ERR_clear_error();
  long options = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION;
  if (tls.prefer_server_cipher_suites) options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
  SSL_CTX_set_options(ctx, options);
  if (SSL_CTX_set_min_proto_version(ctx, protocol_version(tls.min_version)) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, protocol_version(tls.max_version)) != 1)
    return std::unexpected(error_at(config_file, section, "cannot set TLS versions: " + openssl_error()));

  auto cert_pem = pem_of(tls.cert_file, tls.cert, "cert_file", config_file);
  if (!cert_pem) return std::unexpected(cert_pem.error());
  auto key_pem = pem_of(tls.key_file, tls.key, "key_file", config_file);
  if (!key_pem) return std::unexpected(key_pem.error());
  const Sourced& cert_at = tls.cert_file.value.empty() ? tls.cert : tls.cert_file;
  const Sourced& key_at = tls.key_file.value.empty() ? tls.key : tls.key_file;
  boost::system::error_code ec;
  context->use_certificate_chain(boost::asio::buffer(*cert_pem), ec);
  if (ec) {
    return std::unexpected(
        error_at(config_file, cert_at,
                 fmt::format("failed to load certificate {}: {}", tls.cert_file.value, ec.message())));
  }
  context->use_private_key(boost::asio::buffer(*key_pem), ssl::context::pem, ec);
  if (ec) {
    return std::unexpected(error_at(
        config_file, key_at, fmt::format("failed to load key {}: {}", tls.key_file.value, ec.message())));
  }
  if (SSL_CTX_check_private_key(ctx) != 1)
    return std::unexpected(
        error_at(config_file, key_at, "the key does not match the certificate: " + openssl_error()));

  if (!tls.client_ca_file.value.empty() || !tls.client_ca.value.empty()) {
    const Sourced& ca_at = tls.client_ca_file.value.empty() ? tls.client_ca : tls.client_ca_file;
    auto ca_pem = pem_of(tls.client_ca_file, tls.client_ca, "client_ca_file", config_file);
    if (!ca_pem) return std::unexpected(ca_pem.error());
    BIO* bio = BIO_new_mem_buf(ca_pem->data(), static_cast<int>(ca_pem->size()));
    int count = 0;
    while (X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca);
      SSL_CTX_add_client_CA(ctx, ca);
      X509_free(ca);
      ++count;
    }
    BIO_free(bio);
    ERR_clear_error();  // the loop ends on "no start line"
    if (count == 0)
      return std::unexpected(error_at(
          config_file, ca_at, fmt::format("no PEM certificates in client CA {}", tls.client_ca_file.value)));
  }

  if (!tls.cipher_suites.empty()) {
    const auto names = openssl_cipher_names();
    std::vector<std::string> list;
    for (const auto& go_name : tls.cipher_suites) {
      if (const auto it = names.find(go_name); it != names.end()) list.push_back(it->second);
      // Not found: a TLS 1.3 suite (Go ignores them in cipher_suites too) or one this OpenSSL lacks.
    }
    if (!list.empty() && SSL_CTX_set_cipher_list(ctx, fmt::format("{}", fmt::join(list, ":")).c_str()) != 1)
      return std::unexpected(error_at(config_file, section, "cannot set cipher_suites: " + openssl_error()));
  }
  if (!tls.curve_preferences.empty()) {
    std::vector<std::string> groups;
    for (const auto& curve : tls.curve_preferences) {
      if (curve == "CurveP256")
        groups.emplace_back("P-256");
      else if (curve == "CurveP384")
        groups.emplace_back("P-384");
      else if (curve == "CurveP521")
        groups.emplace_back("P-521");
      else
        groups.push_back(curve);  // X25519
    }
    if (SSL_CTX_set1_groups_list(ctx, fmt::format("{}", fmt::join(groups, ":")).c_str()) != 1)
      return std::unexpected(
          error_at(config_file, section, "cannot set curve_preferences: " + openssl_error()));
  }

  int mode = SSL_VERIFY_NONE;
  switch (tls.client_auth) {
    case ClientAuth::NoClientCert:
      break;
    case ClientAuth::RequestClientCert:
    case ClientAuth::VerifyClientCertIfGiven:
      mode = SSL_VERIFY_PEER;
      break;
    case ClientAuth::RequireAnyClientCert:
    case ClientAuth::RequireAndVerifyClientCert:
      mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      break;
  }
  context->set_verify_mode(mode);
  const bool verify = tls.client_auth == ClientAuth::VerifyClientCertIfGiven ||
                      tls.client_auth == ClientAuth::RequireAndVerifyClientCert;
  if (!verify || !tls.client_allowed_sans.empty()) {
    // Without verification the chain's verdict is ignored; allowed SANs are checked on the client's own
    // certificate (depth 0) after the chain passed.
    context->set_verify_callback(
        [verify, sans = tls.client_allowed_sans](bool preverified, ssl::verify_context& vc) {
          X509_STORE_CTX* store = vc.native_handle();
          if (verify && !preverified) return false;
          if (sans.empty() || X509_STORE_CTX_get_error_depth(store) != 0) return true;
          for (const auto& name : subject_alt_names(X509_STORE_CTX_get_current_cert(store)))
            if (std::find(sans.begin(), sans.end(), name) != sans.end()) return true;
          return false;
        });
  }
  return context;
}

}  // namespace promcast::exporter
