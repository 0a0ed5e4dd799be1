#include "exporter/listeners.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "exporter/listeners_address.h"

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

namespace promcast::exporter {
namespace {

constexpr std::size_t kBatch = 32;                     // datagrams per recvmmsg
constexpr std::size_t kDatagramSize = 65536;           // largest UDP payload
// Asked for (best effort) when --statsd.read-buffer is 0: at 1.5M lines/s in 20-line datagrams it rides out
// about half a second without CPU, which a busy shared host does take from us.
constexpr int kDefaultReceiveBuffer = 32 * 1024 * 1024;

Error sys_error(std::string_view what) { return Error{fmt::format("{}: {}", what, std::strerror(errno)), {}, 0, 0}; }

void set_receive_timeout(int fd) {
  // Readers wake up regularly to notice stop() and publish counts even when no traffic arrives.
  timeval tv{};
  tv.tv_usec = 100 * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

std::expected<void, Error> set_receive_buffer(int fd, int read_buffer) {
  if (read_buffer > 0) {
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &read_buffer, sizeof read_buffer) != 0) {
      return std::unexpected(sys_error("error setting read buffer"));
    }
    return {};
  }
  int size = kDefaultReceiveBuffer;
  // SO_RCVBUFFORCE passes net.core.rmem_max when we have CAP_NET_ADMIN; otherwise take what we may.
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  return {};
}

// Reads datagrams in recvmmsg batches until `stopping`, feeding each one to the pipeline.
void datagram_loop(int fd, Pipeline& pipeline, StatsSlot& slot, Stat packet_stat, const std::atomic<bool>& stopping) {
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  std::vector<char> buffers(kBatch * kDatagramSize);
  constexpr std::size_t kControlSize = CMSG_SPACE(sizeof(uint32_t));
  std::vector<char> controls(kBatch * kControlSize);
  std::array<mmsghdr, kBatch> messages{};
  std::array<iovec, kBatch> iovs{};
  uint32_t last_drop_count = 0;
  bool have_drop_count = false;
  auto last_publish = std::chrono::steady_clock::now();
  while (!stopping.load(std::memory_order_relaxed)) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      iovs[i] = {buffers.data() + i * kDatagramSize, kDatagramSize};
      messages[i].msg_hdr = {};
      messages[i].msg_hdr.msg_iov = &iovs[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      messages[i].msg_hdr.msg_control = controls.data() + i * kControlSize;
      messages[i].msg_hdr.msg_controllen = kControlSize;
    }
    const int n = ::recvmmsg(fd, messages.data(), kBatch, MSG_WAITFORONE, nullptr);
    // shutdown() in stop() wakes recvmmsg with an empty "message" that is not a datagram.
    if (stopping.load(std::memory_order_relaxed)) break;
    const auto now = std::chrono::steady_clock::now();
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        if (stopping.load()) break;
        spdlog::error("datagram read failed: {}", std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      pipeline.refresh();
      pipeline.publish(slot);
      last_publish = now;
      continue;
    }
    pipeline.refresh();
    for (int i = 0; i < n; ++i) {
      pipeline.counters().inc(packet_stat);
      pipeline.process_packet(std::string_view(buffers.data() + i * kDatagramSize, messages[i].msg_len), now);
      for (cmsghdr* c = CMSG_FIRSTHDR(&messages[i].msg_hdr); c != nullptr;
           c = CMSG_NXTHDR(&messages[i].msg_hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
          uint32_t drops = 0;
          std::memcpy(&drops, CMSG_DATA(c), sizeof drops);
          // The kernel reports the socket's cumulative drop count; count only the increase.
          if (have_drop_count && drops > last_drop_count) {
            pipeline.counters().inc(Stat::UdpKernelDrops, drops - last_drop_count);
          } else if (!have_drop_count) {
            pipeline.counters().inc(Stat::UdpKernelDrops, drops);
          }
          last_drop_count = drops;
          have_drop_count = true;
        }
      }
    }
    pipeline.counters().inc(Stat::EventQueueFlushed);
    // Publishing takes one uncontended lock; doing it every batch keeps scrapes exact to the last batch.
    (void)last_publish;
    pipeline.publish(slot);
  }
  pipeline.publish(slot);
}

}  // namespace

// ---------------------------------------------------------------- UDP

std::expected<std::unique_ptr<UdpListener>, Error> UdpListener::start(std::string_view address, int readers,
                                                                      int read_buffer,
                                                                      const ListenerContext& context) {
  auto host_port = split_host_port(address);
  if (!host_port) return std::unexpected(host_port.error());
  if (readers <= 0) readers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::unique_ptr<UdpListener> listener(new UdpListener());
  HostPort bind_to = *host_port;
  for (int i = 0; i < readers; ++i) {
    auto fd = open_bound_socket(bind_to, SOCK_DGRAM, true);
    if (!fd) {
      listener->stop();
      return std::unexpected(fd.error());
    }
    listener->fds_.push_back(*fd);
    if (i == 0) {
      listener->port_ = bound_port(*fd);
      bind_to.port = listener->port_;  // the other readers join the port the first one got
    }
    if (auto ok = set_receive_buffer(*fd, read_buffer); !ok) {
      listener->stop();
      return std::unexpected(ok.error());
    }
    set_receive_timeout(*fd);
  }
  for (int fd : listener->fds_) {
    listener->pipelines_.push_back(
        std::make_unique<Pipeline>(context.options, *context.mappings, *context.store, context.relay));
    Pipeline* pipeline = listener->pipelines_.back().get();
    auto slot = context.metrics->new_slot();
    UdpListener* self = listener.get();
    listener->threads_.emplace_back([fd, pipeline, slot, self] {
      datagram_loop(fd, *pipeline, *slot, Stat::UdpPackets, self->stopping_);
    });
  }
  return listener;
}

UdpListener::~UdpListener() { stop(); }

std::size_t UdpListener::cache_entries() const {
  std::size_t total = 0;
  for (const auto& p : pipelines_) total += p->cache_entries();
  return total;
}

void UdpListener::stop() {
  stopping_.store(true);
  for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  for (int fd : fds_) ::close(fd);
  fds_.clear();
}

// ---------------------------------------------------------------- TCP

std::expected<std::unique_ptr<TcpListener>, Error> TcpListener::start(std::string_view address,
                                                                      const ListenerContext& context) {
  auto host_port = split_host_port(address);
  if (!host_port) return std::unexpected(host_port.error());
  auto fd = open_bound_socket(*host_port, SOCK_STREAM, false);
  if (!fd) return std::unexpected(fd.error());
  if (::listen(*fd, SOMAXCONN) != 0) {
    auto err = sys_error("listen");
    ::close(*fd);
    return std::unexpected(err);
  }
  std::unique_ptr<TcpListener> listener(new TcpListener());
  listener->context_ = context;
  listener->listen_fd_ = *fd;
  listener->port_ = bound_port(*fd);
  TcpListener* self = listener.get();
  listener->accept_thread_ = std::thread([self] { self->accept_loop(); });
  return listener;
}

TcpListener::~TcpListener() { stop(); }

void TcpListener::accept_loop() {
  while (!stopping_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(connections_mutex_);
    if (stopping_.load()) {
      ::close(fd);
      break;
    }
    std::erase_if(connections_, [](Connection& c) {
      if (!c.done->load()) return false;
      c.thread.join();
      return true;
    });
    connection_fds_.push_back(fd);
    auto done = std::make_shared<std::atomic<bool>>(false);
    connections_.push_back({std::thread([this, fd, done] { serve(fd, *done); }), done});
  }
}

void TcpListener::serve(int fd, std::atomic<bool>& finished) {
  Pipeline pipeline(context_.options, *context_.mappings, *context_.store, context_.relay);
  auto slot = context_.metrics->new_slot();
  pipeline.counters().inc(Stat::TcpConnections);
  timeval tv{};
  tv.tv_usec = 100 * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::vector<char> buffer(256 * 1024);
  std::size_t filled = 0;  // bytes of an unfinished line kept at the front of the buffer
  bool done = false;
  while (!done && !stopping_.load(std::memory_order_relaxed)) {
    const ssize_t n = ::recv(fd, buffer.data() + filled, buffer.size() - filled, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      pipeline.publish(*slot);
      continue;
    }
    const auto now = std::chrono::steady_clock::now();
    pipeline.refresh();
    if (n <= 0) {
      if (n < 0) pipeline.counters().inc(Stat::TcpConnectionErrors);
      // EOF: like ReadLine, a last unterminated line still counts.
      if (n == 0 && filled > 0) {
        std::string_view line(buffer.data(), filled);
        if (filled > kMaxLineLength) {
          pipeline.counters().inc(Stat::TcpTooLongLines);
        } else {
          if (line.ends_with('\r')) line.remove_suffix(1);
          pipeline.process_line(line, now);
        }
      }
      break;
    }
    const std::size_t total = filled + static_cast<std::size_t>(n);
    std::size_t start = 0;
    for (;;) {
      const void* nl = std::memchr(buffer.data() + start, '\n', total - start);
      if (nl == nullptr) break;
      const std::size_t end = static_cast<std::size_t>(static_cast<const char*>(nl) - buffer.data());
      if (end - start > kMaxLineLength) {
        pipeline.counters().inc(Stat::TcpTooLongLines);
        done = true;
        break;
      }
      std::string_view line(buffer.data() + start, end - start);
      if (line.ends_with('\r')) line.remove_suffix(1);
      pipeline.process_line(line, now);
      start = end + 1;
    }
    if (done) break;
    filled = total - start;
    if (filled > kMaxLineLength) {  // no newline within bufio's 4096 bytes: statsd_exporter gives up
      pipeline.counters().inc(Stat::TcpTooLongLines);
      break;
    }
    if (start > 0 && filled > 0) std::memmove(buffer.data(), buffer.data() + start, filled);
    pipeline.counters().inc(Stat::EventQueueFlushed);
    pipeline.publish(*slot);
  }
  pipeline.publish(*slot);
  slot->retire();
  std::lock_guard lock(connections_mutex_);
  std::erase(connection_fds_, fd);
  ::close(fd);
  finished.store(true);
}

void TcpListener::stop() {
  if (stopping_.exchange(true)) return;
  if (accept_thread_.joinable()) accept_thread_.join();
  std::vector<Connection> connections;
  {
    std::lock_guard lock(connections_mutex_);
    for (int fd : connection_fds_) ::shutdown(fd, SHUT_RDWR);
    connections.swap(connections_);
  }
  for (auto& c : connections) {
    if (c.thread.joinable()) c.thread.join();
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

// ---------------------------------------------------------------- unixgram

std::expected<std::unique_ptr<UnixgramListener>, Error> UnixgramListener::start(const std::string& path,
                                                                               std::string_view mode,
                                                                               int read_buffer,
                                                                               const ListenerContext& context) {
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0) {
    return std::unexpected(Error{fmt::format("Unixgram socket already exists: {}", path), {}, 0, 0});
  }
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) {
    return std::unexpected(Error{fmt::format("unixgram socket path too long: {}", path), {}, 0, 0});
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::unexpected(sys_error("unixgram socket"));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    auto err = sys_error(fmt::format("failed to listen on Unixgram socket {}", path));
    ::close(fd);
    return std::unexpected(err);
  }
  if (read_buffer > 0 && ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &read_buffer, sizeof read_buffer) != 0) {
    auto err = sys_error("error setting Unixgram read buffer");
    ::close(fd);
    ::unlink(path.c_str());
    return std::unexpected(err);
  }
  // statsd_exporter parses "0" + mode as octal and only warns when it is bad.
  unsigned perm = 0;
  bool valid_mode = !mode.empty() && mode.size() <= 11;
  for (char c : mode) {
    if (c < '0' || c > '7') {
      valid_mode = false;
      break;
    }
    perm = perm * 8 + static_cast<unsigned>(c - '0');
  }
  if (!valid_mode) {
    spdlog::warn("Bad permission {}, ignoring", mode);
  } else if (::chmod(path.c_str(), perm) != 0) {
    spdlog::warn("Failed to change unixgram socket permission: {}", std::strerror(errno));
  }
  set_receive_timeout(fd);
  std::unique_ptr<UnixgramListener> listener(new UnixgramListener());
  listener->fd_ = fd;
  listener->path_ = path;
  listener->pipeline_ =
      std::make_unique<Pipeline>(context.options, *context.mappings, *context.store, context.relay);
  auto slot = context.metrics->new_slot();
  UnixgramListener* self = listener.get();
  listener->thread_ = std::thread([self, slot] {
    datagram_loop(self->fd_, *self->pipeline_, *slot, Stat::UnixgramPackets, self->stopping_);
  });
  return listener;
}

UnixgramListener::~UnixgramListener() { stop(); }

void UnixgramListener::stop() {
  if (stopping_.exchange(true)) return;
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!path_.empty()) ::unlink(path_.c_str());
}

}  // namespace promcast::exporter
