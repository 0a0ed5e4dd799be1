#include "exporter/flags.h"

#include <charconv>
#include <cmath>
#include <functional>
#include <optional>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "common/go_int.h"

namespace promcast::exporter {
namespace {

enum class Kind : uint8_t { String, Int, Bool, Duration, Enum, Size };

struct FlagSpec {
  std::string_view name;
  Kind kind;
  std::string_view default_text;
  std::string_view help;
  bool repeatable = false;
  // Stores a textual value into the flags; returns an error message (kingpin wording) or "".
  std::function<std::string(ExporterFlags&, std::string_view)> set;
};

std::string go_int_error(std::string_view v, bool range) {
  return fmt::format("strconv.ParseInt: parsing \"{}\": {}", v, range ? "value out of range" : "invalid syntax");
}

// kingpin's Int() reads integers with strconv.ParseInt(v, 0, 64) and reports its error text.
std::expected<long long, std::string> parse_go_int(std::string_view v) {
  auto parsed = promcast::parse_go_int(v);
  if (!parsed) return std::unexpected(go_int_error(v, parsed.error() == GoIntError::Range));
  return *parsed;
}

std::string set_int(int& out, std::string_view v) {
  auto parsed = parse_go_int(v);
  if (!parsed) return parsed.error();
  // kingpin's Int() is Go's int (64-bit); we store int, so reject what does not fit instead of wrapping.
  if (*parsed < INT32_MIN || *parsed > INT32_MAX) return go_int_error(v, true);
  out = static_cast<int>(*parsed);
  return {};
}

std::string set_bool(bool& out, std::string_view v) {
  // Go's strconv.ParseBool.
  static constexpr std::string_view kTrue[] = {"1", "t", "T", "TRUE", "true", "True"};
  static constexpr std::string_view kFalse[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (auto t : kTrue) {
    if (v == t) {
      out = true;
      return {};
    }
  }
  for (auto f : kFalse) {
    if (v == f) {
      out = false;
      return {};
    }
  }
  return fmt::format("strconv.ParseBool: parsing \"{}\": invalid syntax", v);
}

std::string set_enum(std::string& out, std::string_view v, std::initializer_list<std::string_view> allowed) {
  std::string joined;
  for (auto a : allowed) {
    if (v == a) {
      out = std::string(v);
      return {};
    }
    if (!joined.empty()) joined += ',';
    joined += a;
  }
  return fmt::format("enum value must be one of {}, got '{}'", joined, v);
}

const std::vector<FlagSpec>& flag_specs() {
  static const std::vector<FlagSpec> specs = {
      {"web.listen-address", Kind::String, ":9102",
       "Addresses on which to expose metrics and web interface. Repeatable for multiple addresses.", true,
       [](ExporterFlags& f, std::string_view v) { f.web_listen_addresses.emplace_back(v); return std::string(); }},
      {"web.systemd-socket", Kind::Bool, "false",
       "Use systemd socket activation listeners instead of port listeners (not supported by promcast).", false,
       [](ExporterFlags& f, std::string_view v) { return set_bool(f.web_systemd_socket, v); }},
      {"web.enable-lifecycle", Kind::Bool, "false", "Enable shutdown and reload via HTTP request.", false,
       [](ExporterFlags& f, std::string_view v) { return set_bool(f.enable_lifecycle, v); }},
      {"web.telemetry-path", Kind::String, "/metrics", "Path under which to expose metrics.", false,
       [](ExporterFlags& f, std::string_view v) { f.telemetry_path = v; return std::string(); }},
      {"web.config.file", Kind::String, "",
       "[EXPERIMENTAL] Path to configuration file that can enable TLS or authentication. See: "
       "https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md",
       false,
       [](ExporterFlags& f, std::string_view v) { f.web_config_file = v; return std::string(); }},
      {"statsd.listen-udp", Kind::String, ":9125",
       "The UDP address on which to receive statsd metric lines. \"\" disables it.", false,
       [](ExporterFlags& f, std::string_view v) { f.listen_udp = v; return std::string(); }},
      {"statsd.listen-tcp", Kind::String, ":9125",
       "The TCP address on which to receive statsd metric lines. \"\" disables it.", false,
       [](ExporterFlags& f, std::string_view v) { f.listen_tcp = v; return std::string(); }},
      {"statsd.listen-unixgram", Kind::String, "",
       "The Unixgram socket path to receive statsd metric lines in datagram. \"\" disables it.", false,
       [](ExporterFlags& f, std::string_view v) { f.listen_unixgram = v; return std::string(); }},
      {"statsd.unixsocket-mode", Kind::String, "755", "The permission mode of the unix socket.", false,
       [](ExporterFlags& f, std::string_view v) { f.unixsocket_mode = v; return std::string(); }},
      {"statsd.mapping-config", Kind::String, "", "Metric mapping configuration file name.", false,
       [](ExporterFlags& f, std::string_view v) { f.mapping_config = v; return std::string(); }},
      {"statsd.read-buffer", Kind::Int, "",
       "Size (in bytes) of the operating system's transmit read buffer associated with the UDP or Unixgram "
       "connection.", false,
       [](ExporterFlags& f, std::string_view v) { return set_int(f.read_buffer, v); }},
      {"statsd.cache-size", Kind::Int, "1000", "Maximum size of your metric mapping cache.", false,
       [](ExporterFlags& f, std::string_view v) { return set_int(f.cache_size, v); }},
      {"statsd.cache-type", Kind::Enum, "lru", "Metric mapping cache type. Valid options are \"lru\" and \"random\"", false,
       [](ExporterFlags& f, std::string_view v) {
         std::string s;
         auto err = set_enum(s, v, {"lru", "random"});
         if (err.empty()) f.cache_type = s == "lru" ? CacheType::Lru : CacheType::Random;
         return err;
       }},
      {"statsd.event-queue-size", Kind::Int, "10000", "Size of internal queue for processing events.", false,
       [](ExporterFlags& f, std::string_view v) { return set_int(f.event_queue_size, v); }},
      {"statsd.event-flush-threshold", Kind::Int, "1000", "Number of events to hold in queue before flushing.", false,
       [](ExporterFlags& f, std::string_view v) { return set_int(f.event_flush_threshold, v); }},
      {"statsd.event-flush-interval", Kind::Duration, "200ms", "Maximum time between event queue flushes.", false,
       [](ExporterFlags& f, std::string_view v) {
         auto d = parse_go_duration(v);
         if (!d) return d.error().message;
         f.event_flush_interval = *d;
         return std::string();
       }},
      {"debug.dump-fsm", Kind::String, "",
       "The path to dump internal FSM generated for glob matching as Dot file (not supported by promcast).", false,
       [](ExporterFlags& f, std::string_view v) { f.dump_fsm = v; return std::string(); }},
      {"check-config", Kind::Bool, "false", "Check configuration and exit.", false,
       [](ExporterFlags& f, std::string_view v) { return set_bool(f.check_config, v); }},
      {"statsd.parse-dogstatsd-tags", Kind::Bool, "true", "Parse DogStatsd style tags. Enabled by default.", false,
       [](ExporterFlags& f, std::string_view v) { return set_bool(f.parse_dogstatsd_tags, v); }},
      {"statsd.parse-influxdb-tags", Kind::Bool, "true", "Parse InfluxDB style tags. Enabled by default.", false,
       [](ExporterFlags& f, std::string_view v) { return set_bool(f.parse_influxdb_tags, v); }},
      {"statsd.parse-librato-tags", Kind::Bool, "true", "Parse Librato style tags. Enabled by default.", false,
       [](ExporterFlags& f, std::string_view v) { return set_bool(f.parse_librato_tags, v); }},
      {"statsd.parse-signalfx-tags", Kind::Bool, "true", "Parse SignalFX style tags. Enabled by default.", false,
       [](ExporterFlags& f, std::string_view v) { return set_bool(f.parse_signalfx_tags, v); }},
      {"statsd.relay.address", Kind::String, "", "The UDP relay target address (host:port)", false,
       [](ExporterFlags& f, std::string_view v) { f.relay_address = v; return std::string(); }},
      {"statsd.relay.packet-length", Kind::Int, "1400", "Maximum relay output packet length to avoid fragmentation", false,
       [](ExporterFlags& f, std::string_view v) { return set_int(f.relay_packet_length, v); }},
      {"statsd.udp-packet-queue-size", Kind::Int, "10000", "Size of internal queue for processing UDP packets.", false,
       [](ExporterFlags& f, std::string_view v) { return set_int(f.udp_packet_queue_size, v); }},
      {"log.level", Kind::Enum, "info",
       "Only log messages with the given severity or above. One of: [debug, info, warn, error]", false,
       [](ExporterFlags& f, std::string_view v) {
         return set_enum(f.log_level, v, {"debug", "info", "warn", "error"});
       }},
      {"log.format", Kind::Enum, "logfmt", "Output format of log messages. One of: [logfmt, json]", false,
       [](ExporterFlags& f, std::string_view v) {
         std::string s;
         auto err = set_enum(s, v, {"logfmt", "json"});
         if (err.empty()) f.log_format = s == "json" ? LogFormat::Json : LogFormat::Logfmt;
         return err;
       }},
      {"statsd.max-series", Kind::Size, "0",
       "(promcast) Maximum number of series kept; new series beyond it are dropped and counted. 0 = unlimited.", false,
       [](ExporterFlags& f, std::string_view v) {
         auto parsed = parse_go_int(v);
         if (!parsed) return parsed.error();
         if (*parsed < 0) return fmt::format("--statsd.max-series must not be negative, got {}", v);
         f.max_series = static_cast<std::size_t>(*parsed);
         return std::string();
       }},
      {"statsd.udp-readers", Kind::Int, "0",
       "(promcast) Number of UDP reader threads (SO_REUSEPORT sockets). 0 = one per core.", false,
       [](ExporterFlags& f, std::string_view v) { return set_int(f.udp_readers, v); }},
  };
  return specs;
}

const FlagSpec* find_spec(std::string_view name) {
  for (const auto& s : flag_specs()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Error flag_error(std::string message) { return Error{std::move(message), {}, 0, 0}; }

}  // namespace

std::expected<std::chrono::nanoseconds, Error> parse_go_duration(std::string_view text) {
  const std::string original(text);
  auto invalid = [&] { return std::unexpected(flag_error(fmt::format("time: invalid duration \"{}\"", original))); };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return invalid();
  long double total = 0;
  while (!s.empty()) {
    std::size_t i = 0;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
    if (i == 0) return invalid();
    const std::string number(s.substr(0, i));
    if (number == "." || number.find('.') != number.rfind('.')) return invalid();
    s.remove_prefix(i);
    std::size_t u = 0;
    while (u < s.size() && !((s[u] >= '0' && s[u] <= '9') || s[u] == '.')) ++u;
    const std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    long double scale = 0;
    if (unit == "ns") scale = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") scale = 1e3L;
    else if (unit == "ms") scale = 1e6L;
    else if (unit == "s") scale = 1e9L;
    else if (unit == "m") scale = 60e9L;
    else if (unit == "h") scale = 3600e9L;
    else if (unit.empty()) return std::unexpected(flag_error(fmt::format("time: missing unit in duration \"{}\"", original)));
    else return std::unexpected(flag_error(fmt::format("time: unknown unit \"{}\" in duration \"{}\"", unit, original)));
    total += std::strtold(number.c_str(), nullptr) * scale;
  }
  if (total > 9.2233720368547758e18L) return invalid();
  const auto ns = static_cast<long long>(std::llround(static_cast<double>(total)));
  return std::chrono::nanoseconds(negative ? -ns : ns);
}

std::expected<ParsedFlags, Error> parse_exporter_flags(std::span<const std::string_view> args) {
  ParsedFlags out;
  std::set<std::string_view> seen;
  auto apply = [&](const FlagSpec& spec, std::string_view value) -> std::expected<void, Error> {
    const bool first_use = seen.insert(spec.name).second;
    if (spec.repeatable && first_use && spec.name == "web.listen-address") out.flags.web_listen_addresses.clear();
    if (!first_use && !spec.repeatable) {
      return std::unexpected(flag_error(fmt::format("flag '{}' cannot be repeated", spec.name)));
    }
    if (auto err = spec.set(out.flags, value); !err.empty()) {
      return std::unexpected(flag_error(err));
    }
    return {};
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--") {
      if (i + 1 < args.size()) {
        return std::unexpected(flag_error(fmt::format("unexpected {}", args[i + 1])));
      }
      break;
    }
    if (arg.starts_with("--")) {
      std::string_view body = arg.substr(2);
      std::string_view name = body;
      std::optional<std::string_view> value;
      if (auto eq = body.find('='); eq != std::string_view::npos) {
        name = body.substr(0, eq);
        value = body.substr(eq + 1);
      }
      if (name == "help") {
        out.action = FlagsAction::Help;
        return out;
      }
      if (name == "version") {
        out.action = FlagsAction::Version;
        return out;
      }
      const FlagSpec* spec = find_spec(name);
      bool negated = false;
      if (spec == nullptr && name.starts_with("no-")) {
        spec = find_spec(name.substr(3));
        negated = spec != nullptr && spec->kind == Kind::Bool;
        if (!negated) spec = nullptr;
      }
      if (spec == nullptr) return std::unexpected(flag_error(fmt::format("unknown long flag '--{}'", name)));
      if (spec->kind == Kind::Bool) {
        if (negated && value) {
          return std::unexpected(flag_error(fmt::format("unknown long flag '--{}'", name)));
        }
        auto r = apply(*spec, negated ? "false" : value.value_or("true"));
        if (!r) return std::unexpected(r.error());
        continue;
      }
      if (!value) {
        if (i + 1 >= args.size()) {
          return std::unexpected(flag_error(fmt::format("expected argument for flag '--{}'", name)));
        }
        value = args[++i];
      }
      auto r = apply(*spec, *value);
      if (!r) return std::unexpected(r.error());
      continue;
    }
    if (arg.starts_with("-") && arg.size() > 1) {
      if (arg == "-h") {
        out.action = FlagsAction::Help;
        return out;
      }
      return std::unexpected(flag_error(fmt::format("unknown short flag '-{}'", arg.substr(1, 1))));
    }
    return std::unexpected(flag_error(fmt::format("unexpected {}", arg)));
  }
  return out;
}

std::string exporter_usage(std::string_view program) {
  std::string text = fmt::format("usage: {} [<flags>]\n\nStatsD to Prometheus exporter (promcast).\n\nFlags:\n", program);
  text += "  -h, --[no-]help                Show context-sensitive help.\n";
  for (const auto& s : flag_specs()) {
    const std::string left =
        s.kind == Kind::Bool ? fmt::format("--[no-]{}", s.name) : fmt::format("--{}=<value>", s.name);
    text += fmt::format("      {:<40} {}", left, s.help);
    if (!s.default_text.empty()) text += fmt::format(" (default: {})", s.default_text);
    text += '\n';
  }
  text += "      --[no-]version             Show application version.\n";
  return text;
}

}  // namespace promcast::exporter
