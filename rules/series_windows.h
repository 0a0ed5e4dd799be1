#pragma once
// The recent history of every series one rule selects, on the rule's regular time grid (one value per
// step, NaN where the source had no sample). Kept between evaluations so that only the points since the
// last evaluation are read: a full read of `history` happens on first use, when series appear (their
// history is needed at once, not at the next refit) and after a pause longer than the history.
// Series absent from the source for longer than `staleness` are dropped. Not thread-safe: owned by one
// rule evaluation at a time.
//
// A caller that only needs the recent points between full re-estimations (a forecast rule: its models
// absorb new points through the filter) trims windows with keep_recent() and asks refresh() to refill
// them before the next fit: the memory of a whole history per series is then held only during a fit.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <vector>

#include "common/error.h"
#include "rules/duration.h"
#include "rules/query_client.h"
#include "rules/series.h"

namespace promcast::rules {

/// Which series this replica evaluates (--rules.shard=i/n): the ones whose labels hash to i modulo n,
/// like Prometheus' hashmod relabelling, so n replicas split the series and each is fitted once.
struct Shard {
  std::uint64_t index = 0;
  std::uint64_t count = 1;
  [[nodiscard]] bool owns(const Labels& labels) const { return count <= 1 || labels_hash(labels) % count == index; }
};

/// How the engine reads: a QueryClient in production, a fake in tests.
using QueryFn = std::function<std::expected<std::vector<Series>, Error>(const RangeQuery&)>;

struct SeriesWindow {
  Labels labels;
  std::vector<double> values;   ///< oldest first; the last value is at the rule's grid end
  std::size_t new_points = 0;   ///< values appended by the last refresh (all of them when is_new)
  bool is_new = true;           ///< first refresh that saw this series
  TimestampMs last_sample = 0;  ///< grid time of the last finite value
  [[nodiscard]] std::size_t finite_count() const;
};

struct RefreshStats {
  std::size_t queries = 0;
  std::size_t samples = 0;
  std::size_t appeared = 0;
  std::size_t dropped = 0;
};

class SeriesWindows {
 public:
  SeriesWindows(Duration step, Duration history, Duration staleness, Shard shard = {});

  /// Brings every series up to `end` (aligned down to the step). `base` supplies expr, limits and the
  /// rule name; start, end and step are set here. With `refill`, windows shortened by keep_recent() are
  /// read again over the whole history (one query for the rule); their new_points and is_new are what an
  /// incremental read would have given. On error nothing changes.
  std::expected<RefreshStats, Error> refresh(TimestampMs end, const RangeQuery& base, const QueryFn& query,
                                             bool refill = false);

  /// Shortens the window of `key` to its last `points` values and releases the rest.
  void keep_recent(std::uint64_t key, std::size_t points);
  /// Whether some window is shorter than the history (keep_recent), so refill would read.
  [[nodiscard]] bool any_trimmed() const;

  /// Series by labels_hash.
  [[nodiscard]] std::map<std::uint64_t, SeriesWindow>& windows() { return windows_; }
  [[nodiscard]] const std::map<std::uint64_t, SeriesWindow>& windows() const { return windows_; }
  /// Grid time of the last value of every window (0 before the first refresh).
  [[nodiscard]] TimestampMs end() const { return end_; }
  /// Grid time of the first value of `w` (a window ends at end()).
  [[nodiscard]] TimestampMs start_of(const SeriesWindow& w) const {
    return end_ - static_cast<TimestampMs>(w.values.size() - 1) * step_.count();
  }
  [[nodiscard]] Duration step() const { return step_; }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }

 private:
  void place(SeriesWindow& w, const Series& s, TimestampMs from, std::size_t count) const;

  Duration step_, staleness_;
  Shard shard_;
  std::size_t capacity_;  ///< points per window (history / step)
  TimestampMs end_ = 0;
  std::map<std::uint64_t, SeriesWindow> windows_;
};

}  // namespace promcast::rules
