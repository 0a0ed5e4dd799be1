#include "exporter/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <memory>

namespace promcast::exporter {
namespace {

// bcrypt (cost 10) of a password nobody is given, checked for unknown users so that their requests
// take as long as a known user's (generated once with Python's crypt module).
constexpr const char* kUnknownUserHash = "$2b$10$sq6Kx4YXs0wBWQSFfBvrMe9PZqLwZ/Mdljjap8s4PPoE75NP.eO9W";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/// RFC 4648 base64 with optional padding (Go's base64.StdEncoding needs padding; curl always sends it).
std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : text) {
    const int v = base64_value(c);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  if (count >= 6) return std::nullopt;  // a lone trailing character cannot encode a byte
  return out;
}

}  // namespace

std::optional<BasicCredentials> parse_basic_authorization(std::string_view header) {
  constexpr std::string_view kScheme = "basic ";
  if (header.size() < kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), header.begin(),
                  [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); }))
    return std::nullopt;
  auto decoded = base64_decode(header.substr(kScheme.size()));
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

bool bcrypt_matches(std::string_view password, const std::string& hash) {
  if (password.find('\0') != std::string_view::npos) return false;
  const std::string phrase(password);
  auto data = std::make_unique<crypt_data>();  // ~32 KiB of scratch: heap, not the server thread's stack
  const char* out = crypt_rn(phrase.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  // crypt_rn returns NULL (or a "*"-prefixed failure token) for a setting it cannot use.
  if (out == nullptr || out[0] == '*') return false;
  const std::size_t length = std::strlen(out);
  return length == hash.size() && CRYPTO_memcmp(out, hash.data(), length) == 0;
}

std::size_t BasicAuthenticator::KeyHash::operator()(const std::array<unsigned char, 32>& key) const noexcept {
  std::size_t h = 0;
  std::memcpy(&h, key.data(), sizeof h);  // already a cryptographic digest
  return h;
}

bool BasicAuthenticator::authorize(const Users& users, const BasicCredentials& credentials) {
  const auto it = users.find(credentials.user);
  const bool known = it != users.end();
  const std::string hash = known ? it->second : kUnknownUserHash;
  std::array<unsigned char, 32> key{};
  {
    // Length-prefixed fields, so that ("ab", "c") and ("a", "bc") differ.
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr);
    for (std::string_view part : {std::string_view(credentials.user), std::string_view(hash),
                                  std::string_view(credentials.password)}) {
      const uint64_t size = part.size();
      EVP_DigestUpdate(sha.get(), &size, sizeof size);
      EVP_DigestUpdate(sha.get(), part.data(), part.size());
    }
    EVP_DigestFinal_ex(sha.get(), key.data(), nullptr);
  }
  {
    std::lock_guard lock(mutex_);
    if (const auto cached = cache_.find(key); cached != cache_.end()) return cached->second && known;
  }
  const bool ok = bcrypt_matches(credentials.password, hash) && known;
  std::lock_guard lock(mutex_);
  ++bcrypt_runs_;
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_.emplace(key, ok);
  return ok;
}

std::size_t BasicAuthenticator::bcrypt_runs() const {
  std::lock_guard lock(mutex_);
  return bcrypt_runs_;
}

}  // namespace promcast::exporter
