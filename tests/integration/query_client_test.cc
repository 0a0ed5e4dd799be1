// rules::QueryClient against the real servers: a Prometheus backfilled by promtool and a
// VictoriaMetrics fed through its import API, each holding 20,000 one-minute points per series, so
// a full read at 1m is two chunks (Prometheus refuses more than 11,000 points per series).
#include "rules/query_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <string>

#include "tests/integration/support.h"

namespace promcast::testing {
namespace {

using rules::QueryClient;
using rules::RangeQuery;
using rules::Series;
using rules::SourceConfig;
using rules::TimestampMs;

constexpr int kPoints = 20'000;
constexpr TimestampMs kMinute = 60'000;

// The data set: three series of promcast_it_value at one-minute spacing ending an hour ago.
//   kind="ramp":  value = i (exact in float64)
//   kind="gappy": value = i * 0.5, no samples for i in [1000, 1030)
//   kind="nan":   value = NaN for every 10th i, else -i
struct DataSet {
  TimestampMs first = 0;  // a multiple of 1 h, so 1m and 5m steps align on it

  DataSet() {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const TimestampMs last = (now / 3'600'000 - 1) * 3'600'000;
    first = last - (kPoints - 1) * kMinute;
    first -= first % 3'600'000;
  }
  [[nodiscard]] TimestampMs at(int i) const { return first + i * kMinute; }
  static bool gap(int i) { return i >= 1000 && i < 1030; }

  // lines(name, value, ms) for every sample, in series then time order (as both importers want).
  template <typename Line>
  std::string render(bool with_nan, Line line) const {
    std::string out;
    out.reserve(static_cast<std::size_t>(kPoints) * 3 * 48);
    for (int i = 0; i < kPoints; ++i) out += line("ramp", fmt::format("{}", i), at(i));
    for (int i = 0; i < kPoints; ++i)
      if (!gap(i)) out += line("gappy", fmt::format("{}", i * 0.5), at(i));
    if (with_nan)
      for (int i = 0; i < kPoints; ++i)
        out += line("nan", i % 10 == 0 ? "NaN" : fmt::format("{}", -i), at(i));
    return out;
  }
  // OpenMetrics for promtool: timestamps in seconds.
  [[nodiscard]] std::string openmetrics() const {
    return "# TYPE promcast_it_value gauge\n" +
           render(true,
                  [](std::string_view kind, const std::string& value, TimestampMs ms) {
                    return fmt::format("promcast_it_value{{kind=\"{}\"}} {} {}\n", kind, value, ms / 1000);
                  }) +
           "# EOF\n";
  }
  // Prometheus text format with millisecond timestamps for VictoriaMetrics' import.
  [[nodiscard]] std::string exposition() const {
    return render(false, [](std::string_view kind, const std::string& value, TimestampMs ms) {
      return fmt::format("promcast_it_value{{kind=\"{}\"}} {} {}\n", kind, value, ms);
    });
  }
};

const Series* find_kind(const std::vector<Series>& series, std::string_view kind) {
  for (const auto& s : series)
    if (rules::label_value(s.labels, "kind") == kind) return &s;
  return nullptr;
}

// The full 1m read: every point of "ramp" exact, "gappy" missing where it has no sample within the
// lookback (5m), NaN samples kept as NaN.
void expect_full_read(const std::vector<Series>& series, const DataSet& data, bool with_nan) {
  ASSERT_EQ(series.size(), with_nan ? 3u : 2u);
  const Series* ramp = find_kind(series, "ramp");
  ASSERT_NE(ramp, nullptr);
  EXPECT_EQ(rules::label_value(ramp->labels, "__name__"), "promcast_it_value");
  ASSERT_EQ(ramp->timestamps.size(), static_cast<std::size_t>(kPoints));
  for (int i = 0; i < kPoints; ++i) {
    ASSERT_EQ(ramp->timestamps[static_cast<std::size_t>(i)], data.at(i)) << i;
    ASSERT_EQ(ramp->values[static_cast<std::size_t>(i)], i) << i;
  }
  const Series* gappy = find_kind(series, "gappy");
  ASSERT_NE(gappy, nullptr);
  std::size_t k = 0;
  for (int i = 0; i < kPoints; ++i) {
    const bool present = k < gappy->timestamps.size() && gappy->timestamps[k] == data.at(i);
    if (!DataSet::gap(i)) {
      ASSERT_TRUE(present) << "gappy point " << i << " missing";
      ASSERT_EQ(gappy->values[k], i * 0.5) << i;
    } else if (i >= 1006) {
      ASSERT_FALSE(present) << "gappy point " << i << " is more than 5m after the last sample";
    }
    if (present) ++k;
  }
  EXPECT_EQ(k, gappy->timestamps.size());
  if (!with_nan) return;
  const Series* nan = find_kind(series, "nan");
  ASSERT_NE(nan, nullptr);
  ASSERT_EQ(nan->values.size(), static_cast<std::size_t>(kPoints));
  for (int i = 0; i < kPoints; ++i) {
    const double v = nan->values[static_cast<std::size_t>(i)];
    if (i % 10 == 0) {
      ASSERT_TRUE(std::isnan(v)) << i;
    } else {
      ASSERT_EQ(v, -i) << i;
    }
  }
}

RangeQuery range(const DataSet& data, int first, int last, rules::Duration step) {
  RangeQuery q;
  q.expr = "promcast_it_value";
  q.start = data.at(first);
  q.end = data.at(last);
  q.step = step;
  q.rule_name = "it";
  return q;
}

TEST(QueryClientAgainst, RealPrometheus) {
  const std::string prometheus = find_executable("prometheus");
  const std::string promtool = find_executable("promtool");
  if (prometheus.empty() || promtool.empty())
    GTEST_SKIP() << "prometheus and promtool (Debian package prometheus) are not installed";

  const DataSet data;
  TempDir dir;
  write_file(dir.file("data.om"), data.openmetrics());
  // Day blocks (a flag promtool 2.42 hides but documents for backfilling) instead of the default 2h:
  // 15 blocks to write instead of 168, about 7x faster.
  const auto backfill = run_command({promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet",
                                     "--max-block-duration=24h", dir.file("data.om"), dir.file("data")},
                                    120'000ms);
  ASSERT_EQ(backfill.exit_code, 0) << backfill.out << backfill.err;
  write_file(dir.file("prometheus.yml"), "global:\n  scrape_interval: 1m\n");

  const std::uint16_t port = free_port();
  Process server({prometheus, "--config.file=" + dir.file("prometheus.yml"),
                  "--storage.tsdb.path=" + dir.file("data"), "--storage.tsdb.retention.time=60d",
                  "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"},
                 dir.path().string(), "prometheus");
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(wait_for_http_ok(base + "/-/ready", 60'000ms)) << server.logs();

  SourceConfig config;
  config.name = "prometheus";
  config.url = base;
  config.client.timeout = 60'000ms;
  QueryClient client(config, nullptr);

  // 20,000 points at 1m: two chunks (11,000 + 9,000), joined.
  const auto full = client.query_range(range(data, 0, kPoints - 1, std::chrono::minutes(1)));
  ASSERT_TRUE(full.has_value()) << full.error().to_string() << server.logs();
  expect_full_read(*full, data, true);

  // Without chunking Prometheus itself refuses the read: the limit the chunks exist for.
  config.max_points_per_query = 30'000;
  const auto refused =
      QueryClient(config, nullptr).query_range(range(data, 0, kPoints - 1, std::chrono::minutes(1)));
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("HTTP 400: bad_data"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("11,000"), std::string::npos) << refused.error().message;

  // A 5m read with an unaligned start: aligned down, every value at a multiple of 5 minutes.
  auto q = range(data, 100, 400, std::chrono::minutes(5));
  q.start += 2 * kMinute + 17'000;
  q.expr = R"(promcast_it_value{kind="ramp"} * 2)";
  const auto coarse = client.query_range(q);
  ASSERT_TRUE(coarse.has_value()) << coarse.error().to_string();
  ASSERT_EQ(coarse->size(), 1u);
  const Series& doubled = (*coarse)[0];
  EXPECT_TRUE(doubled.labels.empty() || rules::label_value(doubled.labels, "__name__").empty());
  ASSERT_EQ(doubled.timestamps.size(), 61u);  // 100, 105, ..., 400
  for (std::size_t j = 0; j < doubled.timestamps.size(); ++j) {
    EXPECT_EQ(doubled.timestamps[j], data.at(100 + 5 * static_cast<int>(j)));
    EXPECT_EQ(doubled.values[j], 2.0 * (100 + 5 * static_cast<double>(j)));
  }

  // A PromQL error is Prometheus' errorType and message, not retried.
  q.expr = "sum(";
  const auto bad = client.query_range(q);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("HTTP 400: bad_data"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("rule it"), std::string::npos) << bad.error().message;
}

TEST(QueryClientAgainst, RealVictoriaMetrics) {
  const std::string victoria = find_executable("victoria-metrics");
  if (victoria.empty()) GTEST_SKIP() << "victoria-metrics (Debian package victoria-metrics) is not installed";

  const DataSet data;
  TempDir dir;
  const std::uint16_t port = free_port();
  Process server({victoria, "-storageDataPath=" + dir.file("data"), "-retentionPeriod=1y",
                  "-httpListenAddr=127.0.0.1:" + std::to_string(port), "-loggerLevel=WARN"},
                 dir.path().string(), "victoria-metrics");
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(wait_for_http_ok(base + "/health", 60'000ms)) << server.logs();

  HttpOptions options;
  options.timeout = 60'000ms;
  const auto imported = http_post(base + "/api/v1/import/prometheus", data.exposition(), options);
  ASSERT_TRUE(imported.has_value()) << imported.error().to_string();
  ASSERT_EQ(imported->status, 204) << imported->body;
  // Imported rows become searchable after an in-memory buffer is flushed; force it.
  const auto flushed = http_get(base + "/internal/force_flush", options);
  ASSERT_TRUE(flushed.has_value() && flushed->status == 200);

  SourceConfig config;
  config.name = "victoria-metrics";
  config.url = base;
  config.client.timeout = 60'000ms;
  QueryClient client(config, nullptr);
  std::vector<Series> full;
  // Flushed rows may still take a moment to reach the search index.
  const bool complete = wait_until(
      [&] {
        auto got = client.query_range(range(data, 0, kPoints - 1, std::chrono::minutes(1)));
        if (!got) return false;
        full = std::move(*got);
        const Series* ramp = find_kind(full, "ramp");
        return full.size() == 2 && ramp != nullptr &&
               ramp->timestamps.size() == static_cast<std::size_t>(kPoints);
      },
      30'000ms, 500ms);
  ASSERT_TRUE(complete) << full.size() << " series\n" << server.logs();
  expect_full_read(full, data, false);
}

}  // namespace
}  // namespace promcast::testing
