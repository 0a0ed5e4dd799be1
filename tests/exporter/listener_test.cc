// UDP, TCP and unixgram listeners and the relay on loopback with free ports: bytes in, store and
// self-metrics out. Every wait is bounded by a deadline.
#include "exporter/listeners.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "exporter/exposition.h"
#include "exporter/listeners_address.h"
#include "exporter/relay.h"

namespace promcast::exporter {
namespace {

using namespace std::chrono_literals;

struct Fixture {
  Fixture() : holder(MappingState::empty()), metrics("test") {
    context.mappings = &holder;
    context.store = &store;
    context.metrics = &metrics;
  }
  std::string text() {
    std::string out;
    write_text_exposition(store, out);
    return out;
  }
  // Polls until `predicate` holds or 3 s pass.
  bool eventually(const std::function<bool()>& predicate) {
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (predicate()) return true;
      std::this_thread::sleep_for(5ms);
    }
    return predicate();
  }
  bool has(std::string_view needle) {
    return eventually([&] { return text().find(needle) != std::string::npos; });
  }

  MetricStore store;
  MappingHolder holder;
  SelfMetrics metrics;
  ListenerContext context;
};

sockaddr_in loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

void send_udp(uint16_t port, std::string_view payload) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  const sockaddr_in addr = loopback(port);
  ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  ::close(fd);
}

int connect_tcp(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in addr = loopback(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

TEST(ListenAddress, GoSplitHostPortForms) {
  auto any = split_host_port(":9125");
  ASSERT_TRUE(any.has_value());
  EXPECT_EQ(any->host, "");
  EXPECT_EQ(any->port, 9125);
  auto v6 = split_host_port("[::1]:80");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 80);
  auto named = split_host_port("localhost:0");
  ASSERT_TRUE(named.has_value());
  EXPECT_EQ(named->host, "localhost");
  EXPECT_FALSE(split_host_port("9125").has_value());
  EXPECT_FALSE(split_host_port("::1:80").has_value());
  EXPECT_FALSE(split_host_port("host:").has_value());
  EXPECT_FALSE(split_host_port("host:65536").has_value());
  EXPECT_FALSE(split_host_port("[::1]80").has_value());
  // Like Go's resolver, a name with IPv4 and IPv6 addresses resolves to IPv4 first.
  auto resolved = resolve_address(*named, SOCK_DGRAM, false);
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(resolved->front().family(), AF_INET);
}

TEST(UdpListener, SeveralReadersShareThePort) {
  Fixture f;
  auto udp = UdpListener::start("127.0.0.1:0", 2, 0, f.context);
  ASSERT_TRUE(udp.has_value()) << udp.error().message;
  ASSERT_NE((*udp)->port(), 0);
  EXPECT_EQ((*udp)->readers(), 2u);
  for (int i = 0; i < 50; ++i) send_udp((*udp)->port(), "udp_hits:1|c\nudp_gauge:7|g");
  EXPECT_TRUE(f.has("udp_hits 50\n")) << f.text();
  EXPECT_TRUE(f.has("udp_gauge 7\n"));
  EXPECT_TRUE(f.eventually([&] { return f.metrics.value("statsd_exporter_udp_packets_total") == 50; }));
  EXPECT_EQ(f.metrics.value("statsd_exporter_lines_total"), 100);
  (*udp)->stop();
}

TEST(UdpListener, EveryDatagramIsCountedOrReportedAsKernelDrop) {
  Fixture f;
  // A tiny receive buffer (the kernel rounds it up to its minimum) and a burst: some datagrams may be
  // dropped by the kernel. Loopback loses nothing else, so packets + kernel drops must equal datagrams sent.
  auto udp = UdpListener::start("127.0.0.1:0", 1, 1, f.context);
  ASSERT_TRUE(udp.has_value()) << udp.error().message;
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  const sockaddr_in addr = loopback((*udp)->port());
  const std::string payload = "burst:1|c\n" + std::string(1000, 'x');
  constexpr int kSent = 3000;
  for (int i = 0; i < kSent; ++i) {
    ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  }
  ::close(fd);
  // The kernel's drop count rides on the next datagram that gets through: send markers until one arrives.
  // Then every datagram sent before that marker is either counted as a packet or reported as a drop.
  int markers_sent = 0;
  auto markers_seen = [&] {
    const std::string text = f.text();
    const auto pos = text.find("\nmarker ");
    return pos == std::string::npos ? 0.0 : std::stod(text.substr(pos + 8));
  };
  EXPECT_TRUE(f.eventually([&] {
    send_udp((*udp)->port(), "marker:1|c");
    ++markers_sent;
    return markers_seen() >= 1;
  }));
  std::this_thread::sleep_for(50ms);
  (*udp)->stop();
  const double packets = f.metrics.value("statsd_exporter_udp_packets_total");
  const double drops = f.metrics.value("statsd_exporter_udp_kernel_drops_total");
  const double markers = markers_seen();
  EXPECT_GE(packets + drops, kSent + markers);
  EXPECT_LE(packets + drops, kSent + markers_sent);
  EXPECT_EQ(f.metrics.value("statsd_exporter_lines_total"), 2 * (packets - markers) + markers);
}

TEST(UdpListener, ExplicitReadBufferTooLargeIsAcceptedOrReported) {
  Fixture f;
  // Linux caps SO_RCVBUF at rmem_max without failing; the call must succeed like Go's SetReadBuffer.
  auto udp = UdpListener::start("127.0.0.1:0", 1, 1 << 20, f.context);
  ASSERT_TRUE(udp.has_value()) << udp.error().message;
}

TEST(UdpListener, BadAddressIsAnError) {
  Fixture f;
  EXPECT_FALSE(UdpListener::start("127.0.0.1", 1, 0, f.context).has_value());
  EXPECT_FALSE(UdpListener::start("127.0.0.1:99999", 1, 0, f.context).has_value());
}

TEST(TcpListener, LinesSplitAcrossWritesAndConnections) {
  Fixture f;
  auto tcp = TcpListener::start("127.0.0.1:0", f.context);
  ASSERT_TRUE(tcp.has_value()) << tcp.error().message;
  const int fd = connect_tcp((*tcp)->port());
  ASSERT_GE(fd, 0);
  send_all(fd, "tcp_a:1|c\ntcp_");
  std::this_thread::sleep_for(20ms);
  send_all(fd, "a:2|c\r\ntcp_b:5|g\n");
  send_all(fd, "tcp_last:9|g");  // unterminated, processed at EOF like bufio.ReadLine
  ::shutdown(fd, SHUT_WR);
  EXPECT_TRUE(f.has("tcp_a 3\n")) << f.text();
  EXPECT_TRUE(f.has("tcp_b 5\n"));
  EXPECT_TRUE(f.has("tcp_last 9\n"));
  ::close(fd);
  EXPECT_TRUE(f.eventually([&] { return f.metrics.value("statsd_exporter_lines_total") == 4; }));
  EXPECT_EQ(f.metrics.value("statsd_exporter_tcp_connections_total"), 1);
  (*tcp)->stop();
}

TEST(TcpListener, TooLongLineClosesTheConnection) {
  Fixture f;
  auto tcp = TcpListener::start("127.0.0.1:0", f.context);
  ASSERT_TRUE(tcp.has_value());
  const int fd = connect_tcp((*tcp)->port());
  ASSERT_GE(fd, 0);
  send_all(fd, "before:1|c\n" + std::string(5000, 'x') + ":1|c\nafter:1|c\n");
  EXPECT_TRUE(f.eventually([&] { return f.metrics.value("statsd_exporter_tcp_too_long_lines_total") == 1; }));
  EXPECT_TRUE(f.has("before 1\n"));
  EXPECT_EQ(f.text().find("after"), std::string::npos);
  ::close(fd);
}

TEST(UnixgramListener, ReceivesAndCleansUp) {
  Fixture f;
  const std::string path =
      (std::filesystem::temp_directory_path() / ("promcast-ux-" + std::to_string(::getpid()) + ".sock")).string();
  ::unlink(path.c_str());
  {
    auto ux = UnixgramListener::start(path, "700", 0, f.context);
    ASSERT_TRUE(ux.has_value()) << ux.error().message;
    struct stat st{};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    // A second listener on the same path is refused, like statsd_exporter.
    EXPECT_FALSE(UnixgramListener::start(path, "755", 0, f.context).has_value());
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    const std::string payload = "ux_metric:3|c";
    ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::close(fd);
    EXPECT_TRUE(f.has("ux_metric 3\n"));
    EXPECT_TRUE(f.eventually([&] { return f.metrics.value("statsd_exporter_unixgram_packets_total") == 1; }));
  }
  struct stat st{};
  EXPECT_NE(::stat(path.c_str(), &st), 0);  // removed on stop
}

TEST(Relay, PacksLinesUpToPacketLength) {
  const int sink = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr = loopback(0);
  ASSERT_EQ(::bind(sink, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(sink, reinterpret_cast<sockaddr*>(&addr), &len);
  timeval tv{2, 0};
  ::setsockopt(sink, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  auto relay = Relay::start("127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), 20);
  ASSERT_TRUE(relay.has_value()) << relay.error().message;
  EXPECT_TRUE((*relay)->relay_line("aaaa:1|c"));            // 9 bytes with '\n'
  EXPECT_TRUE((*relay)->relay_line("bbbb:1|c"));            // 18: still fits in 20
  EXPECT_TRUE((*relay)->relay_line("cccc:1|c"));            // 27 > 20: starts the next packet
  EXPECT_FALSE((*relay)->relay_line(std::string(20, 'x')));  // longer than packet-length - 1
  EXPECT_FALSE((*relay)->relay_line(""));
  (*relay)->flush();
  char buf[100];
  ssize_t n = ::recv(sink, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), "aaaa:1|c\nbbbb:1|c\n");
  n = ::recv(sink, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), "cccc:1|c\n");
  // what statsd_exporter_relay_{packets,long_lines,lines_relayed}_total report
  const RelayCounts counts = (*relay)->counts();
  EXPECT_EQ(counts.packets, 2u);
  EXPECT_EQ(counts.long_lines, 1u);
  EXPECT_EQ(counts.lines_relayed, 3u);
  EXPECT_EQ(counts.queue_dropped, 0u);
  ::close(sink);
}

TEST(Relay, ListenerRelaysEveryNonEmptyLine) {
  const int sink = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr = loopback(0);
  ASSERT_EQ(::bind(sink, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(sink, reinterpret_cast<sockaddr*>(&addr), &len);
  timeval tv{3, 0};
  ::setsockopt(sink, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto relay = Relay::start("127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), 1400);
  ASSERT_TRUE(relay.has_value());

  Fixture f;
  f.context.relay = relay->get();
  auto udp = UdpListener::start("127.0.0.1:0", 1, 0, f.context);
  ASSERT_TRUE(udp.has_value());
  send_udp((*udp)->port(), "r_one:1|c\n\nnot a metric\nr_two:2|g");
  EXPECT_TRUE(f.has("r_two 2\n"));
  (*relay)->flush();
  char buf[2000];
  const ssize_t n = ::recv(sink, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  // Invalid lines are relayed too (statsd_exporter relays before parsing); empty ones are not.
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), "r_one:1|c\nnot a metric\nr_two:2|g\n");
  (*udp)->stop();
  ::close(sink);
}

}  // namespace
}  // namespace promcast::exporter
