// Self-metric conformance with statsd_exporter 0.30: a fixed set of inputs (lines through a Pipeline, a
// reload that succeeds and one that fails, a scrape, the counts only promcast has) and the names, types
// and label sets /metrics shows for them, compared with self_metrics_conformance.txt. That file was
// written from statsd_exporter's sources (main.go, pkg/exporter, pkg/listener, pkg/mapper_cache) and
// client_golang's process and promhttp collectors; lines marked `# promcast` are promcast's own and must
// each be listed in docs/compatibility.md. A renamed, added or relabelled self-metric fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "exporter/pipeline.h"
#include "exporter/self_metrics.h"

namespace promcast::exporter {
namespace {

const std::string kExpectedPath =
    std::string(PROMCAST_SOURCE_DIR) + "/tests/exporter/self_metrics_conformance.txt";
const std::string kDocPath = std::string(PROMCAST_SOURCE_DIR) + "/docs/compatibility.md";

struct Expected {
  std::vector<std::string> series;         // "type name{labels}", file order
  std::vector<std::string> promcast_only;  // metric names marked `# promcast`
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Expected read_expected() {
  Expected e;
  std::istringstream in(read_file(kExpectedPath));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.starts_with('#')) continue;
    bool ours = false;
    if (const auto mark = line.find("  #"); mark != std::string::npos) {
      ours = line.find("promcast", mark) != std::string::npos;
      line.erase(mark);
    }
    e.series.push_back(line);
    if (ours) {
      std::string name = line.substr(line.find(' ') + 1);
      name = name.substr(0, name.find('{'));
      if (std::find(e.promcast_only.begin(), e.promcast_only.end(), name) == e.promcast_only.end())
        e.promcast_only.push_back(name);
    }
  }
  return e;
}

// "type name{labels}" for every sample of an exposition, values dropped (they depend on the process).
std::vector<std::string> shape_of(const std::string& text) {
  std::vector<std::string> out;
  std::string type;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# TYPE ")) {
      type = line.substr(line.rfind(' ') + 1);
      continue;
    }
    if (line.empty() || line.starts_with('#')) continue;
    out.push_back(type + " " + line.substr(0, line.rfind(' ')));
  }
  return out;
}

std::string exposition_for_fixed_inputs() {
  auto parsed = mappings::MappingConfig::parse(R"(
mappings:
- match: "svc.*"
  name: svc_requests
  labels:
    which: "$1"
- match: "noise.*"
  action: drop
  name: dropped
)",
                                               "conformance.yml");
  if (!parsed) throw std::runtime_error("the test's mapping does not parse");
  MetricStore store;
  MappingHolder holder(MappingState::build(std::move(*parsed)));
  Pipeline pipeline(PipelineOptions{}, holder, store, nullptr);
  SelfMetrics metrics("test");
  auto slot = metrics.new_slot();
  const auto now = std::chrono::steady_clock::now();
  // mapped, unmapped, dropped, a type conflict on "cvg", a negative counter, a malformed line, tags, a timer
  pipeline.process_packet(
      "svc.a:1|c\ncvg:1|c\ncvg:2|g\nnoise.x:1|c\nneg:-1|c\nno_colon\nt:1|c|#a:b\nlat:2|ms", now);
  // what only promcast counts, so that every promcast-only series appears once
  pipeline.counters().inc(Stat::UdpKernelDrops);
  pipeline.counters().inc(Stat::ErrorSeriesLimit);
  pipeline.publish(*slot);
  metrics.set_loaded_mappings(2);
  metrics.set_initial_load(std::chrono::system_clock::now());
  metrics.record_reload(true, std::chrono::system_clock::now());
  metrics.record_reload(false, std::chrono::system_clock::now());
  metrics.set_metric_vectors(store);
  metrics.set_cache_length(pipeline.cache_entries());
  // a relay that sent one packet of two lines, refused a long line and dropped one on a full queue
  metrics.set_relay_counts("127.0.0.1:8125",
                           {.packets = 1, .long_lines = 1, .lines_relayed = 2, .queue_dropped = 1});
  metrics.begin_scrape();
  metrics.end_scrape(200);
  std::string text;
  metrics.write_text(text);
  return text;
}

TEST(SelfMetricsConformance, NamesTypesAndLabelsMatchTheCheckedInExpectation) {
  const Expected expected = read_expected();
  ASSERT_GT(expected.series.size(), 30u) << kExpectedPath;
  const std::string text = exposition_for_fixed_inputs();
  EXPECT_EQ(shape_of(text), expected.series) << "exposition:\n" << text;
}

TEST(SelfMetricsConformance, ConflictsCarryTheMetricNameAsStatsdExporter029) {
  const std::string text = exposition_for_fixed_inputs();
  EXPECT_NE(text.find("statsd_exporter_events_conflict_total{metric_name=\"cvg\",type=\"gauge\"} 1\n"),
            std::string::npos)
      << text;
}

TEST(SelfMetricsConformance, EveryPromcastOnlyMetricIsDocumented) {
  const Expected expected = read_expected();
  ASSERT_GE(expected.promcast_only.size(), 4u);
  const std::string doc = read_file(kDocPath);
  for (const auto& name : expected.promcast_only) {
    EXPECT_NE(doc.find("`" + name + "`"), std::string::npos) << name << " is not listed in " << kDocPath;
  }
  // and no statsd_exporter_ name promises a reload gauge upstream does not have
  EXPECT_EQ(exposition_for_fixed_inputs().find("statsd_exporter_config_last_reload"), std::string::npos);
}

}  // namespace
}  // namespace promcast::exporter
