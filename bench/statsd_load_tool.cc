// statsd_load: offers a bounded number of statsd lines to a promcast (or statsd_exporter) on
// loopback at a given rate, then reads the exporter's own statsd_exporter_lines_total before and
// after to report lines sent, lines counted and loss. Datagrams are built up front and sent with
// sendmmsg in small paced batches so the generator itself costs little CPU.
//
//   statsd_load --target 127.0.0.1:9125 --proto udp --rate 1500000 --lines 30000000
//               --lines-per-datagram 20 --names 1000 --metrics-url http://127.0.0.1:9102/metrics
//
// Only loopback targets are accepted, at most 1e9 lines and 120 s of sending.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/http_client.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::uint64_t kMaxLines = 1'000'000'000;
constexpr double kMaxSeconds = 120;
constexpr std::size_t kMaxBatch = 64;  // datagrams per sendmmsg call

enum class Proto { Udp, Tcp };

struct Options {
  std::string target = "127.0.0.1:9125";
  Proto proto = Proto::Udp;
  double rate = 100'000;  // lines per second; 0 = as fast as possible
  std::uint64_t lines = 1'000'000;
  std::size_t lines_per_datagram = 20;
  std::size_t names = 1000;
  std::string type = "c";
  std::string metrics_url = "http://127.0.0.1:9102/metrics";
  double max_seconds = kMaxSeconds;
  double settle_seconds = 10;
  std::size_t sockets = 1;  // UDP source sockets (distinct source ports), used round-robin per batch
  std::size_t threads =
      1;  // UDP sender threads, each with its own sockets and an equal share of lines and rate
};

void usage() {
  std::fputs(
      "usage: statsd_load [--target HOST:PORT] [--proto udp|tcp] [--rate LINES_PER_S (0 = unpaced)]\n"
      "                   [--lines N] [--lines-per-datagram K] [--names D] [--type c|g|ms|h]\n"
      "                   [--metrics-url URL|''] [--max-seconds S (<= 120)] [--settle-seconds S]\n"
      "                   [--sockets N (UDP: N source ports, like N clients; SO_REUSEPORT spreads by flow)]\n"
      "                   [--threads T (UDP: T sender threads sharing lines and rate)]\n"
      "Sends N statsd lines named drift_metrics.ds<i>.v1.col<j>.metric (D distinct names) to a loopback\n"
      "target and compares with the target's statsd_exporter_lines_total.\n",
      stderr);
}

template <typename T>
std::optional<T> parse_number(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::expected<Options, std::string> parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") return std::unexpected(std::string());
    std::string_view value;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return std::unexpected(fmt::format("missing value for {}", arg));
    }
    const auto bad = [&] { return std::unexpected(fmt::format("bad value for {}: '{}'", arg, value)); };
    if (arg == "--target") {
      o.target = value;
    } else if (arg == "--proto") {
      if (value == "udp") {
        o.proto = Proto::Udp;
      } else if (value == "tcp") {
        o.proto = Proto::Tcp;
      } else {
        return bad();
      }
    } else if (arg == "--rate") {
      const auto v = parse_number<double>(value);
      if (!v || *v < 0) return bad();
      o.rate = *v;
    } else if (arg == "--lines") {
      // Accept 3e7 as well as 30000000.
      const auto v = parse_number<double>(value);
      if (!v || *v < 1 || *v > static_cast<double>(kMaxLines)) {
        return std::unexpected(fmt::format("--lines must be in [1, {}]", kMaxLines));
      }
      o.lines = static_cast<std::uint64_t>(*v);
    } else if (arg == "--lines-per-datagram") {
      const auto v = parse_number<std::size_t>(value);
      if (!v || *v < 1 || *v > 1000) return bad();
      o.lines_per_datagram = *v;
    } else if (arg == "--names") {
      const auto v = parse_number<double>(value);
      if (!v || *v < 1 || *v > 10'000'000) return bad();
      o.names = static_cast<std::size_t>(*v);
    } else if (arg == "--type") {
      if (value != "c" && value != "g" && value != "ms" && value != "h" && value != "d") return bad();
      o.type = value;
    } else if (arg == "--metrics-url") {
      o.metrics_url = value;
    } else if (arg == "--max-seconds") {
      const auto v = parse_number<double>(value);
      if (!v || *v <= 0 || *v > kMaxSeconds)
        return std::unexpected(fmt::format("--max-seconds must be in (0, {}]", kMaxSeconds));
      o.max_seconds = *v;
    } else if (arg == "--sockets") {
      const auto v = parse_number<std::size_t>(value);
      if (!v || *v < 1 || *v > 64) return bad();
      o.sockets = *v;
    } else if (arg == "--threads") {
      const auto v = parse_number<std::size_t>(value);
      if (!v || *v < 1 || *v > 16) return bad();
      o.threads = *v;
    } else if (arg == "--settle-seconds") {
      const auto v = parse_number<double>(value);
      if (!v || *v < 0 || *v > 60) return bad();
      o.settle_seconds = *v;
    } else {
      return std::unexpected(fmt::format("unknown option {}", arg));
    }
  }
  return o;
}

// Loopback only: this tool must never flood anything but the local machine.
bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, std::string(host).c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, std::string(host).c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

struct Target {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

std::expected<Target, std::string> resolve_target(std::string_view text) {
  std::string host;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return std::unexpected(fmt::format("bad target '{}'", text));
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return std::unexpected(fmt::format("target '{}' needs HOST:PORT", text));
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  if (!is_loopback_host(host)) return std::unexpected(fmt::format("refusing non-loopback target '{}'", text));
  if (host == "localhost") host = "127.0.0.1";
  const auto port = parse_number<std::uint16_t>(port_text);
  if (!port || *port == 0) return std::unexpected(fmt::format("bad port in '{}'", text));
  Target t;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&t.addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&t.addr);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(*port);
    t.len = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(*port);
    t.len = sizeof(sockaddr_in6);
  } else {
    return std::unexpected(fmt::format("bad host in '{}'", text));
  }
  return t;
}

// All segments (datagrams, or TCP chunks) concatenated, with their boundaries. Segment m holds
// lines for names m*K .. m*K+K-1 (mod D), so cycling through the segments touches every name.
struct Payload {
  std::string bytes;
  std::vector<std::size_t> offsets;  // segments + 1 entries
  std::size_t lines_per_segment = 0;

  [[nodiscard]] std::size_t segments() const { return offsets.size() - 1; }
  [[nodiscard]] std::string_view segment(std::size_t i) const {
    return std::string_view(bytes).substr(offsets[i], offsets[i + 1] - offsets[i]);
  }
};

void append_line(std::string& out, std::size_t name, std::string_view type) {
  // 50 datasets x N columns: a realistic 4-capture shape for the drift mapping.
  fmt::format_to(std::back_inserter(out), "drift_metrics.ds{}.v1.col{}.metric:1|{}", name % 50, name / 50,
                 type);
}

Payload build_payload(const Options& o) {
  Payload p;
  p.lines_per_segment = o.lines_per_datagram;
  const std::size_t segments =
      std::max<std::size_t>(1, (o.names + o.lines_per_datagram - 1) / o.lines_per_datagram);
  p.bytes.reserve(segments * o.lines_per_datagram * 48);
  p.offsets.reserve(segments + 1);
  for (std::size_t m = 0; m < segments; ++m) {
    p.offsets.push_back(p.bytes.size());
    for (std::size_t r = 0; r < o.lines_per_datagram; ++r) {
      if (r > 0) p.bytes.push_back('\n');
      append_line(p.bytes, (m * o.lines_per_datagram + r) % o.names, o.type);
    }
    if (o.proto == Proto::Tcp) p.bytes.push_back('\n');  // a stream needs every line terminated
  }
  p.offsets.push_back(p.bytes.size());
  return p;
}

struct ExporterCounters {
  double lines = 0;
  double packets = 0;
  std::optional<double> rss;
  double scrape_seconds = 0;  // how long the GET of /metrics took, end to end
  std::size_t scrape_bytes = 0;
};

std::optional<double> sample(std::string_view body, std::string_view name) {
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto end = body.find('\n', pos);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == ' ') {
      return parse_number<double>(line.substr(name.size() + 1));
    }
  }
  return std::nullopt;
}

std::optional<ExporterCounters> read_counters(const std::string& url) {
  if (url.empty()) return std::nullopt;
  promcast::HttpOptions options;
  options.timeout = 10s;
  options.max_body_bytes = std::size_t{1} << 31;
  const auto started = Clock::now();
  const auto response = promcast::http_get(url, options);
  if (!response || response->status != 200) return std::nullopt;
  ExporterCounters c;
  c.scrape_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  c.scrape_bytes = response->body.size();
  c.lines = sample(response->body, "statsd_exporter_lines_total").value_or(0);
  c.packets = sample(response->body, "statsd_exporter_udp_packets_total").value_or(0);
  c.rss = sample(response->body, "process_resident_memory_bytes");
  return c;
}

struct SendResult {
  std::uint64_t lines = 0;
  std::uint64_t segments = 0;
  std::uint64_t errors = 0;
  double seconds = 0;
  bool deadline_hit = false;
};

// Lines allowed by time `now` at `rate`; pacing sends whatever the schedule owes, in small bursts.
std::uint64_t owed_lines(double rate, Clock::time_point start, Clock::time_point now, std::uint64_t total) {
  if (rate <= 0) return total;
  const double elapsed = std::chrono::duration<double>(now - start).count();
  return std::min<std::uint64_t>(total, static_cast<std::uint64_t>(elapsed * rate) + 1);
}

SendResult send_udp(const std::vector<int>& fds, const Options& o, const Payload& p,
                    std::size_t first_segment) {
  SendResult r;
  std::vector<mmsghdr> msgs(kMaxBatch);
  std::vector<iovec> iovs(kMaxBatch);
  // A burst is at most ~1 ms of traffic so the receiver sees a smooth stream.
  const std::size_t burst =
      o.rate <= 0 ? kMaxBatch
                  : std::clamp<std::size_t>(static_cast<std::size_t>(o.rate / 1000.0 / o.lines_per_datagram),
                                            1, kMaxBatch);
  const std::uint64_t full_segments = o.lines / o.lines_per_datagram;
  const std::uint64_t tail_lines = o.lines % o.lines_per_datagram;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(o.max_seconds);
  std::size_t next = first_segment % p.segments();
  while (r.segments < full_segments) {
    const auto now = Clock::now();
    if (now >= deadline) {
      r.deadline_hit = true;
      break;
    }
    const std::uint64_t owed = owed_lines(o.rate, start, now, o.lines);
    if (owed <= r.lines) {
      const double wait_s = (static_cast<double>(r.lines + o.lines_per_datagram) / o.rate) -
                            std::chrono::duration<double>(now - start).count();
      if (wait_s > 200e-6) std::this_thread::sleep_for(std::chrono::duration<double>(wait_s / 2));
      continue;
    }
    const std::size_t want =
        std::min<std::uint64_t>({burst, full_segments - r.segments,
                                 (owed - r.lines + o.lines_per_datagram - 1) / o.lines_per_datagram});
    for (std::size_t i = 0; i < want; ++i) {
      const auto seg = p.segment((next + i) % p.segments());
      iovs[i].iov_base = const_cast<char*>(seg.data());
      iovs[i].iov_len = seg.size();
      msgs[i] = mmsghdr{};
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    // Each batch leaves from the next source socket: a kernel spreading SO_REUSEPORT sockets by
    // flow hash then sees several clients, as in production, instead of one.
    const int fd = fds[(r.segments / burst) % fds.size()];
    const int sent = ::sendmmsg(fd, msgs.data(), static_cast<unsigned>(want), 0);
    if (sent <= 0) {
      ++r.errors;
      if (errno != EINTR && errno != ENOBUFS && errno != EAGAIN) break;
      continue;
    }
    next = (next + static_cast<std::size_t>(sent)) % p.segments();
    r.segments += static_cast<std::uint64_t>(sent);
    r.lines += static_cast<std::uint64_t>(sent) * o.lines_per_datagram;
  }
  if (!r.deadline_hit && tail_lines > 0) {
    // The last datagram carries the remainder so exactly --lines lines are offered.
    const auto seg = p.segment(next);
    std::size_t cut = 0;
    for (std::uint64_t n = 0; n < tail_lines; ++n) cut = seg.find('\n', cut) + 1;
    const std::string_view tail = seg.substr(0, cut - 1);
    if (::send(fds.front(), tail.data(), tail.size(), 0) == static_cast<ssize_t>(tail.size())) {
      r.lines += tail_lines;
      ++r.segments;
    } else {
      ++r.errors;
    }
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

SendResult send_tcp(int fd, const Options& o, const Payload& p) {
  SendResult r;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(o.max_seconds);
  std::size_t next = 0;
  const std::uint64_t full_segments = o.lines / o.lines_per_datagram;
  while (r.segments < full_segments) {
    const auto now = Clock::now();
    if (now >= deadline) {
      r.deadline_hit = true;
      break;
    }
    const std::uint64_t owed = owed_lines(o.rate, start, now, o.lines);
    if (owed <= r.lines) {
      std::this_thread::sleep_for(100us);
      continue;
    }
    // One write covers a contiguous run of segments (up to 64 or the end of the payload).
    const std::uint64_t want_segments =
        std::min<std::uint64_t>({kMaxBatch, full_segments - r.segments, p.segments() - next,
                                 (owed - r.lines + o.lines_per_datagram - 1) / o.lines_per_datagram});
    std::string_view chunk =
        std::string_view(p.bytes).substr(p.offsets[next], p.offsets[next + want_segments] - p.offsets[next]);
    while (!chunk.empty()) {
      const auto n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        if (errno == EINTR) continue;
        ++r.errors;
        r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        return r;
      }
      chunk.remove_prefix(static_cast<std::size_t>(n));
    }
    next = (next + want_segments) % p.segments();
    r.segments += want_segments;
    r.lines += want_segments * o.lines_per_datagram;
  }
  if (!r.deadline_hit) {
    const std::uint64_t tail_lines = o.lines % o.lines_per_datagram;
    const auto seg = p.segment(next);
    std::size_t cut = 0;
    for (std::uint64_t n = 0; n < tail_lines; ++n) cut = seg.find('\n', cut) + 1;
    std::string_view tail = seg.substr(0, cut);
    while (!tail.empty()) {
      const auto n = ::send(fd, tail.data(), tail.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        ++r.errors;
        break;
      }
      tail.remove_prefix(static_cast<std::size_t>(n));
    }
    if (tail.empty()) r.lines += tail_lines;
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

// Splits lines and rate evenly over o.threads senders, each with its own o.sockets sockets and its
// own starting point in the payload; one sender runs on the calling thread.
SendResult send_udp_threads(const std::vector<int>& fds, const Options& o, const Payload& p) {
  if (o.threads == 1) return send_udp(fds, o, p, 0);
  std::vector<SendResult> results(o.threads);
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < o.threads; ++t) {
    Options share = o;
    share.lines = o.lines / o.threads + (t < o.lines % o.threads ? 1 : 0);
    share.rate = o.rate / static_cast<double>(o.threads);
    const std::vector<int> own(fds.begin() + static_cast<std::ptrdiff_t>(t * o.sockets),
                               fds.begin() + static_cast<std::ptrdiff_t>((t + 1) * o.sockets));
    const std::size_t first = t * p.segments() / o.threads;
    workers.emplace_back(
        [&results, t, share, own, &p, first] { results[t] = send_udp(own, share, p, first); });
  }
  for (auto& w : workers) w.join();
  SendResult total;
  for (const auto& r : results) {
    total.lines += r.lines;
    total.segments += r.segments;
    total.errors += r.errors;
    total.seconds = std::max(total.seconds, r.seconds);
    total.deadline_hit = total.deadline_hit || r.deadline_hit;
  }
  return total;
}

// Waits until the exporter's line counter reaches `expected` or stops moving for a second.
std::optional<ExporterCounters> settle(const Options& o, double expected) {
  std::optional<ExporterCounters> last = read_counters(o.metrics_url);
  if (!last) return std::nullopt;
  const auto deadline = Clock::now() + std::chrono::duration<double>(o.settle_seconds);
  int unchanged = 0;
  while (Clock::now() < deadline && last->lines < expected && unchanged < 4) {
    std::this_thread::sleep_for(250ms);
    auto now = read_counters(o.metrics_url);
    if (!now) break;
    unchanged = now->lines == last->lines ? unchanged + 1 : 0;
    last = now;
  }
  return last;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse_options(argc, argv);
  if (!options) {
    if (!options.error().empty()) std::fprintf(stderr, "statsd_load: %s\n", options.error().c_str());
    usage();
    return 2;
  }
  const Options& o = *options;
  auto target = resolve_target(o.target);
  if (!target) {
    std::fprintf(stderr, "statsd_load: %s\n", target.error().c_str());
    return 2;
  }
  if (!o.metrics_url.empty()) {
    const auto url = promcast::parse_http_url(o.metrics_url);
    if (!url || !is_loopback_host(url->host)) {
      std::fprintf(stderr, "statsd_load: --metrics-url must be an http:// loopback URL\n");
      return 2;
    }
  }
  if (o.rate > 0 && static_cast<double>(o.lines) / o.rate > o.max_seconds) {
    std::fprintf(stderr, "statsd_load: %llu lines at %.0f lines/s take longer than %.0f s; lower --lines\n",
                 static_cast<unsigned long long>(o.lines), o.rate, o.max_seconds);
    return 2;
  }

  if (o.proto == Proto::Tcp && (o.sockets != 1 || o.threads != 1)) {
    std::fprintf(stderr,
                 "statsd_load: --sockets and --threads apply to UDP only (TCP runs one connection)\n");
    return 2;
  }

  const Payload payload = build_payload(o);
  std::vector<int> fds;
  for (std::size_t i = 0; i < o.sockets * o.threads; ++i) {
    const int fd = ::socket(target->addr.ss_family, o.proto == Proto::Udp ? SOCK_DGRAM : SOCK_STREAM, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&target->addr), target->len) != 0) {
      std::fprintf(stderr, "statsd_load: cannot connect to %s: %s\n", o.target.c_str(), std::strerror(errno));
      return 1;
    }
    if (o.proto == Proto::Udp) {
      const int sndbuf = 4 << 20;
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    }
    fds.push_back(fd);
  }

  const auto before = read_counters(o.metrics_url);
  if (!o.metrics_url.empty() && !before) {
    std::fprintf(stderr, "statsd_load: warning: cannot read %s; lines counted will not be reported\n",
                 o.metrics_url.c_str());
  }
  const auto wall_start = Clock::now();
  const SendResult sent =
      o.proto == Proto::Udp ? send_udp_threads(fds, o, payload) : send_tcp(fds.front(), o, payload);
  for (const int fd : fds) ::close(fd);  // TCP: the exporter reads the rest of the stream and then sees EOF
  const auto after = before ? settle(o, before->lines + static_cast<double>(sent.lines)) : std::nullopt;
  const double wall = std::chrono::duration<double>(Clock::now() - wall_start).count();

  const auto segment_name = o.proto == Proto::Udp ? "datagram" : "write";
  std::printf("target          %s (%s, %zu lines/%s, %zu names, type %s, %zu sender%s x %zu socket%s)\n",
              o.target.c_str(), o.proto == Proto::Udp ? "udp" : "tcp", o.lines_per_datagram, segment_name,
              o.names, o.type.c_str(), o.threads, o.threads == 1 ? "" : "s", o.sockets,
              o.sockets == 1 ? "" : "s");
  std::printf("offered rate    %s\n", o.rate > 0 ? fmt::format("{:.0f} lines/s", o.rate).c_str() : "unpaced");
  std::printf("lines sent      %llu in %llu %ss%s\n", static_cast<unsigned long long>(sent.lines),
              static_cast<unsigned long long>(sent.segments), segment_name,
              sent.deadline_hit ? " (stopped at the time cap)" : "");
  std::printf("send errors     %llu\n", static_cast<unsigned long long>(sent.errors));
  std::printf("achieved rate   %.0f lines/s over %.3f s of sending\n",
              sent.seconds > 0 ? static_cast<double>(sent.lines) / sent.seconds : 0.0, sent.seconds);
  if (before && after) {
    const double counted = after->lines - before->lines;
    const double loss = sent.lines > 0 ? 100.0 * (1.0 - counted / static_cast<double>(sent.lines)) : 0.0;
    std::printf("lines counted   %.0f\n", counted);
    std::printf("loss            %.3f %%\n", loss);
    if (o.proto == Proto::Udp) std::printf("packets counted %.0f\n", after->packets - before->packets);
    if (after->rss) std::printf("exporter RSS    %.1f MiB\n", *after->rss / (1 << 20));
    std::printf("last scrape     %.1f ms for %.1f MiB of /metrics\n", after->scrape_seconds * 1e3,
                static_cast<double>(after->scrape_bytes) / (1 << 20));
  } else {
    std::printf("lines counted   n/a\nloss            n/a\n");
  }
  std::printf("wall time       %.3f s\n", wall);
  return sent.errors > 0 && sent.lines == 0 ? 1 : 0;
}
