// Strict decoding of the mapping file, mirroring statsd_exporter's yaml.v2 UnmarshalStrict
// into its structs, then its InitFromYAMLString validation and defaulting. Every problem
// is collected (not just the first) so `promcast check mappings` can list them all.
#include "mappings/config.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "common/go_int.h"
#include "mappings/go_duration.h"
#include "mappings/syntax.h"

namespace promcast::mappings {

std::string_view to_string(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Observer:
      return "observer";
  }
  return "";
}

std::string_view to_string(ObserverType type) {
  switch (type) {
    case ObserverType::Default:
      return "";
    case ObserverType::Histogram:
      return "histogram";
    case ObserverType::Summary:
      return "summary";
  }
  return "";
}

std::vector<double> default_buckets() { return {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}; }

std::vector<Quantile> default_quantiles() { return {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}}; }

SummaryOptions MappingDefaults::unmatched_summary_options() const {
  SummaryOptions options;
  options.quantiles = summary_options.quantiles;
  return options;
}

namespace {

// ---------------------------------------------------------------------------------------
// Scalars resolved the way yaml.v2 resolves plain scalars (YAML 1.1 booleans, base-0 ints).

enum class Kind : uint8_t { Null, Bool, Int, Float, Str, Seq, Map };

struct Scalar {
  Kind kind = Kind::Null;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  std::string text;
};

bool equals_any(std::string_view s, std::initializer_list<std::string_view> options) {
  return std::find(options.begin(), options.end(), s) != options.end();
}

// yaml.v2 drops '_' separators before strconv.ParseInt(s, 0, 64).
std::optional<int64_t> parse_go_int(std::string plain) {
  std::erase(plain, '_');
  auto parsed = promcast::parse_go_int(plain);
  if (!parsed) return std::nullopt;
  return *parsed;
}

// yaml.v2's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool is_yaml_float(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  } else {
    if (!digits()) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

Scalar resolve(const YAML::Node& node) {
  Scalar out;
  if (node.IsSequence()) {
    out.kind = Kind::Seq;
    return out;
  }
  if (node.IsMap()) {
    out.kind = Kind::Map;
    return out;
  }
  if (!node.IsDefined() || node.IsNull()) return out;
  out.text = node.Scalar();
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") {  // quoted, or explicitly a string
    out.kind = Kind::Str;
    return out;
  }
  const std::string_view s = out.text;
  if (equals_any(s, {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"})) {
    out.kind = Kind::Bool;
    out.boolean = true;
  } else if (equals_any(s, {"n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"})) {
    out.kind = Kind::Bool;
  } else if (equals_any(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) {
    out.kind = Kind::Float;
    out.real = std::numeric_limits<double>::infinity();
  } else if (equals_any(s, {"-.inf", "-.Inf", "-.INF"})) {
    out.kind = Kind::Float;
    out.real = -std::numeric_limits<double>::infinity();
  } else if (equals_any(s, {".nan", ".NaN", ".NAN"})) {
    out.kind = Kind::Float;
    out.real = std::numeric_limits<double>::quiet_NaN();
  } else if (auto integer = parse_go_int(out.text);
             integer && !s.empty() &&
             (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '+')) {
    out.kind = Kind::Int;
    out.integer = *integer;
  } else if (is_yaml_float(s)) {
    out.kind = Kind::Float;
    out.real = std::strtod(out.text.c_str(), nullptr);
  } else {
    out.kind = Kind::Str;
  }
  return out;
}

std::string describe(const Scalar& value) {
  switch (value.kind) {
    case Kind::Null:
      return "!!null";
    case Kind::Bool:
      return fmt::format("!!bool `{}`", value.text);
    case Kind::Int:
      return fmt::format("!!int `{}`", value.text);
    case Kind::Float:
      return fmt::format("!!float `{}`", value.text);
    case Kind::Str:
      return fmt::format("!!str `{}`", value.text);
    case Kind::Seq:
      return "!!seq";
    case Kind::Map:
      return "!!map";
  }
  return "";
}

// ---------------------------------------------------------------------------------------
// The decoder: typed reads that record errors at the node's position and carry on.

class Decoder {
 public:
  Decoder(std::string_view filename, std::vector<Error>& errors) : filename_(filename), errors_(errors) {}

  void error_at(const YAML::Node& at, std::string message) {
    const YAML::Mark mark = at.Mark();
    errors_.push_back(Error{std::move(message), filename_, mark.is_null() ? 0 : mark.line + 1,
                            mark.is_null() ? 0 : mark.column + 1});
  }

  /// Accepted input that deserves a word to the user (a deprecated key); the caller logs it.
  void warn_at(const YAML::Node& at, std::string message) {
    const YAML::Mark mark = at.Mark();
    warnings.push_back(Error{std::move(message), filename_, mark.is_null() ? 0 : mark.line + 1,
                             mark.is_null() ? 0 : mark.column + 1});
  }

  std::vector<Error> warnings;

  std::optional<std::string> string(const YAML::Node& node) {
    const Scalar value = resolve(node);
    if (value.kind == Kind::Seq || value.kind == Kind::Map) {
      error_at(node, fmt::format("cannot unmarshal {} into string", describe(value)));
      return std::nullopt;
    }
    return value.text;
  }

  std::optional<double> number(const YAML::Node& node) {
    const Scalar value = resolve(node);
    if (value.kind == Kind::Int) return static_cast<double>(value.integer);
    if (value.kind == Kind::Float) return value.real;
    if (value.kind == Kind::Null) return 0.0;
    error_at(node, fmt::format("cannot unmarshal {} into float64", describe(value)));
    return std::nullopt;
  }

  std::optional<uint32_t> uint32(const YAML::Node& node) {
    const Scalar value = resolve(node);
    if (value.kind == Kind::Null) return 0u;
    if (value.kind == Kind::Int && value.integer >= 0 &&
        value.integer <= std::numeric_limits<uint32_t>::max()) {
      return static_cast<uint32_t>(value.integer);
    }
    if (value.kind == Kind::Float && value.real >= 0 && value.real <= std::numeric_limits<uint32_t>::max()) {
      return static_cast<uint32_t>(value.real);
    }
    error_at(node, fmt::format("cannot unmarshal {} into uint32", describe(value)));
    return std::nullopt;
  }

  std::optional<bool> boolean(const YAML::Node& node) {
    const Scalar value = resolve(node);
    if (value.kind == Kind::Bool) return value.boolean;
    if (value.kind == Kind::Null) return false;
    error_at(node, fmt::format("cannot unmarshal {} into bool", describe(value)));
    return std::nullopt;
  }

  std::optional<std::chrono::nanoseconds> duration(const YAML::Node& node) {
    const Scalar value = resolve(node);
    if (value.kind == Kind::Null) return std::chrono::nanoseconds{0};
    if (value.kind == Kind::Int) return std::chrono::nanoseconds{value.integer};
    if (value.kind == Kind::Float && std::isfinite(value.real) && std::fabs(value.real) < 9.2e18) {
      return std::chrono::nanoseconds{static_cast<int64_t>(value.real)};
    }
    if (value.kind == Kind::Str) {
      if (auto parsed = parse_go_duration(value.text)) return parsed;
    }
    error_at(node, fmt::format("cannot unmarshal {} into time.Duration", describe(value)));
    return std::nullopt;
  }

  std::optional<std::vector<double>> numbers(const YAML::Node& node) {
    if (node.IsNull()) return std::vector<double>{};
    if (!node.IsSequence()) {
      error_at(node, fmt::format("cannot unmarshal {} into []float64", describe(resolve(node))));
      return std::nullopt;
    }
    std::vector<double> out;
    bool ok = true;
    for (const auto& item : node) {
      if (auto v = number(item)) {
        out.push_back(*v);
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }

  /// Walks a mapping node strictly: unknown and repeated keys are errors; `visit(key, value)`
  /// handles the known ones. A null node is an empty struct, anything else an error.
  /// `<<` merge keys are followed as yaml.v2 does: the merged fields are decoded in place
  /// (later keys overwrite), and a sequence of maps merges the last one first.
  template <typename Visit>
  bool fields(const YAML::Node& node, std::string_view type_name,
              std::initializer_list<std::string_view> known, Visit&& visit, int merge_depth = 0) {
    if (!node.IsDefined() || node.IsNull()) return true;
    if (!node.IsMap()) {
      error_at(node, fmt::format("cannot unmarshal {} into {}", describe(resolve(node)), type_name));
      return false;
    }
    std::set<std::string, std::less<>> seen;
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      const std::string name = key.IsScalar() ? key.Scalar() : std::string();
      if (name == "<<" && key.Tag() != "!") {
        for_each_merged(node, entry.second, merge_depth, [&](const YAML::Node& merged) {
          fields(merged, type_name, known, visit, merge_depth + 1);
        });
        continue;
      }
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        error_at(key, fmt::format("field {} not found in type {}", name, type_name));
        continue;
      }
      if (!seen.insert(name).second) {
        error_at(key, fmt::format("field {} already set in type {}", name, type_name));
        continue;
      }
      visit(std::string_view(name), entry.second);
    }
    return true;
  }

  /// Calls `f` with each map a `<<` value in `container` stands for (a map, or a sequence of maps
  /// taken from the last to the first so that earlier ones win). yaml-cpp resolves an alias inside
  /// its own anchor's node to that node, so merges can form cycles, and a few aliases can fan out
  /// exponentially: a map merged into itself is an error, and so are more than kMaxMerges merges
  /// in one document (yaml.v2 refuses "excessive aliasing" likewise).
  template <typename F>
  void for_each_merged(const YAML::Node& container, const YAML::Node& value, int merge_depth, F&& f) {
    if (merge_depth > 16) {
      error_at(value, "map merge nested too deeply");
      return;
    }
    const auto merge_one = [&](const YAML::Node& merged) {
      const bool cycle =
          merged.is(container) || std::any_of(merging_.begin(), merging_.end(),
                                              [&](const YAML::Node& open) { return open.is(merged); });
      if (cycle) {
        error_at(merged, "map merge refers to a map that contains it (anchor cycle)");
        return;
      }
      if (++merges_ > kMaxMerges) {
        if (merges_ == kMaxMerges + 1) error_at(merged, "document contains excessive aliasing (map merges)");
        return;
      }
      merging_.push_back(container);
      f(merged);
      merging_.pop_back();
    };
    if (value.IsMap()) {
      merge_one(value);
    } else if (value.IsSequence()) {
      for (size_t i = value.size(); i-- > 0;) {
        if (value[i].IsMap()) {
          merge_one(value[i]);
        } else {
          error_at(value[i], "map merge requires map or sequence of maps as the value");
        }
      }
    } else {
      error_at(value, "map merge requires map or sequence of maps as the value");
    }
  }

 private:
  static constexpr std::size_t kMaxMerges = 10000;
  std::vector<YAML::Node> merging_;  // containers whose merges are being decoded, outermost first
  std::size_t merges_ = 0;
  std::string filename_;
  std::vector<Error>& errors_;
};

// ---------------------------------------------------------------------------------------
// Raw (as written) sections, keeping "absent" apart from "empty" where statsd_exporter does.

struct RawHistogram {
  std::vector<double> buckets;
  double native_histogram_bucket_factor = 0;
  uint32_t native_histogram_max_buckets = 0;
  bool buckets_set = false;  // Go: Buckets != nil
};

struct RawSummary {
  std::vector<Quantile> quantiles;
  std::chrono::nanoseconds max_age{0};
  uint32_t age_buckets = 0;
  uint32_t buf_cap = 0;
  bool quantiles_set = false;  // Go: Quantiles != nil
};

std::optional<std::vector<Quantile>> decode_quantiles(Decoder& d, const YAML::Node& node) {
  if (node.IsNull()) return std::vector<Quantile>{};
  if (!node.IsSequence()) {
    d.error_at(node,
               fmt::format("cannot unmarshal {} into []mapper.MetricObjective", describe(resolve(node))));
    return std::nullopt;
  }
  std::vector<Quantile> out;
  for (const auto& item : node) {
    Quantile q;
    d.fields(item, "mapper.MetricObjective", {"quantile", "error"},
             [&](std::string_view key, const YAML::Node& v) {
               if (auto x = d.number(v)) (key == "quantile" ? q.quantile : q.error) = *x;
             });
    out.push_back(q);
  }
  return out;
}

// Decoded in place: yaml.v2 reuses a struct already set (say by a `<<` merge) and only
// overwrites the fields present.
void decode_histogram(Decoder& d, const YAML::Node& node, RawHistogram& h) {
  d.fields(node, "mapper.HistogramOptions",
           {"buckets", "native_histogram_bucket_factor", "native_histogram_max_buckets"},
           [&](std::string_view key, const YAML::Node& v) {
             if (key == "buckets") {
               if (auto b = d.numbers(v)) {
                 h.buckets = std::move(*b);
                 h.buckets_set = !v.IsNull();
               }
             } else if (key == "native_histogram_bucket_factor") {
               if (auto x = d.number(v)) h.native_histogram_bucket_factor = *x;
             } else if (auto x = d.uint32(v)) {
               h.native_histogram_max_buckets = *x;
             }
           });
}

void decode_summary(Decoder& d, const YAML::Node& node, RawSummary& s) {
  d.fields(node, "mapper.SummaryOptions", {"quantiles", "max_age", "age_buckets", "buf_cap"},
           [&](std::string_view key, const YAML::Node& v) {
             if (key == "quantiles") {
               if (auto q = decode_quantiles(d, v)) {
                 s.quantiles = std::move(*q);
                 s.quantiles_set = !v.IsNull();
               }
             } else if (key == "max_age") {
               if (auto x = d.duration(v)) s.max_age = *x;
             } else if (auto x = d.uint32(v)) {
               (key == "age_buckets" ? s.age_buckets : s.buf_cap) = *x;
             }
           });
}

// Enum decoders: any scalar is read as a string first, as the Go UnmarshalYAML methods do.
std::optional<ObserverType> decode_observer_type(Decoder& d, const YAML::Node& node, std::string_view what) {
  auto text = d.string(node);
  if (!text) return std::nullopt;
  if (*text == "histogram") return ObserverType::Histogram;
  if (*text == "summary" || text->empty()) return ObserverType::Summary;
  d.error_at(node, fmt::format("invalid {} type \"{}\"", what, *text));
  return std::nullopt;
}

std::optional<MatchType> decode_match_type(Decoder& d, const YAML::Node& node) {
  auto text = d.string(node);
  if (!text) return std::nullopt;
  if (*text == "regex") return MatchType::Regex;
  if (*text == "glob" || text->empty()) return MatchType::Glob;
  d.error_at(node, fmt::format("invalid match type \"{}\"", *text));
  return std::nullopt;
}

// statsd_exporter 0.27-0.29 accept `timer_type`, 0.30 rejects it; we accept it and say so once per use.
void warn_timer_type(Decoder& d, const YAML::Node& value) {
  d.warn_at(value,
            "timer_type is deprecated (statsd_exporter 0.30 rejects it): use observer_type; accepted as "
            "observer_type");
}

struct RawDefaults {
  std::optional<ObserverType> observer_type;
  std::optional<ObserverType> timer_type;
  std::optional<MatchType> match_type;
  bool glob_disable_ordering = false;
  std::chrono::nanoseconds ttl{0};
  RawHistogram histogram;
  RawSummary summary;
  std::vector<double> legacy_buckets;
  std::vector<Quantile> legacy_quantiles;
};

RawDefaults decode_defaults(Decoder& d, const YAML::Node& node) {
  RawDefaults r;
  d.fields(node, "mapper.MapperConfigDefaults",
           {"observer_type", "timer_type", "buckets", "quantiles", "match_type", "glob_disable_ordering",
            "ttl", "summary_options", "histogram_options"},
           [&](std::string_view key, const YAML::Node& v) {
             if (v.IsNull() && key != "glob_disable_ordering") return;  // Go leaves the zero value
             if (key == "observer_type") {
               r.observer_type = decode_observer_type(d, v, "observer");
             } else if (key == "timer_type") {
               warn_timer_type(d, v);
               r.timer_type = decode_observer_type(d, v, "observer");
             } else if (key == "buckets") {
               if (auto b = d.numbers(v)) r.legacy_buckets = std::move(*b);
             } else if (key == "quantiles") {
               if (auto q = decode_quantiles(d, v)) r.legacy_quantiles = std::move(*q);
             } else if (key == "match_type") {
               r.match_type = decode_match_type(d, v);
             } else if (key == "glob_disable_ordering") {
               if (auto b = d.boolean(v)) r.glob_disable_ordering = *b;
             } else if (key == "ttl") {
               if (auto t = d.duration(v)) r.ttl = *t;
             } else if (key == "summary_options") {
               decode_summary(d, v, r.summary);
             } else {
               decode_histogram(d, v, r.histogram);
             }
           });
  return r;
}

MappingDefaults resolve_defaults(const RawDefaults& raw) {
  MappingDefaults out;
  // observer_type wins over the deprecated timer_type.
  out.observer_type = raw.observer_type ? *raw.observer_type : raw.timer_type.value_or(ObserverType::Default);
  out.match_type = raw.match_type.value_or(MatchType::Glob);
  out.glob_disable_ordering = raw.glob_disable_ordering;
  out.ttl = raw.ttl;
  RawSummary summary = raw.summary;
  if (summary.quantiles.empty() && !raw.legacy_quantiles.empty()) {
    summary = RawSummary{};  // statsd_exporter replaces the whole section
    summary.quantiles = raw.legacy_quantiles;
  }
  RawHistogram histogram = raw.histogram;
  if (histogram.buckets.empty() && !raw.legacy_buckets.empty()) {
    histogram = RawHistogram{};
    histogram.buckets = raw.legacy_buckets;
  }
  out.histogram_options.buckets = histogram.buckets.empty() ? default_buckets() : histogram.buckets;
  out.histogram_options.native_histogram_bucket_factor = histogram.native_histogram_bucket_factor;
  out.histogram_options.native_histogram_max_buckets = histogram.native_histogram_max_buckets;
  out.summary_options.quantiles = summary.quantiles.empty() ? default_quantiles() : summary.quantiles;
  out.summary_options.max_age = summary.max_age;
  out.summary_options.age_buckets = summary.age_buckets;
  out.summary_options.buf_cap = summary.buf_cap;
  return out;
}

struct RawMapping {
  std::string match;
  std::optional<YAML::Node> match_node;
  std::string name;
  std::optional<YAML::Node> name_node;
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<YAML::Node> label_key_nodes;
  bool honor_labels = false;
  std::optional<ObserverType> observer_type;
  std::optional<ObserverType> timer_type;
  std::optional<std::vector<double>> legacy_buckets;      // Go: LegacyBuckets != nil
  std::optional<std::vector<Quantile>> legacy_quantiles;  // Go: LegacyQuantiles != nil
  std::optional<MatchType> match_type;
  std::string help;
  std::optional<Action> action;
  std::optional<MetricType> match_metric_type;
  std::chrono::nanoseconds ttl{0};
  std::optional<RawSummary> summary;      // Go: SummaryOptions != nil
  std::optional<RawHistogram> histogram;  // Go: HistogramOptions != nil
  std::optional<double> scale;
};

// prometheus.Labels (a map): a key set twice is an error, including one set by a merge.
void decode_labels(Decoder& d, const YAML::Node& map, RawMapping& r, int merge_depth) {
  for (const auto& label : map) {
    if (label.first.IsScalar() && label.first.Scalar() == "<<" && label.first.Tag() != "!") {
      d.for_each_merged(map, label.second, merge_depth,
                        [&](const YAML::Node& merged) { decode_labels(d, merged, r, merge_depth + 1); });
      continue;
    }
    auto label_name = d.string(label.first);
    auto value = d.string(label.second);
    if (!label_name || !value) continue;
    if (std::any_of(r.labels.begin(), r.labels.end(),
                    [&](const auto& l) { return l.first == *label_name; })) {
      d.error_at(label.first, fmt::format("key \"{}\" already set in map", *label_name));
      continue;
    }
    r.labels.emplace_back(std::move(*label_name), std::move(*value));
    r.label_key_nodes.push_back(label.first);
  }
}

RawMapping decode_mapping(Decoder& d, const YAML::Node& node) {
  RawMapping r;
  d.fields(node, "mapper.MetricMapping",
           {"match", "name", "labels", "honor_labels", "observer_type", "timer_type", "buckets", "quantiles",
            "match_type", "help", "action", "match_metric_type", "ttl", "summary_options",
            "histogram_options", "scale"},
           [&](std::string_view key, const YAML::Node& v) {
             if (v.IsNull()) return;  // Go leaves the zero value (nil pointers, empty strings)
             if (key == "match") {
               if (auto s = d.string(v)) r.match = *s;
               r.match_node.emplace(v);  // never assign a YAML::Node: that rewrites the node it refers to
             } else if (key == "name") {
               if (auto s = d.string(v)) r.name = *s;
               r.name_node.emplace(v);
             } else if (key == "labels") {
               if (!v.IsMap()) {
                 d.error_at(v,
                            fmt::format("cannot unmarshal {} into prometheus.Labels", describe(resolve(v))));
                 return;
               }
               decode_labels(d, v, r, 0);
             } else if (key == "honor_labels") {
               if (auto b = d.boolean(v)) r.honor_labels = *b;
             } else if (key == "observer_type") {
               r.observer_type = decode_observer_type(d, v, "observer");
             } else if (key == "timer_type") {
               warn_timer_type(d, v);
               r.timer_type = decode_observer_type(d, v, "observer");
             } else if (key == "buckets") {
               r.legacy_buckets = d.numbers(v);
             } else if (key == "quantiles") {
               r.legacy_quantiles = decode_quantiles(d, v);
             } else if (key == "match_type") {
               r.match_type = decode_match_type(d, v);
             } else if (key == "help") {
               if (auto s = d.string(v)) r.help = *s;
             } else if (key == "action") {
               if (auto s = d.string(v)) {
                 if (*s == "drop") {
                   r.action = Action::Drop;
                 } else if (*s == "map" || s->empty()) {
                   r.action = Action::Map;
                 } else {
                   d.error_at(v, fmt::format("invalid action type \"{}\"", *s));
                 }
               }
             } else if (key == "match_metric_type") {
               if (auto s = d.string(v)) {
                 if (*s == "counter") {
                   r.match_metric_type = MetricType::Counter;
                 } else if (*s == "gauge") {
                   r.match_metric_type = MetricType::Gauge;
                 } else if (*s == "observer") {
                   r.match_metric_type = MetricType::Observer;
                 } else {
                   d.error_at(v, fmt::format("invalid metric type '{}'", *s));
                 }
               }
             } else if (key == "ttl") {
               if (auto t = d.duration(v)) r.ttl = *t;
             } else if (key == "summary_options") {
               if (!r.summary) r.summary.emplace();
               decode_summary(d, v, *r.summary);
             } else if (key == "histogram_options") {
               if (!r.histogram) r.histogram.emplace();
               decode_histogram(d, v, *r.histogram);
             } else if (key == "scale") {
               r.scale = d.number(v);
             }
           });
  return r;
}

// statsd_exporter's per-mapping checks and defaulting (InitFromYAMLString), in its order.
std::optional<MetricMapping> resolve_mapping(Decoder& d, const YAML::Node& node, RawMapping raw, size_t index,
                                             const MappingDefaults& defaults) {
  bool ok = true;
  for (size_t i = 0; i < raw.labels.size(); ++i) {
    if (!detail::is_valid_label_name(raw.labels[i].first)) {
      d.error_at(raw.label_key_nodes[i], fmt::format("invalid label key: {}", raw.labels[i].first));
      ok = false;
    }
  }
  if (raw.name.empty()) {
    d.error_at(raw.name_node ? *raw.name_node : node,
               fmt::format("line {}: metric mapping didn't set a metric name", index));
    ok = false;
  } else if (!detail::is_valid_name_template(raw.name)) {
    d.error_at(raw.name_node ? *raw.name_node : node,
               fmt::format("metric name '{}' doesn't match regex "
                           "'^([a-zA-Z_]|(\\$\\{{?\\d+\\}}?))([a-zA-Z0-9_]|(\\$\\{{?\\d+\\}}?))*$'",
                           raw.name));
    ok = false;
  }
  MetricMapping m;
  m.match = raw.match;
  m.match_type = raw.match_type.value_or(defaults.match_type);
  m.action = raw.action.value_or(Action::Map);
  const YAML::Node& match_at = raw.match_node ? *raw.match_node : node;
  if (m.match_type == MatchType::Glob) {
    if (!detail::is_valid_glob(m.match)) {
      d.error_at(match_at, fmt::format("invalid match: {}", m.match));
      ok = false;
    }
  } else {
    RE2::Options options;
    options.set_log_errors(false);
    RE2 regex(detail::go_regex_for_re2(m.match), options);
    if (!regex.ok()) {
      d.error_at(match_at, fmt::format("invalid regex {} in mapping: {}", m.match, regex.error()));
      ok = false;
    }
  }
  // observer_type wins over the deprecated timer_type, then the defaults apply.
  std::optional<ObserverType> own = raw.observer_type ? raw.observer_type : raw.timer_type;
  m.observer_type = own.value_or(defaults.observer_type);

  if (raw.summary && raw.legacy_quantiles && raw.summary->quantiles_set) {
    d.error_at(
        node,
        fmt::format("cannot use quantiles in both the top level and summary options at the same time in {}",
                    m.match));
    ok = false;
  }
  if (raw.histogram && raw.legacy_buckets && raw.histogram->buckets_set) {
    d.error_at(
        node,
        fmt::format("cannot use buckets in both the top level and histogram options at the same time in {}",
                    m.match));
    ok = false;
  }
  std::optional<RawHistogram> histogram = raw.histogram;
  std::optional<RawSummary> summary = raw.summary;
  if (m.observer_type == ObserverType::Histogram) {
    if (summary) {
      d.error_at(node, "cannot use histogram observer and summary options at the same time");
      ok = false;
    }
    if (!histogram) histogram.emplace();
    if (raw.legacy_buckets && !raw.legacy_buckets->empty()) histogram->buckets = *raw.legacy_buckets;
    if (histogram->buckets.empty()) histogram->buckets = defaults.histogram_options.buckets;
  }
  if (m.observer_type == ObserverType::Summary) {
    if (histogram) {
      d.error_at(node, "cannot use summary observer and histogram options at the same time");
      ok = false;
    }
    if (!summary) summary.emplace();
    if (raw.legacy_quantiles && !raw.legacy_quantiles->empty()) summary->quantiles = *raw.legacy_quantiles;
    if (summary->quantiles.empty()) summary->quantiles = defaults.summary_options.quantiles;
    if (summary->max_age.count() == 0) summary->max_age = defaults.summary_options.max_age;
    if (summary->age_buckets == 0) summary->age_buckets = defaults.summary_options.age_buckets;
    if (summary->buf_cap == 0) summary->buf_cap = defaults.summary_options.buf_cap;
  }
  if (!ok) return std::nullopt;

  // What the exporter builds, per statsd_exporter's registry: the mapping's values where it
  // has them, else the defaults' buckets/quantiles; summary ages only from the mapping.
  const bool own_buckets = histogram && !histogram->buckets.empty();
  m.histogram_options.buckets = own_buckets ? histogram->buckets : defaults.histogram_options.buckets;
  m.histogram_options.native_histogram_bucket_factor =
      histogram && histogram->native_histogram_bucket_factor > 0
          ? histogram->native_histogram_bucket_factor
          : defaults.histogram_options.native_histogram_bucket_factor;
  m.histogram_options.native_histogram_max_buckets =
      histogram && histogram->native_histogram_max_buckets > 0
          ? histogram->native_histogram_max_buckets
          : defaults.histogram_options.native_histogram_max_buckets;
  m.summary_options.quantiles =
      summary && !summary->quantiles.empty() ? summary->quantiles : defaults.summary_options.quantiles;
  if (summary) {
    m.summary_options.max_age = summary->max_age;
    m.summary_options.age_buckets = summary->age_buckets;
    m.summary_options.buf_cap = summary->buf_cap;
  }

  m.name = std::move(raw.name);
  m.labels = std::move(raw.labels);
  std::sort(m.labels.begin(), m.labels.end());
  m.help = std::move(raw.help);
  m.match_metric_type = raw.match_metric_type;
  m.scale = raw.scale;
  m.ttl = raw.ttl;
  if (m.ttl.count() == 0 && defaults.ttl.count() > 0) m.ttl = defaults.ttl;
  m.honor_labels = raw.honor_labels;
  const YAML::Mark mark = node.Mark();
  m.line = mark.is_null() ? 0 : mark.line + 1;
  m.column = mark.is_null() ? 0 : mark.column + 1;
  return m;
}

}  // namespace

std::expected<MappingConfig, std::vector<Error>> MappingConfig::parse(std::string_view yaml,
                                                                      std::string_view filename) {
  std::vector<Error> errors;
  // yaml-cpp recurses once per flow level; a hostile "[[[[..." would exhaust the stack.
  // No mapping file comes near this depth.
  {
    constexpr int kMaxFlowDepth = 256;
    int depth = 0;
    for (char c : yaml) {
      if (c == '[' || c == '{') {
        if (++depth > kMaxFlowDepth) {
          errors.push_back(Error{"document nested too deeply", std::string(filename), 0, 0});
          return std::unexpected(std::move(errors));
        }
      } else if ((c == ']' || c == '}') && depth > 0) {
        --depth;
      }
    }
  }
  std::optional<YAML::Node> root;
  try {
    root.emplace(YAML::Load(std::string(yaml)));
  } catch (const YAML::ParserException& e) {
    errors.push_back(Error{e.msg, std::string(filename), e.mark.is_null() ? 0 : e.mark.line + 1,
                           e.mark.is_null() ? 0 : e.mark.column + 1});
    return std::unexpected(std::move(errors));
  } catch (const YAML::Exception& e) {
    errors.push_back(Error{e.what(), std::string(filename), 0, 0});
    return std::unexpected(std::move(errors));
  }

  Decoder d(filename, errors);
  MappingConfig config;
  try {
    // YAML::Node handles are re-seated with emplace: Node::operator= would overwrite the
    // node the handle already refers to (possibly one shared through an alias).
    std::optional<YAML::Node> defaults_found;
    std::optional<YAML::Node> mappings_found;
    d.fields(*root, "mapper.MetricMapper", {"defaults", "mappings"},
             [&](std::string_view key, const YAML::Node& v) {
               (key == "defaults" ? defaults_found : mappings_found).emplace(v);
             });
    config.defaults = resolve_defaults(decode_defaults(d, defaults_found ? *defaults_found : YAML::Node()));
    const YAML::Node mappings_node = mappings_found ? *mappings_found : YAML::Node();
    if (mappings_node.IsDefined() && !mappings_node.IsNull()) {
      if (!mappings_node.IsSequence()) {
        d.error_at(mappings_node, fmt::format("cannot unmarshal {} into []mapper.MetricMapping",
                                              describe(resolve(mappings_node))));
      } else {
        size_t index = 0;
        for (const auto& item : mappings_node) {
          const size_t errors_before = errors.size();
          RawMapping raw = decode_mapping(d, item);
          // Like Go, validation runs only on a file that decoded; we still check each
          // mapping that decoded cleanly so one pass reports as much as possible.
          if (errors.size() == errors_before) {
            if (auto m = resolve_mapping(d, item, std::move(raw), index, config.defaults)) {
              config.mappings.push_back(std::move(*m));
            }
          }
          ++index;
        }
      }
    }
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws on malformed conversions deep inside; report rather than escape.
    errors.push_back(Error{e.what(), std::string(filename), e.mark.is_null() ? 0 : e.mark.line + 1,
                           e.mark.is_null() ? 0 : e.mark.column + 1});
  }
  if (!errors.empty()) return std::unexpected(std::move(errors));
  config.warnings = std::move(d.warnings);
  return config;
}

std::expected<MappingConfig, std::vector<Error>> MappingConfig::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(std::vector<Error>{Error{"cannot open mapping file", path, 0, 0}});
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    return std::unexpected(std::vector<Error>{Error{"cannot read mapping file", path, 0, 0}});
  }
  return parse(contents.str(), path);
}

}  // namespace promcast::mappings
