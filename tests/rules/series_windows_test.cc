// SeriesWindows: full read on first use, incremental reads after, new series read in full at once,
// gaps as NaN on the grid, vanished series dropped after the staleness period.
#include "rules/series_windows.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace promcast::rules {
namespace {

constexpr TimestampMs kStep = 60'000;

// A fake source: every series is a function of time, answered on the query's grid.
struct FakeSource {
  std::map<std::string, std::function<double(TimestampMs)>> series;
  std::map<std::string, TimestampMs> born;  // first time a series exists
  std::map<std::string, TimestampMs> died;  // first time it no longer exists
  std::vector<RangeQuery> seen;

  std::expected<std::vector<Series>, Error> operator()(const RangeQuery& q) {
    seen.push_back(q);
    std::vector<Series> out;
    for (const auto& [name, f] : series) {
      Series s;
      s.labels = {{"__name__", "m"}, {"id", name}};
      for (TimestampMs t = q.start; t <= q.end; t += q.step.count()) {
        if (born.contains(name) && t < born[name]) continue;
        if (died.contains(name) && t >= died[name]) continue;
        s.timestamps.push_back(t);
        s.values.push_back(f(t));
      }
      if (!s.timestamps.empty()) out.push_back(std::move(s));
    }
    return out;
  }
};

TEST(SeriesWindows, FullThenIncrementalReadsOnTheGrid) {
  FakeSource source;
  source.series["a"] = [](TimestampMs t) { return static_cast<double>(t / kStep); };
  SeriesWindows w(Duration{kStep}, Duration{60 * kStep}, Duration{5 * kStep});
  QueryFn q = [&](const RangeQuery& r) { return source(r); };
  RangeQuery base;
  base.expr = "m";
  const TimestampMs t0 = 1000 * kStep + 1234;  // not aligned: the grid end is aligned down
  ASSERT_TRUE(w.refresh(t0, base, q));
  ASSERT_EQ(source.seen.size(), 1u);
  EXPECT_EQ(source.seen[0].end, 1000 * kStep);
  EXPECT_EQ(source.seen[0].start, (1000 - 59) * kStep);
  auto& win = w.windows().begin()->second;
  ASSERT_EQ(win.values.size(), 60u);
  EXPECT_EQ(win.values.back(), 1000.0);
  EXPECT_EQ(win.values.front(), 941.0);
  EXPECT_TRUE(win.is_new);

  ASSERT_TRUE(w.refresh(t0 + 3 * kStep, base, q));
  ASSERT_EQ(source.seen.size(), 2u);
  EXPECT_EQ(source.seen[1].start, 1001 * kStep) << "only the points since the last evaluation are read";
  EXPECT_EQ(win.values.size(), 60u);
  EXPECT_EQ(win.values.back(), 1003.0);
  EXPECT_EQ(win.values.front(), 944.0);
  EXPECT_EQ(win.new_points, 3u);
  EXPECT_FALSE(win.is_new);
}

// A forecast rule keeps only recent points between refits and refills the whole history before one:
// incremental reads still read only the new points, a refill reads the history in one query and
// reports the new points as an incremental read would (so the filter is not fed them twice).
TEST(SeriesWindows, KeepRecentThenRefillRestoresTheWholeHistory) {
  FakeSource source;
  source.series["a"] = [](TimestampMs t) { return static_cast<double>(t / kStep); };
  SeriesWindows w(Duration{kStep}, Duration{60 * kStep}, Duration{5 * kStep});
  QueryFn q = [&](const RangeQuery& r) { return source(r); };
  RangeQuery base;
  base.expr = "m";
  const TimestampMs t0 = 1000 * kStep;
  ASSERT_TRUE(w.refresh(t0, base, q));
  const std::uint64_t key = w.windows().begin()->first;
  EXPECT_FALSE(w.any_trimmed());
  w.keep_recent(key, 10);
  EXPECT_TRUE(w.any_trimmed());
  ASSERT_EQ(w.windows().at(key).values.size(), 10u);
  EXPECT_EQ(w.windows().at(key).values.front(), 991.0);

  ASSERT_TRUE(w.refresh(t0 + 2 * kStep, base, q));  // incremental: the short window grows by 2
  EXPECT_EQ(source.seen.back().start, 1001 * kStep);
  EXPECT_EQ(w.windows().at(key).values.size(), 12u);
  EXPECT_EQ(w.windows().at(key).values.back(), 1002.0);

  ASSERT_TRUE(w.refresh(t0 + 5 * kStep, base, q, /*refill=*/true));
  EXPECT_EQ(source.seen.back().start, (1005 - 59) * kStep) << "one read of the whole history";
  const SeriesWindow& win = w.windows().at(key);
  ASSERT_EQ(win.values.size(), 60u);
  EXPECT_EQ(win.values.front(), 946.0);
  EXPECT_EQ(win.values.back(), 1005.0);
  EXPECT_EQ(win.new_points, 3u) << "new since the last evaluation, as an incremental read counts them";
  EXPECT_FALSE(win.is_new);
  EXPECT_FALSE(w.any_trimmed());

  const std::size_t reads = source.seen.size();
  ASSERT_TRUE(w.refresh(t0 + 6 * kStep, base, q, /*refill=*/true));  // nothing trimmed: incremental
  EXPECT_EQ(source.seen.size(), reads + 1);
  EXPECT_EQ(source.seen.back().start, 1006 * kStep);
}

TEST(SeriesWindows, NewSeriesGetTheirHistoryAtOnceAndVanishedOnesAreDropped) {
  FakeSource source;
  source.series["a"] = [](TimestampMs) { return 1.0; };
  SeriesWindows w(Duration{kStep}, Duration{60 * kStep}, Duration{5 * kStep});
  QueryFn q = [&](const RangeQuery& r) { return source(r); };
  RangeQuery base;
  ASSERT_TRUE(w.refresh(1000 * kStep, base, q));
  EXPECT_EQ(w.windows().size(), 1u);
  source.series["b"] = [](TimestampMs) { return 2.0; };  // born at 975: first seen by the read at 1005
  source.born["b"] = 975 * kStep;
  auto stats = w.refresh(1005 * kStep, base, q);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->appeared, 1u);
  EXPECT_EQ(stats->queries, 2u) << "an incremental read, then a full read for the new series";
  ASSERT_EQ(w.windows().size(), 2u);
  for (auto& [key, win] : w.windows()) {
    if (label_value(win.labels, "id") != "b") continue;
    EXPECT_TRUE(win.is_new);
    EXPECT_EQ(win.finite_count(), 31u) << "its whole history since it was born";
  }
  // a vanishes: kept (NaN-filled) within the staleness period, dropped after it
  source.died["a"] = 1006 * kStep;
  ASSERT_TRUE(w.refresh(1008 * kStep, base, q));
  EXPECT_EQ(w.windows().size(), 2u);
  for (auto& [key, win] : w.windows()) {
    if (label_value(win.labels, "id") == "a") {
      EXPECT_TRUE(std::isnan(win.values.back()));
    }
  }
  auto later = w.refresh(1012 * kStep, base, q);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->dropped, 1u);
  EXPECT_EQ(w.windows().size(), 1u);
}

TEST(SeriesWindows, GapsBecomeNaNAndErrorsChangeNothing) {
  FakeSource source;
  source.series["a"] = [](TimestampMs t) { return (t / kStep) % 7 == 0 ? std::nan("") : 1.0; };
  SeriesWindows w(Duration{kStep}, Duration{20 * kStep}, Duration{5 * kStep});
  RangeQuery base;
  ASSERT_TRUE(w.refresh(700 * kStep, base, [&](const RangeQuery& r) { return source(r); }));
  const auto before = w.windows().begin()->second.values;
  EXPECT_EQ(w.windows().begin()->second.finite_count(), 17u);
  auto failed =
      w.refresh(702 * kStep, base, [](const RangeQuery&) -> std::expected<std::vector<Series>, Error> {
        return std::unexpected(Error{"connection refused", {}, 0, 0});
      });
  ASSERT_FALSE(failed);
  EXPECT_EQ(w.end(), 700 * kStep);
  EXPECT_EQ(w.windows().begin()->second.values.size(), before.size());
}

TEST(SeriesWindows, APauseLongerThanTheHistoryRereadsEverything) {
  FakeSource source;
  source.series["a"] = [](TimestampMs t) { return static_cast<double>(t / kStep); };
  SeriesWindows w(Duration{kStep}, Duration{10 * kStep}, Duration{5 * kStep});
  RangeQuery base;
  QueryFn q = [&](const RangeQuery& r) { return source(r); };
  ASSERT_TRUE(w.refresh(100 * kStep, base, q));
  ASSERT_TRUE(w.refresh(200 * kStep, base, q));
  EXPECT_EQ(source.seen.back().start, 191 * kStep);
  EXPECT_EQ(w.windows().begin()->second.values.back(), 200.0);
  EXPECT_EQ(w.windows().begin()->second.values.size(), 10u);
}

}  // namespace
}  // namespace promcast::rules

namespace promcast::rules {
namespace {

TEST(SeriesWindows, ShardsSplitTheSeriesWithoutOverlap) {
  FakeSource source;
  for (int i = 0; i < 40; ++i) source.series["s" + std::to_string(i)] = [](TimestampMs) { return 1.0; };
  RangeQuery base;
  QueryFn q = [&](const RangeQuery& r) { return source(r); };
  std::map<std::uint64_t, int> owners;
  for (std::uint64_t i = 0; i < 3; ++i) {
    SeriesWindows w(Duration{kStep}, Duration{10 * kStep}, Duration{5 * kStep}, Shard{i, 3});
    ASSERT_TRUE(w.refresh(100 * kStep, base, q));
    EXPECT_GT(w.windows().size(), 5u) << "each of 3 shards gets a fair part of 40 series";
    for (const auto& [key, win] : w.windows()) ++owners[key];
  }
  EXPECT_EQ(owners.size(), 40u) << "every series is owned";
  for (const auto& [key, n] : owners) EXPECT_EQ(n, 1) << "by exactly one shard";
}

}  // namespace
}  // namespace promcast::rules
