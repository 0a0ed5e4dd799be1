#pragma once
// The live `--web.config.file` behind every HTTP server of the process. Like exporter-toolkit, the file
// is looked at again for every new connection: the config file and the certificate, key and CA files it
// names are stat()ed, and when any changed (mtime, size, inode) everything is re-read and the TLS context
// rebuilt, so renewed certificates and edited users apply to the next connection without a restart.
// A file that became invalid fails closed (TLS connections are refused, plain HTTP answers 500) and is
// logged once per change; nothing falls back to the previous, possibly revoked, settings. Whether the
// servers speak TLS at all is decided at start: switching between HTTP and HTTPS needs a restart.
//
// Thread-safety: every method may be called from any thread (one mutex around the cached state).
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "exporter/basic_auth.h"
#include "exporter/web_config.h"

namespace boost::asio::ssl {
class context;
}

namespace promcast::exporter {

/// One consistent reading of the files: what a connection uses from accept to close.
struct WebSnapshot {
  WebConfig config;
  std::shared_ptr<boost::asio::ssl::context> tls;  // null for plain HTTP
};

/// The parsed file with its TLS context built (certificate files read): what `promcast check web-config`
/// and the server's start run.
[[nodiscard]] std::expected<std::shared_ptr<const WebSnapshot>, std::vector<Error>> load_web_snapshot(
    const std::string& path);

class WebSecurity {
 public:
  /// Loads `path`; errors (file:line) when it or a file it names is invalid.
  static std::expected<std::shared_ptr<WebSecurity>, std::vector<Error>> load(std::string path);

  /// Whether connections are TLS (fixed at load).
  [[nodiscard]] bool tls() const { return tls_; }

  /// The current settings, re-read if any of the files changed; the errors if they are now invalid.
  std::expected<std::shared_ptr<const WebSnapshot>, std::vector<Error>> current();

  /// Whether a request with this Authorization header value may pass under `snapshot` (always when it has
  /// no basic_auth_users).
  bool authorize(const WebSnapshot& snapshot, std::string_view authorization);

  [[nodiscard]] const BasicAuthenticator& authenticator() const { return authenticator_; }

 private:
  struct Stamp {
    std::string path;
    long long mtime_ns = 0;
    long long size = -1;
    unsigned long long inode = 0;
    bool operator==(const Stamp&) const = default;
  };
  explicit WebSecurity(std::string path) : path_(std::move(path)) {}
  [[nodiscard]] static std::vector<Stamp> stamps(const std::vector<std::string>& paths);
  void reload_locked();

  const std::string path_;
  bool tls_ = false;
  BasicAuthenticator authenticator_;
  std::mutex mutex_;
  std::vector<Stamp> stamps_;
  std::expected<std::shared_ptr<const WebSnapshot>, std::vector<Error>> state_ =
      std::unexpected(std::vector<Error>{});
};

}  // namespace promcast::exporter
