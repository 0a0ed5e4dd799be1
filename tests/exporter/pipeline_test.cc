// Pipeline glue: datagrams -> parser -> mapper -> store -> exposition text, and the self-metric counts,
// following statsd_exporter's pkg/exporter handleEvent rules. Expected texts are written from those rules.
#include "exporter/pipeline.h"

#include <gtest/gtest.h>

#include <string>

#include "exporter/exposition.h"

namespace promcast::exporter {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const MappingState> state_from(std::string_view yaml) {
  auto parsed = mappings::MappingConfig::parse(yaml, "test.yml");
  if (!parsed) {
    for (const auto& e : parsed.error()) ADD_FAILURE() << e.to_string();
    return MappingState::empty();
  }
  return MappingState::build(std::move(*parsed));
}

struct Harness {
  explicit Harness(std::string_view yaml, PipelineOptions options = {})
      : holder(state_from(yaml)), pipeline(options, holder, store, nullptr), metrics("test") {
    slot = metrics.new_slot();
  }
  void send(std::string_view datagram) { pipeline.process_packet(datagram, now); }
  std::string text() {
    std::string out;
    write_text_exposition(store, out, now);
    return out;
  }
  double stat(std::string_view name, std::string_view label = {}, std::string_view value = {}) {
    pipeline.publish(*slot);
    return metrics.value(name, label, value);
  }

  MetricStore store;
  MappingHolder holder;
  Pipeline pipeline;
  SelfMetrics metrics;
  std::shared_ptr<StatsSlot> slot;
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now();
};

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

constexpr std::string_view kDriftMapping = R"(
mappings:
- match: "drift_metrics.*.*.*.*"
  name: drift_metrics
  labels:
    dataset_name: "$1"
    dataset_version: "$2"
    column_name: "$3"
    metric_name: "$4"
)";

TEST(Pipeline, DriftScenario) {
  Harness h(kDriftMapping);
  h.send("drift_metrics.mushroom.v1.cap-diameter.wasserstein:42|g");
  const std::string text = h.text();
  EXPECT_TRUE(contains(text, "# TYPE drift_metrics gauge\n")) << text;
  EXPECT_TRUE(contains(text,
                       "drift_metrics{column_name=\"cap-diameter\",dataset_name=\"mushroom\","
                       "dataset_version=\"v1\",metric_name=\"wasserstein\"} 42\n"))
      << text;
  EXPECT_EQ(h.stat("statsd_exporter_events_total", "type", "gauge"), 1);
  EXPECT_EQ(h.stat("statsd_exporter_events_actions_total", "action", "map"), 1);
  EXPECT_EQ(h.stat("statsd_exporter_events_unmapped_total"), 0);
  EXPECT_EQ(h.stat("statsd_exporter_lines_total"), 1);
}

TEST(Pipeline, UnmappedNamesAreEscapedAndCounted) {
  Harness h(kDriftMapping);
  h.send("web.requests-total:3|c\n1st.metric:2|c");
  const std::string text = h.text();
  EXPECT_TRUE(contains(text, "web_requests_total 3\n")) << text;
  EXPECT_TRUE(contains(text, "_1st_metric 2\n")) << text;
  EXPECT_EQ(h.stat("statsd_exporter_events_unmapped_total"), 2);
  EXPECT_EQ(h.stat("statsd_exporter_events_total", "type", "counter"), 2);
  EXPECT_EQ(h.stat("statsd_exporter_lines_total"), 2);
}

TEST(Pipeline, DropActionStoresNothing) {
  Harness h(R"(
mappings:
- match: "noise.*"
  action: drop
  name: unused
)");
  h.send("noise.a:1|c\nkept:1|c");
  const std::string text = h.text();
  EXPECT_FALSE(contains(text, "noise")) << text;
  EXPECT_FALSE(contains(text, "unused")) << text;
  EXPECT_TRUE(contains(text, "kept 1\n")) << text;
  EXPECT_EQ(h.stat("statsd_exporter_events_actions_total", "action", "drop"), 1);
  EXPECT_EQ(h.stat("statsd_exporter_events_total", "type", "counter"), 1);
}

TEST(Pipeline, MappingLabelsOverrideTagsUnlessHonorLabels) {
  Harness h(R"(
mappings:
- match: "plain.*"
  name: plain
  labels:
    env: "$1"
- match: "honor.*"
  name: honor
  honor_labels: true
  labels:
    env: "$1"
)");
  h.send("plain.prod:1|c|#env:dev,zone:a\nhonor.prod:1|c|#env:dev,zone:a");
  const std::string text = h.text();
  EXPECT_TRUE(contains(text, "plain{env=\"prod\",zone=\"a\"} 1\n")) << text;
  EXPECT_TRUE(contains(text, "honor{env=\"dev\",zone=\"a\"} 1\n")) << text;
}

TEST(Pipeline, ScaleAndObserverTypes) {
  Harness h(R"(
defaults:
  observer_type: histogram
  histogram_options:
    buckets: [1, 10]
mappings:
- match: "scaled.*"
  name: scaled_$1
  scale: 0.5
- match: "as_summary.*"
  name: as_summary
  observer_type: summary
  summary_options:
    quantiles:
    - quantile: 0.5
      error: 0.05
)");
  h.send("scaled.bytes:8|g\nscaled.latency:4|h\nas_summary.x:3|h\nunmapped_timer:2000|ms");
  const std::string text = h.text();
  EXPECT_TRUE(contains(text, "scaled_bytes 4\n")) << text;
  // 4 * 0.5 = 2 falls in the le="10" bucket only.
  EXPECT_TRUE(contains(text, "scaled_latency_bucket{le=\"1\"} 0\n")) << text;
  EXPECT_TRUE(contains(text, "scaled_latency_bucket{le=\"10\"} 1\n")) << text;
  EXPECT_TRUE(contains(text, "scaled_latency_sum 2\n")) << text;
  EXPECT_TRUE(contains(text, "as_summary{quantile=\"0.5\"} 3\n")) << text;
  // Unmapped observers use the defaults: a histogram, and `ms` became seconds.
  EXPECT_TRUE(contains(text, "unmapped_timer_bucket{le=\"10\"} 1\n")) << text;
  EXPECT_TRUE(contains(text, "unmapped_timer_sum 2\n")) << text;
  EXPECT_EQ(h.stat("statsd_exporter_events_total", "type", "observer"), 3);
}

TEST(Pipeline, NegativeCounterAndConflictsCounted) {
  Harness h("");
  h.send("neg:-1|c\nshared:1|c\nshared:5|g\nshared:2|c");
  const std::string text = h.text();
  EXPECT_FALSE(contains(text, "neg")) << text;
  EXPECT_TRUE(contains(text, "shared 3\n")) << text;
  EXPECT_EQ(h.stat("statsd_exporter_events_error_total", "reason", "illegal_negative_counter"), 1);
  // statsd_exporter 0.29+ labels conflicts with the metric name as well as the type.
  h.pipeline.publish(*h.slot);
  EXPECT_EQ(h.metrics.value("statsd_exporter_events_conflict_total",
                            {{"metric_name", "shared"}, {"type", "gauge"}}),
            1);
  EXPECT_EQ(h.stat("statsd_exporter_events_conflict_total", "type", "gauge"),
            0);  // no series without metric_name
  EXPECT_EQ(h.stat("statsd_exporter_events_total", "type", "counter"), 2);
}

TEST(Pipeline, ParseErrorsReachSelfMetrics) {
  Harness h("");
  h.send("good:1|c\nno_colon\n\nbad:x|c");
  EXPECT_EQ(h.stat("statsd_exporter_lines_total"), 4);  // the empty piece is a line too
  EXPECT_EQ(h.stat("statsd_exporter_sample_errors_total", "reason", "malformed_line"), 1);
  EXPECT_EQ(h.stat("statsd_exporter_sample_errors_total", "reason", "malformed_value"), 1);
}

TEST(Pipeline, ReloadedMappingIsPickedUpOnRefresh) {
  Harness h(R"(
mappings:
- match: "svc.*"
  name: old_name
)");
  h.send("svc.a:1|c");
  h.holder.set(state_from(R"(
mappings:
- match: "svc.*"
  name: new_name
)"));
  h.send("svc.a:1|c");  // no refresh yet: the reader keeps its mapping until its next batch
  h.pipeline.refresh();
  h.send("svc.a:1|c");
  const std::string text = h.text();
  EXPECT_TRUE(contains(text, "old_name 2\n")) << text;
  EXPECT_TRUE(contains(text, "new_name 1\n")) << text;
}

TEST(Pipeline, SeriesLimitCounted) {
  MetricStore store(MetricStore::Options{4, 2});
  MappingHolder holder(MappingState::empty());
  Pipeline pipeline(PipelineOptions{}, holder, store, nullptr);
  SelfMetrics metrics("test");
  auto slot = metrics.new_slot();
  pipeline.process_packet("a:1|c\nb:1|c\nc:1|c\na:1|c", std::chrono::steady_clock::now());
  pipeline.publish(*slot);
  EXPECT_EQ(store.series_count(), 2u);
  EXPECT_EQ(metrics.value("statsd_exporter_events_error_total", "reason", "series_limit"), 1);
}

TEST(Pipeline, ExplainLinesForMapCommand) {
  auto state = state_from(std::string(kDriftMapping) + R"(
- match: "drop.*"
  action: drop
  name: x
)");
  const std::vector<std::string_view> lines = {"drift_metrics.mushroom.v1.cap-diameter.wasserstein:42|g",
                                               "drop.me:1|c", "odd.name:1|ms", "garbage"};
  const auto out = explain_lines(*state, ParserOptions{}, lines);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(contains(out[0],
                       "drift_metrics{column_name=\"cap-diameter\",dataset_name=\"mushroom\","
                       "dataset_version=\"v1\",metric_name=\"wasserstein\"} gauge 42"))
      << out[0];
  EXPECT_TRUE(contains(out[1], "dropped")) << out[1];
  EXPECT_TRUE(contains(out[2], "odd_name summary 0.001")) << out[2];
  EXPECT_TRUE(contains(out[2], "unmapped")) << out[2];
  EXPECT_TRUE(contains(out[3], "no event (sample error: malformed_line)")) << out[3];
}

TEST(SelfMetricsMerge, FamiliesInterleaveByName) {
  const std::string a = "# HELP b x\n# TYPE b counter\nb 1\n# HELP d x\n# TYPE d gauge\nd 2\n";
  const std::string b =
      "# HELP a x\n# TYPE a counter\na 1\n# HELP b y\n# TYPE b gauge\nb 9\n# HELP c x\n# TYPE c gauge\nc 3\n";
  std::string out;
  merge_expositions(a, b, out);
  EXPECT_EQ(out,
            "# HELP a x\n# TYPE a counter\na 1\n# HELP b x\n# TYPE b counter\nb 1\n# HELP c x\n# TYPE c "
            "gauge\nc 3\n"
            "# HELP d x\n# TYPE d gauge\nd 2\n");
}

}  // namespace
}  // namespace promcast::exporter

namespace promcast::exporter {
namespace {

TEST(Pipeline, CountsHitsPerMappingPublishedPerBatchAndKeptWithTheirFile) {
  constexpr std::string_view kTwo = R"(
mappings:
- match: "drift_metrics.*.*.*.*"
  name: drift_metrics
- match: "noise.*"
  action: drop
  name: dropped
)";
  Harness h(kTwo);
  h.pipeline.refresh();
  h.send("drift_metrics.a.v1.c.w:1|g\ndrift_metrics.b.v1.c.w:2|g\nnoise.x:1|c\nunmapped:1|c");
  const auto first = h.holder.get();
  EXPECT_EQ(first->hits(0), 0u) << "nothing is visible before the reader publishes its batch";
  h.pipeline.publish(*h.slot);
  EXPECT_EQ(first->hits(0), 2u);
  EXPECT_EQ(first->hits(1), 1u) << "a drop action is a hit";
  EXPECT_EQ(first->hits(2), 0u) << "out of range reads 0";

  // A reload starts the new file's counts at zero; what was not yet published goes to the old file.
  h.send("noise.y:1|c");
  h.holder.set(state_from(kTwo));
  h.pipeline.refresh();
  EXPECT_EQ(first->hits(1), 2u);
  h.send("drift_metrics.a.v1.c.w:1|g");
  h.pipeline.publish(*h.slot);
  EXPECT_EQ(h.holder.get()->hits(0), 1u);
  EXPECT_EQ(h.holder.get()->hits(1), 0u);
  EXPECT_EQ(first->hits(0), 2u);
}

}  // namespace
}  // namespace promcast::exporter
