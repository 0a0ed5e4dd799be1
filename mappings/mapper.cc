#include "mappings/mapper.h"

#include "mappings/glob_fsm.h"
#include "mappings/regex_matcher.h"
#include "mappings/template.h"

namespace promcast::mappings {

namespace detail {
void escape_metric_name_into(std::string_view name, std::string& out);
}  // namespace detail

struct Mapper::GlobTemplates {
  detail::Template name;
  std::vector<std::pair<std::string, detail::Template>> labels;
};

Mapper::Mapper(std::shared_ptr<const MappingConfig> config) : config_(std::move(config)) {
  const auto& mappings = config_->mappings;
  globs_ = std::make_unique<detail::GlobMatcher>(mappings, config_->defaults.glob_disable_ordering);
  regexes_ = std::make_unique<detail::RegexMatcher>(mappings);
  glob_templates_.resize(mappings.size());
  for (size_t i = 0; i < mappings.size(); ++i) {
    if (mappings[i].match_type != MatchType::Glob) continue;
    const size_t captures = globs_->capture_count(i);
    glob_templates_[i].name = detail::Template::glob(mappings[i].name, captures);
    for (const auto& [key, value] : mappings[i].labels) {
      glob_templates_[i].labels.emplace_back(key, detail::Template::glob(value, captures));
    }
  }
}

Mapper::~Mapper() = default;

size_t Mapper::mapping_count() const { return config_->mappings.size(); }

MapResult Mapper::map(std::string_view statsd_name, MetricType type) const {
  MapResult result;
  map_into(statsd_name, type, result);
  return result;
}

void Mapper::map_into(std::string_view statsd_name, MetricType type, MapResult& out) const {
  out.mapping = nullptr;
  if (globs_->active()) {
    detail::Captures captures;
    const int index = globs_->match(statsd_name, type, captures);
    if (index >= 0) {
      const GlobTemplates& templates = glob_templates_[static_cast<size_t>(index)];
      const std::span<const std::string_view> view(captures.data(), captures.size());
      templates.name.expand(view, out.name);
      out.labels.resize(templates.labels.size());
      for (size_t i = 0; i < templates.labels.size(); ++i) {
        out.labels[i].first.assign(templates.labels[i].first);
        templates.labels[i].second.expand(view, out.labels[i].second);
      }
      out.mapping = &config_->mappings[static_cast<size_t>(index)];
      return;
    }
  }
  if (regexes_->active()) {
    const int index = regexes_->match(statsd_name, type, out.name, out.labels);
    if (index >= 0) {
      out.mapping = &config_->mappings[static_cast<size_t>(index)];
      return;
    }
  }
  detail::escape_metric_name_into(statsd_name, out.name);
  out.labels.clear();
}

}  // namespace promcast::mappings
