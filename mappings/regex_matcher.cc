#include "mappings/regex_matcher.h"

#include <boost/container/small_vector.hpp>

#include "mappings/syntax.h"

namespace promcast::mappings::detail {

RegexMatcher::RegexMatcher(const std::vector<MetricMapping>& mappings) {
  for (size_t index = 0; index < mappings.size(); ++index) {
    const MetricMapping& mapping = mappings[index];
    if (mapping.match_type != MatchType::Regex) continue;
    RE2::Options options;
    options.set_log_errors(false);
    auto regex = std::make_unique<RE2>(go_regex_for_re2(mapping.match), options);
    if (!regex->ok()) continue;  // MappingConfig::parse rejected it already
    Template name = Template::regex(mapping.name, *regex);
    int needed = name.max_capture() + 1;
    std::vector<std::pair<std::string, Template>> labels;
    for (const auto& [key, value] : mapping.labels) {
      labels.emplace_back(key, Template::regex(value, *regex));
      needed = std::max(needed, labels.back().second.max_capture() + 1);
    }
    entries_.push_back(Entry{index, mapping.match_metric_type, std::move(regex), std::move(name),
                             std::move(labels), needed});
  }
}

int RegexMatcher::match(std::string_view name, MetricType type, std::string& name_out,
                        std::vector<std::pair<std::string, std::string>>& labels_out) const {
  boost::container::small_vector<re2::StringPiece, 10> groups;
  boost::container::small_vector<std::string_view, 10> captures;
  const re2::StringPiece text(name.data(), name.size());
  for (const Entry& entry : entries_) {
    // statsd_exporter checks the type after matching; the outcome is the same.
    if (entry.type && *entry.type != type) continue;
    groups.assign(static_cast<size_t>(entry.groups_needed), re2::StringPiece());
    if (!entry.regex->Match(text, 0, text.size(), RE2::UNANCHORED, groups.data(), entry.groups_needed))
      continue;
    captures.clear();
    for (const auto& g : groups) {
      // An unset group (nullptr) expands to nothing, like Go's -1 indices.
      captures.emplace_back(g.data() == nullptr ? std::string_view() : std::string_view(g.data(), g.size()));
    }
    const std::span<const std::string_view> view(captures.data(), captures.size());
    entry.name.expand(view, name_out);
    labels_out.resize(entry.labels.size());
    for (size_t i = 0; i < entry.labels.size(); ++i) {
      labels_out[i].first.assign(entry.labels[i].first);
      entry.labels[i].second.expand(view, labels_out[i].second);
    }
    return static_cast<int>(entry.index);
  }
  return -1;
}

}  // namespace promcast::mappings::detail
