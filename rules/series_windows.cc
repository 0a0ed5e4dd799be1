#include "rules/series_windows.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace promcast::rules {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

std::size_t SeriesWindow::finite_count() const {
  return static_cast<std::size_t>(
      std::count_if(values.begin(), values.end(), [](double v) { return std::isfinite(v); }));
}

SeriesWindows::SeriesWindows(Duration step, Duration history, Duration staleness, Shard shard)
    : step_(step),
      staleness_(staleness),
      shard_(shard),
      capacity_(static_cast<std::size_t>(
          std::max<std::int64_t>(1, history.count() / std::max<std::int64_t>(1, step.count())))) {}

// Writes the samples of `s` at grid times from .. from + (count-1)*step into the last `count` slots of w.
void SeriesWindows::place(SeriesWindow& w, const Series& s, TimestampMs from, std::size_t count) const {
  const TimestampMs step = step_.count();
  const std::size_t base = w.values.size() - count;
  for (std::size_t i = 0; i < s.timestamps.size(); ++i) {
    const TimestampMs t = s.timestamps[i];
    if (t < from) continue;
    // sources answer on the grid; a sample between grid points goes to the nearest one
    const auto k = static_cast<std::size_t>((t - from + step / 2) / step);
    if (k >= count) continue;
    w.values[base + k] = s.values[i];
    if (std::isfinite(s.values[i]))
      w.last_sample = std::max(w.last_sample, from + static_cast<TimestampMs>(k) * step);
  }
}

void SeriesWindows::keep_recent(std::uint64_t key, std::size_t points) {
  auto it = windows_.find(key);
  if (it == windows_.end() || it->second.values.size() <= points) return;
  std::vector<double>& v = it->second.values;
  std::vector<double>(v.end() - static_cast<std::ptrdiff_t>(points), v.end()).swap(v);  // frees the rest
}

bool SeriesWindows::any_trimmed() const {
  return std::ranges::any_of(windows_, [&](const auto& e) { return e.second.values.size() < capacity_; });
}

std::expected<RefreshStats, Error> SeriesWindows::refresh(TimestampMs end, const RangeQuery& base,
                                                          const QueryFn& query, bool refill) {
  const TimestampMs step = step_.count();
  end = end - ((end % step) + step) % step;
  RefreshStats stats;
  const TimestampMs full_start = end - static_cast<TimestampMs>(capacity_ - 1) * step;
  const bool full = end_ == 0 || end - end_ >= static_cast<TimestampMs>(capacity_) * step;
  refill = refill && !full && any_trimmed();
  if (end <= end_ && !full && !refill) {  // nothing new on the grid: keep windows, report no new points
    for (auto& [key, w] : windows_) {
      w.new_points = 0;
      w.is_new = false;
    }
    return stats;
  }
  RangeQuery q = base;
  q.step = step_;
  q.end = end;
  q.start = full || refill ? full_start : end_ + step;
  auto result = query(q);
  ++stats.queries;
  if (!result) return std::unexpected(result.error());
  std::vector<Series>& got = *result;
  if (shard_.count > 1) std::erase_if(got, [&](const Series& s) { return !shard_.owns(s.labels); });
  for (const auto& s : got) stats.samples += s.timestamps.size();

  // series the incremental read shows for the first time need their whole history now
  std::vector<Series> full_read;
  if (!full && !refill) {
    bool unknown = false;
    for (const auto& s : got)
      if (!windows_.contains(labels_hash(s.labels))) unknown = true;
    if (unknown) {
      RangeQuery fq = q;
      fq.start = full_start;
      auto again = query(fq);
      ++stats.queries;
      if (!again) return std::unexpected(again.error());
      full_read = std::move(*again);
      for (const auto& s : full_read) stats.samples += s.timestamps.size();
    }
  }

  const std::size_t appended =
      full ? capacity_ : static_cast<std::size_t>(std::max<TimestampMs>(0, end - end_) / step);
  std::map<std::uint64_t, const Series*> incoming;
  for (const auto& s : got) incoming[labels_hash(s.labels)] = &s;
  std::map<std::uint64_t, const Series*> history_of_new;
  for (const auto& s : full_read) history_of_new[labels_hash(s.labels)] = &s;

  if (full) windows_.clear();
  for (auto& [key, w] : windows_) {  // known series: extend by the new grid points
    w.is_new = false;
    if (refill) {  // the whole history again, from this read; what is new is counted as usual
      w.values.assign(capacity_, kNaN);
      if (auto it = incoming.find(key); it != incoming.end()) place(w, *it->second, full_start, capacity_);
      w.new_points = appended;
      continue;
    }
    // Oldest points out before the new ones go in, so the vector never outgrows its capacity (appending
    // first would double it: 32 KiB more per series at 4,032 points).
    if (w.values.size() + appended > capacity_)
      w.values.erase(w.values.begin(),
                     w.values.begin() + static_cast<std::ptrdiff_t>(std::min(
                                            w.values.size(), w.values.size() + appended - capacity_)));
    w.values.insert(w.values.end(), appended, kNaN);
    if (auto it = incoming.find(key); it != incoming.end()) place(w, *it->second, end_ + step, appended);
    w.new_points = appended;
  }
  for (const auto& [key, s] : incoming) {  // new series: their whole history
    if (windows_.contains(key)) continue;
    const Series* source = s;
    if (!full && !refill) {
      auto it = history_of_new.find(key);
      if (it != history_of_new.end()) source = it->second;
    }
    SeriesWindow w;
    w.labels = s->labels;
    w.values.assign(capacity_, kNaN);
    place(w, *source, full_start, capacity_);
    if (!full && !refill && source == s) place(w, *s, end_ + step, std::min(appended, capacity_));
    w.new_points = capacity_;
    w.is_new = true;
    ++stats.appeared;
    windows_.emplace(key, std::move(w));
  }
  for (auto it = windows_.begin(); it != windows_.end();) {  // vanished long enough: dropped
    const TimestampMs seen = it->second.last_sample;
    if (!incoming.contains(it->first) && (seen == 0 || end - seen > staleness_.count())) {
      it = windows_.erase(it);
      ++stats.dropped;
    } else {
      ++it;
    }
  }
  end_ = end;
  return stats;
}

}  // namespace promcast::rules
