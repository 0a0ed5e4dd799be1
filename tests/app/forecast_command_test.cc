// The CLI end to end, in process: arguments -> JSON on stdout, checked by parsing it.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "app/commands.h"
#include "tests/app/run_captured.h"
#include "tests/app/temp_file.h"
#include "tests/forecaster/fixture_json.h"

namespace promcast::app {
namespace {

using promcast::forecaster::test_support::load_fixture;

using test_support::write_temp;

int run(std::vector<std::string> args, std::string& out, std::string* err = nullptr) {
  auto r = test_support::run_captured(run_forecast, std::move(args));
  out = std::move(r.out);
  if (err != nullptr) *err = std::move(r.err);
  return r.rc;
}

std::string fmt_row(const std::string& time, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, ",%.17g\n", v);
  return time + buf;
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
  ASSERT_EQ(
      run({"--input", path, "--order", "1,1,0", "--exog", "promo", "--horizon", "6", "--levels", "80,95"},
          out),
      0);
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

// Seasonal periods as durations (converted with the series' step: hourly, so 1d = 24) give the same model
// as the count; --period auto finds the day and says so; a duration that is not whole steps is an error.
TEST(ForecastCommand, PeriodAsDurationOrAutoResolvesWithTheSeriesStep) {
  std::string csv = "timestamp,value\n";
  for (int t = 0; t < 24 * 14; ++t) {
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "2026-02-%02dT%02d:00:00Z", 1 + t / 24, t % 24);
    csv += fmt_row(stamp, 100 + 20 * std::sin(2 * M_PI * t / 24.0) + ((t * 7919) % 17) / 17.0);
  }
  const std::string path = write_temp("fc_period.csv", csv);
  std::string by_count, by_duration, err;
  ASSERT_EQ(run({"--input", path, "--order", "1,0,0", "--seasonal-order", "1,0,0,24", "--horizon", "24"},
                by_count, &err),
            0)
      << err;
  ASSERT_EQ(run({"--input", path, "--order", "1,0,0", "--seasonal-order", "1,0,0,1d", "--horizon", "24"},
                by_duration, &err),
            0)
      << err;
  EXPECT_EQ(by_duration, by_count);

  std::string by_auto;
  ASSERT_EQ(run({"--input", path, "--auto", "--period", "auto", "--horizon", "24"}, by_auto, &err), 0) << err;
  EXPECT_NE(err.find("--period auto: period 24"), std::string::npos) << err;

  std::string out;
  EXPECT_NE(run({"--input", path, "--order", "1,0,0", "--seasonal-order", "1,0,0,90m", "--horizon", "3"}, out, &err), 0);
  EXPECT_NE(err.find("90m"), std::string::npos) << err;
}

TEST(ForecastCommand, CsvFormatAndErrors) {
  const std::string path = write_temp("fc_plain.csv", series_csv(false));
  std::string out;
  ASSERT_EQ(
      run({"--input", path, "--order", "0,1,1", "--trend", "c", "--horizon", "3", "--format", "csv"}, out),
      0);
  EXPECT_EQ(out.substr(0, out.find('\n')), "step,timestamp,mean,lower_80,upper_80,lower_95,upper_95");
  EXPECT_NE(out.find("\n3,2026-01-06T02:00:00Z,"), std::string::npos);
  EXPECT_EQ(run({"--input", path, "--horizon", "3"}, out), 2);                    // no order
  EXPECT_EQ(run({"--input", path, "--order", "1,0", "--horizon", "3"}, out), 2);  // bad order
  EXPECT_EQ(run({"--input", path, "--order", "1,0,0", "--exog", "promo", "--horizon", "3"}, out),
            1);  // no future rows
  EXPECT_EQ(run({"--input", "/nonexistent.csv", "--order", "1,0,0", "--horizon", "3"}, out), 1);
}

// A drift without intercept on LakeHuron: L-BFGS alone stalled at loglik -136.94 (statsmodels
// -115.254) and the CLI said nothing on stderr.
TEST(ForecastCommand, TrendTReachesStatsmodelsOptimumOrWarns) {
  simdjson::dom::parser ref_parser;
  const simdjson::dom::element ref =
      load_fixture(ref_parser, fixture_path("sarimax/ar2_trend_t_lakehuron.json"));
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
  EXPECT_EQ(
      run({"--input", path, "--order", "1,0,0", "--trend", "c", "--fourier", "12:2,12:2", "--horizon", "3"},
          out, &err),
      2);
  EXPECT_NE(err.find("period 12 twice"), std::string::npos) << err;
  EXPECT_EQ(run({"--input", path, "--order", "1,0,0", "--exog", "promo,promo", "--horizon", "3"}, out, &err),
            2);
  EXPECT_EQ(
      run({"--input", path, "--order", "1,0,0", "--trend", "c", "--exog", "promo,promo2", "--horizon", "3"},
          out, &err),
      1);
  EXPECT_NE(err.find("'promo', 'promo2' are collinear"), std::string::npos) << err;
  ASSERT_EQ(run({"--input", path, "--order", "1,0,0", "--trend", "c", "--exog", "promo", "--horizon", "3"},
                out, &err),
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
  ASSERT_EQ(std::count(empty.begin(), empty.end(), '\n') - std::count(removed.begin(), removed.end(), '\n'),
            20);
  const std::string a = write_temp("fc_removed.csv", removed), b = write_temp("fc_empty.csv", empty);
  const std::vector<std::string> model = {"--order",   "1,0,0", "--trend",   "c",
                                          "--fourier", "24:2",  "--horizon", "2"};
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

// --- against the references: statsmodels fixtures (scripts/fixtures/make_sarimax_fixtures.py) and R's
// auto.arima (scripts/fixtures/make_r_fixtures.R), through the whole CLI.

std::vector<double> doubles_of(simdjson::dom::element e) {
  std::vector<double> out;
  for (auto v : e.get_array()) out.push_back(v.is_null() ? NAN : double(v.get_double()));
  return out;
}

// CSV with a plain index time column.
std::string index_csv(const std::vector<double>& y) {
  std::string csv = "t,value\n";
  for (std::size_t t = 0; t < y.size(); ++t) csv += fmt_row(std::to_string(t), y[t]);
  return csv;
}

double rel_diff(double a, double b) { return std::abs(a - b) / std::max(1.0, std::abs(b)); }

// Normal quantiles for the central 50, 80, 95, 99 % intervals (independent of the code under test).
constexpr double kZ50 = 0.6744897501960817, kZ80 = 1.2815515655446004, kZ99 = 2.5758293035489004;

TEST(ForecastCommand, SeasonalOrderAndLevelsMatchStatsmodels) {
  simdjson::dom::parser ref_parser;
  const simdjson::dom::element ref =
      load_fixture(ref_parser, fixture_path("sarimax/airline_log_airpassengers.json"));
  const std::string path = write_temp("fc_air.csv", index_csv(doubles_of(ref["y"])));
  std::string out, err;
  ASSERT_EQ(run({"--input", path, "--order", "0,1,1", "--seasonal-order", "0,1,1,12", "--horizon", "24",
                 "--levels", "50,80,99"},
                out, &err),
            0)
      << err;
  simdjson::dom::parser parser;
  const simdjson::dom::element doc = parser.parse(out);
  const double ref_ll = ref["loglik"].get_double();
  EXPECT_GE(double(doc["loglik"]), ref_ll - 1e-6 * std::abs(ref_ll));
  const auto mean = doubles_of(ref["forecast"]["mean"]);
  const auto lo80 = doubles_of(ref["forecast"]["lower_80"]);
  const auto hi80 = doubles_of(ref["forecast"]["upper_80"]);
  std::size_t step = 0;
  for (auto row : doc["forecast"].get_array()) {
    const double m = row["mean"];
    EXPECT_LT(rel_diff(m, mean[step]), 1e-3) << step;
    EXPECT_LT(rel_diff(double(row["lower_80"]), lo80[step]), 1e-3) << step;
    EXPECT_LT(rel_diff(double(row["upper_80"]), hi80[step]), 1e-3) << step;
    // The other levels: the same standard error times their own normal quantile.
    const double se = (double(row["upper_80"]) - m) / kZ80;
    EXPECT_NEAR(double(row["upper_50"]) - m, kZ50 * se, 1e-9 * std::max(1.0, std::abs(m)));
    EXPECT_NEAR(m - double(row["lower_99"]), kZ99 * se, 1e-9 * std::max(1.0, std::abs(m)));
    ++step;
  }
  EXPECT_EQ(step, 24u);
}

TEST(ForecastCommand, FourierMatchesStatsmodels) {
  simdjson::dom::parser ref_parser;
  const simdjson::dom::element ref = load_fixture(ref_parser, fixture_path("sarimax/fourier_k2_nottem.json"));
  const std::string path = write_temp("fc_nottem.csv", index_csv(doubles_of(ref["y"])));
  std::string out, err;
  ASSERT_EQ(run({"--input", path, "--order", "1,0,1", "--trend", "c", "--fourier", "12:2", "--horizon", "24",
                 "--levels", "95"},
                out, &err),
            0)
      << err;
  simdjson::dom::parser parser;
  const simdjson::dom::element doc = parser.parse(out);
  const double ref_ll = ref["loglik"].get_double();
  EXPECT_GE(double(doc["loglik"]), ref_ll - 1e-6 * std::abs(ref_ll));
  const auto names = ref["param_names"].get_array();
  const auto values = doubles_of(ref["params"]);
  std::size_t k = 0;
  for (auto name : names) {
    const std::string_view nm = name.get_string();
    double ours = 0;
    ASSERT_EQ(doc["params"][nm].get(ours), simdjson::SUCCESS) << nm;
    if (nm != "sigma2") {
      EXPECT_NEAR(ours, values[k], 1e-3 * std::max(1.0, std::abs(values[k]))) << nm;
    }
    ++k;
  }
  const auto mean = doubles_of(ref["forecast"]["mean"]);
  const auto lo95 = doubles_of(ref["forecast"]["lower_95"]);
  std::size_t step = 0;
  for (auto row : doc["forecast"].get_array()) {
    EXPECT_LT(rel_diff(double(row["mean"]), mean[step]), 1e-3) << step;
    EXPECT_LT(rel_diff(double(row["lower_95"]), lo95[step]), 1e-3) << step;
    ++step;
  }
}

TEST(ForecastCommand, AutoNoWorseThanRsAutoArima) {
  simdjson::dom::parser ref_parser;
  const simdjson::dom::element ref = load_fixture(ref_parser, fixture_path("r/air_log.json"));
  const std::string path = write_temp("fc_auto_air.csv", index_csv(doubles_of(ref["y"])));
  std::string out, err;
  ASSERT_EQ(run({"--input", path, "--auto", "--seasonal-order", "0,0,0,12", "--horizon", "12"}, out, &err), 0)
      << err;
  simdjson::dom::parser parser;
  const simdjson::dom::element doc = parser.parse(out);
  // Both on R's likelihood scale (docs/forecasting.md).
  EXPECT_LE(double(doc["aicc"]), double(ref["auto"]["aicc"]) + 0.5);
  EXPECT_EQ(int64_t(doc["model"]["seasonal_order"].at(3)), 12);
  EXPECT_EQ(doc["forecast"].get_array().size(), 12u);
}

// RFC 3339 and Unix seconds are the same axis: same fit, forecast times one step after the last.
TEST(ForecastCommand, Rfc3339AndUnixSecondsGiveTheSameFit) {
  simdjson::dom::parser ref_parser;
  const simdjson::dom::element ref = load_fixture(ref_parser, fixture_path("sarimax/arima111_wwwusage.json"));
  const auto y = doubles_of(ref["y"]);
  const long start = 1767225600;  // 2026-01-01T00:00:00Z
  std::string rfc = "time,value\n", unix = rfc;
  for (std::size_t t = 0; t < y.size(); ++t) {
    const long secs = start + 3600 * static_cast<long>(t);
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "2026-01-%02dT%02d:00:00Z",
                  static_cast<int>(1 + (secs - start) / 86400),
                  static_cast<int>(((secs - start) / 3600) % 24));
    rfc += fmt_row(stamp, y[t]);
    unix += fmt_row(std::to_string(secs), y[t]);
  }
  std::string out_r, out_u, err;
  const std::vector<std::string> model = {"--order", "1,1,1", "--horizon", "2"};
  std::vector<std::string> a = {"--input", write_temp("fc_rfc.csv", rfc)},
                           b = {"--input", write_temp("fc_unix.csv", unix)};
  a.insert(a.end(), model.begin(), model.end());
  b.insert(b.end(), model.begin(), model.end());
  ASSERT_EQ(run(a, out_r, &err), 0) << err;
  ASSERT_EQ(run(b, out_u, &err), 0) << err;
  simdjson::dom::parser pr, pu;
  const simdjson::dom::element dr = pr.parse(out_r), du = pu.parse(out_u);
  const double ref_ll = ref["loglik"].get_double();
  EXPECT_GE(double(dr["loglik"]), ref_ll - 1e-6 * std::abs(ref_ll));
  EXPECT_EQ(double(dr["loglik"]), double(du["loglik"]));
  EXPECT_EQ(double(dr["forecast"].at(1)["mean"]), double(du["forecast"].at(1)["mean"]));
  // 100 hourly points from 2026-01-01T00:00Z: the last is 2026-01-05T03:00Z.
  EXPECT_EQ(std::string_view(dr["forecast"].at(0)["timestamp"]), "2026-01-05T04:00:00Z");
  EXPECT_EQ(std::string_view(du["forecast"].at(0)["timestamp"]), std::to_string(start + 3600 * 100));
  ASSERT_EQ(y.size(), 100u);
}

// --format csv carries the same numbers as the JSON, one column pair per level in the given order.
TEST(ForecastCommand, CsvFormatEqualsJson) {
  simdjson::dom::parser ref_parser;
  const simdjson::dom::element ref = load_fixture(ref_parser, fixture_path("sarimax/arima011_nile.json"));
  const std::string path = write_temp("fc_nile.csv", index_csv(doubles_of(ref["y"])));
  std::string json, csv, err;
  const std::vector<std::string> base = {"--input",   path, "--order",  "0,1,1",
                                         "--horizon", "3",  "--levels", "50,80,99"};
  ASSERT_EQ(run(base, json, &err), 0) << err;
  std::vector<std::string> with_csv = base;
  with_csv.insert(with_csv.end(), {"--format", "csv"});
  ASSERT_EQ(run(with_csv, csv, &err), 0) << err;
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "step,timestamp,mean,lower_50,upper_50,lower_80,upper_80,lower_99,upper_99");
  simdjson::dom::parser parser;
  const simdjson::dom::element doc = parser.parse(json);
  std::size_t pos = csv.find('\n') + 1, step = 0;
  const char* keys[] = {"mean", "lower_50", "upper_50", "lower_80", "upper_80", "lower_99", "upper_99"};
  for (auto row : doc["forecast"].get_array()) {
    const std::string line = csv.substr(pos, csv.find('\n', pos) - pos);
    pos = csv.find('\n', pos) + 1;
    std::vector<std::string> cells;
    for (std::size_t a = 0, b; a <= line.size(); a = b + 1) {
      b = line.find(',', a);
      if (b == std::string::npos) b = line.size();
      cells.push_back(line.substr(a, b - a));
    }
    ASSERT_EQ(cells.size(), 9u) << line;
    EXPECT_EQ(cells[0], std::to_string(step + 1));
    EXPECT_EQ(cells[1], std::string(std::string_view(row["timestamp"])));
    for (int k = 0; k < 7; ++k)
      EXPECT_NEAR(std::stod(cells[2 + k]), double(row[keys[k]]), 1e-9 * 1200) << keys[k];
    ++step;
  }
  EXPECT_EQ(step, 3u);
}

// Column names reach the JSON as exogenous parameter names: a hostile one (quote, backslash, a control
// character, a byte that is not UTF-8) must still give valid JSON, with the bad byte as U+FFFD.
TEST(ForecastCommand, HostileColumnNamesGiveValidJson) {
  const std::string name = std::string("pr\"o\x01\\m") + "\xFF" + "o";
  std::string csv = series_csv(true);
  csv.replace(0, csv.find('\n'), "timestamp,value,\"pr\"\"o\x01\\m\xFFo\"");
  const std::string path = write_temp("fc_hostile.csv", csv);
  std::string out, err;
  ASSERT_EQ(run({"--input", path, "--order", "1,1,0", "--exog", name, "--horizon", "2"}, out, &err), 0)
      << err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(out).get(doc), simdjson::SUCCESS) << out;  // simdjson also checks the UTF-8
  const std::string want = std::string("pr\"o\x01\\m") + "\xEF\xBF\xBD" + "o";
  double coefficient = 0;
  EXPECT_EQ(doc["params"][want].get(coefficient), simdjson::SUCCESS) << out;
  EXPECT_NEAR(coefficient, 5.0, 1.0);  // the promo effect the series carries
  EXPECT_NE(out.find("\"pr\\\"o\\u0001\\\\m"), std::string::npos) << out;  // escaped as JSON requires
}

}  // namespace
}  // namespace promcast::app
