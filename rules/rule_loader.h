#pragma once
// YAML rule files and the backends file to the value types of rule_config.h. Every problem is an
// Error with file, line and column and what was expected; unknown keys are errors (a typo must not
// silently disable a rule). Loading never stops at the first error: all are returned.
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "rules/rule_config.h"

namespace promcast::rules {

struct LoadOptions {
  Duration default_interval{60 * 1000};  ///< --rules.evaluation-interval
};

/// Expands globs (Prometheus' filepath.Glob semantics: *, ?, [..]) in `patterns`, sorted, no
/// duplicates. A pattern without glob characters must name an existing file; a glob may match none.
std::expected<std::vector<std::string>, std::vector<Error>> expand_rule_files(
    const std::vector<std::string>& patterns);

/// Parses one rule file's text (file is the name used in errors).
std::expected<RuleSet, std::vector<Error>> parse_rule_file(std::string_view text, const std::string& file,
                                                           const LoadOptions& options = {});

/// Expands the patterns, loads every file, and merges them into one RuleSet (duplicate group
/// names within one file are errors; across files they are allowed, as in Prometheus).
std::expected<RuleSet, std::vector<Error>> load_rule_files(const std::vector<std::string>& patterns,
                                                           const LoadOptions& options = {});

/// Parses the backends file (sources, remote_write, alertmanagers, external_labels, resend_delay).
std::expected<BackendsConfig, std::vector<Error>> parse_backends(std::string_view text, const std::string& file);
std::expected<BackendsConfig, std::vector<Error>> load_backends(const std::string& path);

}  // namespace promcast::rules
