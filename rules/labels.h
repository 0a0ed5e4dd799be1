#pragma once
// Label sets as the rule engine passes them around: sorted by name, names unique, `__name__` kept
// like any other label when a query returns it. Value type, cheap to compare and hash.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace promcast::rules {

using Label = std::pair<std::string, std::string>;
/// Sorted by name, names unique (make_labels sorts and keeps the last of duplicate names).
using Labels = std::vector<Label>;

/// Sorts by name and removes duplicate names (the later value wins), so any input becomes a Labels.
Labels make_labels(std::vector<Label> labels);

/// A stable 64-bit hash of the label set (FNV-1a over name 0xff value 0xff ...): the same in every
/// process and version, so it can shard work and key alert state.
std::uint64_t labels_hash(const Labels& labels);

/// `{a="b", c="d"}` with Prometheus' escaping of `\`, `"` and newline in values; `{}` when empty.
std::string labels_to_string(const Labels& labels);

/// The value of label `name`, or empty when absent.
std::string_view label_value(const Labels& labels, std::string_view name);

/// Sets (replaces or inserts, keeping the order) label `name`.
void set_label(Labels& labels, std::string name, std::string value);

/// Removes label `name` if present.
void remove_label(Labels& labels, std::string_view name);

}  // namespace promcast::rules
