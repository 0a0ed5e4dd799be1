// RuleEngine with real rule files and a fake query source (manual evaluations): outputs and
// self-metrics on /metrics, reload that keeps the models of unchanged rules, a bad reload that keeps
// the running rules, and a failed evaluation that keeps the last outputs.
#include "rules/engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>

namespace promcast::rules {
namespace {

constexpr TimestampMs kMinute = 60'000;

class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {}
  ~TempFile() { std::filesystem::remove(path_); }
  void write(const std::string& text) const { std::ofstream(path_) << text; }
  [[nodiscard]] std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

constexpr std::string_view kRules = R"(groups:
  - name: capacity
    interval: 1m
    rules:
      - forecast: ingest
        expr: ingest_rate
        step: 1m
        history: 3h
        refit: 1d
        horizons: [0s, 10m]
        model: {order: [1, 0, 0], trend: c}
  - name: quality
    interval: 1m
    rules:
      - anomaly: Drift
        expr: drift
        step: 1m
        history: 3h
        detector: {method: zscore, window: 30}
)";

constexpr std::string_view kExtraRule = R"(      - forecast: ingest_copy
        expr: ingest_rate
        step: 1m
        history: 3h
        horizons: [5m]
        model: {order: [1, 0, 0], trend: c}
)";

// The value of the first sample line starting with `prefix` (NaN when there is none).
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
  return std::nan("");
}

struct Source {
  bool down = false;
  std::expected<std::vector<Series>, Error> operator()(const RangeQuery& q) const {
    if (down) return std::unexpected(Error{"connection refused", {}, 0, 0});
    std::vector<Series> out;
    for (const char* name : {"ingest_rate", "drift"}) {
      if (q.expr != name) continue;
      Series s;
      s.labels = {{"__name__", name}, {"job", "pipeline"}};
      for (TimestampMs t = q.start; t <= q.end; t += q.step.count()) {
        s.timestamps.push_back(t);
        s.values.push_back(100.0 + 10.0 * std::sin(static_cast<double>(t / kMinute) / 7.0));
      }
      out.push_back(std::move(s));
    }
    return out;
  }
};

TEST(RuleEngine, OutputsSelfMetricsReloadAndFailures) {
  TempFile file("promcast-engine-rules.yml");
  std::string text(kRules);
  file.write(text);
  EngineOptions options;
  options.rule_files = {file.path()};
  options.manual = true;
  options.workers = 2;
  SourceConfig source;
  source.url = "http://127.0.0.1:1";  // never used: the override answers
  options.backends.sources.push_back(source);
  auto engine = RuleEngine::start(options);
  ASSERT_TRUE(engine) << engine.error().front().to_string();
  Source fake;
  (*engine)->set_query_override([&](const RangeQuery& q) { return fake(q); });

  const TimestampMs t0 = 28'000'000 * kMinute;
  (*engine)->evaluate_all(t0);
  std::string self, outputs;
  (*engine)->write_metrics(self, outputs);
  EXPECT_NE(outputs.find("ingest:yhat{horizon=\"10m\",job=\"pipeline\"}"), std::string::npos) << outputs;
  EXPECT_NE(outputs.find("Drift:anomaly_score{job=\"pipeline\"}"), std::string::npos) << outputs;
  EXPECT_EQ(value_of(self, "promcast_rule_fits_total{rule=\"ingest\""), 1.0) << self;
  EXPECT_EQ(value_of(self, "promcast_rule_series{rule=\"ingest\""), 1.0) << self;
  EXPECT_EQ(value_of(self, "promcast_rules_config_last_reload_successful"), 1.0) << self;

  // reload with one more rule: the unchanged rule keeps its model (no new fit), the new one fits
  text += kExtraRule;
  file.write(text);
  ASSERT_TRUE((*engine)->reload());
  (*engine)->evaluate_all(t0 + kMinute);
  self.clear();
  outputs.clear();
  (*engine)->write_metrics(self, outputs);
  EXPECT_EQ(value_of(self, "promcast_rule_fits_total{rule=\"ingest\""), 1.0) << "kept its model\n" << self;
  EXPECT_EQ(value_of(self, "promcast_rule_fits_total{rule=\"ingest_copy\""), 1.0) << self;
  EXPECT_NE(outputs.find("ingest_copy:yhat{horizon=\"5m\""), std::string::npos) << outputs;

  // a bad file: rejected, the running rules go on
  file.write("groups:\n  - name: capacity\n    rules:\n      - forecast: ingest\n        exprr: up\n");
  EXPECT_FALSE((*engine)->reload());
  (*engine)->evaluate_all(t0 + 2 * kMinute);
  self.clear();
  outputs.clear();
  (*engine)->write_metrics(self, outputs);
  EXPECT_EQ(value_of(self, "promcast_rules_config_last_reload_successful"), 0.0) << self;
  EXPECT_EQ(value_of(self, "promcast_rule_evaluations_total{rule=\"ingest_copy\""), 2.0) << self;

  // the source fails: counted, the outputs stay
  fake.down = true;
  (*engine)->evaluate_all(t0 + 3 * kMinute);
  self.clear();
  outputs.clear();
  (*engine)->write_metrics(self, outputs);
  EXPECT_EQ(value_of(self, "promcast_rule_evaluation_failures_total{rule=\"ingest\""), 1.0) << self;
  EXPECT_NE(outputs.find("ingest:yhat{horizon=\"10m\""), std::string::npos) << outputs;
  const auto status = (*engine)->status();
  ASSERT_FALSE(status.empty());
  EXPECT_NE(status[0].last_error.find("connection refused"), std::string::npos);
  EXPECT_NE((*engine)->status_json().find("connection refused"), std::string::npos);
}

// /api/v1/rules is built by the shared JSON writer: quotes, backslashes, control characters and
// markup in label values and errors round-trip, and invalid UTF-8 becomes U+FFFD instead of a throw.
TEST(RuleEngine, StatusJsonEscapesHostileStrings) {
  TempFile file("promcast-engine-hostile.yml");
  file.write(std::string(kRules));
  EngineOptions options;
  options.rule_files = {file.path()};
  options.manual = true;
  SourceConfig source;
  source.url = "http://127.0.0.1:1";
  options.backends.sources.push_back(source);
  auto engine = RuleEngine::start(options);
  ASSERT_TRUE(engine) << engine.error().front().to_string();
  const std::string hostile = "a\"b\\c\n</script><b>\x01\t\xff";
  (*engine)->set_query_override([&](const RangeQuery& q) -> std::expected<std::vector<Series>, Error> {
    if (q.expr == "drift") return std::unexpected(Error{"bad \"answer\" \x02\xfe", {}, 0, 0});
    Series s;
    s.labels = {{"__name__", "ingest_rate"}, {"job", hostile}};
    for (TimestampMs t = q.start; t <= q.end; t += q.step.count()) {
      s.timestamps.push_back(t);
      s.values.push_back(100.0 + std::sin(static_cast<double>(t / kMinute)));
    }
    return std::vector<Series>{s};
  });
  (*engine)->evaluate_all(28'000'000 * kMinute);

  const auto doc = nlohmann::json::parse((*engine)->status_json());  // throws if the writer broke JSON
  std::string job, error;
  for (const auto& group : doc["data"]["groups"])
    for (const auto& rule : group["rules"]) {
      if (rule["name"] == "ingest") job = rule["seriesStatus"].at(0)["labels"]["job"];
      if (rule["name"] == "Drift") error = rule["lastError"];
    }
  EXPECT_EQ(job, "a\"b\\c\n</script><b>\x01\t\xEF\xBF\xBD");
  EXPECT_NE(error.find("bad \"answer\" \x02\xEF\xBF\xBD"), std::string::npos) << error;
}

TEST(RuleEngine, UnknownSourceIsALoadError) {
  TempFile file("promcast-engine-source.yml");
  file.write(
      "groups:\n  - name: g\n    rules:\n      - forecast: f\n        expr: up\n        source: nowhere\n"
      "        horizons: [1m]\n        model: {order: [1, 0, 0]}\n");
  EngineOptions options;
  options.rule_files = {file.path()};
  options.manual = true;
  SourceConfig source;
  source.url = "http://127.0.0.1:1";
  options.backends.sources.push_back(source);
  auto engine = RuleEngine::start(options);
  ASSERT_FALSE(engine);
  EXPECT_NE(engine.error().front().to_string().find("nowhere"), std::string::npos);
}

}  // namespace
}  // namespace promcast::rules
