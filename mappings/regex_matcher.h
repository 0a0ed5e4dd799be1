#pragma once
// Regex mappings, tried in file order after the globs, first match wins. RE2 implements
// Go's regexp syntax and leftmost-first semantics; matches are unanchored searches, as
// Go's FindStringSubmatchIndex is.
#include <re2/re2.h>

#include <memory>
#include <vector>

#include "mappings/config.h"
#include "mappings/template.h"

namespace promcast::mappings::detail {

class RegexMatcher {
 public:
  explicit RegexMatcher(const std::vector<MetricMapping>& mappings);

  [[nodiscard]] bool active() const { return !entries_.empty(); }

  /// The first regex mapping (file order) that matches `name` and accepts `type`, its
  /// templates expanded into `name_out`/`labels_out`; -1 when none matches.
  int match(std::string_view name, MetricType type, std::string& name_out,
            std::vector<std::pair<std::string, std::string>>& labels_out) const;

 private:
  struct Entry {
    size_t index;  // into the config's mappings
    std::optional<MetricType> type;
    std::unique_ptr<RE2> regex;
    Template name;
    std::vector<std::pair<std::string, Template>> labels;
    int groups_needed;  // how many submatches the templates use (0 = only "did it match")
  };
  std::vector<Entry> entries_;
};

}  // namespace promcast::mappings::detail
