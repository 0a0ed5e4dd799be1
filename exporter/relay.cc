#include "exporter/relay.h"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include <fmt/format.h>

#include "exporter/listeners_address.h"

namespace promcast::exporter {

std::expected<std::unique_ptr<Relay>, Error> Relay::start(std::string_view target, std::size_t packet_length) {
  auto host_port = split_host_port(target);
  if (!host_port) return std::unexpected(host_port.error());
  auto addresses = resolve_address(*host_port, SOCK_DGRAM, false);
  if (!addresses) return std::unexpected(addresses.error());
  const SocketAddress& address = addresses->front();
  const int fd = ::socket(address.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::unexpected(Error{"relay: cannot create UDP socket", {}, 0, 0});
  // connect() fixes the destination so send() is enough and ICMP errors do not pile up unseen.
  if (::connect(fd, address.get(), address.length) != 0) {
    ::close(fd);
    return std::unexpected(Error{fmt::format("relay: cannot reach {}", target), {}, 0, 0});
  }
  return std::unique_ptr<Relay>(new Relay(fd, packet_length));
}

Relay::Relay(int fd, std::size_t packet_length) : fd_(fd), packet_length_(packet_length) {
  thread_ = std::thread([this] { run(); });
}

Relay::~Relay() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
}

bool Relay::relay_line(std::string_view line) {
  if (line.empty()) return false;
  if (line.size() > packet_length_ - 1) {
    long_lines_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  std::lock_guard lock(mutex_);
  if (queued_.size() + line.size() + 1 > kMaxQueuedBytes) {
    queue_dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const bool was_empty = queued_.empty();
  queued_.append(line);
  queued_ += '\n';
  lines_relayed_.fetch_add(1, std::memory_order_relaxed);
  if (was_empty || queued_.size() >= packet_length_) wake_.notify_one();
  return true;
}

void Relay::flush() {
  {
    std::lock_guard lock(mutex_);
    flush_requested_ = true;
  }
  wake_.notify_one();
  // Wait until the sender has taken everything.
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard lock(mutex_);
      if (!flush_requested_) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::size_t Relay::packets_sent() const {
  std::lock_guard lock(mutex_);
  return packets_sent_;
}

RelayCounts Relay::counts() const {
  RelayCounts out;
  out.packets = packets_sent();
  out.long_lines = long_lines_.load(std::memory_order_relaxed);
  out.lines_relayed = lines_relayed_.load(std::memory_order_relaxed);
  out.queue_dropped = queue_dropped_.load(std::memory_order_relaxed);
  return out;
}

void Relay::send_packet(std::string_view packet) {
  if (packet.empty()) return;
  (void)::send(fd_, packet.data(), packet.size(), MSG_DONTWAIT);
  std::lock_guard lock(mutex_);
  ++packets_sent_;
}

void Relay::run() {
  std::string packet;  // the packet being filled, like statsd_exporter's buffer
  std::string taken;
  auto last_send = std::chrono::steady_clock::now();
  for (;;) {
    bool stopping = false;
    bool flush = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, last_send + std::chrono::seconds(1),
                       [&] { return stopping_ || flush_requested_ || queued_.size() >= packet_length_; });
      taken.swap(queued_);
      queued_.clear();
      stopping = stopping_;
      flush = flush_requested_;
    }
    // Pack lines: a line that does not fit sends the current packet and starts the next one.
    std::size_t pos = 0;
    while (pos < taken.size()) {
      const std::size_t end = taken.find('\n', pos) + 1;
      const std::string_view line(taken.data() + pos, end - pos);
      if (packet.size() + line.size() > packet_length_) {
        send_packet(packet);
        packet.clear();
      }
      packet.append(line);
      pos = end;
    }
    taken.clear();
    const auto now = std::chrono::steady_clock::now();
    if (now - last_send >= std::chrono::seconds(1) || flush || stopping) {
      send_packet(packet);
      packet.clear();
      last_send = now;
    }
    if (flush) {
      std::lock_guard lock(mutex_);
      flush_requested_ = false;
    }
    if (stopping) return;
  }
}

}  // namespace promcast::exporter
