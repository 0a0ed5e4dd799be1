// `promcast detect` end to end, in process: a CSV with one injected spike -> JSON anomalies, and the
// reader's errors naming file and line.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "app/commands.h"

namespace promcast::app {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

int run(std::vector<std::string> args, std::string& out, std::string& err) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int rc = run_detect(static_cast<int>(argv.size()), argv.data());
  out = ::testing::internal::GetCapturedStdout();
  err = ::testing::internal::GetCapturedStderr();
  return rc;
}

// NAB's layout: zone-less timestamps, a `value` column; a smooth daily-ish wave with one spike at row 150.
std::string nab_like_csv(int spike_row) {
  std::string csv = "timestamp,value\n";
  for (int t = 0; t < 240; ++t) {
    const double v =
        50 + 10 * std::sin(2 * M_PI * t / 24.0) + ((t * 7919) % 13) / 13.0 + (t == spike_row ? 80 : 0);
    csv += fmt::format("2014-02-{:02d} {:02d}:00:00,{}\n", 1 + t / 24, t % 24, v);
  }
  return csv;
}

TEST(DetectCommand, EsdFindsTheInjectedSpikeInNabLayout) {
  const std::string path = write_temp("detect_nab.csv", nab_like_csv(150));
  std::string out, err;
  ASSERT_EQ(run({"--input", path, "--method", "esd", "--max-anoms", "0.02"}, out, err), 0) << err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out);
  simdjson::dom::array anomalies = doc["anomalies"];
  ASSERT_GE(anomalies.size(), 1u);
  bool found = false;
  for (simdjson::dom::element a : anomalies) {
    if (int64_t(a["index"]) == 150) {
      found = true;
      // The reader treats zone-less times as UTC and prints them back in RFC 3339.
      EXPECT_EQ(std::string_view(a["timestamp"]), "2014-02-07T06:00:00Z");
    }
  }
  EXPECT_TRUE(found) << out;
}

TEST(DetectCommand, BadCellIsAnErrorWithFileAndLine) {
  std::string csv = nab_like_csv(-1);
  csv += "2014-02-11 00:00:00,not-a-number\n";
  const std::string path = write_temp("detect_bad.csv", csv);
  std::string out, err;
  EXPECT_EQ(run({"--input", path, "--method", "zscore"}, out, err), 1);
  EXPECT_NE(err.find("detect_bad.csv:242"), std::string::npos) << err;
}

TEST(DetectCommand, UnknownColumnIsAnError) {
  const std::string path = write_temp("detect_col.csv", nab_like_csv(-1));
  std::string out, err;
  EXPECT_EQ(run({"--input", path, "--method", "zscore", "--column", "nope"}, out, err), 1);
  EXPECT_NE(err.find("no column named 'nope'"), std::string::npos) << err;
}

TEST(DetectCommand, StreamPostProcessingNeedsOnline) {
  const std::string path = write_temp("detect_lik.csv", nab_like_csv(-1));
  std::string out, err;
  EXPECT_EQ(run({"--input", path, "--method", "zscore", "--likelihood"}, out, err), 2);
  EXPECT_NE(err.find("need --online"), std::string::npos) << err;
  EXPECT_EQ(run({"--input", path, "--method", "zscore", "--online", "--range-tolerance", "-1"}, out, err), 2);
}

// --likelihood turns the z-score into Numenta's likelihood score: no verdict during its learning and
// estimation periods (p = 0.5), then the spike is the top score.
TEST(DetectCommand, OnlineLikelihoodAndNewRangeFlagTheSpike) {
  const std::string path = write_temp("detect_lik2.csv", nab_like_csv(200));
  std::string out, err;
  ASSERT_EQ(run({"--input", path, "--method", "zscore", "--online", "--window", "48", "--likelihood",
                 "--likelihood-learning", "20", "--likelihood-samples", "60", "--range-tolerance", "0.05"},
                out, err),
            0)
      << err;
  std::vector<double> raw;
  std::size_t line_start = out.find('\n') + 1;
  while (line_start < out.size()) {
    const std::size_t end = out.find('\n', line_start);
    const std::string line = out.substr(line_start, end - line_start);
    const std::size_t comma = line.rfind(',');
    raw.push_back(comma + 1 < line.size() ? std::stod(line.substr(comma + 1)) : std::nan(""));
    line_start = end + 1;
  }
  ASSERT_EQ(raw.size(), 240u);
  // judged points before learning + samples (10 warm-up points are unjudged) carry p = 0.5
  EXPECT_NEAR(raw[50], std::log(0.5) / std::log(1e-5), 1e-12);
  // the new-range rule flags the first day's rising values too (NAB hides that in its probation)
  std::size_t top = 90;
  for (std::size_t i = 90; i < raw.size(); ++i)
    if (!std::isnan(raw[i]) && (std::isnan(raw[top]) || raw[i] > raw[top])) top = i;
  EXPECT_EQ(top, 200u);
  EXPECT_GE(raw[200], 2.0);  // beyond every earlier value: the new-range score at least
}

TEST(DetectCommand, RangeRuleWaitsForItsMinimumPoints) {
  const std::string path = write_temp("detect_range.csv", nab_like_csv(200));
  auto top_scores = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"--input", path,  "--method",          "zscore", "--online",
                                     "--z",     "1e9", "--range-tolerance", "0.05"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string out, err;
    EXPECT_EQ(run(args, out, err), 0) << err;
    std::vector<std::size_t> flagged;  // rows whose raw score is the new-range score
    std::size_t row = 0;
    for (std::size_t at = out.find('\n') + 1; at < out.size(); at = out.find('\n', at) + 1, ++row) {
      const std::string line = out.substr(at, out.find('\n', at) - at);
      if (line.substr(line.rfind(',') + 1) == "2") flagged.push_back(row);
    }
    return flagged;
  };
  const auto all = top_scores({});
  ASSERT_FALSE(all.empty());
  EXPECT_LT(all.front(), 24u);  // the first day's rising values set new maxima
  EXPECT_EQ(all.back(), 200u);
  EXPECT_EQ(top_scores({"--range-min-points", "48"}), std::vector<std::size_t>{200});
}

}  // namespace
}  // namespace promcast::app
