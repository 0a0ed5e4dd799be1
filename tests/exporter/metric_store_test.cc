// Metric store semantics, as statsd_exporter's pkg/exporter + pkg/registry define them (expected values are
// derived from that code's rules, not from our output): counter/gauge/histogram/summary updates, negative
// counters, name conflicts incl. _sum/_count/_bucket collisions, label-name sets, TTL with an injected
// clock, the max_series cap, and a multi-threaded smoke test that checks totals.
#include "exporter/metric_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "exporter/exposition.h"

namespace promcast::exporter {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;
const Clock::time_point kT0{seconds(5000)};

SeriesUpdate update(std::string_view name, MetricKind kind, double value,
                    std::span<const LabelPair> labels = {}) {
  SeriesUpdate u;
  u.name = name;
  u.kind = kind;
  u.value = value;
  u.labels = labels;
  return u;
}

// Sample lines of the exposition, "name{labels}" -> value text.
std::map<std::string, std::string> samples(const MetricStore& store, Clock::time_point now = kT0) {
  std::string text;
  write_text_exposition(store, text, now);
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

TEST(MetricStore, TypeSemantics) {
  struct Step {
    const char* name;
    MetricKind kind;
    double value;
    bool relative;
    UpdateOutcome outcome;
  };
  struct Case {
    const char* title;
    std::vector<Step> steps;
    std::map<std::string, std::string> want;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Case> cases = {
      {"counter adds",
       {{"c", MetricKind::Counter, 1, false, UpdateOutcome::Applied},
        {"c", MetricKind::Counter, 2.5, false, UpdateOutcome::Applied}},
       {{"c", "3.5"}}},
      {"negative counter rejected",
       {{"c", MetricKind::Counter, 2, false, UpdateOutcome::Applied},
        {"c", MetricKind::Counter, -1, false, UpdateOutcome::InvalidValue}},
       {{"c", "2"}}},
      {"negative counter never creates the series",
       {{"c", MetricKind::Counter, -1, false, UpdateOutcome::InvalidValue}},
       {}},
      {"counter accepts +Inf",
       {{"c", MetricKind::Counter, inf, false, UpdateOutcome::Applied}},
       {{"c", "+Inf"}}},
      {"zero increment creates the series",
       {{"c", MetricKind::Counter, 0, false, UpdateOutcome::Applied}},
       {{"c", "0"}}},
      {"gauge sets",
       {{"g", MetricKind::Gauge, 5, false, UpdateOutcome::Applied},
        {"g", MetricKind::Gauge, 3, false, UpdateOutcome::Applied}},
       {{"g", "3"}}},
      {"gauge relative adds and subtracts",
       {{"g", MetricKind::Gauge, 5, false, UpdateOutcome::Applied},
        {"g", MetricKind::Gauge, 2, true, UpdateOutcome::Applied},
        {"g", MetricKind::Gauge, -10, true, UpdateOutcome::Applied}},
       {{"g", "-3"}}},
      {"relative gauge starts from zero",
       {{"g", MetricKind::Gauge, -4, true, UpdateOutcome::Applied}},
       {{"g", "-4"}}},
      {"histogram sum and count",
       {{"h", MetricKind::Histogram, 0.3, false, UpdateOutcome::Applied},
        {"h", MetricKind::Histogram, 7, false, UpdateOutcome::Applied}},
       {{"h_bucket{le=\"0.25\"}", "0"},
        {"h_bucket{le=\"0.5\"}", "1"},
        {"h_bucket{le=\"5\"}", "1"},
        {"h_bucket{le=\"10\"}", "2"},
        {"h_bucket{le=\"+Inf\"}", "2"},
        {"h_sum", "7.3"},
        {"h_count", "2"},
        {"h_bucket{le=\"0.005\"}", "0"},
        {"h_bucket{le=\"0.01\"}", "0"},
        {"h_bucket{le=\"0.025\"}", "0"},
        {"h_bucket{le=\"0.05\"}", "0"},
        {"h_bucket{le=\"0.1\"}", "0"},
        {"h_bucket{le=\"1\"}", "1"},
        {"h_bucket{le=\"2.5\"}", "1"}}},
      {"summary default objectives",
       {{"s", MetricKind::Summary, 10, false, UpdateOutcome::Applied}},
       {{"s{quantile=\"0.5\"}", "10"},
        {"s{quantile=\"0.9\"}", "10"},
        {"s{quantile=\"0.99\"}", "10"},
        {"s_sum", "10"},
        {"s_count", "1"}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.title);
    MetricStore store;
    for (const Step& s : c.steps) {
      SeriesUpdate u = update(s.name, s.kind, s.value);
      u.relative = s.relative;
      EXPECT_EQ(store.apply(u, kT0), s.outcome) << s.name;
    }
    EXPECT_EQ(samples(store), c.want);
  }
}

TEST(MetricStore, NameConflicts) {
  struct Step {
    const char* name;
    MetricKind kind;
    UpdateOutcome outcome;
  };
  using K = MetricKind;
  constexpr auto ok = UpdateOutcome::Applied;
  constexpr auto conflict = UpdateOutcome::Conflict;
  const std::vector<std::pair<const char*, std::vector<Step>>> cases = {
      {"same name, other type",
       {{"x", K::Counter, ok},
        {"x", K::Gauge, conflict},
        {"x", K::Summary, conflict},
        {"x", K::Counter, ok}}},
      {"histogram owns _bucket/_sum/_count",
       {{"h", K::Histogram, ok},
        {"h_bucket", K::Counter, conflict},
        {"h_sum", K::Gauge, conflict},
        {"h_count", K::Counter, conflict},
        {"h_total", K::Counter, ok}}},
      {"summary owns _sum/_count but not _bucket",
       {{"s", K::Summary, ok},
        {"s_sum", K::Gauge, conflict},
        {"s_count", K::Histogram, conflict},
        {"s_bucket", K::Gauge, ok}}},
      {"existing _sum blocks a later summary/histogram (statsd_exporter's registry check)",
       {{"a_sum", K::Counter, ok},
        {"a", K::Summary, conflict},
        {"a", K::Histogram, conflict},
        {"a", K::Counter, ok}}},
      {"existing _bucket blocks a histogram but not a summary",
       {{"b_bucket", K::Gauge, ok}, {"b", K::Histogram, conflict}, {"b", K::Summary, ok}}},
      {"existing _count of the same type still collides",
       {{"c_count", K::Histogram, ok}, {"c", K::Histogram, conflict}}},
  };
  for (const auto& [title, steps] : cases) {
    SCOPED_TRACE(title);
    MetricStore store;
    for (const Step& s : steps) EXPECT_EQ(store.apply(update(s.name, s.kind, 1), kT0), s.outcome) << s.name;
  }
}

TEST(MetricStore, ConflictWithExistingSeriesOfOtherType) {
  MetricStore store;
  const LabelPair l[] = {{"a", "1"}};
  ASSERT_EQ(store.apply(update("m", MetricKind::Gauge, 1, l), kT0), UpdateOutcome::Applied);
  // Same name and labels, so the series itself is found: still a conflict, the gauge is untouched.
  EXPECT_EQ(store.apply(update("m", MetricKind::Counter, 5, l), kT0), UpdateOutcome::Conflict);
  EXPECT_EQ(samples(store), (std::map<std::string, std::string>{{"m{a=\"1\"}", "1"}}));
}

TEST(MetricStore, LabelOrderDoesNotMatterAndLabelNameSetsCoexist) {
  MetricStore store;
  const LabelPair ab[] = {{"a", "1"}, {"b", "2"}};
  const LabelPair ba[] = {{"b", "2"}, {"a", "1"}};
  const LabelPair ac[] = {{"a", "1"}, {"c", "2"}};
  EXPECT_EQ(store.apply(update("m", MetricKind::Counter, 1, ab), kT0), UpdateOutcome::Applied);
  EXPECT_EQ(store.apply(update("m", MetricKind::Counter, 1, ba), kT0), UpdateOutcome::Applied);
  // statsd_exporter keys vectors by label-name set: another set under the same name is a new vector.
  EXPECT_EQ(store.apply(update("m", MetricKind::Counter, 1, ac), kT0), UpdateOutcome::Applied);
  EXPECT_EQ(store.apply(update("m", MetricKind::Counter, 1), kT0), UpdateOutcome::Applied);
  EXPECT_EQ(store.series_count(), 3u);
  EXPECT_EQ(store.vector_count(MetricKind::Counter), 3u);
  EXPECT_EQ(samples(store), (std::map<std::string, std::string>{
                                {"m", "1"}, {"m{a=\"1\",b=\"2\"}", "2"}, {"m{a=\"1\",c=\"2\"}", "1"}}));
}

TEST(MetricStore, RepeatedLabelNameKeepsLastValueAndManyLabelsWork) {
  MetricStore store;
  const LabelPair dup[] = {{"a", "first"}, {"b", "x"}, {"a", "last"}};
  EXPECT_EQ(store.apply(update("m", MetricKind::Gauge, 1, dup), kT0), UpdateOutcome::Applied);
  std::vector<std::string> names;
  for (int i = 0; i < 100; ++i) names.push_back("l" + std::to_string(1000 + (i * 37) % 100));
  std::vector<LabelPair> many;
  for (const auto& n : names) many.push_back({n, "v"});
  many.push_back({names[5], "override"});
  EXPECT_EQ(store.apply(update("wide", MetricKind::Counter, 2, many), kT0), UpdateOutcome::Applied);
  std::reverse(many.begin(), many.end() - 1);  // another order, same set, same last value for names[5]
  EXPECT_EQ(store.apply(update("wide", MetricKind::Counter, 3, many), kT0), UpdateOutcome::Applied);
  EXPECT_EQ(store.series_count(), 2u);
  std::string wide_key = "wide{";
  for (int i = 0; i < 100; ++i) {
    const std::string n = "l" + std::to_string(1000 + i);
    wide_key += (i ? "," : "") + n + "=\"" + (n == names[5] ? "override" : "v") + "\"";
  }
  wide_key += "}";
  const auto s = samples(store);
  EXPECT_EQ(s.at("m{a=\"last\",b=\"x\"}"), "1");
  EXPECT_EQ(s.at(wide_key), "5");
}

TEST(MetricStore, NanAndInfinityObservations) {
  MetricStore store;
  const double buckets[] = {1, std::numeric_limits<double>::infinity()};  // +Inf is implicit, not doubled
  SeriesUpdate h = update("h", MetricKind::Histogram, std::numeric_limits<double>::quiet_NaN());
  h.buckets = buckets;
  ASSERT_EQ(store.apply(h, kT0), UpdateOutcome::Applied);
  h.value = 0.5;
  ASSERT_EQ(store.apply(h, kT0), UpdateOutcome::Applied);
  SeriesUpdate g = update("g", MetricKind::Gauge, -std::numeric_limits<double>::infinity());
  ASSERT_EQ(store.apply(g, kT0), UpdateOutcome::Applied);
  // client_golang puts NaN in no finite bucket (the search for the first bound >= NaN finds none).
  EXPECT_EQ(samples(store), (std::map<std::string, std::string>{{"g", "-Inf"},
                                                                {"h_bucket{le=\"1\"}", "1"},
                                                                {"h_bucket{le=\"+Inf\"}", "2"},
                                                                {"h_count", "2"},
                                                                {"h_sum", "NaN"}}));
}

TEST(MetricStore, InvalidUtf8LabelValueIsAConflict) {
  MetricStore store;
  const LabelPair bad[] = {{"a", "\xff\xfe"}};
  const LabelPair surrogate[] = {{"a", "\xed\xa0\x80"}};
  const LabelPair good[] = {{"a", "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"}};
  EXPECT_EQ(store.apply(update("m", MetricKind::Gauge, 1, bad), kT0), UpdateOutcome::Conflict);
  EXPECT_EQ(store.apply(update("m", MetricKind::Gauge, 1, surrogate), kT0), UpdateOutcome::Conflict);
  EXPECT_EQ(store.apply(update("m", MetricKind::Gauge, 1, good), kT0), UpdateOutcome::Applied);
  EXPECT_EQ(store.series_count(), 1u);
}

TEST(MetricStore, TtlExpiry) {
  MetricStore store;
  SeriesUpdate u = update("ttl_metric", MetricKind::Gauge, 1);
  u.ttl = seconds(10);
  SeriesUpdate forever = update("forever", MetricKind::Counter, 1);
  ASSERT_EQ(store.apply(u, kT0), UpdateOutcome::Applied);
  ASSERT_EQ(store.apply(forever, kT0), UpdateOutcome::Applied);
  ASSERT_EQ(store.apply(u, kT0 + seconds(4)), UpdateOutcome::Applied);  // refreshes last update
  // statsd_exporter: removed when last update + ttl is strictly before now.
  EXPECT_EQ(store.expire(kT0 + seconds(14)), 0u);
  EXPECT_EQ(store.series_count(), 2u);
  EXPECT_EQ(store.expire(kT0 + seconds(14) + std::chrono::nanoseconds(1)), 1u);
  EXPECT_EQ(store.series_count(), 1u);
  EXPECT_EQ(store.expire(kT0 + seconds(100000)), 0u);  // ttl 0 never expires
  EXPECT_EQ(samples(store), (std::map<std::string, std::string>{{"forever", "1"}}));
  // The family keeps its type after its last series is gone, as statsd_exporter's registry does.
  EXPECT_EQ(store.apply(update("ttl_metric", MetricKind::Counter, 1), kT0 + seconds(20)),
            UpdateOutcome::Conflict);
  // A fresh series starts from zero.
  u.relative = true;
  ASSERT_EQ(store.apply(u, kT0 + seconds(20)), UpdateOutcome::Applied);
  EXPECT_EQ(samples(store).at("ttl_metric"), "1");
}

TEST(MetricStore, TtlIsFixedWhenTheSeriesIsCreated) {
  MetricStore store;
  SeriesUpdate u = update("m", MetricKind::Counter, 1);
  u.ttl = seconds(5);
  ASSERT_EQ(store.apply(u, kT0), UpdateOutcome::Applied);
  u.ttl = seconds(0);  // statsd_exporter only reads the mapping's ttl when it registers the series
  ASSERT_EQ(store.apply(u, kT0 + seconds(1)), UpdateOutcome::Applied);
  EXPECT_EQ(store.expire(kT0 + seconds(7)), 1u);
}

TEST(MetricStore, ExpiryOfHistogramsAndSummariesInManyShards) {
  MetricStore store(MetricStore::Options{.shards = 7, .max_series = 0});
  std::vector<std::string> values;
  for (int i = 0; i < 500; ++i) values.push_back(std::to_string(i));
  for (int i = 0; i < 500; ++i) {
    const LabelPair l[] = {{"i", values[i]}};
    SeriesUpdate u =
        update(i % 2 == 0 ? "h" : "s", i % 2 == 0 ? MetricKind::Histogram : MetricKind::Summary, i, l);
    u.ttl = seconds(i < 250 ? 1 : 1000);
    ASSERT_EQ(store.apply(u, kT0), UpdateOutcome::Applied);
  }
  EXPECT_EQ(store.series_count(), 500u);
  EXPECT_EQ(samples(store).size(), 250u * 14 + 250u * 5);
  EXPECT_EQ(store.expire(kT0 + seconds(2)), 250u);
  EXPECT_EQ(store.series_count(), 250u);
  const auto after = samples(store);
  EXPECT_EQ(after.size(), 125u * 14 + 125u * 5);
  EXPECT_EQ(after.count("h_count{i=\"0\"}"), 0u);
  EXPECT_EQ(after.at("h_count{i=\"250\"}"), "1");
  EXPECT_EQ(after.at("s_sum{i=\"251\"}"), "251");
}

TEST(MetricStore, MaxSeriesCap) {
  MetricStore store(MetricStore::Options{.shards = 4, .max_series = 3});
  const LabelPair l1[] = {{"k", "1"}};
  const LabelPair l2[] = {{"k", "2"}};
  const LabelPair l3[] = {{"k", "3"}};
  const LabelPair l4[] = {{"k", "4"}};
  EXPECT_EQ(store.apply(update("m", MetricKind::Counter, 1, l1), kT0), UpdateOutcome::Applied);
  EXPECT_EQ(store.apply(update("m", MetricKind::Counter, 1, l2), kT0), UpdateOutcome::Applied);
  SeriesUpdate short_lived = update("other", MetricKind::Gauge, 1, l3);
  short_lived.ttl = seconds(1);
  EXPECT_EQ(store.apply(short_lived, kT0), UpdateOutcome::Applied);
  EXPECT_EQ(store.apply(update("m", MetricKind::Counter, 1, l4), kT0), UpdateOutcome::SeriesLimit);
  EXPECT_EQ(store.apply(update("new_family", MetricKind::Gauge, 1), kT0), UpdateOutcome::SeriesLimit);
  EXPECT_EQ(store.apply(update("m", MetricKind::Counter, 1, l1), kT0), UpdateOutcome::Applied);  // existing
  EXPECT_EQ(store.series_count(), 3u);
  EXPECT_EQ(store.expire(kT0 + seconds(5)), 1u);
  EXPECT_EQ(store.apply(update("m", MetricKind::Counter, 1, l4), kT0 + seconds(5)), UpdateOutcome::Applied);
  EXPECT_EQ(samples(store), (std::map<std::string, std::string>{
                                {"m{k=\"1\"}", "2"}, {"m{k=\"2\"}", "1"}, {"m{k=\"4\"}", "1"}}));
}

TEST(MetricStore, HistogramOptionsAreFixedPerVector) {
  MetricStore store;
  const double first[] = {1, 2};
  const double second[] = {5};
  const LabelPair a[] = {{"x", "a"}};
  const LabelPair b[] = {{"x", "b"}};
  SeriesUpdate u = update("h", MetricKind::Histogram, 1.5, a);
  u.buckets = first;
  ASSERT_EQ(store.apply(u, kT0), UpdateOutcome::Applied);
  u.labels = b;
  u.buckets = second;  // same label names: client_golang reuses the HistogramVec and its buckets
  ASSERT_EQ(store.apply(u, kT0), UpdateOutcome::Applied);
  const auto s = samples(store);
  EXPECT_EQ(s.at("h_bucket{x=\"b\",le=\"2\"}"), "1");
  EXPECT_EQ(s.count("h_bucket{x=\"b\",le=\"5\"}"), 0u);
}

TEST(MetricStore, ConcurrentUpdatesKeepTotals) {
  MetricStore store(MetricStore::Options{.shards = 16, .max_series = 0});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50000;
  constexpr int kSeries = 300;
  std::vector<std::string> names;
  for (int i = 0; i < kSeries; ++i) names.push_back("v" + std::to_string(i));
  std::atomic<bool> stop{false};
  std::thread scraper([&] {
    std::string out;
    while (!stop.load()) {
      out.clear();
      write_text_exposition(store, out);
      store.expire(Clock::now());
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const LabelPair l[] = {{"series", names[(i * 7 + t) % kSeries]}, {"job", "load"}};
        ASSERT_EQ(store.apply(update("hits_total", MetricKind::Counter, 1, l), Clock::now()),
                  UpdateOutcome::Applied);
        ASSERT_EQ(store.apply(update("obs", MetricKind::Histogram, 0.1 * (i % 20), l), Clock::now()),
                  UpdateOutcome::Applied);
        ASSERT_EQ(store.apply(update("sum", MetricKind::Summary, i % 10, l), Clock::now()),
                  UpdateOutcome::Applied);
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  scraper.join();
  double hits = 0;
  double obs = 0;
  double summary_count = 0;
  for (const auto& [key, value] : samples(store, Clock::now())) {
    if (key.starts_with("hits_total{")) hits += std::stod(value);
    if (key.starts_with("obs_count{")) obs += std::stod(value);
    if (key.starts_with("sum_count{")) summary_count += std::stod(value);
  }
  EXPECT_EQ(hits, kThreads * kPerThread);
  EXPECT_EQ(obs, kThreads * kPerThread);
  EXPECT_EQ(summary_count, kThreads * kPerThread);
  EXPECT_EQ(store.series_count(), 3u * kSeries);
}

// Churn: writers keep creating short-lived series while another thread scrapes and expires. Afterwards the
// exposition must list exactly the live series (no lost, duplicated or dangling entries).
TEST(MetricStore, ChurnWithConcurrentExpiryAndScrapes) {
  MetricStore store(MetricStore::Options{.shards = 8, .max_series = 0});
  std::atomic<int64_t> clock_s{0};
  auto now = [&] { return kT0 + seconds(clock_s.load()); };
  std::atomic<bool> stop{false};
  std::thread janitor([&] {
    std::string out;
    while (!stop.load()) {
      out.clear();
      write_text_exposition(store, out, now());
      clock_s.fetch_add(1);
      store.expire(now());
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) {
        const std::string id = std::to_string(t) + "-" + std::to_string(i % 5000);
        const LabelPair l[] = {{"id", id}};
        SeriesUpdate u = update(i % 3 == 0 ? "churn_h" : "churn_g",
                                i % 3 == 0 ? MetricKind::Histogram : MetricKind::Gauge, 1, l);
        u.ttl = seconds(2);
        EXPECT_EQ(store.apply(u, now()), UpdateOutcome::Applied);
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  janitor.join();
  const auto live = samples(store, now());
  size_t gauges = 0;
  size_t histograms = 0;
  for (const auto& [key, value] : live) {
    if (key.starts_with("churn_g{")) ++gauges;
    if (key.starts_with("churn_h_count{")) ++histograms;
  }
  EXPECT_EQ(gauges + histograms, store.series_count());
  store.expire(now() + seconds(3));
  EXPECT_EQ(store.series_count(), 0u);
  EXPECT_TRUE(samples(store, now() + seconds(3)).empty());
}

}  // namespace
}  // namespace promcast::exporter
