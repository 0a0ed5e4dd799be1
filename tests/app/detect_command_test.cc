// `promcast detect` end to end, in process: a CSV with one injected spike -> JSON anomalies, and the
// reader's errors naming file and line.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "app/commands.h"
#include "tests/app/run_captured.h"
#include "tests/app/temp_file.h"
#include "tests/forecaster/fixtures/detectors/read_csv.h"

namespace promcast::app {
namespace {

using test_support::write_temp;

int run(std::vector<std::string> args, std::string& out, std::string& err) {
  auto r = test_support::run_captured(run_detect, std::move(args));
  out = std::move(r.out);
  err = std::move(r.err);
  return r.rc;
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

// --period as a duration is converted with the series' step (hourly here: 1d = 24 points) and gives the
// same judgement as the count; --period auto finds the 24-point day; a duration that is not a whole
// number of steps, or one without timestamps to convert it with, is an error naming the flag.
TEST(DetectCommand, PeriodAsDurationOrAutoResolvesWithTheSeriesStep) {
  const std::string path = write_temp("detect_period.csv", nab_like_csv(150));
  std::string by_count, by_duration, by_auto, err;
  ASSERT_EQ(run({"--input", path, "--method", "shesd", "--period", "24", "--max-anoms", "0.02"}, by_count, err),
            0)
      << err;
  ASSERT_EQ(
      run({"--input", path, "--method", "shesd", "--period", "1d", "--max-anoms", "0.02"}, by_duration, err), 0)
      << err;
  EXPECT_EQ(by_duration, by_count);
  ASSERT_EQ(run({"--input", path, "--method", "shesd", "--period", "auto", "--max-anoms", "0.02"}, by_auto, err),
            0)
      << err;
  EXPECT_NE(err.find("--period auto: 24 points"), std::string::npos) << err;
  EXPECT_EQ(by_auto, by_count);

  std::string out;
  EXPECT_EQ(run({"--input", path, "--method", "shesd", "--period", "90m"}, out, err), 1);
  EXPECT_NE(err.find("--period"), std::string::npos) << err;

  std::string plain = "index,value\n";  // an index, not timestamps: a duration cannot be converted
  for (int t = 0; t < 240; ++t) plain += fmt::format("{},{}\n", t, 50 + 10 * std::sin(2 * M_PI * t / 24.0));
  const std::string untimed = write_temp("detect_period_untimed.csv", plain);
  EXPECT_EQ(run({"--input", untimed, "--method", "shesd", "--period", "1d"}, out, err), 1);
  EXPECT_NE(err.find("--period"), std::string::npos) << err;
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

std::vector<std::string> lines_of(const std::string& out) {
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < out.size();) {
    const std::size_t end = out.find('\n', at);
    lines.push_back(out.substr(at, end - at));
    at = end == std::string::npos ? out.size() : end + 1;
  }
  return lines;
}

std::vector<std::string> cells_of(const std::string& line) {
  std::vector<std::string> cells;
  std::size_t at = 0;
  for (std::size_t comma; (comma = line.find(',', at)) != std::string::npos; at = comma + 1)
    cells.push_back(line.substr(at, comma - at));
  cells.push_back(line.substr(at));
  return cells;
}

std::vector<int64_t> anomaly_indices(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  std::vector<int64_t> out;
  for (simdjson::dom::element a : doc["anomalies"].get_array()) out.push_back(int64_t(a["index"]));
  return out;
}

// Every method through the CLI finds the injected spike (row 150 of 240 hourly points, 10 days).
TEST(DetectCommand, ShesdResidualAndIforestFindTheSpike) {
  const std::string path = write_temp("detect_methods.csv", nab_like_csv(150));
  const std::vector<std::vector<std::string>> configs = {
      {"--method", "shesd", "--period", "24", "--max-anoms", "0.02"},
      {"--method", "residual", "--order", "1,0,0", "--seasonal-order", "1,0,0,24"},
      {"--method", "iforest", "--trees", "100", "--contamination", "0.01", "--peers", "1", "--period", "24"},
  };
  for (const auto& extra : configs) {
    std::vector<std::string> args = {"--input", path};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string out, err;
    ASSERT_EQ(run(args, out, err), 0) << extra[1] << ": " << err;
    const auto found = anomaly_indices(out);
    EXPECT_NE(std::find(found.begin(), found.end(), 150), found.end()) << extra[1] << ": " << out;
    EXPECT_LE(found.size(), 5u) << extra[1] << ": " << out;
  }
}

TEST(DetectCommand, CsvFormatAndScores) {
  const std::string path = write_temp("detect_csvfmt.csv", nab_like_csv(150));
  std::string out, err;
  ASSERT_EQ(run({"--input", path, "--method", "esd", "--max-anoms", "0.02", "--format", "csv"}, out, err), 0)
      << err;
  auto lines = lines_of(out);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0], "index,timestamp,value,expected,lower,upper,score,anomaly");
  bool found = false;
  for (std::size_t r = 1; r < lines.size(); ++r) {
    const auto cells = cells_of(lines[r]);
    ASSERT_EQ(cells.size(), 8u) << lines[r];
    EXPECT_EQ(cells[7], "1");  // without --scores only the anomalies
    EXPECT_GT(std::stod(cells[6]), 1.0);
    if (cells[0] == "150") found = true;
  }
  EXPECT_TRUE(found) << out;

  // --scores: every point, with its flag; a flag is exactly a score above 1 for ESD
  ASSERT_EQ(run({"--input", path, "--method", "esd", "--max-anoms", "0.02", "--format", "csv", "--scores"},
                out, err),
            0);
  lines = lines_of(out);
  ASSERT_EQ(lines.size(), 241u);
  for (std::size_t r = 1; r < lines.size(); ++r) {
    const auto cells = cells_of(lines[r]);
    ASSERT_EQ(cells[0], std::to_string(r - 1));
    EXPECT_EQ(cells[7] == "1", cells[0] == "150") << lines[r];
  }
  ASSERT_EQ(run({"--input", path, "--method", "esd", "--max-anoms", "0.02", "--scores"}, out, err), 0);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out);
  simdjson::dom::array points = doc["points"];
  ASSERT_EQ(points.size(), 240u);
  std::size_t flagged = 0;
  for (simdjson::dom::element p : points) flagged += bool(p["anomaly"]);
  EXPECT_EQ(flagged, 1u);
  EXPECT_EQ(int64_t(points.at(150)["index"]), 150);
  EXPECT_GT(double(points.at(150)["score"]), 1.0);
}

// The online columns for a fitted method: nothing judged before two full periods plus one point, then
// anomaly_score = raw / (1 + raw), the spike above the boundary.
TEST(DetectCommand, OnlineColumnsOfShesd) {
  const std::string path = write_temp("detect_online_shesd.csv", nab_like_csv(150));
  std::string out, err;
  ASSERT_EQ(run({"--input", path, "--method", "shesd", "--period", "24", "--direction", "both", "--online",
                 "--refit-every", "6"},
                out, err),
            0)
      << err;
  const auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 241u);
  EXPECT_EQ(lines[0], "timestamp,value,anomaly_score,raw_score");
  for (std::size_t r = 1; r < lines.size(); ++r) {
    const auto cells = cells_of(lines[r]);
    ASSERT_EQ(cells.size(), 4u) << lines[r];
    if (r - 1 < 49) {
      EXPECT_EQ(cells[3], "") << lines[r];
      EXPECT_EQ(cells[2], "0") << lines[r];
      continue;
    }
    ASSERT_NE(cells[3], "") << lines[r];
    const double raw = std::stod(cells[3]);
    EXPECT_NEAR(std::stod(cells[2]), raw / (1 + raw), 1e-12) << lines[r];
    if (r - 1 == 150) {
      EXPECT_GT(raw, 1.0);
    }
  }
  EXPECT_EQ(cells_of(lines[1])[0], "2014-02-01T00:00:00Z");
}

TEST(DetectCommand, MaxAnomsMustBeAValidFractionOrCount) {
  const std::string path = write_temp("detect_maxanoms.csv", nab_like_csv(150));
  std::string out, err;
  EXPECT_EQ(run({"--input", path, "--method", "esd", "--max-anoms", "-0.1"}, out, err), 2);
  EXPECT_NE(err.find("--max-anoms must be > 0, got -0.1"), std::string::npos) << err;
  EXPECT_EQ(out, "");
  EXPECT_EQ(run({"--input", path, "--method", "esd", "--max-anoms", "2.7"}, out, err), 2);
  EXPECT_NE(err.find("must be an integer, got 2.7"), std::string::npos) << err;
  EXPECT_EQ(run({"--input", path, "--method", "shesd", "--period", "24", "--max-anoms", "0.6"}, out, err), 2);
  EXPECT_NE(err.find("(0, 0.49]"), std::string::npos) << err;
  EXPECT_EQ(run({"--input", path, "--method", "shesd", "--period", "24", "--max-anoms", "2"}, out, err), 2);
  // a count is an integer: 3 means at most 3 anomalies, echoed as the integer 3
  ASSERT_EQ(run({"--input", path, "--method", "esd", "--max-anoms", "3"}, out, err), 0) << err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out);
  EXPECT_EQ(int64_t(doc["parameters"]["max_anoms"]), 3);
}

TEST(DetectCommand, ParametersAreTheEffectiveOnesWithTypes) {
  const std::string path = write_temp("detect_params.csv", nab_like_csv(150));
  std::string out, err;
  ASSERT_EQ(run({"--input", path, "--method", "esd"}, out, err), 0) << err;
  simdjson::dom::parser parser;
  simdjson::dom::element p = parser.parse(out)["parameters"];
  EXPECT_DOUBLE_EQ(double(p["alpha"]), 0.05);
  EXPECT_DOUBLE_EQ(double(p["max_anoms"]), 0.1);
  EXPECT_EQ(std::string_view(p["direction"]), "both");
  ASSERT_EQ(
      run({"--input", path, "--method", "shesd", "--period", "24", "--alpha", "0.01", "--threshold", "p95"},
          out, err),
      0)
      << err;
  p = parser.parse(out)["parameters"];
  EXPECT_EQ(int64_t(p["period"]), 24);
  EXPECT_DOUBLE_EQ(double(p["alpha"]), 0.01);
  EXPECT_EQ(std::string_view(p["direction"]), "pos");  // Twitter's default
  EXPECT_EQ(std::string_view(p["threshold"]), "p95");
  EXPECT_FALSE(bool(p["only_last"]));
  ASSERT_EQ(run({"--input", path, "--method", "residual", "--k", "2", "--n", "3"}, out, err), 0) << err;
  p = parser.parse(out)["parameters"];
  EXPECT_EQ(int64_t(p["order"].at(0)), 1);
  EXPECT_EQ(int64_t(p["order"].at(2)), 1);
  EXPECT_EQ(std::string_view(p["trend"]), "c");
  EXPECT_DOUBLE_EQ(double(p["level"]), 99.0);
  EXPECT_EQ(int64_t(p["k"]), 2);
  ASSERT_EQ(run({"--input", path, "--method", "iforest"}, out, err), 0) << err;
  p = parser.parse(out)["parameters"];
  EXPECT_EQ(int64_t(p["trees"]), 100);
  EXPECT_EQ(int64_t(p["subsample"]), 256);
  EXPECT_FALSE(bool(p["diff"]));
}

TEST(DetectCommand, FlagsTheMethodOrModeIgnoresAreErrors) {
  const std::string path = write_temp("detect_ignored.csv", nab_like_csv(150));
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--method", "residual", "--direction", "pos"}, "--direction does not apply to residual"},
      {{"--method", "iforest", "--direction", "pos"}, "--direction does not apply to iforest"},
      {{"--method", "zscore", "--alpha", "0.01"}, "--alpha does not apply to zscore"},
      {{"--method", "residual", "--max-anoms", "0.1"}, "--max-anoms does not apply to residual"},
      {{"--method", "iforest", "--max-anoms", "0.1"}, "--max-anoms does not apply to iforest"},
      {{"--method", "esd", "--window", "10"}, "--window does not apply to esd"},
      {{"--method", "shesd", "--period", "24", "--online", "--threshold", "p95"},
       "--threshold does not apply to --online"},
      {{"--method", "shesd", "--period", "24", "--online", "--only-last"},
       "--only-last does not apply to --online"},
      {{"--method", "esd", "--refit-every", "5"}, "--refit-every needs --online"},
      {{"--method", "zscore", "--online", "--refit-every", "5"}, "--refit-every does not apply to zscore"},
  };
  for (const auto& [extra, message] : cases) {
    std::vector<std::string> args = {"--input", path};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string out, err;
    EXPECT_EQ(run(args, out, err), 2) << message;
    EXPECT_NE(err.find(message), std::string::npos) << err;
    EXPECT_EQ(out, "");
  }
}

// 40 points cannot give S-H-ESD (period 24) or seasonal peers one fitted window: an error, not 40 rows
// that are all unjudged, and nothing on stdout.
TEST(DetectCommand, OnlineTooShortIsAnErrorAndPrintsNothing) {
  std::string csv = "timestamp,value\n";
  for (int t = 0; t < 40; ++t)
    csv += fmt::format("2014-02-{:02d} {:02d}:00:00,{}\n", 1 + t / 24, t % 24, 50 + t % 7);
  const std::string path = write_temp("detect_short.csv", csv);
  const std::vector<std::vector<std::string>> configs = {
      {"--method", "shesd", "--period", "24"},
      {"--method", "iforest", "--peers", "2", "--period", "24"},
      {"--method", "residual", "--seasonal-order", "1,0,0,24"},
  };
  for (const auto& extra : configs) {
    std::vector<std::string> args = {"--input", path, "--online"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string out, err;
    EXPECT_EQ(run(args, out, err), 1) << extra[1];
    EXPECT_EQ(out, "") << extra[1];
    EXPECT_NE(err.find("full periods"), std::string::npos) << err;
    EXPECT_NE(err.find("for period 24), got 40"), std::string::npos) << err;
  }
}

// A constant series with one spike: ESD's and the z-score's scale is 0, the spike's score infinite. It
// prints as the largest finite double in JSON (never null) and CSV alike.
TEST(DetectCommand, InfiniteScoreIsTheLargestFiniteDouble) {
  std::string csv = "timestamp,value\n";
  for (int t = 0; t < 240; ++t)
    csv += fmt::format("2014-02-{:02d} {:02d}:00:00,{}\n", 1 + t / 24, t % 24, t == 150 ? 90 : 10);
  const std::string path = write_temp("detect_inf.csv", csv);
  std::string out, err;
  ASSERT_EQ(run({"--input", path, "--method", "esd"}, out, err), 0) << err;
  EXPECT_EQ(out.find("null"), std::string::npos) << out;
  simdjson::dom::parser parser;
  simdjson::dom::element a = parser.parse(out)["anomalies"].at(0);
  EXPECT_EQ(int64_t(a["index"]), 150);
  EXPECT_EQ(double(a["score"]), std::numeric_limits<double>::max());
  ASSERT_EQ(run({"--input", path, "--method", "esd", "--format", "csv"}, out, err), 0) << err;
  EXPECT_EQ(cells_of(lines_of(out).at(1))[6], "1.7976931348623157e+308") << out;
  ASSERT_EQ(run({"--input", path, "--method", "zscore", "--online"}, out, err), 0) << err;
  const auto row = cells_of(lines_of(out).at(151));
  EXPECT_EQ(row[3], "1.7976931348623157e+308");
  EXPECT_EQ(row[2], "1");
}

// --- rows missing from the time axis (csv_input.h regularize_times) -------------------------------------

// An hourly 24-periodic wave over 10 days with hours 60..69 removed, and at hour 200 a value that is normal
// for the series but wrong for its hour (the level of hour 212, half a period away): only a detector that
// keeps the seasonal phase across the gap sees it. `index_axis` writes row numbers instead of timestamps.
std::string wave_with_gap_csv(bool index_axis) {
  auto wave = [](int t) { return 50 + 10 * std::sin(2 * M_PI * (t + 3) / 24.0) + ((t * 7919) % 13) / 26.0; };
  std::string csv = index_axis ? "index,value\n" : "timestamp,value\n";
  int row = 0;
  for (int t = 0; t < 240; ++t) {
    if (t >= 60 && t < 70) continue;
    const double v = t == 200 ? wave(212) : wave(t);
    csv += index_axis ? fmt::format("{},{}\n", row, v)
                      : fmt::format("2014-02-{:02d}T{:02d}:00:00Z,{}\n", 1 + t / 24, t % 24, v);
    ++row;
  }
  return csv;
}

TEST(DetectCommand, MissingRowsKeepTheSeasonalPhase) {
  const std::vector<std::string> flags = {"--method", "shesd",       "--period", "24",      "--direction",
                                          "both",     "--max-anoms", "0.05",     "--scores"};
  std::string out, err;
  std::vector<std::string> args = {"--input", write_temp("detect_gap.csv", wave_with_gap_csv(false))};
  args.insert(args.end(), flags.begin(), flags.end());
  ASSERT_EQ(run(args, out, err), 0) << err;
  EXPECT_NE(err.find("inserted 10 rows of missing values (NaN) for 1 gap in the time axis (step 3600 s)"),
            std::string::npos)
      << err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out);
  simdjson::dom::array anomalies = doc["anomalies"];
  ASSERT_EQ(anomalies.size(), 1u) << out;
  EXPECT_EQ(int64_t(anomalies.at(0)["index"]), 200);  // indices count hours, inserted ones included
  EXPECT_EQ(std::string_view(anomalies.at(0)["timestamp"]), "2014-02-09T08:00:00Z");
  simdjson::dom::array points = doc["points"];
  ASSERT_EQ(points.size(), 240u);
  for (std::size_t i = 60; i < 70; ++i) {
    EXPECT_TRUE(points.at(i)["value"].is_null()) << i;
    EXPECT_TRUE(points.at(i)["score"].is_null()) << i;  // inserted: never judged
    EXPECT_FALSE(bool(points.at(i)["anomaly"])) << i;
    EXPECT_EQ(std::string_view(points.at(i)["timestamp"]), fmt::format("2014-02-03T{:02d}:00:00Z", i - 48));
  }
  EXPECT_FALSE(points.at(70)["score"].is_null());

  // The same rows on a plain index axis: taken as is (no rows inserted), so the phase shifts by 10 hours
  // after the gap and the check above would fail. This is what regularization prevents.
  args = {"--input", write_temp("detect_gap_index.csv", wave_with_gap_csv(true))};
  args.insert(args.end(), flags.begin(), flags.end());
  ASSERT_EQ(run(args, out, err), 0) << err;
  EXPECT_EQ(err.find("inserted"), std::string::npos) << err;
  simdjson::dom::element shifted = parser.parse(out);
  EXPECT_EQ(simdjson::dom::array(shifted["points"]).size(), 230u);
  simdjson::dom::array shifted_anomalies = shifted["anomalies"];
  EXPECT_FALSE(shifted_anomalies.size() == 1 && int64_t(shifted_anomalies.at(0)["index"]) == 190) << out;
}

TEST(DetectCommand, OnlinePrintsInsertedRowsUnjudged) {
  const std::string path = write_temp("detect_gap_online.csv", wave_with_gap_csv(false));
  std::string out, err;
  ASSERT_EQ(run({"--input", path, "--method", "zscore", "--window", "24", "--online"}, out, err), 0) << err;
  const auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 241u);  // header + 240 hours
  for (std::size_t i = 60; i < 70; ++i) {
    const auto cells = cells_of(lines[i + 1]);
    ASSERT_EQ(cells.size(), 4u) << lines[i + 1];
    EXPECT_EQ(cells[0], fmt::format("2014-02-03T{:02d}:00:00Z", i - 48));
    EXPECT_EQ(cells[1], "");
    EXPECT_EQ(cells[2], "0");
    EXPECT_EQ(cells[3], "");
  }
  EXPECT_NE(cells_of(lines[71])[1], "");
}

TEST(DetectCommand, SpacingThatIsNotAWholeStepIsAnError) {
  std::string csv = nab_like_csv(-1);
  csv += "2014-02-10 23:30:00,1\n";  // half an hour after the last hourly row
  const std::string path = write_temp("detect_offgrid.csv", csv);
  std::string out, err;
  EXPECT_EQ(run({"--input", path, "--method", "zscore"}, out, err), 1);
  EXPECT_NE(err.find("detect_offgrid.csv:242:1: time 2014-02-10T23:30:00Z is 1800 s after the previous row "
                     "(line 241), not a multiple of the 3600 s step"),
            std::string::npos)
      << err;
  EXPECT_EQ(out, "");
}

// `--method esd --robust` is Twitter's hybrid ESD (median and MAD): on every series and setting of the ESD
// fixtures it flags exactly the R reference's points (scripts/fixtures/make_hybrid_esd_fixtures.R), and
// without --robust the classic reference's.
TEST(DetectCommand, EsdRobustIsTheHybridEsdOfTheReference) {
  namespace fx = promcast::forecaster::testing;
  for (const auto& [file, robust] :
       {std::pair{"esd_hybrid_expected.csv", true}, {"esd_expected.csv", false}}) {
    const auto cases = fx::read_csv(fx::fixture_path(file));
    ASSERT_GE(cases.rows(), 40u);
    std::size_t flagged = 0;
    for (std::size_t c = 0; c < cases.rows(); ++c) {
      const std::string& name = cases.text.at("name")[c];
      std::string csv = "index,value\n";
      const auto y = fx::read_csv(fx::fixture_path("esd_" + name + ".csv")).column("y");
      for (std::size_t i = 0; i < y.size(); ++i) csv += fmt::format("{},{}\n", i, y[i]);
      const std::string path = write_temp("detect_esd_" + name + ".csv", csv);
      std::vector<std::string> args = {"--input",     path,
                                       "--method",    "esd",
                                       "--alpha",     cases.text.at("alpha")[c],
                                       "--max-anoms", cases.text.at("max_count")[c],
                                       "--direction", cases.text.at("direction")[c]};
      if (robust) args.push_back("--robust");
      std::string out, err;
      ASSERT_EQ(run(args, out, err), 0) << err;
      std::vector<int64_t> want;
      std::stringstream ss(cases.text.at("anomalies")[c]);
      for (int64_t v; ss >> v;) want.push_back(v);
      std::sort(want.begin(), want.end());
      EXPECT_EQ(anomaly_indices(out), want) << file << " row " << c + 2;
      flagged += want.size();
      simdjson::dom::parser parser;
      EXPECT_EQ(bool(parser.parse(out)["parameters"]["robust"]), robust);
    }
    EXPECT_GT(flagged, 50u);
  }
}

TEST(DetectCommand, RobustAppliesToZscoreAndEsdOnly) {
  const std::string path = write_temp("detect_robust_scope.csv", nab_like_csv(150));
  std::string out, err;
  EXPECT_EQ(run({"--input", path, "--method", "shesd", "--period", "24", "--robust"}, out, err), 2);
  EXPECT_NE(err.find("--robust does not apply to shesd (only to zscore, esd)"), std::string::npos) << err;
  ASSERT_EQ(run({"--input", path, "--method", "esd", "--robust"}, out, err), 0) << err;
  const auto found = anomaly_indices(out);
  EXPECT_NE(std::find(found.begin(), found.end(), 150), found.end()) << out;
  EXPECT_EQ(run({"--help"}, out, err), 2);
  EXPECT_NE(err.find("esd: median and MAD instead of mean and sd"), std::string::npos) << err;
}

}  // namespace
}  // namespace promcast::app
