#include "exporter/line_parser.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "exporter/go_strconv.h"
#include "exporter/tag_escape.h"
#include "exporter/utf8.h"

namespace promcast::exporter {
namespace {

constexpr std::array<std::string_view, kErrorReasonCount> kReasonNames = {
    "malformed_line",      "mixed_tagging_styles", "not_enough_parts_after_colon",
    "invalid_extended_aggregate_type", "malformed_component", "malformed_value",
    "invalid_sample_factor", "malformed_container_id", "malformed_timestamp",
    "illegal_event",
};

// statsd_exporter accepts at most 8 '|'-separated components per sample: value, type and 6 sections.
constexpr std::size_t kMaxSections = 6;

enum class StatType : uint8_t { Counter, Gauge, Timer, Histogram, Distribution, Unknown };

StatType stat_type(std::string_view t) noexcept {
  if (t == "c") return StatType::Counter;
  if (t == "g") return StatType::Gauge;
  if (t == "ms") return StatType::Timer;
  if (t == "h") return StatType::Histogram;
  if (t == "d") return StatType::Distribution;
  return StatType::Unknown;  // includes "s": statsd_exporter has no sets
}

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;

// Non-zero when some byte of w equals c (the classic "has zero byte" trick on w ^ c...c).
inline uint64_t has_byte(uint64_t w, unsigned char c) noexcept {
  const uint64_t x = w ^ (kOnes * c);
  return (x - kOnes) & ~x & kHighs;
}

// Position of the first ':' or name-tag character ('[', ']', '#', ','), eight bytes at a time: most
// names have none, so the name is scanned once and split_name_tags is skipped.
std::size_t find_name_end(std::string_view s) noexcept {
  std::size_t i = 0;
  const std::size_t n = s.size();
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (has_byte(w, ':') | has_byte(w, '[') | has_byte(w, ']') | has_byte(w, '#') | has_byte(w, ',')) break;
  }
  for (; i < n; ++i) {
    const char c = s[i];
    if (c == ':' || c == '[' || c == ']' || c == '#' || c == ',') return i;
  }
  return std::string_view::npos;
}

// A plain loop: the separators searched for inside a line are usually a few bytes away, where the
// call into memchr costs more than the scan.
inline std::size_t find_near(std::string_view s, char c) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == c) return i;
  }
  return std::string_view::npos;
}

// find() without the call into memchr for the short pieces statsd lines are made of.
inline std::size_t find_char(std::string_view s, char c) noexcept {
  if (s.size() > 32) return s.find(c);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == c) return i;
  }
  return std::string_view::npos;
}

// statsd_exporter replicates an observer int(1/rate) times. Go converts out-of-range floats (NaN,
// >= 2^63) to the minimum int64 on amd64, so those give no event at all, like negative results.
uint64_t observer_copies(double rate, bool& clamped) noexcept {
  const double copies = 1.0 / rate;
  clamped = false;
  if (!(copies >= 1.0) || copies >= 9.223372036854775807e18) return 0;
  if (copies > static_cast<double>(kMaxObserverReplication)) {
    clamped = true;
    return kMaxObserverReplication;
  }
  return static_cast<uint64_t>(copies);
}

}  // namespace

std::string_view error_reason_name(ErrorReason reason) noexcept {
  const auto i = static_cast<std::size_t>(reason);
  return i < kReasonNames.size() ? kReasonNames[i] : std::string_view{"unknown"};
}

uint64_t ParseStats::total_errors() const noexcept {
  uint64_t total = 0;
  for (const uint64_t e : errors) total += e;
  return total;
}

void ParseStats::add(const ParseStats& other) noexcept {
  lines += other.lines;
  samples += other.samples;
  tags += other.tags;
  tag_errors += other.tag_errors;
  for (std::size_t i = 0; i < errors.size(); ++i) errors[i] += other.errors[i];
  for (std::size_t i = 0; i < events.size(); ++i) events[i] += other.events[i];
  replication_clamped += other.replication_clamped;
}

// A sample is "<value>|<type>[|<section>...]"; the Suffix is everything after the value.
struct LineParser::Suffix {
  bool components_ok = false;  // 2..8 components
  std::string_view type;
  std::string_view section_text;  // the '|'-separated sections after the type
  std::size_t section_count = 0;

  static Suffix analyze(std::string_view after_value) noexcept {
    Suffix s;
    const std::size_t bar = find_char(after_value, '|');
    s.type = after_value.substr(0, bar);
    if (bar == std::string_view::npos) {
      s.components_ok = true;
      return s;
    }
    s.section_text = after_value.substr(bar + 1);
    s.section_count = 1;
    for (const char c : s.section_text) {
      if (c == '|' && ++s.section_count > kMaxSections) return s;  // a 9th component: malformed
    }
    s.components_ok = true;
    return s;
  }

  /// Splits section_text into out[0..section_count).
  void split(std::array<std::string_view, kMaxSections>& out) const noexcept {
    std::string_view rest = section_text;
    for (std::size_t i = 0; i < section_count; ++i) {
      const std::size_t next = find_char(rest, '|');
      out[i] = rest.substr(0, next);
      if (next != std::string_view::npos) rest.remove_prefix(next + 1);
    }
  }
};

// The value-independent outcome of a sample's sections. Extended aggregation repeats one suffix for
// every value, so it is evaluated once per line and its counts are replayed for each parsed value.
struct LineParser::SectionResult {
  bool evaluated = false;
  bool ok = true;
  ErrorReason failure = ErrorReason::MalformedComponent;
  uint32_t bad_factors = 0;  // '@' sections that did not parse (counted; the sample goes on)
  uint32_t tag_errors = 0;
  std::array<double, kMaxSections> factors{};  // sampling factors in order (0 already replaced by 1)
  std::size_t factor_count = 0;
};

LineParser::LineParser(ParserOptions options) : options_(options) {
  raw_tags_.reserve(16);
  tags_.reserve(16);
}

ParseStats LineParser::take_stats() noexcept {
  ParseStats out = stats_;
  stats_ = ParseStats{};
  return out;
}

char* LineParser::scratch(std::size_t n) noexcept {
  // The per-line reservation covers every use (see parse_line_erased); never hand out memory beyond it.
  if (n > buffer_.size() - buffer_used_) return nullptr;
  char* p = buffer_.data() + buffer_used_;
  buffer_used_ += n;
  return p;
}

void LineParser::add_tag(std::string_view name, std::string_view value) {
  raw_tags_.push_back({name, value, static_cast<uint32_t>(raw_tags_.size())});
  tags_dirty_ = true;
}

// statsd_exporter's parseTag: "k<sep>v" with both sides non-empty, split at the first separator.
void LineParser::parse_tag(std::string_view tag, char separator) {
  const std::size_t at = find_near(tag, separator);
  if (tag.empty() || at == std::string_view::npos || at == 0 || at + 1 == tag.size()) {
    ++stats_.tag_errors;
    return;
  }
  const std::string_view key = tag.substr(0, at);
  char* out = scratch(escaped_size_bound(key.size()));
  if (out == nullptr) {
    ++stats_.tag_errors;
    return;
  }
  const std::string_view name = escape_tag_name(key, out);
  if (name.data() != out) buffer_used_ -= escaped_size_bound(key.size());  // nothing written
  add_tag(name, tag.substr(at + 1));
}

// A ','-separated tag list. Empty tags between commas are errors, a trailing comma is not.
void LineParser::parse_tag_list(std::string_view list, char separator, bool trim_hash) {
  while (!list.empty()) {
    const std::size_t comma = find_near(list, ',');
    std::string_view tag = list.substr(0, comma);
    if (trim_hash && !tag.empty() && tag[0] == '#') tag.remove_prefix(1);
    parse_tag(tag, separator);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

std::string_view LineParser::split_name_tags(std::string_view name) {
  // One pass to see whether any tag syntax is present at all (the common case has none).
  std::size_t open = std::string_view::npos, close = std::string_view::npos, mark = std::string_view::npos;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '[') {
      if (open == std::string_view::npos) open = i;
    } else if (c == ']') {
      if (close == std::string_view::npos) close = i;
    } else if ((c == '#' && options_.librato_tags) || (c == ',' && options_.influxdb_tags)) {
      if (mark == std::string_view::npos) mark = i;
    }
  }
  if (options_.signalfx_tags) {
    const bool has_open = open != std::string_view::npos, has_close = close != std::string_view::npos;
    if (has_open && has_close) {
      if (open > close) {
        // "a]b[" makes statsd_exporter panic (slice bounds); we count it like an unmatched bracket.
        ++stats_.tag_errors;
        return name;
      }
      parse_tag_list(name.substr(open + 1, close - open - 1), '=', false);
      const std::string_view head = name.substr(0, open), tail = name.substr(close + 1);
      if (tail.empty()) return head;
      if (head.empty()) return tail;
      char* out = scratch(head.size() + tail.size());
      if (out == nullptr) return head;
      std::copy(head.begin(), head.end(), out);
      std::copy(tail.begin(), tail.end(), out + head.size());
      return {out, head.size() + tail.size()};
    }
    if (has_open != has_close) {
      ++stats_.tag_errors;  // one bracket only: the name stays as it is
      return name;
    }
  }
  if (mark != std::string_view::npos) {
    parse_tag_list(name.substr(mark + 1), '=', false);
    return name.substr(0, mark);
  }
  return name;
}

void LineParser::eval_sections(const Suffix& suffix, SectionResult& out) {
  out = SectionResult{};
  out.evaluated = true;
  std::array<std::string_view, kMaxSections> sections;
  suffix.split(sections);
  for (std::size_t i = 0; i < suffix.section_count; ++i) {
    if (sections[i].empty()) {
      out.ok = false;
      out.failure = ErrorReason::MalformedComponent;
      return;
    }
  }
  const uint64_t tag_errors_before = stats_.tag_errors;
  for (std::size_t i = 0; i < suffix.section_count; ++i) {
    const std::string_view section = sections[i];
    switch (section[0]) {
      case '@': {
        const GoFloat f = parse_go_float(section.substr(1), number_scratch_);
        if (!f.ok()) ++out.bad_factors;
        out.factors[out.factor_count++] = f.value == 0 ? 1.0 : f.value;
        break;
      }
      case '#':
        if (options_.dogstatsd_tags) parse_tag_list(section.substr(1), ':', true);
        break;
      case 'c':
        if (section.size() > 2 && section[1] == ':') {
          add_tag("container_id", section.substr(2));
        } else {
          out.ok = false;
          out.failure = ErrorReason::MalformedContainerId;
        }
        break;
      case 'T':
        if (section.size() < 2 || !is_go_int64(section.substr(1))) {
          out.ok = false;
          out.failure = ErrorReason::MalformedTimestamp;
        }
        break;
      default:
        out.ok = false;
        out.failure = ErrorReason::InvalidSampleFactor;
        break;
    }
    if (!out.ok) break;
  }
  // Tag errors are replayed per sample by process_sample, so take them back out of the running total.
  out.tag_errors = static_cast<uint32_t>(stats_.tag_errors - tag_errors_before);
  stats_.tag_errors = tag_errors_before;
}

void LineParser::finish_tags() {
  tags_dirty_ = false;
  tags_.clear();
  bool sorted_unique = true;  // clients usually send few tags, often already in order
  for (std::size_t i = 1; i < raw_tags_.size() && sorted_unique; ++i) {
    sorted_unique = raw_tags_[i - 1].name < raw_tags_[i].name;
  }
  if (!sorted_unique) {
    std::sort(raw_tags_.begin(), raw_tags_.end(), [](const RawTag& a, const RawTag& b) {
      return a.name != b.name ? a.name < b.name : a.seq < b.seq;
    });
  }
  for (std::size_t i = 0; i < raw_tags_.size(); ++i) {
    if (i + 1 < raw_tags_.size() && raw_tags_[i + 1].name == raw_tags_[i].name) continue;  // last wins
    tags_.push_back({raw_tags_[i].name, raw_tags_[i].value});
  }
}

void LineParser::process_sample(std::string_view value_text, const Suffix& suffix, SectionResult& sections,
                                 Callback callback, void* ctx) {
  ++stats_.samples;
  if (!suffix.components_ok) {
    count(ErrorReason::MalformedComponent);
    return;
  }
  const bool relative = !value_text.empty() && (value_text[0] == '+' || value_text[0] == '-');
  const GoFloat parsed = parse_go_float(value_text, number_scratch_);
  if (!parsed.ok()) {
    count(ErrorReason::MalformedValue);
    return;
  }
  if (!sections.evaluated) eval_sections(suffix, sections);
  stats_.errors[static_cast<std::size_t>(ErrorReason::InvalidSampleFactor)] += sections.bad_factors;
  stats_.tag_errors += sections.tag_errors;
  if (!sections.ok) {
    count(sections.failure);
    return;
  }
  if (!raw_tags_.empty()) ++stats_.tags;
  if (tags_dirty_) finish_tags();

  Event event;
  event.value = parsed.value;
  event.tags = tags_;
  uint64_t copies = 1;
  switch (stat_type(suffix.type)) {
    case StatType::Counter:
      event.type = EventType::Counter;
      for (std::size_t i = 0; i < sections.factor_count; ++i) event.value /= sections.factors[i];
      break;
    case StatType::Gauge:
      event.type = EventType::Gauge;
      event.relative = relative;
      break;
    case StatType::Timer:
    case StatType::Histogram:
    case StatType::Distribution: {
      event.type = EventType::Observer;
      if (suffix.type == "ms") event.value /= 1000;  // statsd milliseconds, Prometheus seconds
      if (sections.factor_count > 0) {
        bool clamped = false;
        copies = observer_copies(sections.factors[sections.factor_count - 1], clamped);
        stats_.replication_clamped += clamped ? 1 : 0;
      }
      break;
    }
    case StatType::Unknown:
      // One illegal_event per would-be event; only observers replicate, so this is always one.
      count(ErrorReason::IllegalEvent);
      return;
  }
  event.name = current_name_;
  stats_.events[static_cast<std::size_t>(event.type)] += copies;
  for (uint64_t i = 0; i < copies; ++i) callback(ctx, event);
}

void LineParser::parse_line_erased(std::string_view line, Callback callback, void* ctx) {
  ++stats_.lines;
  if (line.empty()) return;
  const std::size_t name_end = find_name_end(line);
  const bool name_has_tags = name_end != std::string_view::npos && line[name_end] != ':';
  const std::size_t colon = name_has_tags ? line.find(':', name_end) : name_end;
  if (colon == std::string_view::npos || colon == 0 || !is_valid_utf8(line)) {
    count(ErrorReason::MalformedLine);
    return;
  }
  // Everything written to scratch for this line fits in twice its size; reserve it now so that views
  // into the buffer stay valid until the line is done.
  if (buffer_.size() < 2 * line.size() + 2) buffer_.resize(2 * line.size() + 2);
  buffer_used_ = 0;
  raw_tags_.clear();
  tags_.clear();
  tags_dirty_ = false;

  current_name_ = name_has_tags ? split_name_tags(line.substr(0, colon)) : line.substr(0, colon);
  const std::string_view rest = line.substr(colon + 1);
  const std::size_t bar = find_char(rest, '|');
  if (bar == std::string_view::npos) {
    count(ErrorReason::NotEnoughPartsAfterColon);  // (no '|' also means no "|#", so no mixing either)
    return;
  }
  std::string_view values = rest.substr(0, bar);
  const std::string_view after_first_value = rest.substr(bar + 1);
  const bool extended = find_char(values, ':') != std::string_view::npos;
  const bool colon_after_bar = !extended && find_char(after_first_value, ':') != std::string_view::npos;
  // Whether "|#" (DogStatsD tags) occurs only matters for the mixing check and for choosing between one
  // sample and a ':'-split multi-metric line, so the search is skipped for plain lines.
  bool dogstatsd = false;
  if (!raw_tags_.empty() || colon_after_bar) dogstatsd = rest.find("|#", bar) != std::string_view::npos;
  if (dogstatsd && !raw_tags_.empty()) {
    count(ErrorReason::MixedTaggingStyles);
    return;
  }

  if (extended) {
    // DogStatsD extended aggregation: "name:v1:v2:v3|type|sections", one sample per value.
    const Suffix suffix = Suffix::analyze(after_first_value);
    const std::string_view type = suffix.type;
    if (type != "ms" && type != "h" && type != "d") {
      count(ErrorReason::InvalidExtendedAggregateType);
      return;
    }
    SectionResult shared;
    for (;;) {
      const std::size_t next = find_near(values, ':');
      process_sample(values.substr(0, next), suffix, shared, callback, ctx);
      if (next == std::string_view::npos) break;
      values.remove_prefix(next + 1);
    }
    return;
  }
  if (dogstatsd || !colon_after_bar) {
    // One sample: the common plain line, or any line with DogStatsD tags (their values may hold ':').
    SectionResult sections;
    process_sample(values, Suffix::analyze(after_first_value), sections, callback, ctx);
    return;
  }
  // Classic multi-metric line: "name:v1|c:v2|g", every ':'-separated piece is a sample.
  std::string_view pieces = rest;
  for (;;) {
    const std::size_t next = find_near(pieces, ':');
    const std::string_view piece = pieces.substr(0, next);
    const std::size_t piece_bar = find_near(piece, '|');
    SectionResult sections;
    if (piece_bar == std::string_view::npos) {
      ++stats_.samples;  // a single component
      count(ErrorReason::MalformedComponent);
    } else {
      process_sample(piece.substr(0, piece_bar), Suffix::analyze(piece.substr(piece_bar + 1)), sections,
                     callback, ctx);
    }
    if (next == std::string_view::npos) break;
    pieces.remove_prefix(next + 1);
  }
}

}  // namespace promcast::exporter
