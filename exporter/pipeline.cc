#include "exporter/pipeline.h"

#include <fmt/format.h>

#include <algorithm>

#include "exporter/relay.h"

namespace promcast::exporter {
namespace {

SummarySpec to_summary_spec(const mappings::SummaryOptions& options) {
  SummarySpec spec;
  for (const auto& q : options.quantiles) spec.objectives.emplace_back(q.quantile, q.error);
  spec.max_age = options.max_age;
  spec.age_buckets = options.age_buckets;
  spec.buf_cap = options.buf_cap;
  return spec;
}

// Go's EscapeMetricName leaves a name alone when it is already [a-zA-Z_][a-zA-Z0-9_]*.
bool needs_escaping(std::string_view name) {
  if (name.empty()) return false;
  if (name[0] >= '0' && name[0] <= '9') return true;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return true;
  }
  return false;
}

mappings::MetricType to_mapping_type(EventType type) {
  switch (type) {
    case EventType::Counter:
      return mappings::MetricType::Counter;
    case EventType::Gauge:
      return mappings::MetricType::Gauge;
    case EventType::Observer:
      break;
  }
  return mappings::MetricType::Observer;
}

}  // namespace

std::shared_ptr<const MappingState> MappingState::build(mappings::MappingConfig config) {
  auto state = std::make_shared<MappingState>();
  state->config = std::make_shared<const mappings::MappingConfig>(std::move(config));
  state->mapper = std::make_unique<mappings::Mapper>(state->config);
  state->summary_specs.reserve(state->config->mappings.size());
  for (const auto& m : state->config->mappings)
    state->summary_specs.push_back(to_summary_spec(m.summary_options));
  // statsd_exporter applies the defaults' max_age/age_buckets/buf_cap only through mappings; unmatched events
  // get the default quantiles with the client library's defaults.
  state->default_summary = to_summary_spec(state->config->defaults.unmatched_summary_options());
  state->hit_slots_ = state->config->mappings.size();
  state->hits_ = std::make_unique<std::atomic<uint64_t>[]>(state->hit_slots_);
  return state;
}

uint64_t MappingState::hits(std::size_t mapping_index) const {
  return mapping_index < hit_slots_ ? hits_[mapping_index].load(std::memory_order_relaxed) : 0;
}

void MappingState::add_hits(std::span<const uint64_t> counts) const {
  for (std::size_t i = 0; i < counts.size() && i < hit_slots_; ++i)
    if (counts[i] != 0) hits_[i].fetch_add(counts[i], std::memory_order_relaxed);
}

std::shared_ptr<const MappingState> MappingState::empty() {
  auto parsed = mappings::MappingConfig::parse("", "<none>");
  return build(parsed ? std::move(*parsed) : mappings::MappingConfig{});
}

std::expected<std::shared_ptr<const MappingState>, std::vector<Error>> MappingState::load_file(
    const std::string& path) {
  auto parsed = mappings::MappingConfig::load_file(path);
  if (!parsed) return std::unexpected(std::move(parsed.error()));
  return build(std::move(*parsed));
}

MappingHolder::MappingHolder(std::shared_ptr<const MappingState> state) : state_(std::move(state)) {}

std::shared_ptr<const MappingState> MappingHolder::get() const {
  return state_.load(std::memory_order_acquire);
}

void MappingHolder::set(std::shared_ptr<const MappingState> state) {
  state_.store(std::move(state), std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

PipelineOptions PipelineOptions::from_flags(const ExporterFlags& flags) {
  PipelineOptions o;
  o.parser.dogstatsd_tags = flags.parse_dogstatsd_tags;
  o.parser.influxdb_tags = flags.parse_influxdb_tags;
  o.parser.librato_tags = flags.parse_librato_tags;
  o.parser.signalfx_tags = flags.parse_signalfx_tags;
  o.cache_kind = flags.cache_type == CacheType::Random ? mappings::MapperCache::Kind::Random
                                                       : mappings::MapperCache::Kind::Lru;
  o.cache_size = flags.cache_size > 0 ? static_cast<std::size_t>(flags.cache_size) : 0;
  return o;
}

Pipeline::Pipeline(const PipelineOptions& options, const MappingHolder& mappings, MetricStore& store,
                   Relay* relay)
    : options_(options), holder_(mappings), store_(store), relay_(relay), parser_(options.parser) {
  labels_.reserve(16);
  generation_ = holder_.generation() + 1;  // force the first refresh
  refresh();
}

void Pipeline::refresh() {
  const uint64_t generation = holder_.generation();
  if (generation == generation_ && cache_) return;
  // Fold the old cache's hit counts before it goes away.
  if (cache_) {
    counters_.inc(Stat::CacheHits, cache_->hits() - cache_hits_seen_);
    counters_.inc(Stat::CacheGets, cache_->hits() + cache_->misses() - cache_hits_seen_ - cache_misses_seen_);
  }
  // ... and the old mappings' hits into the state they belong to.
  if (state_) state_->add_hits(mapping_hits_);
  generation_ = generation;
  state_ = holder_.get();
  mapping_hits_.assign(state_->config->mappings.size(), 0);
  cache_ = std::make_unique<mappings::MapperCache>(*state_->mapper, options_.cache_kind, options_.cache_size);
  cache_hits_seen_ = 0;
  cache_misses_seen_ = 0;
}

void Pipeline::process_packet(std::string_view datagram, std::chrono::steady_clock::time_point now) {
  now_ = now;
  if (relay_ != nullptr) {
    // statsd_exporter relays every non-empty line of the datagram, valid or not.
    std::string_view rest = datagram;
    for (;;) {
      const std::size_t nl = rest.find('\n');
      const std::string_view line = rest.substr(0, nl);
      if (!line.empty()) {
        relay_->relay_line(line);  // the relay counts what it does not forward
      }
      if (nl == std::string_view::npos) break;
      rest.remove_prefix(nl + 1);
    }
  }
  parser_.parse_packet(datagram, [this](const Event& e) { handle_event(e); });
}

void Pipeline::process_line(std::string_view line, std::chrono::steady_clock::time_point now) {
  now_ = now;
  if (relay_ != nullptr && !line.empty()) relay_->relay_line(line);
  parser_.parse_line(line, [this](const Event& e) { handle_event(e); });
}

void Pipeline::publish(StatsSlot& slot) {
  counters_.parse.add(parser_.take_stats());
  if (cache_) {
    const uint64_t hits = cache_->hits();
    const uint64_t misses = cache_->misses();
    counters_.inc(Stat::CacheHits, hits - cache_hits_seen_);
    counters_.inc(Stat::CacheGets, hits + misses - cache_hits_seen_ - cache_misses_seen_);
    cache_hits_seen_ = hits;
    cache_misses_seen_ = misses;
    cache_entries_.store(cache_->size(), std::memory_order_relaxed);
  }
  if (state_) {
    state_->add_hits(mapping_hits_);
    std::fill(mapping_hits_.begin(), mapping_hits_.end(), 0);
  }
  slot.publish(counters_);
}

void Pipeline::handle_event(const Event& event) {
  const mappings::MapResult& result = cache_->get(event.name, to_mapping_type(event.type));
  const mappings::MetricMapping* mapping = result.mapping;
  const mappings::MappingConfig& config = *state_->config;
  if (mapping != nullptr) ++mapping_hits_[static_cast<std::size_t>(mapping - config.mappings.data())];

  if (mapping != nullptr && mapping->action == mappings::Action::Drop) {
    counters_.inc(Stat::ActionDrop);
    return;
  }

  // Labels: the event's tags, then the mapping's labels on top (a tag wins only with honor_labels).
  // Both lists are sorted by name, so a merge keeps the result sorted and unique.
  labels_.clear();
  std::string_view name;
  if (mapping != nullptr) {
    if (result.name.empty()) {
      counters_.inc(Stat::ErrorEmptyMetricName);
      return;
    }
    name = result.name;
    if (needs_escaping(name)) {
      escaped_name_ = mappings::escape_metric_name(name);
      name = escaped_name_;
    }
    std::size_t t = 0;
    std::size_t m = 0;
    const auto& tags = event.tags;
    const auto& mapped = result.labels;
    while (t < tags.size() || m < mapped.size()) {
      if (m >= mapped.size() || (t < tags.size() && tags[t].name < mapped[m].first)) {
        labels_.push_back({tags[t].name, tags[t].value});
        ++t;
      } else if (t >= tags.size() || mapped[m].first < tags[t].name) {
        labels_.push_back({mapped[m].first, mapped[m].second});
        ++m;
      } else {
        labels_.push_back(mapping->honor_labels ? LabelPair{tags[t].name, tags[t].value}
                                                : LabelPair{mapped[m].first, mapped[m].second});
        ++t;
        ++m;
      }
    }
    counters_.inc(Stat::ActionMap);
  } else {
    counters_.inc(Stat::EventsUnmapped);
    name = result.name;
    for (const Tag& tag : event.tags) labels_.push_back({tag.name, tag.value});
  }

  double value = event.value;
  if (mapping != nullptr && mapping->scale) value *= *mapping->scale;

  SeriesUpdate update;
  update.name = name;
  update.help = mapping != nullptr ? std::string_view(mapping->help) : std::string_view();
  update.labels = labels_;
  update.value = value;
  update.ttl = mapping != nullptr ? mapping->ttl : config.defaults.ttl;

  Stat applied = Stat::EventsCounter;
  ConflictType conflict = ConflictType::Counter;
  switch (event.type) {
    case EventType::Counter:
      if (value < 0) {  // statsd_exporter refuses negative counter increments before touching the registry
        counters_.inc(Stat::ErrorIllegalNegativeCounter);
        return;
      }
      update.kind = MetricKind::Counter;
      break;
    case EventType::Gauge:
      update.kind = MetricKind::Gauge;
      update.relative = event.relative;
      applied = Stat::EventsGauge;
      conflict = ConflictType::Gauge;
      break;
    case EventType::Observer: {
      applied = Stat::EventsObserver;
      conflict = ConflictType::Observer;
      mappings::ObserverType type =
          mapping != nullptr ? mapping->observer_type : mappings::ObserverType::Default;
      if (type == mappings::ObserverType::Default) type = config.defaults.observer_type;
      if (type == mappings::ObserverType::Histogram) {
        update.kind = MetricKind::Histogram;
        update.buckets = mapping != nullptr
                             ? std::span<const double>(mapping->histogram_options.buckets)
                             : std::span<const double>(config.defaults.histogram_options.buckets);
      } else {
        update.kind = MetricKind::Summary;
        update.summary =
            mapping != nullptr
                ? &state_->summary_specs[static_cast<std::size_t>(mapping - config.mappings.data())]
                : &state_->default_summary;
      }
      break;
    }
  }

  switch (store_.apply(update, now_)) {
    case UpdateOutcome::Applied:
      counters_.inc(applied);
      break;
    case UpdateOutcome::Conflict:
      counters_.add_conflict(conflict, name);  // statsd_exporter 0.29+: labelled with the metric name
      break;
    case UpdateOutcome::SeriesLimit:
      counters_.inc(Stat::ErrorSeriesLimit);
      break;
    case UpdateOutcome::InvalidValue:
      counters_.inc(Stat::ErrorIllegalNegativeCounter);
      break;
  }
}

std::vector<std::string> explain_lines(const MappingState& state, const ParserOptions& parser,
                                       std::span<const std::string_view> lines) {
  std::vector<std::string> out;
  LineParser line_parser(parser);
  const auto& config = *state.config;
  for (std::string_view line : lines) {
    const std::size_t before = out.size();
    const ParseStats stats_before = line_parser.stats();
    line_parser.parse_line(line, [&](const Event& event) {
      mappings::MapResult result = state.mapper->map(event.name, to_mapping_type(event.type));
      const mappings::MetricMapping* mapping = result.mapping;
      std::string text = fmt::format("{}  ->  ", line);
      if (mapping != nullptr && mapping->action == mappings::Action::Drop) {
        out.push_back(text + fmt::format("dropped (mapping \"{}\")", mapping->match));
        return;
      }
      if (mapping != nullptr && result.name.empty()) {
        out.push_back(text + "error: the mapping produces an empty metric name");
        return;
      }
      std::vector<std::pair<std::string, std::string>> labels;
      for (const Tag& tag : event.tags) labels.emplace_back(tag.name, tag.value);
      for (const auto& [k, v] : result.labels) {
        auto it = std::find_if(labels.begin(), labels.end(), [&](const auto& p) { return p.first == k; });
        if (it == labels.end())
          labels.emplace_back(k, v);
        else if (!mapping->honor_labels)
          it->second = v;
      }
      std::sort(labels.begin(), labels.end());
      std::string name = mapping != nullptr ? mappings::escape_metric_name(result.name) : result.name;
      std::string series = name;
      if (!labels.empty()) {
        series += '{';
        for (std::size_t i = 0; i < labels.size(); ++i) {
          if (i) series += ',';
          series += fmt::format("{}=\"{}\"", labels[i].first, labels[i].second);
        }
        series += '}';
      }
      double value = event.value;
      if (mapping != nullptr && mapping->scale) value *= *mapping->scale;
      std::string kind;
      switch (event.type) {
        case EventType::Counter:
          kind = "counter";
          break;
        case EventType::Gauge:
          kind = event.relative ? "gauge (relative)" : "gauge";
          break;
        case EventType::Observer: {
          auto type = mapping != nullptr ? mapping->observer_type : mappings::ObserverType::Default;
          if (type == mappings::ObserverType::Default) type = config.defaults.observer_type;
          kind = type == mappings::ObserverType::Histogram ? "histogram" : "summary";
          break;
        }
      }
      text += fmt::format("{} {} {}", series, kind, value);
      if (mapping == nullptr)
        text += fmt::format("  (unmapped, escaped name of \"{}\")", event.name);
      else
        text += fmt::format("  (mapping \"{}\" at line {})", mapping->match, mapping->line);
      out.push_back(std::move(text));
    });
    if (out.size() == before) {
      // Name what statsd_exporter would count for this line.
      std::string reasons;
      const ParseStats& now = line_parser.stats();
      for (std::size_t r = 0; r < kErrorReasonCount; ++r) {
        if (now.errors[r] == stats_before.errors[r]) continue;
        if (!reasons.empty()) reasons += ", ";
        reasons += error_reason_name(static_cast<ErrorReason>(r));
      }
      out.push_back(reasons.empty() ? fmt::format("{}  ->  no event (empty line)", line)
                                    : fmt::format("{}  ->  no event (sample error: {})", line, reasons));
    }
  }
  return out;
}

}  // namespace promcast::exporter
