#pragma once
// The mapping file (statsd_exporter's pkg/mapper format, v0.28) as resolved data: every
// mapping already carries its effective observer type, options and ttl after the
// `defaults` section is applied, so consumers never look at the defaults again except
// for events that matched no mapping.
#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace promcast::mappings {

/// The type of a statsd event, as `match_metric_type` filters it (`timer`/`ms`, `h`, `d`
/// events are all Observer).
enum class MetricType : uint8_t { Counter, Gauge, Observer };
/// How an observer event is exported. Default means "not set anywhere": the exporter
/// treats it as Summary, as statsd_exporter does.
enum class ObserverType : uint8_t { Default, Histogram, Summary };
enum class Action : uint8_t { Map, Drop };
enum class MatchType : uint8_t { Glob, Regex };

/// "counter", "gauge", "observer".
std::string_view to_string(MetricType type);
/// "", "histogram", "summary".
std::string_view to_string(ObserverType type);

struct Quantile {
  double quantile = 0;
  double error = 0;
  friend bool operator==(const Quantile&, const Quantile&) = default;
};

struct HistogramOptions {
  /// Classic bucket upper bounds as written (statsd_exporter does not sort them).
  std::vector<double> buckets;
  /// 0 = native histograms off.
  double native_histogram_bucket_factor = 0;
  uint32_t native_histogram_max_buckets = 0;
};

struct SummaryOptions {
  std::vector<Quantile> quantiles;
  /// 0 = the client library default (10 minutes).
  std::chrono::nanoseconds max_age{0};
  /// 0 = the client library default (5).
  uint32_t age_buckets = 0;
  /// 0 = the client library default (500).
  uint32_t buf_cap = 0;
};

/// prometheus.DefBuckets.
std::vector<double> default_buckets();
/// statsd_exporter's default quantiles: 0.5/0.05, 0.9/0.01, 0.99/0.001.
std::vector<Quantile> default_quantiles();

/// The `defaults` section after statsd_exporter's fill-in (DefBuckets, default quantiles,
/// glob match type). Used as-is for events no mapping matched.
struct MappingDefaults {
  ObserverType observer_type = ObserverType::Default;
  MatchType match_type = MatchType::Glob;
  bool glob_disable_ordering = false;
  std::chrono::nanoseconds ttl{0};
  HistogramOptions histogram_options;  // buckets never empty after parse
  SummaryOptions summary_options;      // quantiles never empty after parse

  /// What statsd_exporter uses for an observer event no mapping matched: the default
  /// quantiles, but the client library's max_age/age_buckets/buf_cap (the defaults' values
  /// reach only mappings). Histograms use `histogram_options` as is.
  [[nodiscard]] SummaryOptions unmatched_summary_options() const;
};

/// One entry of `mappings:`, resolved against the defaults.
struct MetricMapping {
  std::string match;
  MatchType match_type = MatchType::Glob;
  /// Name template (`$1`, `${1}`, `${name}` in regexes), before expansion.
  std::string name;
  /// Label name -> value template, sorted by label name.
  std::vector<std::pair<std::string, std::string>> labels;
  std::string help;
  Action action = Action::Map;
  /// Only events of this type match; nullopt = any type.
  std::optional<MetricType> match_metric_type;
  /// The mapping's own, else the defaults' (may stay Default = summary).
  ObserverType observer_type = ObserverType::Default;
  /// What the exporter builds this mapping's observers with (statsd_exporter's registry
  /// rules): the mapping's buckets / quantiles / native settings where set, else the
  /// defaults'; summary max_age, age_buckets, buf_cap from the mapping only (the defaults'
  /// values were merged in when the observer type is summary), 0 = client default.
  HistogramOptions histogram_options;
  SummaryOptions summary_options;
  /// Multiplier applied to observed values; nullopt = not set.
  std::optional<double> scale;
  /// The mapping's ttl, else the defaults' (0 = never expire).
  std::chrono::nanoseconds ttl{0};
  bool honor_labels = false;
  /// Position of the mapping in the file (for messages).
  int line = 0;
  int column = 0;
};

/// A parsed and validated mapping file.
struct MappingConfig {
  MappingDefaults defaults;
  std::vector<MetricMapping> mappings;  // file order
  /// Accepted but deprecated input (today: `timer_type`), each with file, line and column. This library
  /// does not log: whoever loads the file reports them (the exporter logs them as warnings, `promcast
  /// check mappings` prints them).
  std::vector<Error> warnings;

  /// Parses a whole mapping file. Returns every error found (strict keys, types, values,
  /// statsd_exporter's validation rules), each with `filename`, line and column.
  /// An empty document is a valid config with no mappings.
  static std::expected<MappingConfig, std::vector<Error>> parse(std::string_view yaml,
                                                                std::string_view filename);
  /// Reads `path` and parses it; an unreadable file is one error naming the path.
  static std::expected<MappingConfig, std::vector<Error>> load_file(const std::string& path);
};

}  // namespace promcast::mappings
