#pragma once
// Listen/target addresses as statsd_exporter accepts them (Go's net.SplitHostPort): ":9125" (all
// interfaces), "host:9125", "[::1]:9125". Shared by the UDP/TCP listeners, the relay and the HTTP server.
#include <sys/socket.h>

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace promcast::exporter {

struct HostPort {
  std::string host;  // "" = every interface
  uint16_t port = 0;
};

/// Splits "host:port"; errors read like Go's ("missing port in address", "invalid port").
[[nodiscard]] std::expected<HostPort, Error> split_host_port(std::string_view address);

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  [[nodiscard]] int family() const { return storage.ss_family; }
  [[nodiscard]] const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

/// Resolves an address for bind() (`passive`: "" host = the IPv6 wildcard, dual stack) or for connect/send.
/// `socktype` is SOCK_DGRAM or SOCK_STREAM. Returns candidates in getaddrinfo order.
[[nodiscard]] std::expected<std::vector<SocketAddress>, Error> resolve_address(const HostPort& address,
                                                                               int socktype, bool passive);

/// "ip:port" / "[ip]:port" for logs.
[[nodiscard]] std::string to_string(const SocketAddress& address);

/// Creates a socket of `socktype` bound to `address` (first candidate that binds). With `reuse_port`,
/// SO_REUSEPORT is set so several sockets can share the port (the UDP readers). IPv6 wildcard sockets
/// accept IPv4 too. The fd is close-on-exec; the caller owns it.
[[nodiscard]] std::expected<int, Error> open_bound_socket(const HostPort& address, int socktype, bool reuse_port);

/// The local port a socket is bound to (after binding port 0).
[[nodiscard]] uint16_t bound_port(int fd);

}  // namespace promcast::exporter
