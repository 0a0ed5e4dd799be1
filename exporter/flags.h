#pragma once
// The exporter's command line, parsed the way kingpin parses statsd_exporter's (v0.28) flags so that
// promcast accepts exactly the same invocations: `--flag=value` and `--flag value`, booleans as `--flag`,
// `--flag=false` or `--no-flag`, `-h`/`--help`, `--version`, `--` ends the flags; unknown flags, repeated
// flags and positional arguments are errors (exit code 1, like kingpin).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace promcast::exporter {

enum class CacheType : uint8_t { Lru, Random };
enum class LogFormat : uint8_t { Logfmt, Json };

/// Every flag of statsd_exporter with its default, plus promcast's own (marked "ours").
struct ExporterFlags {
  std::string listen_udp = ":9125";
  std::string listen_tcp = ":9125";
  std::string listen_unixgram;  // "" disables
  std::string unixsocket_mode = "755";
  std::string mapping_config;
  int read_buffer = 0;  // bytes; 0 keeps the kernel default (we still ask for a large buffer, see README)
  int cache_size = 1000;
  CacheType cache_type = CacheType::Lru;
  int event_queue_size = 10000;       // accepted for compatibility: we keep no event queue
  int event_flush_threshold = 1000;   // accepted for compatibility
  std::chrono::nanoseconds event_flush_interval = std::chrono::milliseconds(200);
  bool parse_dogstatsd_tags = true;
  bool parse_influxdb_tags = true;
  bool parse_librato_tags = true;
  bool parse_signalfx_tags = true;
  int udp_packet_queue_size = 10000;  // accepted for compatibility
  std::string relay_address;          // "" disables the relay
  int relay_packet_length = 1400;
  /// exporter-toolkit's flag is repeatable: every address gets the same endpoints.
  std::vector<std::string> web_listen_addresses = {":9102"};
  bool web_systemd_socket = false;  // accepted; only false is supported
  std::string telemetry_path = "/metrics";
  bool enable_lifecycle = false;
  bool check_config = false;
  std::string log_level = "info";  // debug|info|warn|error
  LogFormat log_format = LogFormat::Logfmt;
  std::string dump_fsm;         // accepted, not implemented (logged)
  std::string web_config_file;  // exporter-toolkit TLS/auth file (web_config.h); "" = plain HTTP, no auth
  // ours
  std::size_t max_series = 0;  // 0 = unlimited
  int udp_readers = 0;         // 0 = one reader per core
};

/// What the command line asks for besides running.
enum class FlagsAction : uint8_t { Run, Help, Version };

struct ParsedFlags {
  ExporterFlags flags;
  FlagsAction action = FlagsAction::Run;
};

/// Parses the arguments after the program name. A flag may be given once, except --web.listen-address
/// (repeatable; the first use replaces the default). Errors carry kingpin's message text, e.g.
/// "unknown long flag '--foo'" (the caller prints "<program>: error: <message>, try --help").
[[nodiscard]] std::expected<ParsedFlags, Error> parse_exporter_flags(std::span<const std::string_view> args);

/// The `--help` text listing every flag with its default.
[[nodiscard]] std::string exporter_usage(std::string_view program);

/// Go's time.ParseDuration ("200ms", "1m30s", "1.5h", "0"); exposed for tests.
[[nodiscard]] std::expected<std::chrono::nanoseconds, Error> parse_go_duration(std::string_view text);

}  // namespace promcast::exporter
