#include "exporter/self_metrics.h"

#include <dirent.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "exporter/exposition.h"

namespace promcast::exporter {
namespace {

// Go's GOARCH name for the machine this was built for: dashboards group statsd_exporter instances by it.
constexpr std::string_view kGoArch =
#if defined(__x86_64__)
    "amd64";
#elif defined(__aarch64__)
    "arm64";
#elif defined(__i386__)
    "386";
#elif defined(__arm__)
    "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    "ppc64le";
#elif defined(__s390x__)
    "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
    "riscv64";
#else
    "unknown";
#endif

using CounterFamily = prometheus::Family<prometheus::Counter>;
using GaugeFamily = prometheus::Family<prometheus::Gauge>;

// Where each runtime Stat goes: family index and label value ("" = unlabelled).
struct StatTarget {
  int family;  // index into Impl::counter_families_
  std::string_view label_value;
};

enum CounterFamilyId : int {
  kEvents,
  kEventQueueFlushed,
  kEventsUnmapped,
  kUdpPackets,
  kUdpPacketDrops,
  kTcpConnections,
  kTcpErrors,
  kTcpTooLong,
  kUnixgramPackets,
  kLines,
  kSamples,
  kSampleErrors,
  kTags,
  kTagErrors,
  kConfigReloads,
  kEventsConflict,
  kEventsError,
  kEventsActions,
  kUdpKernelDrops,
  kCacheGets,
  kCacheHits,
  kRelayDropped,
  kRelayPackets,
  kRelayLongLines,
  kRelayLinesRelayed,
  kCounterFamilyCount,
};

struct CounterSpec {
  std::string_view name;
  std::string_view help;
  std::string_view label;  // "" = unlabelled (the conflict family's two labels are handled apart)
  bool eager;              // a plain client_golang Counter shows 0 from the start
};

// Names and help texts as statsd_exporter registers them (ours marked).
constexpr CounterSpec kCounterSpecs[kCounterFamilyCount] = {
    {"statsd_exporter_events_total", "The total number of StatsD events seen.", "type", false},
    {"statsd_exporter_event_queue_flushed_total", "Number of times events were flushed to exporter", "", true},
    {"statsd_exporter_events_unmapped_total", "The total number of StatsD events no mapping was found for.", "",
     true},
    {"statsd_exporter_udp_packets_total", "The total number of StatsD packets received over UDP.", "", true},
    {"statsd_exporter_udp_packet_drops_total", "The total number of dropped StatsD packets which received over UDP.",
     "", true},
    {"statsd_exporter_tcp_connections_total", "The total number of TCP connections handled.", "", true},
    {"statsd_exporter_tcp_connection_errors_total", "The number of errors encountered reading from TCP.", "", true},
    {"statsd_exporter_tcp_too_long_lines_total", "The number of lines discarded due to being too long.", "", true},
    {"statsd_exporter_unixgram_packets_total", "The total number of StatsD packets received over Unixgram.", "",
     true},
    {"statsd_exporter_lines_total", "The total number of StatsD lines received.", "", true},
    {"statsd_exporter_samples_total", "The total number of StatsD samples received.", "", true},
    {"statsd_exporter_sample_errors_total", "The total number of errors parsing StatsD samples.", "reason", false},
    {"statsd_exporter_tags_total", "The total number of DogStatsD tags processed.", "", true},
    {"statsd_exporter_tag_errors_total", "The number of errors parsing DogStatsD tags.", "", true},
    {"statsd_exporter_config_reloads_total", "The number of configuration reloads.", "outcome", false},
    {"statsd_exporter_events_conflict_total", "The total number of StatsD events with conflicting names.", "type",
     false},
    {"statsd_exporter_events_error_total", "The total number of StatsD events discarded due to errors.", "reason",
     false},
    {"statsd_exporter_events_actions_total", "The total number of StatsD events by action.", "action", false},
    // ours: shown once non-zero so that a healthy promcast exposes the same series as statsd_exporter
    {"statsd_exporter_udp_kernel_drops_total",
     "UDP datagrams the kernel dropped because a socket receive buffer was full (SO_RXQ_OVFL).", "", false},
    {"statsd_metric_mapper_cache_gets_total", "The count of total metric cache gets.", "", true},
    {"statsd_metric_mapper_cache_hits_total", "The count of total metric cache hits.", "", true},
    {"statsd_exporter_relay_dropped_lines_total", "Lines the relay dropped because its send queue was full.", "",
     false},
    // statsd_exporter 0.30's pkg/relay, labelled with the --statsd.relay.address value
    {"statsd_exporter_relay_packets_total", "The number of StatsD packets relayed.", "target", false},
    {"statsd_exporter_relay_long_lines_total", "The number lines that were too long to relay.", "target", false},
    {"statsd_exporter_relay_lines_relayed_total", "The number of lines that were buffered to be relayed.", "target",
     false},
};

constexpr StatTarget kStatTargets[kStatCount] = {
    {kUdpPackets, ""},
    {kUnixgramPackets, ""},
    {kTcpConnections, ""},
    {kTcpErrors, ""},
    {kTcpTooLong, ""},
    {kEvents, "counter"},
    {kEvents, "gauge"},
    {kEvents, "observer"},
    {kEventsUnmapped, ""},
    {kEventsActions, "map"},
    {kEventsActions, "drop"},
    {kEventsError, "empty_metric_name"},
    {kEventsError, "illegal_negative_counter"},
    {kEventsError, "series_limit"},
    {kEventQueueFlushed, ""},
    {kUdpKernelDrops, ""},
    {kCacheGets, ""},
    {kCacheHits, ""},
};

struct ProcessStats {
  double cpu_seconds = 0;
  double virtual_bytes = 0;
  double resident_bytes = 0;
  double start_time_seconds = 0;
  double open_fds = 0;
  double max_fds = 0;
  double max_virtual = 0;
};

ProcessStats read_process_stats() {
  ProcessStats p;
  std::ifstream stat_file("/proc/self/stat");
  std::string content((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  const auto close = content.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(content.substr(close + 2));
    std::vector<std::string> f;
    for (std::string token; fields >> token;) f.push_back(token);
    // f[0] is field 3 (state); field N is f[N - 3].
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    if (f.size() > 21) {
      p.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
      p.virtual_bytes = std::stod(f[20]);
      p.resident_bytes = std::stod(f[21]) * page;
      double boot_time = 0;
      std::ifstream proc_stat("/proc/stat");
      for (std::string line; std::getline(proc_stat, line);) {
        if (line.rfind("btime ", 0) == 0) boot_time = std::stod(line.substr(6));
      }
      p.start_time_seconds = boot_time + std::stod(f[19]) / ticks;
    }
  }
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    int count = 0;
    while (dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
    p.open_fds = count - 1;  // minus the directory stream itself
  }
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) p.max_fds = static_cast<double>(limit.rlim_cur);
  if (::getrlimit(RLIMIT_AS, &limit) == 0) {
    p.max_virtual = limit.rlim_cur == RLIM_INFINITY ? 1.8446744073709552e19 : static_cast<double>(limit.rlim_cur);
  }
  return p;
}

void append_help_escaped(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

}  // namespace

constexpr std::string_view kConflictTypeNames[kConflictTypeCount] = {"counter", "gauge", "observer"};

void RuntimeCounters::add_conflict(ConflictType type, std::string_view metric_name) {
  auto it = conflicts.find(metric_name);
  if (it == conflicts.end())
    it = conflicts.emplace(std::string(metric_name), std::array<uint64_t, kConflictTypeCount>{}).first;
  ++it->second[static_cast<std::size_t>(type)];
}

void RuntimeCounters::add(const RuntimeCounters& other) {
  for (std::size_t i = 0; i < kStatCount; ++i) stats[i] += other.stats[i];
  parse.add(other.parse);
  for (const auto& [name, counts] : other.conflicts) {
    auto& mine = conflicts[name];
    for (std::size_t t = 0; t < kConflictTypeCount; ++t) mine[t] += counts[t];
  }
}

void StatsSlot::publish(RuntimeCounters& local) {
  std::lock_guard lock(mutex_);
  pending_.add(local);
  local = RuntimeCounters{};
}

void StatsSlot::retire() {
  std::lock_guard lock(mutex_);
  retired_ = true;
}

struct SelfMetrics::Impl {
  prometheus::Registry registry;
  std::array<CounterFamily*, kCounterFamilyCount> counters{};
  GaugeFamily* loaded_mappings = nullptr;
  GaugeFamily* metrics_total = nullptr;
  GaugeFamily* last_reload_ok = nullptr;
  GaugeFamily* last_reload_time = nullptr;
  GaugeFamily* cache_length = nullptr;
  GaugeFamily* build_info = nullptr;
  GaugeFamily* scrapes_in_flight = nullptr;
  CounterFamily* scrapes_total = nullptr;
  CounterFamily* process_cpu = nullptr;  // a counter, as client_golang's process collector has it
  std::array<GaugeFamily*, 6> process{};
  std::mutex slots_mutex;
  std::vector<std::shared_ptr<StatsSlot>> slots;
  std::mutex fold_mutex;
  std::string version;

  void add_counter(int family, std::string_view label_value, uint64_t delta) {
    if (delta == 0) return;
    const auto& spec = kCounterSpecs[family];
    prometheus::Labels labels;
    if (!spec.label.empty()) labels.emplace(std::string(spec.label), std::string(label_value));
    counters[family]->Add(labels).Increment(static_cast<double>(delta));
  }

  void add_all(const RuntimeCounters& c) {
    for (std::size_t i = 0; i < kStatCount; ++i) {
      add_counter(kStatTargets[i].family, kStatTargets[i].label_value, c.stats[i]);
    }
    add_counter(kLines, "", c.parse.lines);
    add_counter(kSamples, "", c.parse.samples);
    add_counter(kTags, "", c.parse.tags);
    add_counter(kTagErrors, "", c.parse.tag_errors);
    for (std::size_t r = 0; r < kErrorReasonCount; ++r) {
      add_counter(kSampleErrors, error_reason_name(static_cast<ErrorReason>(r)), c.parse.errors[r]);
    }
    for (const auto& [name, counts] : c.conflicts) {
      for (std::size_t t = 0; t < kConflictTypeCount; ++t) {
        if (counts[t] == 0) continue;
        counters[kEventsConflict]
            ->Add({{"metric_name", name}, {"type", std::string(kConflictTypeNames[t])}})
            .Increment(static_cast<double>(counts[t]));
      }
    }
  }
};

SelfMetrics::SelfMetrics(std::string version) : impl_(std::make_unique<Impl>()) {
  impl_->version = std::move(version);
  auto& reg = impl_->registry;
  for (int i = 0; i < kCounterFamilyCount; ++i) {
    const auto& spec = kCounterSpecs[i];
    impl_->counters[i] = &prometheus::BuildCounter().Name(std::string(spec.name)).Help(std::string(spec.help)).Register(reg);
    if (spec.eager) impl_->counters[i]->Add({});
  }
  auto gauge = [&](std::string_view name, std::string_view help) {
    return &prometheus::BuildGauge().Name(std::string(name)).Help(std::string(help)).Register(reg);
  };
  impl_->loaded_mappings = gauge("statsd_exporter_loaded_mappings", "The current number of configured metric mappings.");
  impl_->loaded_mappings->Add({});
  impl_->metrics_total = gauge("statsd_exporter_metrics_total", "The total number of metrics.");
  // promcast's own (statsd_exporter has only config_reloads_total{outcome}): named like Prometheus'
  // prometheus_config_last_reload_successful, so no statsd_exporter_ name promises what upstream lacks.
  impl_->last_reload_ok = gauge("promcast_config_last_reload_successful",
                                "Whether the last configuration reload attempt was successful.");
  impl_->last_reload_time = gauge("promcast_config_last_reload_success_timestamp_seconds",
                                  "Timestamp of the last successful configuration reload.");
  impl_->cache_length = gauge("statsd_metric_mapper_cache_length", "The count of unique metrics currently cached.");
  impl_->cache_length->Add({});
  impl_->build_info = gauge("statsd_exporter_build_info",
                            "A metric with a constant '1' value labeled by version, revision, branch, goversion "
                            "from which statsd_exporter was built, and the goos and goarch for the build.");
  impl_->build_info
      ->Add({{"branch", ""},
             {"goarch", std::string(kGoArch)},
             {"goos", "linux"},
             {"goversion", "promcast"},
             {"revision", ""},
             {"tags", ""},
             {"version", impl_->version}})
      .Set(1);
  impl_->scrapes_in_flight =
      gauge("promhttp_metric_handler_requests_in_flight", "Current number of scrapes being served.");
  impl_->scrapes_in_flight->Add({});
  impl_->scrapes_total = &prometheus::BuildCounter()
                              .Name("promhttp_metric_handler_requests_total")
                              .Help("Total number of scrapes by HTTP status code.")
                              .Register(reg);
  for (const char* code : {"200", "500", "503"}) impl_->scrapes_total->Add({{"code", code}});
  impl_->process_cpu = &prometheus::BuildCounter()
                            .Name("process_cpu_seconds_total")
                            .Help("Total user and system CPU time spent in seconds.")
                            .Register(reg);
  impl_->process_cpu->Add({});
  const std::pair<std::string_view, std::string_view> process_specs[6] = {
      {"process_max_fds", "Maximum number of open file descriptors."},
      {"process_open_fds", "Number of open file descriptors."},
      {"process_resident_memory_bytes", "Resident memory size in bytes."},
      {"process_start_time_seconds", "Start time of the process since unix epoch in seconds."},
      {"process_virtual_memory_bytes", "Virtual memory size in bytes."},
      {"process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes."},
  };
  for (std::size_t i = 0; i < 6; ++i) {
    impl_->process[i] = gauge(process_specs[i].first, process_specs[i].second);
    impl_->process[i]->Add({});
  }
}

SelfMetrics::~SelfMetrics() = default;

std::shared_ptr<StatsSlot> SelfMetrics::new_slot() {
  auto slot = std::make_shared<StatsSlot>();
  std::lock_guard lock(impl_->slots_mutex);
  impl_->slots.push_back(slot);
  return slot;
}

void SelfMetrics::fold() {
  std::vector<std::shared_ptr<StatsSlot>> slots;
  {
    std::lock_guard lock(impl_->slots_mutex);
    slots = impl_->slots;
  }
  std::lock_guard fold_lock(impl_->fold_mutex);
  std::vector<StatsSlot*> retired;
  for (const auto& slot : slots) {
    RuntimeCounters taken;
    bool is_retired = false;
    {
      std::lock_guard lock(slot->mutex_);
      taken = slot->pending_;
      slot->pending_ = RuntimeCounters{};
      is_retired = slot->retired_;
    }
    impl_->add_all(taken);
    if (is_retired) retired.push_back(slot.get());
  }
  if (!retired.empty()) {
    std::lock_guard lock(impl_->slots_mutex);
    std::erase_if(impl_->slots, [&](const std::shared_ptr<StatsSlot>& s) {
      return std::find(retired.begin(), retired.end(), s.get()) != retired.end();
    });
  }
}

void SelfMetrics::add(const RuntimeCounters& counters) {
  std::lock_guard fold_lock(impl_->fold_mutex);
  impl_->add_all(counters);
}

void SelfMetrics::set_loaded_mappings(std::size_t count) {
  impl_->loaded_mappings->Add({}).Set(static_cast<double>(count));
}

void SelfMetrics::record_reload(bool success, std::chrono::system_clock::time_point when) {
  {
    std::lock_guard fold_lock(impl_->fold_mutex);
    impl_->add_counter(kConfigReloads, success ? "success" : "failure", 1);
  }
  impl_->last_reload_ok->Add({}).Set(success ? 1 : 0);
  if (success) {
    impl_->last_reload_time->Add({}).Set(std::chrono::duration<double>(when.time_since_epoch()).count());
  }
}

void SelfMetrics::set_initial_load(std::chrono::system_clock::time_point when) {
  impl_->last_reload_ok->Add({}).Set(1);
  impl_->last_reload_time->Add({}).Set(std::chrono::duration<double>(when.time_since_epoch()).count());
}

void SelfMetrics::set_metric_vectors(const MetricStore& store) {
  for (MetricKind kind : {MetricKind::Counter, MetricKind::Gauge, MetricKind::Histogram, MetricKind::Summary}) {
    const std::size_t n = store.vector_count(kind);
    if (n == 0) continue;  // client_golang's GaugeVec child appears with the first vector of that kind
    impl_->metrics_total->Add({{"type", std::string(kind_name(kind))}}).Set(static_cast<double>(n));
  }
}

void SelfMetrics::set_cache_length(std::size_t entries) {
  impl_->cache_length->Add({}).Set(static_cast<double>(entries));
}

void SelfMetrics::set_relay_counts(std::string_view target, const RelayCounts& counts) {
  const prometheus::Labels labels{{"target", std::string(target)}};
  auto raise_to = [](prometheus::Counter& counter, std::uint64_t total) {
    const double delta = static_cast<double>(total) - counter.Value();
    if (delta > 0) counter.Increment(delta);
  };
  raise_to(impl_->counters[kRelayPackets]->Add(labels), counts.packets);
  raise_to(impl_->counters[kRelayLongLines]->Add(labels), counts.long_lines);
  raise_to(impl_->counters[kRelayLinesRelayed]->Add(labels), counts.lines_relayed);
  if (counts.queue_dropped > 0) raise_to(impl_->counters[kRelayDropped]->Add({}), counts.queue_dropped);
}

prometheus::Registry& SelfMetrics::registry() { return impl_->registry; }

void SelfMetrics::begin_scrape() { impl_->scrapes_in_flight->Add({}).Increment(); }

void SelfMetrics::end_scrape(int status_code) {
  impl_->scrapes_in_flight->Add({}).Decrement();
  impl_->scrapes_total->Add({{"code", std::to_string(status_code)}}).Increment();
}

void SelfMetrics::write_text(std::string& out) {
  fold();
  const ProcessStats p = read_process_stats();
  const double values[6] = {p.max_fds,       p.open_fds,   p.resident_bytes, p.start_time_seconds,
                            p.virtual_bytes, p.max_virtual};
  for (std::size_t i = 0; i < 6; ++i) impl_->process[i]->Add({}).Set(values[i]);
  {
    // A counter only goes up: add what the kernel's count grew by since the last scrape.
    std::lock_guard fold_lock(impl_->fold_mutex);
    auto& cpu = impl_->process_cpu->Add({});
    if (p.cpu_seconds > cpu.Value()) cpu.Increment(p.cpu_seconds - cpu.Value());
  }

  auto families = impl_->registry.Collect();
  std::sort(families.begin(), families.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (auto& family : families) {
    if (family.metric.empty()) continue;
    for (auto& m : family.metric) std::sort(m.label.begin(), m.label.end());
    std::sort(family.metric.begin(), family.metric.end(), [](const auto& a, const auto& b) {
      // client_golang orders series by label values in label-name order.
      for (std::size_t i = 0; i < std::min(a.label.size(), b.label.size()); ++i) {
        if (a.label[i].value != b.label[i].value) return a.label[i].value < b.label[i].value;
      }
      return a.label.size() < b.label.size();
    });
    const bool is_counter = family.type == prometheus::MetricType::Counter;
    out += "# HELP ";
    out += family.name;
    out += ' ';
    append_help_escaped(out, family.help);
    out += "\n# TYPE ";
    out += family.name;
    out += is_counter ? " counter\n" : " gauge\n";
    for (const auto& m : family.metric) {
      out += family.name;
      if (!m.label.empty()) {
        out += '{';
        for (std::size_t i = 0; i < m.label.size(); ++i) {
          if (i) out += ',';
          out += m.label[i].name;
          out += "=\"";
          append_escaped_label_value(out, m.label[i].value);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      append_go_float(out, is_counter ? m.counter.value : m.gauge.value);
      out += '\n';
    }
  }
}

double SelfMetrics::value(std::string_view name,
                          std::initializer_list<std::pair<std::string_view, std::string_view>> labels) {
  fold();
  for (const auto& family : impl_->registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      if (m.label.size() != labels.size()) continue;
      const bool match = std::all_of(labels.begin(), labels.end(), [&](const auto& want) {
        return std::any_of(m.label.begin(), m.label.end(),
                           [&](const auto& l) { return l.name == want.first && l.value == want.second; });
      });
      if (match) return family.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
    }
  }
  return 0;
}

double SelfMetrics::value(std::string_view name, std::string_view label_name, std::string_view label_value) {
  fold();
  for (const auto& family : impl_->registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      const bool match = label_name.empty()
                             ? m.label.empty()
                             : (m.label.size() == 1 && m.label[0].name == label_name && m.label[0].value == label_value);
      if (match) return family.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
    }
  }
  return 0;
}

namespace {
// Splits a sorted exposition into (family name, block text) pieces; a block starts at "# HELP ".
struct Block {
  std::string_view name;
  std::string_view text;
};

std::vector<Block> split_blocks(std::string_view text) {
  std::vector<Block> blocks;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t next = text.find("\n# HELP ", pos);
    const std::size_t end = next == std::string_view::npos ? text.size() : next + 1;
    std::string_view block = text.substr(pos, end - pos);
    std::string_view name;
    if (block.starts_with("# HELP ")) {
      name = block.substr(7);
      name = name.substr(0, name.find_first_of(" \n"));
    } else if (block.starts_with("# TYPE ")) {
      name = block.substr(7);
      name = name.substr(0, name.find_first_of(" \n"));
    }
    blocks.push_back({name, block});
    pos = end;
  }
  return blocks;
}
}  // namespace

void merge_expositions(std::string_view first, std::string_view second, std::string& out) {
  const auto a = split_blocks(first);
  const auto b = split_blocks(second);
  out.reserve(out.size() + first.size() + second.size());
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() || j < b.size()) {
    if (j >= b.size() || (i < a.size() && a[i].name <= b[j].name)) {
      if (j < b.size() && a[i].name == b[j].name) ++j;  // the first source wins a name clash
      out += a[i++].text;
    } else {
      out += b[j++].text;
    }
  }
}

}  // namespace promcast::exporter
