// RuleEngine with --storage.path (manual evaluations, a fake source): a second engine on the same
// directory resumes with the first one's models (no fit, the same outputs); a reload that changes only
// what the fit does not depend on hands the models over; a corrupt, truncated or old-version file is
// ignored (every series fits, nothing crashes); an unwritable directory is counted and evaluation goes on.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rules/engine.h"
#include "rules/model_snapshot.h"

namespace promcast::rules {
namespace {

constexpr TimestampMs kMinute = 60'000;
constexpr TimestampMs kT0 = 28'000'000 * kMinute;

class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }
  [[nodiscard]] std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

std::string rules_text(std::string_view horizons) {
  return "groups:\n  - name: capacity\n    interval: 1m\n    rules:\n      - forecast: ingest\n"
         "        expr: ingest_rate\n        step: 1m\n        history: 3h\n        refit: 1d\n"
         "        horizons: " +
         std::string(horizons) + "\n        model: {order: [1, 0, 0], trend: c}\n";
}

// Three series of ingest_rate, each with its own level.
std::expected<std::vector<Series>, Error> source(const RangeQuery& q) {
  std::vector<Series> out;
  for (int job = 1; job <= 3; ++job) {
    Series s;
    s.labels = {{"__name__", "ingest_rate"}, {"job", "j" + std::to_string(job)}};
    for (TimestampMs t = q.start; t <= q.end; t += q.step.count()) {
      s.timestamps.push_back(t);
      s.values.push_back(100.0 * job + 10.0 * std::sin(static_cast<double>(t / kMinute) / 7.0) +
                         std::sin(static_cast<double>(t / kMinute) * 1.3));
    }
    out.push_back(std::move(s));
  }
  return out;
}

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

std::unique_ptr<RuleEngine> start(const std::string& rules_file, const std::string& storage) {
  EngineOptions options;
  options.rule_files = {rules_file};
  options.manual = true;
  options.workers = 1;
  options.storage_path = storage;
  SourceConfig s;
  s.url = "http://127.0.0.1:1";  // never used: the override answers
  options.backends.sources.push_back(s);
  auto engine = RuleEngine::start(options);
  EXPECT_TRUE(engine) << engine.error().front().to_string();
  if (!engine) return nullptr;
  (*engine)->set_query_override(source);
  return std::move(*engine);
}

struct Metrics {
  std::string self, outputs;
};
Metrics metrics(RuleEngine& engine) {
  Metrics m;
  engine.write_metrics(m.self, m.outputs);
  return m;
}

double fits(const Metrics& m) { return value_of(m.self, "promcast_rule_fits_total{rule=\"ingest\""); }
double restored(const Metrics& m) {
  return value_of(m.self, "promcast_rule_models_restored_total{rule=\"ingest\"");
}
double yhat(const Metrics& m, int job) {
  return value_of(m.outputs, "ingest:yhat{horizon=\"10m\",job=\"j" + std::to_string(job) + "\"}");
}

TEST(EngineStorage, ARestartResumesWithTheStoredModels) {
  TempDir dir("promcast-storage-restart");
  std::ofstream(dir.file("rules.yml")) << rules_text("[0s, 10m]");
  double before[4] = {};
  {
    auto engine = start(dir.file("rules.yml"), dir.file("models"));
    ASSERT_TRUE(engine);
    engine->evaluate_all(kT0);
    const Metrics m = metrics(*engine);
    EXPECT_EQ(fits(m), 3.0) << m.self;
    EXPECT_EQ(restored(m), 0.0) << m.self;
    EXPECT_EQ(value_of(m.self, "promcast_rule_model_snapshot_writes_total"), 1.0) << "written after the fits";
    for (int job = 1; job <= 3; ++job) before[job] = yhat(m, job);
  }  // stop(): written again
  ASSERT_TRUE(std::filesystem::exists(dir.file("models/models.snapshot")));
  auto file = read_model_snapshot(dir.file("models/models.snapshot"));
  ASSERT_TRUE(file) << file.error().message;
  ASSERT_EQ(file->size(), 1u);
  EXPECT_EQ(file->front().models.size(), 3u);

  auto engine = start(dir.file("rules.yml"), dir.file("models"));
  ASSERT_TRUE(engine);
  engine->evaluate_all(kT0);
  Metrics m = metrics(*engine);
  EXPECT_EQ(fits(m), 0.0) << m.self;
  EXPECT_EQ(restored(m), 3.0) << m.self;
  for (int job = 1; job <= 3; ++job) {
    ASSERT_TRUE(std::isfinite(yhat(m, job))) << m.outputs;
    // the same window and parameters: the same forecast (the text format rounds to 17 digits)
    EXPECT_NEAR(yhat(m, job), before[job], 1e-9 * std::abs(before[job])) << job;
  }
  EXPECT_EQ(value_of(m.self, "promcast_rule_model_snapshot_writes_total"), 0.0) << "nothing new to write";
  engine->evaluate_all(kT0 + kMinute);
  m = metrics(*engine);
  EXPECT_EQ(fits(m), 0.0) << "the filter goes on; the refit is a day away";
  EXPECT_EQ(restored(m), 3.0);
  EXPECT_TRUE(std::isfinite(yhat(m, 1)));
}

TEST(EngineStorage, AReloadThatChangesOnlyHorizonsHandsTheModelsOver) {
  TempDir dir("promcast-storage-reload");
  std::ofstream(dir.file("rules.yml")) << rules_text("[0s, 10m]");
  auto engine = start(dir.file("rules.yml"), dir.path());
  ASSERT_TRUE(engine);
  engine->evaluate_all(kT0);
  std::ofstream(dir.file("rules.yml")) << rules_text("[10m, 20m]");  // a changed rule: a new evaluator
  ASSERT_TRUE(engine->reload());
  engine->evaluate_all(kT0 + kMinute);
  const Metrics m = metrics(*engine);
  EXPECT_EQ(fits(m), 3.0) << "only the first evaluation fitted\n" << m.self;
  EXPECT_EQ(restored(m), 3.0) << m.self;
  EXPECT_NE(m.outputs.find("ingest:yhat{horizon=\"20m\""), std::string::npos) << m.outputs;
}

// A file that is not what we wrote: ignored with a warning, every series fits, nothing crashes.
TEST(EngineStorage, ABadFileIsIgnoredAndEverySeriesFits) {
  TempDir dir("promcast-storage-bad");
  std::ofstream(dir.file("rules.yml")) << rules_text("[0s, 10m]");
  {
    auto engine = start(dir.file("rules.yml"), dir.path());
    ASSERT_TRUE(engine);
    engine->evaluate_all(kT0);
  }
  std::stringstream good;
  good << std::ifstream(dir.file("models.snapshot")).rdbuf();
  const std::string bytes = good.str();
  ASSERT_GT(bytes.size(), 200u);
  const std::size_t header = bytes.find('\n') + 1;
  std::string flipped = bytes;
  flipped[header + 100] = flipped[header + 100] == '1' ? '2' : '1';
  std::string old_version = bytes;
  old_version.replace(old_version.find(" 1 "), 3, " 0 ");
  for (const std::string& bad : {flipped, bytes.substr(0, bytes.size() / 2), old_version,
                                 std::string("not a snapshot\n"), std::string()}) {
    std::ofstream(dir.file("models.snapshot"), std::ios::trunc | std::ios::binary) << bad;
    auto engine = start(dir.file("rules.yml"), dir.path());
    ASSERT_TRUE(engine);
    engine->evaluate_all(kT0);
    const Metrics m = metrics(*engine);
    EXPECT_EQ(fits(m), 3.0) << bad.substr(0, 60);
    EXPECT_EQ(restored(m), 0.0);
    EXPECT_EQ(value_of(m.self, "promcast_rule_model_snapshot_read_failures_total"), 1.0) << bad.substr(0, 60);
    EXPECT_TRUE(std::isfinite(yhat(m, 2))) << m.outputs;
  }
}

TEST(EngineStorage, AnUnwritableDirectoryIsCountedAndEvaluationGoesOn) {
  TempDir dir("promcast-storage-unwritable");
  std::ofstream(dir.file("rules.yml")) << rules_text("[0s, 10m]");
  std::ofstream(dir.file("plain")) << "a file, not a directory";
  auto engine = start(dir.file("rules.yml"), dir.file("plain") + "/models");  // fails even as root
  ASSERT_TRUE(engine);
  engine->evaluate_all(kT0);
  engine->evaluate_all(kT0 + kMinute);
  const Metrics m = metrics(*engine);
  EXPECT_EQ(fits(m), 3.0);
  EXPECT_EQ(value_of(m.self, "promcast_rule_model_snapshot_write_failures_total"), 1.0) << m.self;
  EXPECT_EQ(value_of(m.self, "promcast_rule_model_snapshot_writes_total"), 0.0);
  EXPECT_TRUE(std::isfinite(yhat(m, 3))) << m.outputs;
}

}  // namespace
}  // namespace promcast::rules
