#pragma once
// statsd_exporter's load-time validation grammars, hand-written instead of regexes so that
// loading stays cheap and the rules are visible in one place.
#include <string>
#include <string_view>

namespace promcast::mappings::detail {

/// A glob `match`: dot-separated segments, each `*` or a name. The first segment starts with
/// [a-zA-Z_], later ones with [a-zA-Z0-9_]; then (-?[a-zA-Z0-9_])*, so no `--` and no
/// trailing `-`. No partial wildcards (`foo*`).
bool is_valid_glob(std::string_view match);
/// A `name` template: [a-zA-Z_] or a `$N`/`${N}` reference first, then [a-zA-Z0-9_] or
/// references (statsd_exporter's metricNameRE).
bool is_valid_name_template(std::string_view name);
/// A label key: [a-zA-Z_][a-zA-Z0-9_]+ (statsd_exporter's labelNameRE needs two characters).
bool is_valid_label_name(std::string_view name);

/// A Go regexp pattern in the syntax this RE2 build reads: Go (1.22+) also accepts
/// `(?<name>re)` for a named group, which this RE2 only knows as `(?P<name>re)`.
/// Escapes and character classes are left alone.
std::string go_regex_for_re2(std::string_view pattern);

}  // namespace promcast::mappings::detail
