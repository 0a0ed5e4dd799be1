#pragma once
// statsd listeners. Each reader thread parses and applies what it reads itself (own Pipeline: LineParser,
// MapperCache; shared MetricStore), so there is no queue of parsed events anywhere and memory stays
// bounded under overload: what the readers cannot keep up with stays in (and is dropped by) the kernel
// socket buffer, and those drops are counted from SO_RXQ_OVFL.
//  - UDP: N sockets bound to the same port with SO_REUSEPORT (the kernel spreads datagrams over them), each
//    read by its own thread with recvmmsg batches and a large SO_RCVBUF.
//  - TCP: an accept thread and one thread per connection; lines split on '\n' ("\r\n" accepted), partial
//    lines carried across reads, a line longer than 4095 bytes closes the connection like Go's
//    bufio.Reader.ReadLine in statsd_exporter (counted in statsd_exporter_tcp_too_long_lines_total).
//  - unixgram: one reader thread on a datagram socket file created with --statsd.unixsocket-mode.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/error.h"
#include "exporter/pipeline.h"
#include "exporter/self_metrics.h"

namespace promcast::exporter {

/// What every reader needs; all references must outlive the listeners.
struct ListenerContext {
  PipelineOptions options;
  const MappingHolder* mappings = nullptr;
  MetricStore* store = nullptr;
  Relay* relay = nullptr;  // optional
  SelfMetrics* metrics = nullptr;
};

class UdpListener {
 public:
  /// Binds `readers` SO_REUSEPORT sockets to `address` (port 0: the first socket picks a free port and the
  /// others join it). `read_buffer` > 0 sets SO_RCVBUF and fails if the kernel refuses; 0 asks for a large
  /// buffer on a best-effort basis.
  static std::expected<std::unique_ptr<UdpListener>, Error> start(std::string_view address, int readers,
                                                                  int read_buffer, const ListenerContext& context);
  ~UdpListener();
  [[nodiscard]] uint16_t port() const { return port_; }
  [[nodiscard]] std::size_t readers() const { return fds_.size(); }
  /// Mapper cache entries across the readers.
  [[nodiscard]] std::size_t cache_entries() const;
  void stop();

 private:
  UdpListener() = default;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::vector<std::unique_ptr<Pipeline>> pipelines_;
  std::atomic<bool> stopping_{false};
  uint16_t port_ = 0;
};

class TcpListener {
 public:
  static std::expected<std::unique_ptr<TcpListener>, Error> start(std::string_view address,
                                                                  const ListenerContext& context);
  ~TcpListener();
  [[nodiscard]] uint16_t port() const { return port_; }
  void stop();

  /// Longest line accepted, as bufio.Reader's default 4096-byte buffer allows (line + '\n').
  static constexpr std::size_t kMaxLineLength = 4095;

 private:
  TcpListener() = default;
  void accept_loop();
  void serve(int fd, std::atomic<bool>& done);

  ListenerContext context_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::mutex connections_mutex_;
  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<int> connection_fds_;
  std::vector<Connection> connections_;  // finished ones are joined at the next accept
  std::atomic<int> active_{0};
};

class UnixgramListener {
 public:
  /// Creates the socket file `path` (error if it exists, like statsd_exporter) and chmods it to `mode`
  /// (octal text such as "755"; a bad mode is logged and ignored).
  static std::expected<std::unique_ptr<UnixgramListener>, Error> start(const std::string& path,
                                                                       std::string_view mode, int read_buffer,
                                                                       const ListenerContext& context);
  ~UnixgramListener();
  void stop();

 private:
  UnixgramListener() = default;
  int fd_ = -1;
  std::string path_;
  std::thread thread_;
  std::unique_ptr<Pipeline> pipeline_;
  std::atomic<bool> stopping_{false};
};

}  // namespace promcast::exporter
