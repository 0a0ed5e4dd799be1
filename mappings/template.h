#pragma once
// Name and label templates, compiled once per mapping and expanded per event without
// parsing. Two flavours because statsd_exporter has two: globs use its fsm formatter,
// regexes use Go's regexp.Expand. Their rules differ in corner cases (see the .cc).
#include <re2/re2.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace promcast::mappings::detail {

/// One compiled template: literal text interleaved with capture references.
class Template {
 public:
  /// statsd_exporter's glob formatter: `$X` / `${X}` where X is the longest run of
  /// [a-zA-Z0-9_$]; X must be a number in 1..capture_count, otherwise the reference expands
  /// to nothing (so `$1_total` is empty: the reference is `1_total`).
  static Template glob(std::string_view expr, size_t capture_count);
  /// Go's regexp.Expand: `$$` is `$`, `$name`/`${name}` refer to a group by number (no
  /// leading zeros) or by name; unknown groups expand to nothing; a malformed `$` stays.
  static Template regex(std::string_view expr, const RE2& regex);

  /// Writes the expansion into `out` (replacing its contents, keeping its capacity).
  /// `captures[i]` is capture i (glob: 0-based `*` index; regex: group i, 0 = whole match).
  void expand(std::span<const std::string_view> captures, std::string& out) const;

  /// The highest capture index referenced, or -1 (regexes ask RE2 for no more groups).
  [[nodiscard]] int max_capture() const { return max_capture_; }

 private:
  struct Part {
    std::string literal;  // emitted first
    int capture = -1;     // then this capture, if >= 0
  };
  std::vector<Part> parts_;
  int max_capture_ = -1;
};

}  // namespace promcast::mappings::detail
