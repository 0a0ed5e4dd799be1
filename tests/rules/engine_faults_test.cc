// RuleEngine against a misbehaving query backend, through the real QueryClient over HTTP: a rule
// whose source answers slowly, with errors, truncated, malformed, oversized or all-NaN responses fails
// (or reports its series) with a clear error and a counted failure, keeps its last good outputs, and
// leaves the other rules evaluating. Each rule has its own fake server so that a fault scripted for
// one source cannot reach the healthy one.
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>

#include "rules/engine.h"
#include "tests/rules/fake_http_server.h"

namespace promcast::rules {
namespace {

using testing::FakeHttpServer;
using testing::FakeResponse;
using testing::RecordedRequest;

constexpr TimestampMs kMinute = 60'000;

constexpr std::string_view kRules = R"(groups:
  - name: healthy
    interval: 1m
    rules:
      - forecast: steady
        expr: steady_rate
        step: 1m
        history: 3h
        refit: 1d
        horizons: [10m]
        model: {order: [1, 0, 0], trend: c}
  - name: flaky
    interval: 1m
    rules:
      - forecast: shaky
        expr: shaky_rate
        source: flaky
        step: 1m
        history: 3h
        refit: 1d
        horizons: [10m]
        model: {order: [1, 0, 0], trend: c}
)";

// A Prometheus query_range answer for the form's start/end/step: `series` series of a smooth wave,
// or NaN at every point.
std::string matrix_answer(const RecordedRequest& request, int series, bool nan_everywhere) {
  const auto form = request.form();
  const double start = std::stod(form.at("start"));
  const double end = std::stod(form.at("end"));
  const double step = std::stod(form.at("step"));
  std::string body = R"({"status":"success","data":{"resultType":"matrix","result":[)";
  for (int s = 0; s < series; ++s) {
    if (s > 0) body += ',';
    body += R"({"metric":{"__name__":")" + form.at("query") + R"(","instance":"i)" + std::to_string(s) +
            R"("},"values":[)";
    bool first = true;
    for (double t = start; t <= end; t += step) {
      if (!first) body += ',';
      first = false;
      const double value = 100.0 + 10.0 * std::sin(t / 420.0) + s;
      body += "[" + std::to_string(static_cast<long long>(t)) + ",\"" +
              (nan_everywhere ? std::string("NaN") : std::to_string(value)) + "\"]";
    }
    body += "]}";
  }
  return body + "]}}";
}

class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {}
  ~TempFile() { std::filesystem::remove(path_); }
  void write(std::string_view text) const { std::ofstream(path_) << text; }
  [[nodiscard]] std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

double value_of(const std::string& text, const std::string& prefix) {
  std::size_t at = 0;
  while ((at = text.find(prefix, at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      const auto eol = text.find('\n', at);
      const std::string line = text.substr(at, eol - at);
      return std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
    }
    at += prefix.size();
  }
  return 0.0;
}

struct Fault {
  std::string name;
  std::function<FakeResponse(const RecordedRequest&)> answer;
  std::string error_contains;  ///< in the rule's last error and the logged line
};

std::vector<Fault> faults() {
  return {
      {"server_error", [](const RecordedRequest&) { return FakeResponse(503, "overloaded"); }, "HTTP 503"},
      {"prometheus_error",
       [](const RecordedRequest&) {
         return FakeResponse(422, R"({"status":"error","errorType":"execution","error":"query timed out"})");
       },
       "query timed out"},
      {"slow",
       [](const RecordedRequest& r) {
         FakeResponse out(200, matrix_answer(r, 1, false));
         out.delay = std::chrono::milliseconds(1500);
         return out;
       },
       "timed out after 400 ms"},
      {"truncated",
       [](const RecordedRequest&) {
         return FakeResponse::raw_bytes(
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
             R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{)");
       },
       "End of file"},
      {"malformed_json",
       [](const RecordedRequest&) {
         return FakeResponse(200,
                             R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":}]}})");
       },
       "not valid JSON"},
      {"wrong_result_type",
       [](const RecordedRequest&) {
         return FakeResponse(200, R"({"status":"success","data":{"resultType":"string","result":[1,"x"]}})");
       },
       "unsupported resultType"},
      {"too_many_series",
       [](const RecordedRequest& r) { return FakeResponse(200, matrix_answer(r, 40, false)); }, "max_series"},
  };
}

class EngineFaults : public ::testing::TestWithParam<Fault> {};

TEST_P(EngineFaults, FailingSourceIsCountedKeepsOutputsAndSparesOtherRules) {
  const Fault& fault = GetParam();
  std::mutex mutex;
  bool faulty = false;
  FakeHttpServer healthy(
      [](const RecordedRequest& r) { return FakeResponse(200, matrix_answer(r, 1, false)); });
  FakeHttpServer flaky([&](const RecordedRequest& r) {
    std::lock_guard lock(mutex);
    return faulty ? fault.answer(r) : FakeResponse(200, matrix_answer(r, 1, false));
  });

  TempFile file("promcast-engine-faults-" + fault.name + ".yml");
  file.write(kRules);
  EngineOptions options;
  options.rule_files = {file.path()};
  options.manual = true;
  options.workers = 2;
  for (const auto& [name, url] : {std::pair{"default", healthy.url()}, std::pair{"flaky", flaky.url()}}) {
    SourceConfig source;
    source.name = name;
    source.url = url;
    source.max_series = 10;
    source.client.timeout = Duration{400};
    source.client.max_retries = 1;
    source.client.min_backoff = Duration{10};
    source.client.max_backoff = Duration{20};
    options.backends.sources.push_back(source);
  }
  auto engine = RuleEngine::start(options);
  ASSERT_TRUE(engine) << engine.error().front().to_string();

  auto log = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("engine-faults", log));

  const TimestampMs t0 = 28'000'000 * kMinute;
  (*engine)->evaluate_all(t0);
  std::string self, outputs;
  (*engine)->write_metrics(self, outputs);
  ASSERT_NE(outputs.find("shaky:yhat{horizon=\"10m\""), std::string::npos) << "first answer is good\n"
                                                                           << outputs;
  const double shaky_before = value_of(outputs, "shaky:yhat{horizon=\"10m\"");

  {
    std::lock_guard lock(mutex);
    faulty = true;
  }
  (*engine)->evaluate_all(t0 + kMinute);
  self.clear();
  outputs.clear();
  (*engine)->write_metrics(self, outputs);
  spdlog::set_default_logger(previous);

  EXPECT_EQ(value_of(self, "promcast_rule_evaluation_failures_total{rule=\"shaky\""), 1.0) << self;
  EXPECT_EQ(value_of(self, "promcast_rule_evaluation_failures_total{rule=\"steady\""), 0.0) << self;
  EXPECT_EQ(value_of(self, "promcast_rule_evaluations_total{rule=\"steady\""), 2.0) << self;
  EXPECT_NE(outputs.find("steady:yhat{horizon=\"10m\""), std::string::npos) << outputs;
  EXPECT_EQ(value_of(outputs, "shaky:yhat{horizon=\"10m\""), shaky_before) << "last good output kept\n"
                                                                           << outputs;

  std::string shaky_error;
  for (const auto& rule : (*engine)->status())
    if (rule.name == "shaky") shaky_error = rule.last_error;
  EXPECT_NE(shaky_error.find(fault.error_contains), std::string::npos) << shaky_error;
  bool logged = false;
  for (const auto& line : log->last_formatted())
    logged = logged || (line.find("rule=shaky") != std::string::npos &&
                        line.find(fault.error_contains) != std::string::npos);
  EXPECT_TRUE(logged) << "no log line names the rule and the cause: " << shaky_error;
}

INSTANTIATE_TEST_SUITE_P(Faults, EngineFaults, ::testing::ValuesIn(faults()),
                         [](const auto& info) { return info.param.name; });

// NaN at every point is not a transport failure: the rule evaluates, its series are reported as
// having too little history, and the last good outputs are not replaced by NaN.
TEST(EngineFaults, NanEverywhereReportsTheSeriesAndKeepsOutputs) {
  std::mutex mutex;
  bool nan = false;
  FakeHttpServer server([&](const RecordedRequest& r) {
    std::lock_guard lock(mutex);
    return FakeResponse(200, matrix_answer(r, 1, nan));
  });
  TempFile file("promcast-engine-faults-nan.yml");
  file.write(kRules);
  EngineOptions options;
  options.rule_files = {file.path()};
  options.manual = true;
  for (const char* name : {"default", "flaky"}) {
    SourceConfig source;
    source.name = name;
    source.url = server.url();
    options.backends.sources.push_back(source);
  }
  auto engine = RuleEngine::start(options);
  ASSERT_TRUE(engine) << engine.error().front().to_string();
  const TimestampMs t0 = 28'000'000 * kMinute;
  (*engine)->evaluate_all(t0);
  std::string self, outputs;
  (*engine)->write_metrics(self, outputs);
  const double before = value_of(outputs, "shaky:yhat{horizon=\"10m\"");
  ASSERT_TRUE(std::isfinite(before)) << outputs;

  {
    std::lock_guard lock(mutex);
    nan = true;
  }
  (*engine)->evaluate_all(t0 + 5 * kMinute);  // five new points, all NaN: filtered as missing
  self.clear();
  outputs.clear();
  (*engine)->write_metrics(self, outputs);
  EXPECT_NE(outputs.find("shaky:yhat{horizon=\"10m\""), std::string::npos) << outputs;
  const double after = value_of(outputs, "shaky:yhat{horizon=\"10m\"");
  EXPECT_TRUE(std::isfinite(after)) << "NaN input must not turn outputs into NaN\n" << outputs;
  EXPECT_EQ(value_of(self, "promcast_rule_evaluation_failures_total{rule=\"shaky\""), 0.0) << self;

  // a fresh engine that never saw a number: the series is reported, not fitted, and nothing is NaN
  auto fresh = RuleEngine::start(options);
  ASSERT_TRUE(fresh);
  (*fresh)->evaluate_all(t0);
  self.clear();
  outputs.clear();
  (*fresh)->write_metrics(self, outputs);
  EXPECT_EQ(value_of(self, "promcast_rule_series_insufficient_history{rule=\"shaky\""), 1.0) << self;
  EXPECT_EQ(outputs.find("NaN"), std::string::npos) << outputs;
}

}  // namespace
}  // namespace promcast::rules
