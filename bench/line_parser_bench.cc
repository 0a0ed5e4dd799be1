// Line parser throughput: lines/s (items_per_second) for simple gauge lines, DogStatsD-tagged lines,
// 20-line datagrams, extended aggregation and name-tag styles. The sink only accumulates the values so the
// figures are the parser's own cost.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "exporter/line_parser.h"

namespace {

using promcast::exporter::Event;
using promcast::exporter::LineParser;

// 1,000 distinct names, as the load targets use.
std::vector<std::string> make_lines(const char* suffix) {
  std::vector<std::string> lines;
  for (int i = 0; i < 1000; ++i) {
    lines.push_back("drift_metrics.mushroom.v" + std::to_string(i % 7) + ".column-" + std::to_string(i) +
                    ".wasserstein:" + std::to_string(i * 0.37) + suffix);
  }
  return lines;
}

void run_lines(benchmark::State& state, const std::vector<std::string>& lines) {
  LineParser parser;
  double sum = 0;
  auto sink = [&](const Event& e) { sum += e.value + static_cast<double>(e.tags.size()); };
  std::size_t i = 0;
  for (auto _ : state) {
    parser.parse_line(lines[i], sink);
    if (++i == lines.size()) i = 0;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
}

void BM_SimpleGauge(benchmark::State& state) { run_lines(state, make_lines("|g")); }
BENCHMARK(BM_SimpleGauge);

void BM_SimpleCounterSampled(benchmark::State& state) { run_lines(state, make_lines("|c|@0.5")); }
BENCHMARK(BM_SimpleCounterSampled);

void BM_DogStatsDTags(benchmark::State& state) {
  run_lines(state, make_lines("|ms|#env:prod,service:api-gateway,region:eu-west-1"));
}
BENCHMARK(BM_DogStatsDTags);

void BM_InfluxTags(benchmark::State& state) {
  std::vector<std::string> lines;
  for (int i = 0; i < 1000; ++i) {
    lines.push_back("requests.count,env=prod,service=api,host=web-" + std::to_string(i) + ":1|c");
  }
  run_lines(state, lines);
}
BENCHMARK(BM_InfluxTags);

void BM_ExtendedAggregation(benchmark::State& state) {
  // One line, six samples: items are samples.
  LineParser parser;
  const std::string line = "foo_timing:0.5:120:3000:10:20000:0.01|ms|#tag1:bar,tag2:baz";
  double sum = 0;
  for (auto _ : state) parser.parse_line(line, [&](const Event& e) { sum += e.value; });
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * 6);
}
BENCHMARK(BM_ExtendedAggregation);

void BM_Datagram20Lines(benchmark::State& state) {
  const std::vector<std::string> lines = make_lines("|g");
  std::vector<std::string> packets;
  for (std::size_t p = 0; p < 50; ++p) {
    std::string packet;
    for (std::size_t l = 0; l < 20; ++l) {
      if (l) packet += '\n';
      packet += lines[(p * 20 + l) % lines.size()];
    }
    packets.push_back(std::move(packet));
  }
  LineParser parser;
  double sum = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    parser.parse_packet(packets[i], [&](const Event& e) { sum += e.value; });
    if (++i == packets.size()) i = 0;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * 20);  // lines
}
BENCHMARK(BM_Datagram20Lines);

}  // namespace
