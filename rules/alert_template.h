#pragma once
// The subset of Go's text/template that alert labels and annotations use, with the variables of
// promcast's rules: {{ $labels.name }} (also {{ index $labels "name" }}), {{ $value }},
// {{ $expected }}, {{ $lower }}, {{ $upper }}, {{ $score }}, {{ $externalLabels.name }}, pipelines
// into printf "%.2f", humanize, humanizePercentage, humanizeDuration, and text outside actions.
// Compiled once at load (errors with the column inside the template), expanded per alert. Types are
// static ($labels is a map, $labels.x a string, $value a float64), so a template that compiles can only
// fail at expansion when a function such as humanize is given a label that is not a number; the text is
// then "<error expanding template: ...>", as Prometheus does. Also accepted: {{/* comments */}},
// .Labels, .ExternalLabels and .Value (Prometheus' dot), parentheses, printf with several arguments,
// toUpper and toLower. Control structures (if, range, with) and variable assignment are not.
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "rules/labels.h"

namespace promcast::rules {

struct TemplateData {
  const Labels* labels = nullptr;
  const Labels* external_labels = nullptr;
  double value = 0, expected = 0, lower = 0, upper = 0, score = 0;
};

class AlertTemplate {
 public:
  /// Parses `text`; the error message names the 1-based column within the template.
  static std::expected<AlertTemplate, Error> compile(std::string_view text);
  /// Expands with `data`; a missing label expands to "" (as Go's templates do with missingkey=zero).
  [[nodiscard]] std::string expand(const TemplateData& data) const;
  [[nodiscard]] const std::string& source() const { return source_; }

  struct Program;  ///< the parsed, type-checked template (defined in the .cc)

 private:
  std::string source_;
  std::shared_ptr<const Program> program_;  ///< immutable, so copies of a template share it
};

/// Go's fmt.Sprint of a float64 (what `{{ $value }}` prints in Prometheus): the shortest digits that
/// read back as the same number, in %e form when the decimal exponent is < -4 or >= 6 (so 123456,
/// 1e+06, 1.5e+07, 0.0001, 1e-05), and "+Inf", "-Inf", "NaN".
std::string go_format_float(double value);

}  // namespace promcast::rules
