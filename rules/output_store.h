#pragma once
// The series the rule engine exports on /metrics: for each rule, the samples of its last successful
// evaluation (R:yhat{...,horizon="1h"}, A:anomaly_score{...}, promcast_alerts{...}). A rule's samples
// are replaced as a whole after each evaluation, so a scrape never sees half an evaluation; a failed
// evaluation leaves the previous samples in place. Thread-safe: evaluations write, scrapes read.
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "rules/labels.h"

namespace promcast::rules {

struct OutputSample {
  std::string name;
  Labels labels;  ///< without __name__
  double value = 0;
};

class OutputStore {
 public:
  /// Replaces every sample of `rule_key` (a rule's identity, e.g. group/rule) with `samples`.
  void replace(const std::string& rule_key, std::vector<OutputSample> samples);
  /// Removes a rule's samples (rule deleted on reload).
  void erase(const std::string& rule_key);
  /// Keeps only the listed rule keys.
  void retain(const std::vector<std::string>& rule_keys);

  /// Prometheus text exposition (0.0.4) of every sample, one `# TYPE name gauge` per family, families
  /// in name order, series sorted by labels. Appends to `out`.
  void write_text(std::string& out) const;

  /// A copy of one rule's samples (status pages, tests).
  [[nodiscard]] std::vector<OutputSample> samples(const std::string& rule_key) const;
  [[nodiscard]] std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<OutputSample>> by_rule_;
};

/// Formats a float the way Prometheus' text format does (Go's strconv 'g' -1, +Inf, -Inf, NaN).
std::string format_sample_value(double value);

}  // namespace promcast::rules
