#pragma once
// The mapper: statsd event name + type -> Prometheus metric name, labels and the mapping
// that decided it, with statsd_exporter's precedence: globs (a token state machine) before
// regexes, first match in file order wins (unless `glob_disable_ordering`), and
// `match_metric_type` filters. Immutable after construction and safe to share between
// threads; for speed give each thread its own MapperCache (mappings/mapper_cache.h).
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mappings/config.h"

namespace promcast::mappings {

namespace detail {
class GlobMatcher;
class RegexMatcher;
}  // namespace detail

struct MapResult {
  /// The mapping that matched, owned by the Mapper's config; nullptr when none matched.
  /// Check `mapping->action == Action::Drop` before exporting.
  const MetricMapping* mapping = nullptr;
  /// Expanded metric name; when nothing matched, escape_metric_name(statsd name).
  std::string name;
  /// Expanded labels, sorted by label name; empty when nothing matched.
  std::vector<std::pair<std::string, std::string>> labels;

  [[nodiscard]] bool matched() const { return mapping != nullptr; }
};

class Mapper {
 public:
  /// Compiles the config's globs into the state machine and its regexes with RE2.
  /// `config` must be non-null and come from MappingConfig::parse (validated), so
  /// compiling it cannot fail.
  explicit Mapper(std::shared_ptr<const MappingConfig> config);
  ~Mapper();
  Mapper(const Mapper&) = delete;
  Mapper& operator=(const Mapper&) = delete;

  /// Maps one statsd event name. Allocates only the result strings.
  [[nodiscard]] MapResult map(std::string_view statsd_name, MetricType type) const;
  /// Same, reusing `out`'s storage (no allocation when its strings have capacity).
  void map_into(std::string_view statsd_name, MetricType type, MapResult& out) const;

  /// Number of mappings in the file (statsd_exporter_loaded_mappings).
  [[nodiscard]] size_t mapping_count() const;
  [[nodiscard]] const MappingConfig& config() const { return *config_; }

 private:
  struct GlobTemplates;
  std::shared_ptr<const MappingConfig> config_;
  std::unique_ptr<detail::GlobMatcher> globs_;
  std::unique_ptr<detail::RegexMatcher> regexes_;
  std::vector<GlobTemplates> glob_templates_;  // indexed like config_->mappings
};

/// statsd_exporter's EscapeMetricName: a valid Prometheus name from any statsd name.
/// Empty stays empty; a leading ASCII digit gets a `_` prefix; each UTF-8 character other
/// than [a-zA-Z0-9_] becomes one `_`, except a `-` right after a `-`, which is dropped.
std::string escape_metric_name(std::string_view name);

}  // namespace promcast::mappings

#include "mappings/mapper_cache.h"  // IWYU pragma: export
