// The CLI end to end, in process: arguments -> JSON on stdout, checked by parsing it.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

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

int run(std::vector<std::string> args, std::string& out, std::string* err = nullptr) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  if (err != nullptr) ::testing::internal::CaptureStderr();
  const int rc = run_forecast(static_cast<int>(argv.size()), argv.data());
  out = ::testing::internal::GetCapturedStdout();
  if (err != nullptr) *err = ::testing::internal::GetCapturedStderr();
  return rc;
}

std::string fixture_path(const std::string& rel) {
  return std::string(PROMCAST_SOURCE_DIR) + "/tests/forecaster/fixtures/" + rel;
}

std::string series_csv(bool with_future) {
  std::string csv = "timestamp,value,promo\n";
  double level = 100;
  unsigned state = 12345;
  for (int t = 0; t < 120; ++t) {
    state = state * 1103515245u + 12345u;
    level += ((state >> 16) % 1000) / 1000.0 - 0.5;
    const int promo = t % 10 == 0;
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "2026-01-%02dT%02d:00:00Z", 1 + t / 24, t % 24);
    csv += std::string(stamp) + "," + std::to_string(level + 5 * promo) + "," + std::to_string(promo) + "\n";
  }
  if (with_future)
    for (int t = 120; t < 126; ++t) {
      char stamp[32];
      std::snprintf(stamp, sizeof stamp, "2026-01-%02dT%02d:00:00Z", 1 + t / 24, t % 24);
      csv += std::string(stamp) + ",," + std::to_string(t % 10 == 0) + "\n";
    }
  return csv;
}

TEST(ForecastCommand, JsonWithExogAndFutureRows) {
  const std::string path = write_temp("fc_exog.csv", series_csv(true));
  std::string out;
  ASSERT_EQ(run({"--input", path, "--order", "1,1,0", "--exog", "promo", "--horizon", "6", "--levels", "80,95"}, out), 0);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out);
  EXPECT_EQ(int64_t(doc["nobs"]), 119);
  const double promo = double(doc["params"]["promo"]);
  EXPECT_NEAR(promo, 5.0, 0.5);  // the effect that was put in
  const double lb_p = double(doc["ljung_box"]["p_value"]);
  EXPECT_GE(lb_p, 0.0);
  EXPECT_LE(lb_p, 1.0);
  simdjson::dom::array fc = doc["forecast"];
  ASSERT_EQ(fc.size(), 6u);
  simdjson::dom::element first = fc.at(0);
  EXPECT_EQ(std::string_view(first["timestamp"]), "2026-01-06T00:00:00Z");
  EXPECT_LT(double(first["lower_95"]), double(first["lower_80"]));
  EXPECT_LT(double(first["lower_80"]), double(first["mean"]));
  EXPECT_GT(double(first["upper_95"]), double(first["upper_80"]));
}

TEST(ForecastCommand, CsvFormatAndErrors) {
  const std::string path = write_temp("fc_plain.csv", series_csv(false));
  std::string out;
  ASSERT_EQ(run({"--input", path, "--order", "0,1,1", "--trend", "c", "--horizon", "3", "--format", "csv"}, out), 0);
  EXPECT_EQ(out.substr(0, out.find('\n')), "step,timestamp,mean,lower_80,upper_80,lower_95,upper_95");
  EXPECT_NE(out.find("\n3,2026-01-06T02:00:00Z,"), std::string::npos);
  EXPECT_EQ(run({"--input", path, "--horizon", "3"}, out), 2);                          // no order
  EXPECT_EQ(run({"--input", path, "--order", "1,0", "--horizon", "3"}, out), 2);        // bad order
  EXPECT_EQ(run({"--input", path, "--order", "1,0,0", "--exog", "promo", "--horizon", "3"}, out), 1);  // no future rows
  EXPECT_EQ(run({"--input", "/nonexistent.csv", "--order", "1,0,0", "--horizon", "3"}, out), 1);
}

// A drift without intercept on LakeHuron: L-BFGS alone stalled at loglik -136.94 (statsmodels
// -115.254) and the CLI said nothing on stderr.
TEST(ForecastCommand, TrendTReachesStatsmodelsOptimumOrWarns) {
  simdjson::dom::parser ref_parser;
  const simdjson::dom::element ref = ref_parser.load(fixture_path("sarimax/ar2_trend_t_lakehuron.json"));
  const double ref_loglik = ref["loglik"].get_double();
  std::string out, err;
  ASSERT_EQ(run({"--input", fixture_path("series/LakeHuron.csv"), "--order", "2,0,0", "--trend", "t",
                 "--horizon", "2"},
                out, &err),
            0);
  simdjson::dom::parser parser;
  const simdjson::dom::element doc = parser.parse(out);
  EXPECT_GE(doc["loglik"].get_double().value(), ref_loglik - 1e-6 * std::abs(ref_loglik));
  const bool converged = doc["converged"].get_bool();
  EXPECT_TRUE(converged);
  // The warning line appears exactly when the fit did not converge.
  EXPECT_EQ(err.find("did not converge") != std::string::npos, !converged) << err;
}

// --auto chooses the trend, P, D, Q and K itself: flags that would set them were silently ignored.
TEST(ForecastCommand, AutoRejectsFlagsItWouldIgnore) {
  const std::string path = write_temp("fc_auto_flags.csv", series_csv(false));
  std::string out, err;
  EXPECT_EQ(run({"--input", path, "--auto", "--trend", "c", "--horizon", "3"}, out, &err), 2);
  EXPECT_NE(err.find("--trend does not apply with --auto"), std::string::npos) << err;
  EXPECT_EQ(run({"--input", path, "--auto", "--seasonal-order", "0,1,1,24", "--horizon", "3"}, out, &err), 2);
  EXPECT_NE(err.find("use 0,0,0,s"), std::string::npos) << err;
  EXPECT_EQ(run({"--input", path, "--auto", "--fourier", "24:2", "--horizon", "3"}, out, &err), 2);
  EXPECT_NE(err.find("the search chooses K"), std::string::npos) << err;
  // What does apply: the period from --seasonal-order 0,0,0,s and bare Fourier periods.
  ASSERT_EQ(run({"--input", path, "--auto", "--seasonal-order", "0,0,0,24", "--horizon", "3"}, out, &err), 0)
      << err;
  ASSERT_EQ(run({"--input", path, "--auto", "--fourier", "24", "--horizon", "3"}, out, &err), 0) << err;
  simdjson::dom::parser parser;
  const simdjson::dom::element doc = parser.parse(out);
  EXPECT_EQ(doc["forecast"].get_array().size(), 3u);
  // --help documents the period for --auto.
  EXPECT_EQ(run({"--help"}, out, &err), 2);
  EXPECT_NE(err.find("--seasonal-order 0,0,0,s gives it the seasonal period"), std::string::npos) << err;
}

// --fourier 12:2,12:2 printed duplicate JSON keys; identical --exog columns were accepted.
TEST(ForecastCommand, DuplicateRegressorsAreErrors) {
  std::string csv = "t,value,promo,promo2\n";
  for (int t = 0; t < 60; ++t) {
    const int promo = t % 7 == 0;
    csv += std::to_string(t) + "," + std::to_string(50 + 4 * promo + (t * 37 % 11) * 0.3) + "," +
           std::to_string(promo) + "," + std::to_string(promo) + "\n";
  }
  for (int t = 60; t < 63; ++t) csv += std::to_string(t) + ",,0,0\n";
  const std::string path = write_temp("fc_dup.csv", csv);
  std::string out, err;
  EXPECT_EQ(run({"--input", path, "--order", "1,0,0", "--trend", "c", "--fourier", "12:2,12:2", "--horizon", "3"},
                out, &err),
            2);
  EXPECT_NE(err.find("period 12 twice"), std::string::npos) << err;
  EXPECT_EQ(run({"--input", path, "--order", "1,0,0", "--exog", "promo,promo", "--horizon", "3"}, out, &err), 2);
  EXPECT_EQ(run({"--input", path, "--order", "1,0,0", "--trend", "c", "--exog", "promo,promo2", "--horizon", "3"},
                out, &err),
            1);
  EXPECT_NE(err.find("'promo', 'promo2' are collinear"), std::string::npos) << err;
  ASSERT_EQ(run({"--input", path, "--order", "1,0,0", "--trend", "c", "--exog", "promo", "--horizon", "3"}, out, &err),
            0)
      << err;
}

// Hourly rows with 20 timestamps missing: the missing hours become NaN rows (regularize_times), so
// the fit equals the one on the same file with those 20 values given as empty cells.
TEST(ForecastCommand, MissingTimestampsBecomeMissingValues) {
  std::string removed = "timestamp,value\n", empty = removed;
  unsigned state = 99;
  for (int t = 0; t < 240; ++t) {
    state = state * 1103515245u + 12345u;
    const double v = 20 + 5 * std::sin(2 * 3.141592653589793 * t / 24.0) + ((state >> 16) % 1000) / 500.0;
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "2026-02-%02dT%02d:00:00Z", 1 + t / 24, t % 24);
    const bool gone = (t >= 100 && t < 115) || (t % 17 == 5 && t > 150);  // 15 + 5 hours
    if (gone) {
      empty += std::string(stamp) + ",\n";
    } else {
      removed += std::string(stamp) + "," + std::to_string(v) + "\n";
      empty += std::string(stamp) + "," + std::to_string(v) + "\n";
    }
  }
  ASSERT_EQ(std::count(empty.begin(), empty.end(), '\n') - std::count(removed.begin(), removed.end(), '\n'), 20);
  const std::string a = write_temp("fc_removed.csv", removed), b = write_temp("fc_empty.csv", empty);
  const std::vector<std::string> model = {"--order", "1,0,0", "--trend", "c", "--fourier", "24:2", "--horizon", "2"};
  std::vector<std::string> args_a = {"--input", a}, args_b = {"--input", b};
  args_a.insert(args_a.end(), model.begin(), model.end());
  args_b.insert(args_b.end(), model.begin(), model.end());
  std::string out_a, out_b, err;
  ASSERT_EQ(run(args_a, out_a, &err), 0) << err;
  EXPECT_NE(err.find("inserted 20 rows"), std::string::npos) << err;
  ASSERT_EQ(run(args_b, out_b, &err), 0) << err;
  simdjson::dom::parser pa, pb;
  const simdjson::dom::element da = pa.parse(out_a), db = pb.parse(out_b);
  EXPECT_EQ(int64_t(da["nobs"]), 220);  // observed points
  EXPECT_EQ(int64_t(db["nobs"]), 220);
  EXPECT_NEAR(double(da["loglik"]), double(db["loglik"]), 1e-9 * std::abs(double(db["loglik"])));
  EXPECT_EQ(std::string_view(da["forecast"].at(0)["timestamp"]), "2026-02-11T00:00:00Z");
}

}  // namespace
}  // namespace promcast::app
