#pragma once
// The glob state machine, with statsd_exporter's pkg/mapper/fsm semantics: one start state
// per metric type, one transition per dot-separated token (`*` is its own transition),
// literal transitions tried before `*`, and per-state remaining-length bounds to prune.
// With ordering on (the default) every matching path is explored and the mapping that
// came first in the file wins; with `glob_disable_ordering` the first path found wins
// (literal before `*`, token by token), backtracking only where the rule set needs it.
#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mappings/config.h"

namespace promcast::mappings::detail {

/// Captured tokens (views into the matched name); inline room for typical depths.
using Captures = boost::container::small_vector<std::string_view, 16>;

class GlobMatcher {
 public:
  /// Adds every glob mapping of `mappings` (indices into that vector are the results).
  GlobMatcher(const std::vector<MetricMapping>& mappings, bool ordering_disabled);

  /// True when there are glob mappings at all.
  [[nodiscard]] bool active() const { return active_; }
  /// Number of `*` in mapping `index`'s match (its capture count).
  [[nodiscard]] size_t capture_count(size_t index) const { return capture_counts_[index]; }
  [[nodiscard]] bool backtracking_needed() const { return backtracking_needed_; }

  /// The index of the matching mapping, or -1. On a match `captures` holds the tokens the
  /// `*` transitions consumed, in order (captures[0] is `$1`). No allocation for names of
  /// up to 16 tokens.
  int match(std::string_view name, MetricType type, Captures& captures) const;

 private:
  struct State {
    std::vector<std::pair<std::string, uint32_t>> edges;  // literal token -> state, sorted
    int32_t star = -1;                                    // the `*` transition
    int min_remaining = 0;
    int max_remaining = 0;
    int32_t result = -1;  // mapping index when a match may end here
    int priority = 0;     // lower wins when ordering is on
  };

  [[nodiscard]] int32_t literal(const State& state, std::string_view token) const;
  [[nodiscard]] bool fits(int32_t state, int left) const {
    return state >= 0 && left <= states_[state].max_remaining && left >= states_[state].min_remaining;
  }

  std::vector<State> states_;  // 0, 1, 2: start states for counter, gauge, observer
  std::vector<size_t> capture_counts_;
  size_t max_depth_ = 0;
  bool active_ = false;
  bool ordering_disabled_ = false;
  bool backtracking_needed_ = true;
};

/// statsd_exporter's TestIfNeedBacktracking: whether, with ordering disabled, some glob can
/// only be reached by retrying `*` after a literal transition led nowhere. Always true
/// with ordering on.
bool needs_backtracking(const std::vector<std::string_view>& globs, bool ordering_disabled);

}  // namespace promcast::mappings::detail
