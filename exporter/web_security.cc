#include "exporter/web_security.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "exporter/web_tls.h"

namespace promcast::exporter {

namespace {

/// The snapshot of a parsed config: its TLS context built (the certificate files read).
std::expected<std::shared_ptr<const WebSnapshot>, std::vector<Error>> snapshot_of(WebConfig config,
                                                                                  const std::string& path) {
  auto snapshot = std::make_shared<WebSnapshot>();
  if (config.tls.enabled()) {
    auto context = make_tls_context(config.tls, path);
    if (!context) return std::unexpected(std::vector<Error>{context.error()});
    snapshot->tls = std::move(*context);
  }
  snapshot->config = std::move(config);
  return snapshot;
}

}  // namespace

std::expected<std::shared_ptr<const WebSnapshot>, std::vector<Error>> load_web_snapshot(
    const std::string& path) {
  auto config = load_web_config(path);
  if (!config) return std::unexpected(std::move(config.error()));
  return snapshot_of(std::move(*config), path);
}

std::expected<std::shared_ptr<WebSecurity>, std::vector<Error>> WebSecurity::load(std::string path) {
  std::shared_ptr<WebSecurity> security(new WebSecurity(std::move(path)));
  std::lock_guard lock(security->mutex_);
  security->reload_locked();
  if (!security->state_) return std::unexpected(security->state_.error());
  security->tls_ = (*security->state_)->tls != nullptr;
  if (!(*security->state_)->config.http2)
    spdlog::debug("web config: http2 is false; promcast serves HTTP/1.1 only in any case");
  spdlog::info("Web config {} loaded: TLS is {}, basic auth for {} users", security->path_,
               security->tls_ ? "enabled" : "disabled", (*security->state_)->config.users.size());
  return security;
}

std::vector<WebSecurity::Stamp> WebSecurity::stamps(const std::vector<std::string>& paths) {
  std::vector<Stamp> out;
  for (const auto& path : paths) {
    Stamp stamp{path};
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      stamp.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec;
      stamp.size = static_cast<long long>(st.st_size);
      stamp.inode = static_cast<unsigned long long>(st.st_ino);
    }
    out.push_back(std::move(stamp));
  }
  return out;
}

void WebSecurity::reload_locked() {
  // Stamped right after parsing and before the certificates are read: a change after that point shows up
  // as a new stamp at the next connection.
  std::vector<std::string> watched{path_};
  auto config = load_web_config(path_);
  if (config) {
    for (const Sourced* file : {&config->tls.cert_file, &config->tls.key_file, &config->tls.client_ca_file})
      if (!file->value.empty()) watched.push_back(file->value);
  }
  stamps_ = stamps(watched);
  if (config) {
    state_ = snapshot_of(std::move(*config), path_);
  } else {
    state_ = std::unexpected(std::move(config.error()));
  }
}

std::expected<std::shared_ptr<const WebSnapshot>, std::vector<Error>> WebSecurity::current() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> watched;
  for (const auto& stamp : stamps_) watched.push_back(stamp.path);
  if (stamps(watched) != stamps_) {
    reload_locked();
    if (!state_) {
      for (const auto& e : state_.error())
        spdlog::error("Web config (connections refused until fixed): {}", e.to_string());
    } else if (((*state_)->tls != nullptr) != tls_) {
      state_ = std::unexpected(std::vector<Error>{
          Error{tls_ ? "TLS was removed from the web config; restart promcast to serve plain HTTP"
                     : "TLS was added to the web config; restart promcast to serve HTTPS",
                path_, 0, 0}});
      spdlog::error("Web config: {}", state_.error().front().to_string());
    } else {
      spdlog::info("Web config {} re-read", path_);
    }
  }
  return state_;
}

bool WebSecurity::authorize(const WebSnapshot& snapshot, std::string_view authorization) {
  if (snapshot.config.users.empty()) return true;
  const auto credentials = parse_basic_authorization(authorization);
  if (!credentials) return false;
  return authenticator_.authorize(snapshot.config.users, *credentials);
}

}  // namespace promcast::exporter
