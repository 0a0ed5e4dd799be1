#pragma once
// Support for integration tests that run real processes (promcast, Prometheus) on loopback:
// free ports, temporary directories, child processes killed and reaped on scope exit, bounded
// polling, and small UDP/TCP/HTTP helpers. Header-only; every wait has a deadline.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/http_client.h"

namespace promcast::testing {

using namespace std::chrono_literals;

/// The course's drift mapping: drift_metrics.<dataset>.<version>.<column>.<metric> to labels.
constexpr std::string_view kDriftMapping = R"(mappings:
  - match: "drift_metrics.*.*.*.*"
    name: "drift_metrics"
    labels:
      dataset_name: "$1"
      dataset_version: "$2"
      column_name: "$3"
      metric_name: "$4"
)";

/// Path of the promcast binary under test (set by tests/integration/CMakeLists.txt).
inline std::string promcast_binary() {
#ifdef PROMCAST_BINARY
  return PROMCAST_BINARY;
#else
  return "promcast";
#endif
}

/// Finds an executable on PATH (or an absolute path that exists); empty if absent.
inline std::string find_executable(std::string_view name) {
  if (name.find('/') != std::string_view::npos)
    return ::access(std::string(name).c_str(), X_OK) == 0 ? std::string(name) : "";
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);
    const std::string candidate = std::string(dir) + "/" + std::string(name);
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return "";
}

/// A loopback port that is free for both TCP and UDP right now (the kernel picks it; a small race
/// with other processes remains, as with any free-port helper).
inline std::uint16_t free_port() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (tcp < 0 || ::bind(tcp, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(tcp, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      if (tcp >= 0) ::close(tcp);
      continue;
    }
    const int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
    const bool udp_free = udp >= 0 && ::bind(udp, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (udp >= 0) ::close(udp);
    ::close(tcp);
    if (udp_free) return ntohs(addr.sin_port);
  }
  throw std::runtime_error("no free loopback port");
}

/// A free port different from `taken` (several ports picked in a row must not collide).
inline std::uint16_t free_port_except(std::initializer_list<std::uint16_t> taken) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const std::uint16_t port = free_port();
    if (std::find(taken.begin(), taken.end(), port) == taken.end()) return port;
  }
  throw std::runtime_error("no distinct free loopback port");
}

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/promcast-it-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  /// `path()/name` as a string.
  [[nodiscard]] std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// Polls `condition` every `interval` until it holds or `timeout` passes; returns whether it held.
inline bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                       std::chrono::milliseconds interval = 50ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

/// A child process with stdout and stderr captured to files in `log_dir`. Killed (SIGTERM, then
/// SIGKILL after a grace period) and reaped when the object goes away; the kernel kills it too
/// if the test process dies first (PR_SET_PDEATHSIG).
class Process {
 public:
  Process(std::vector<std::string> argv, const std::string& log_dir, std::string_view log_name = "process")
      : argv_(std::move(argv)),
        stdout_path_(log_dir + "/" + std::string(log_name) + ".stdout"),
        stderr_path_(log_dir + "/" + std::string(log_name) + ".stderr") {
    std::vector<char*> args;
    for (auto& a : argv_) args.push_back(a.data());
    args.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      ::setpgid(0, 0);
      const int in = ::open("/dev/null", O_RDONLY);
      const int out = ::open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in < 0 || out < 0 || err < 0) ::_exit(126);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Process() { stop(); }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }

  /// Sends `sig` to the child if it has not been reaped yet.
  void signal(int sig) const {
    if (!exit_code_ && pid_ > 0) ::kill(pid_, sig);
  }

  /// Waits up to `timeout` for the child to exit; returns its exit code (128+signal if killed).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    if (exit_code_) return exit_code_;
    wait_until([this] { return poll_exit(); }, timeout, 20ms);
    return exit_code_;
  }

  /// Whether the child is still running (reaps it if it has exited).
  bool running() { return !poll_exit(); }

  /// SIGTERM, a grace period, then SIGKILL; always reaps.
  void stop(std::chrono::milliseconds grace = 3000ms) {
    if (pid_ <= 0 || exit_code_) return;
    signal(SIGTERM);
    if (!wait_exit(grace)) {
      ::kill(pid_, SIGKILL);
      wait_exit(5000ms);
    }
  }

  [[nodiscard]] std::string stdout_text() const { return read_file(stdout_path_); }
  [[nodiscard]] std::string stderr_text() const { return read_file(stderr_path_); }
  /// Both logs, for failure messages.
  [[nodiscard]] std::string logs() const {
    return "--- stdout of " + argv_.front() + ":\n" + stdout_text() + "\n--- stderr:\n" + stderr_text();
  }

 private:
  bool poll_exit() {
    if (exit_code_) return true;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return true;
    }
    if (r < 0 && errno == ECHILD) {
      exit_code_ = -1;
      return true;
    }
    return false;
  }

  std::vector<std::string> argv_;
  std::string stdout_path_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

struct CommandResult {
  int exit_code = -1;  // -1 if it had to be killed at the deadline
  std::string out;
  std::string err;
};

/// Runs a command to completion (bounded by `timeout`) and returns its exit code and output.
inline CommandResult run_command(std::vector<std::string> argv, std::chrono::milliseconds timeout = 20000ms) {
  TempDir dir;
  Process process(std::move(argv), dir.path().string(), "command");
  CommandResult result;
  const auto code = process.wait_exit(timeout);
  if (!code) process.stop();
  result.exit_code = code.value_or(-1);
  result.out = process.stdout_text();
  result.err = process.stderr_text();
  return result;
}

/// Polls `url` until it answers 200 or `timeout` passes.
inline bool wait_for_http_ok(const std::string& url, std::chrono::milliseconds timeout) {
  HttpOptions options;
  options.timeout = 1000ms;
  return wait_until(
      [&] {
        const auto response = http_get(url, options);
        return response && response->status == 200;
      },
      timeout, 50ms);
}

/// Sends one datagram to 127.0.0.1:port.
inline void send_udp(std::uint16_t port, std::string_view payload) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const auto sent =
      ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::close(fd);
  if (sent != static_cast<ssize_t>(payload.size())) throw std::runtime_error("sendto failed");
}

/// Sends one datagram to a unix datagram socket at `path`.
inline void send_unixgram(const std::string& path, std::string_view payload) {
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw std::runtime_error("unix socket path too long: " + path);
  path.copy(addr.sun_path, path.size());
  const auto sent =
      ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::close(fd);
  if (sent != static_cast<ssize_t>(payload.size())) throw std::runtime_error("sendto (unixgram) failed");
}

/// A TCP connection to 127.0.0.1:port, closed on destruction.
class TcpClient {
 public:
  explicit TcpClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      if (fd_ >= 0) ::close(fd_);
      throw std::runtime_error("tcp connect failed");
    }
  }
  ~TcpClient() { close(); }
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  /// Writes all of `data` (one or more write calls).
  void send(std::string_view data) const {
    while (!data.empty()) {
      const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("tcp send failed");
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

/// The value of the sample written exactly as `series` (name plus its label set in exposition
/// order, e.g. `x{a="1"}`) in a text exposition, if present.
inline std::optional<double> sample_value(std::string_view exposition, std::string_view series) {
  std::size_t pos = 0;
  while (pos < exposition.size()) {
    auto end = exposition.find('\n', pos);
    if (end == std::string_view::npos) end = exposition.size();
    const std::string_view line = exposition.substr(pos, end - pos);
    pos = end + 1;
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
      std::string_view value = line.substr(series.size() + 1);
      if (const auto space = value.find(' '); space != std::string_view::npos) value = value.substr(0, space);
      if (value == "NaN") return std::numeric_limits<double>::quiet_NaN();
      if (value == "+Inf") return std::numeric_limits<double>::infinity();
      if (value == "-Inf") return -std::numeric_limits<double>::infinity();
      double out = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
      if (ec == std::errc{} && ptr == value.data() + value.size()) return out;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

/// A promcast exporter on free loopback ports (UDP and TCP share one port, like statsd_exporter's
/// default), with its temp dir and log files; stopped on destruction.
class PromcastExporter {
 public:
  /// Starts promcast with the listeners on free ports plus `extra_args`; `mapping` (if not empty)
  /// is written to `mapping_path()` and passed with --statsd.mapping-config.
  explicit PromcastExporter(std::string_view mapping, std::vector<std::string> extra_args = {})
      : extra_args_(std::move(extra_args)), has_mapping_(!mapping.empty()) {
    if (has_mapping_) write_file(mapping_path(), mapping);
    start();
  }

  /// Waits until /metrics answers; false (with logs available) if it does not within `timeout`.
  /// If promcast exits first (another test grabbed a port between our check and its bind), it is
  /// restarted on fresh ports, a few times.
  bool wait_ready(std::chrono::milliseconds timeout = 15000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (int attempt = 0; attempt < 3; ++attempt) {
      HttpOptions options;
      options.timeout = 1000ms;
      bool up = false;
      wait_until(
          [&] {
            const auto response = http_get(metrics_url(), options);
            up = response && response->status == 200;
            return up || !process_->running();
          },
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()),
          50ms);
      if (up) return true;
      if (attempt == 2 || process_->running() || std::chrono::steady_clock::now() >= deadline) return false;
      start();
    }
    return false;
  }

  [[nodiscard]] std::uint16_t statsd_port() const { return statsd_port_; }
  [[nodiscard]] std::uint16_t web_port() const { return web_port_; }
  [[nodiscard]] std::string web_url(std::string_view path = "") const {
    return "http://127.0.0.1:" + std::to_string(web_port_) + std::string(path);
  }
  [[nodiscard]] std::string metrics_url() const { return web_url("/metrics"); }
  [[nodiscard]] std::string mapping_path() const { return dir_.file("mapping.yml"); }
  /// Arguments promcast was (last) started with, for failure messages.
  [[nodiscard]] const std::vector<std::string>& argv() const { return argv_; }
  [[nodiscard]] const TempDir& dir() const { return dir_; }
  Process& process() { return *process_; }

  /// The current /metrics body ("" if the request failed).
  [[nodiscard]] std::string metrics() const {
    const auto response = http_get(metrics_url());
    return response && response->status == 200 ? response->body : std::string();
  }

  /// Polls /metrics until `series` has `value` (or `timeout` passes); returns the last body seen.
  std::string wait_for_sample(std::string_view series, double value,
                              std::chrono::milliseconds timeout = 5000ms) const {
    std::string body;
    wait_until(
        [&] {
          body = metrics();
          const auto v = sample_value(body, series);
          return v && *v == value;
        },
        timeout);
    return body;
  }

 private:
  void start() {
    process_.reset();
    statsd_port_ = free_port();
    web_port_ = free_port_except({statsd_port_});
    argv_ = {promcast_binary(), "--statsd.listen-udp=127.0.0.1:" + std::to_string(statsd_port_),
             "--statsd.listen-tcp=127.0.0.1:" + std::to_string(statsd_port_),
             "--web.listen-address=127.0.0.1:" + std::to_string(web_port_)};
    if (has_mapping_) argv_.push_back("--statsd.mapping-config=" + mapping_path());
    argv_.insert(argv_.end(), extra_args_.begin(), extra_args_.end());
    process_.emplace(argv_, dir_.path().string(), "promcast");
  }

  TempDir dir_;
  std::vector<std::string> extra_args_;
  bool has_mapping_;
  std::uint16_t statsd_port_ = 0;
  std::uint16_t web_port_ = 0;
  std::vector<std::string> argv_;
  std::optional<Process> process_;
};

}  // namespace promcast::testing
