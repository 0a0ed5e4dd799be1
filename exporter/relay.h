#pragma once
// Forwards raw statsd lines to another statsd server over UDP, as statsd_exporter's pkg/relay does:
// every non-empty received line (valid or not) gets a trailing '\n' and is packed into datagrams of at most
// --statsd.relay.packet-length bytes; a line longer than packet-length - 1 is not relayed; a partly filled
// packet is sent at least once a second. Readers hand lines over under a short lock; the send happens on
// the relay's own thread. The queue is bounded: lines beyond it are dropped (promcast's own count; upstream's
// channel blocks the reader instead). The counts behind statsd_exporter's relay metrics are kept here.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/error.h"

namespace promcast::exporter {

/// What statsd_exporter 0.30's relay counts (statsd_exporter_relay_{packets,long_lines,lines_relayed}_total
/// {target}), plus promcast's lines dropped on a full queue.
struct RelayCounts {
  std::uint64_t packets = 0;        ///< datagrams sent
  std::uint64_t long_lines = 0;     ///< lines longer than packet-length - 1, not relayed
  std::uint64_t lines_relayed = 0;  ///< lines queued for sending
  std::uint64_t queue_dropped = 0;  ///< lines dropped because the queue was full
};

class Relay {
 public:
  /// Resolves `target` ("host:port") and starts the sender thread.
  static std::expected<std::unique_ptr<Relay>, Error> start(std::string_view target, std::size_t packet_length);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  /// Queues one line (without '\n'). Thread-safe. False when the line is not relayed (empty, too long or
  /// the queue is full); each case but the empty line is counted.
  bool relay_line(std::string_view line);
  /// Sends whatever is buffered now (tests, shutdown).
  void flush();
  /// Datagrams sent so far.
  [[nodiscard]] std::size_t packets_sent() const;
  [[nodiscard]] RelayCounts counts() const;

 private:
  Relay(int fd, std::size_t packet_length);
  void run();
  void send_packet(std::string_view packet);

  static constexpr std::size_t kMaxQueuedBytes = 8 << 20;

  int fd_;
  std::size_t packet_length_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::string queued_;  // newline-terminated lines waiting for the sender
  bool stopping_ = false;
  bool flush_requested_ = false;
  std::size_t packets_sent_ = 0;
  std::atomic<std::uint64_t> long_lines_{0};
  std::atomic<std::uint64_t> lines_relayed_{0};
  std::atomic<std::uint64_t> queue_dropped_{0};
  std::thread thread_;
};

}  // namespace promcast::exporter
