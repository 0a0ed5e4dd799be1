#pragma once
// HTTP basic auth against bcrypt hashes (the web config's basic_auth_users), verified with libxcrypt's
// crypt_rn. bcrypt is slow by design (cost 10 is about 70 ms), so verdicts are cached, as exporter-toolkit
// does, keyed by SHA-256 of (user, hash, password): a scraper sending the same credentials pays bcrypt once,
// and neither the password nor anything reversible is kept. Unknown users are checked against a fixed hash
// so that timing does not reveal which users exist.
//
// Thread-safety: BasicAuthenticator may be shared by every HTTP server thread (one mutex around the cache;
// bcrypt runs outside it).
#include <array>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace promcast::exporter {

struct BasicCredentials {
  std::string user;
  std::string password;
};

/// The credentials in an `Authorization: Basic <base64(user:password)>` header (scheme case-insensitive),
/// or nullopt when the header is absent or malformed.
[[nodiscard]] std::optional<BasicCredentials> parse_basic_authorization(std::string_view header);

/// Whether `password` matches the bcrypt `hash` ($2a$/$2b$/$2y$), compared in constant time. A password
/// with a NUL byte never matches (crypt takes C strings and would compare a prefix).
[[nodiscard]] bool bcrypt_matches(std::string_view password, const std::string& hash);

class BasicAuthenticator {
 public:
  using Users = std::map<std::string, std::string, std::less<>>;
  /// At most this many verdicts are kept; when full the cache starts over (bounded memory under
  /// password guessing; guessing still pays bcrypt for every new password).
  static constexpr std::size_t kMaxCached = 1024;

  /// Whether `credentials` name a user of `users` with the right password.
  bool authorize(const Users& users, const BasicCredentials& credentials);

  /// Number of bcrypt computations so far (tests check the cache with it).
  [[nodiscard]] std::size_t bcrypt_runs() const;

 private:
  struct KeyHash {
    std::size_t operator()(const std::array<unsigned char, 32>& key) const noexcept;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::array<unsigned char, 32>, bool, KeyHash> cache_;
  std::size_t bcrypt_runs_ = 0;
};

}  // namespace promcast::exporter
