#pragma once
// Series selection shared by remote read and the query API: Prometheus label matchers (=, !=, =~, !~)
// with Prometheus' semantics (a regex is anchored at both ends, `^(?:re)$`; a missing label matches
// as the empty string), a parser for series selectors such as `up{job=~"a|b", le!=""}`, and the
// selection of series and samples in a time range. Pure; RE2 for regexes (linear time, no backtracking).
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rules/series.h"

namespace re2 {
class RE2;
}

namespace promcast::web {

enum class MatchType : std::uint8_t { Equal, NotEqual, Regex, NotRegex };

class LabelMatcher {
 public:
  /// A matcher; for the regex types `value` must compile (RE2 syntax, as Prometheus' Go regexp).
  static std::expected<LabelMatcher, std::string> make(MatchType type, std::string name, std::string value);

  /// Whether a label value (empty when the series lacks the label) matches.
  [[nodiscard]] bool matches(std::string_view value) const;
  /// Whether the series' labels satisfy this matcher.
  [[nodiscard]] bool matches(const rules::Labels& labels) const;

  [[nodiscard]] MatchType type() const { return type_; }
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const std::string& value() const { return value_; }

 private:
  MatchType type_ = MatchType::Equal;
  std::string name_, value_;
  std::shared_ptr<const re2::RE2> regex_;  // shared: matchers are copied into per-query lists
};

using Matchers = std::vector<LabelMatcher>;

/// Whether every matcher matches.
bool matches_all(const Matchers& matchers, const rules::Labels& labels);

/// Parses a series selector: `name`, `name{matchers}` or `{matchers}`, matcher values quoted with ", ' or `
/// (Go escapes \\ \" \' \n \t in the first two). Like Prometheus, at least one matcher must not match the
/// empty string. Anything else (functions, operators, ranges, offsets) is an error that says only
/// selectors are supported.
std::expected<Matchers, std::string> parse_selector(std::string_view text);

/// The series of `all` that match, with only their samples in [start_ms, end_ms]; series left with no
/// sample are dropped. Labels are kept as they are (sorted, __name__ included).
std::vector<rules::Series> select_series(const std::vector<rules::Series>& all, const Matchers& matchers,
                                         rules::TimestampMs start_ms, rules::TimestampMs end_ms);

}  // namespace promcast::web
