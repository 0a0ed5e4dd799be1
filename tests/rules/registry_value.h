#pragma once
// Reads one sample of a prometheus-cpp registry in tests: the value of counter or gauge `name`
// whose labels include all of `labels`, or nullopt when there is none.
#include <prometheus/registry.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace promcast::testing {

inline std::optional<double> registry_value(
    const prometheus::Registry& registry, const std::string& name,
    const std::vector<std::pair<std::string, std::string>>& labels = {}) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      bool match = true;
      for (const auto& [key, value] : labels) {
        bool found = false;
        for (const auto& label : metric.label) found = found || (label.name == key && label.value == value);
        match = match && found;
      }
      if (!match) continue;
      return family.type == prometheus::MetricType::Gauge ? metric.gauge.value : metric.counter.value;
    }
  }
  return std::nullopt;
}

}  // namespace promcast::testing
