#pragma once
// The subset of Go's text/template that alert labels and annotations use, with the variables of
// promcast's rules: {{ $labels.name }} (also {{ index $labels "name" }}), {{ $value }},
// {{ $expected }}, {{ $lower }}, {{ $upper }}, {{ $score }}, {{ $externalLabels.name }}, pipelines
// into printf "%.2f", humanize, humanizePercentage, humanizeDuration, and text outside actions.
// Compiled once at load (errors with the column inside the template), expanded per alert.
#include <expected>
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

  struct Node;  ///< parsed pieces (defined in the .cc)

 private:
  std::string source_;
  std::vector<Node> nodes_;
};

}  // namespace promcast::rules
