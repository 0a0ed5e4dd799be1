// `promcast detect` end to end, in process: a CSV with one injected spike -> JSON anomalies, and the
// reader's errors naming file and line.
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

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
    const double v = 50 + 10 * std::sin(2 * M_PI * t / 24.0) + ((t * 7919) % 13) / 13.0 + (t == spike_row ? 80 : 0);
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

}  // namespace
}  // namespace promcast::app
