#include "exporter/listeners_address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace promcast::exporter {
namespace {
Error address_error(std::string message) { return Error{std::move(message), {}, 0, 0}; }
}  // namespace

std::expected<HostPort, Error> split_host_port(std::string_view address) {
  const std::string quoted(address);
  std::string_view host;
  std::string_view port;
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find(']');
    if (close == std::string_view::npos) {
      return std::unexpected(address_error(fmt::format("address {}: missing ']' in address", quoted)));
    }
    host = address.substr(1, close - 1);
    const std::string_view rest = address.substr(close + 1);
    if (rest.empty() || rest.front() != ':') {
      return std::unexpected(address_error(fmt::format("address {}: missing port in address", quoted)));
    }
    port = rest.substr(1);
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      return std::unexpected(address_error(fmt::format("address {}: missing port in address", quoted)));
    }
    host = address.substr(0, colon);
    if (host.find(':') != std::string_view::npos) {
      return std::unexpected(address_error(fmt::format("address {}: too many colons in address", quoted)));
    }
    port = address.substr(colon + 1);
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value > 65535) {
    return std::unexpected(address_error(fmt::format("address {}: invalid port \"{}\"", quoted, port)));
  }
  return HostPort{std::string(host), static_cast<uint16_t>(value)};
}

std::expected<std::vector<SocketAddress>, Error> resolve_address(const HostPort& address, int socktype,
                                                                 bool passive) {
  std::vector<SocketAddress> out;
  if (address.host.empty() && passive) {
    SocketAddress v6;
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&v6.storage);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = in6addr_any;
    sin6->sin6_port = htons(address.port);
    v6.length = sizeof(sockaddr_in6);
    out.push_back(v6);
    SocketAddress v4;
    auto* sin = reinterpret_cast<sockaddr_in*>(&v4.storage);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_ANY);
    sin->sin_port = htons(address.port);
    v4.length = sizeof(sockaddr_in);
    out.push_back(v4);  // fallback when IPv6 is disabled
    return out;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* result = nullptr;
  const std::string port = std::to_string(address.port);
  const char* host = address.host.empty() ? "localhost" : address.host.c_str();
  if (int rc = getaddrinfo(host, port.c_str(), &hints, &result); rc != 0) {
    return std::unexpected(address_error(fmt::format("lookup {}: {}", address.host, gai_strerror(rc))));
  }
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    SocketAddress a;
    std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
    a.length = ai->ai_addrlen;
    out.push_back(a);
  }
  freeaddrinfo(result);
  // Go's resolver (net.ResolveUDPAddr / ResolveTCPAddr) picks an IPv4 address first when a name has both.
  std::stable_partition(out.begin(), out.end(), [](const SocketAddress& a) { return a.family() == AF_INET; });
  if (out.empty()) return std::unexpected(address_error(fmt::format("lookup {}: no addresses", address.host)));
  return out;
}

std::string to_string(const SocketAddress& address) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (address.family() == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&address.storage);
    inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
    return fmt::format("[{}]:{}", buf, ntohs(sin6->sin6_port));
  }
  const auto* sin = reinterpret_cast<const sockaddr_in*>(&address.storage);
  inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
  return fmt::format("{}:{}", buf, ntohs(sin->sin_port));
}

std::expected<int, Error> open_bound_socket(const HostPort& address, int socktype, bool reuse_port) {
  auto candidates = resolve_address(address, socktype, true);
  if (!candidates) return std::unexpected(candidates.error());
  std::string last_error = "no address";
  for (const auto& candidate : *candidates) {
    const int fd = ::socket(candidate.family(), socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    const int one = 1;
    const int zero = 0;
    if (candidate.family() == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (socktype == SOCK_STREAM) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuse_port) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (::bind(fd, candidate.get(), candidate.length) == 0) return fd;
    last_error = fmt::format("bind {}: {}", to_string(candidate), std::strerror(errno));
    ::close(fd);
  }
  return std::unexpected(address_error(fmt::format("listen {}:{}: {}", address.host, address.port, last_error)));
}

uint16_t bound_port(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return 0;
  if (storage.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

}  // namespace promcast::exporter
