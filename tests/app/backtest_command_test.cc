// `promcast backtest` end to end, in process, on CSV files: a seasonal series whose rule beats the
// seasonal-naive baseline, NAB's art_daily_small_noise where the baseline's out-of-sample MASE must be
// near 1 (its own in-sample scaling), an anomaly rule whose alert catches an injected spike listed in an
// incidents file, the HTML report with escaped labels, and the errors (unknown rule, rule file position,
// too little data).
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <simdjson.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "app/commands.h"
#include "tests/app/run_captured.h"
#include "tests/app/temp_file.h"

namespace promcast::app {
namespace {

using test_support::write_temp;

int run(std::vector<std::string> args, std::string& out, std::string& err) {
  auto r = test_support::run_captured(run_backtest, std::move(args));
  out = std::move(r.out);
  err = std::move(r.err);
  return r.rc;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr std::int64_t kStart = 1764547200;  // 2025-12-01T00:00:00Z

// Hourly, a daily cycle plus AR(1) noise (phi 0.6, sd 2), seeded; `spike_hour` >= 0 adds +150 there.
std::string seasonal_csv(int hours, int spike_hour = -1, const std::string& column = "value") {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0.0, 2.0);
  std::string csv = "timestamp," + column + "\n";
  double e = 0;
  for (int t = 0; t < hours; ++t) {
    e = 0.6 * e + noise(rng);
    const double v = 100 + 20 * std::sin(2 * M_PI * t / 24.0) + e + (t == spike_hour ? 150 : 0);
    csv += fmt::format("{},{}\n", kStart + t * 3600, v);
  }
  return csv;
}

constexpr std::string_view kForecastRules = R"(groups:
  - name: capacity
    interval: 1m
    rules:
      - forecast: load
        expr: load_total
        step: 1h
        history: 10d
        refit: 1h
        horizons: [0s, 1h, 6h]
        model: {order: [1, 0, 0], trend: c, fourier: [{period: 1d, harmonics: 2}]}
        intervals: [0.8, 0.95]
)";

TEST(BacktestCommand, SeasonalCsvForecastBeatsSeasonalNaiveWithJsonFields) {
  const std::string csv = write_temp("backtest_seasonal.csv", seasonal_csv(24 * 20));
  const std::string rules = write_temp("backtest_forecast_rules.yml", std::string(kForecastRules));
  std::string out, err;
  ASSERT_EQ(run({"--rules", rules, "--input", csv, "--cuts", "8", "--format", "json"}, out, err), 0) << err;
  EXPECT_EQ(err.find('\r'), std::string::npos) << "no progress bar when stderr is not a terminal";
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out);
  simdjson::dom::element rule = doc["rules"].at(0);
  EXPECT_EQ(std::string_view(rule["rule"]), "load");
  EXPECT_EQ(std::string_view(rule["kind"]), "forecast");
  EXPECT_EQ(int64_t(rule["season_steps"]), 24) << "the baseline's season is the rule's Fourier period";
  EXPECT_EQ(simdjson::dom::array(rule["cuts"]).size(), 8u);
  // Defaults with --input: from one history (10 days) after the first row; the first cut is there.
  EXPECT_EQ(std::string_view(rule["cuts"].at(0)), "2025-12-11T00:00:00Z");
  simdjson::dom::array horizons = rule["overall"]["horizons"];
  ASSERT_EQ(horizons.size(), 2u) << "0s is not a lead time: 1h and 6h";
  EXPECT_EQ(std::string_view(horizons.at(0)["horizon"]), "1h");
  EXPECT_EQ(int64_t(horizons.at(1)["steps"]), 6);
  for (simdjson::dom::element h : horizons) {
    EXPECT_EQ(uint64_t(h["n"]), 8u) << "one forecast per cut and horizon";
    const double mase = h["mase"], naive = h["baseline"]["mase"];
    EXPECT_LT(mase, naive) << "the AR(1) + Fourier rule must beat the seasonal naive forecast";
    for (const char* level : {"0.8", "0.95"}) {
      const double c = h["coverage"][level];
      EXPECT_GE(c, 0.0);
      EXPECT_LE(c, 1.0);
    }
  }
  simdjson::dom::element all = rule["overall"]["all"];
  EXPECT_EQ(uint64_t(all["n"]), 8u * 6u) << "every lead time 1..6h of every cut";
  EXPECT_LT(double(all["mase"]), double(all["baseline"]["mase"]));
  EXPECT_GT(double(all["coverage"]["0.95"]), 0.7) << "a fitting model's 95% interval covers most points";
  EXPECT_GT(double(all["smape"]), 0.0);
  simdjson::dom::element series = rule["series"].at(0);
  EXPECT_EQ(std::string_view(series["labels"]["column"]), "value");
  EXPECT_EQ(uint64_t(series["cuts_forecast"]), 8u);
  EXPECT_NE(std::string_view(series["model"]).find("SARIMAX(1,0,0)"), std::string_view::npos);
  EXPECT_EQ(std::string_view(rule["data"]), csv);
}

TEST(BacktestCommand, AConstantSeriesIsForecastAsItselfAtEveryCut) {
  // A gauge stuck at 7 (NAB's art_flatline is such a series): every cut forecasts 7 with a
  // zero-width interval that covers every actual value, instead of skipping the cut as a failed fit.
  std::string csv = "timestamp,value\n";
  for (int t = 0; t < 24 * 20; ++t) csv += fmt::format("{},7\n", kStart + t * 3600);
  const std::string path = write_temp("backtest_constant.csv", csv);
  const std::string rules = write_temp("backtest_forecast_rules_constant.yml", std::string(kForecastRules));
  std::string out, err;
  ASSERT_EQ(run({"--rules", rules, "--input", path, "--cuts", "4", "--format", "json"}, out, err), 0) << err;
  simdjson::dom::parser parser;
  simdjson::dom::element rule = parser.parse(out)["rules"].at(0);
  simdjson::dom::element series = rule["series"].at(0);
  EXPECT_EQ(uint64_t(series["cuts_forecast"]), 4u);
  EXPECT_EQ(std::string_view(series["model"]), "constant 7");
  simdjson::dom::element all = rule["overall"]["all"];
  EXPECT_EQ(uint64_t(all["n"]), 4u * 6u);
  EXPECT_EQ(double(all["smape"]), 0.0);
  EXPECT_EQ(double(all["coverage"]["0.95"]), 1.0);
}

TEST(BacktestCommand, NabSmallNoiseBaselineMaseIsNearOneAndTextHasBothColumns) {
  const std::string csv =
      std::string(PROMCAST_TEST_DATA_DIR) + "/nab/data/artificialNoAnomaly/art_daily_small_noise.csv";
  const std::string rules = write_temp("backtest_nab_rules.yml", R"(groups:
  - name: nab
    rules:
      - forecast: art
        expr: art
        step: 5m
        history: 3d
        horizons: [1h]
        model: {order: [1, 0, 0], trend: c, fourier: [{period: 1d, harmonics: 4}]}
)");
  std::string out, err;
  ASSERT_EQ(run({"--rules", rules, "--input", csv, "--from", "2014-04-08T00:00:00Z", "--to",
                 "2014-04-14T00:00:00Z", "--cut-every", "12h", "--format", "json"},
                out, err),
            0)
      << err;
  simdjson::dom::parser parser;
  simdjson::dom::element rule = parser.parse(out)["rules"].at(0);
  EXPECT_EQ(simdjson::dom::array(rule["cuts"]).size(), 12u)
      << "every 12h from the 8th, the last 1h before the 14th";
  // The seasonal naive forecast of a noisy periodic series errs about as much out of sample as in sample.
  const double naive = rule["overall"]["all"]["baseline"]["mase"];
  EXPECT_GT(naive, 0.6);
  EXPECT_LT(naive, 1.5);
  ASSERT_EQ(run({"--rules", rules, "--input", csv, "--from", "2014-04-08T00:00:00Z", "--to",
                 "2014-04-14T00:00:00Z", "--cuts", "3"},
                out, err),
            0)
      << err;
  EXPECT_NE(out.find("rule art (forecast): 3 cuts"), std::string::npos) << out;
  EXPECT_NE(out.find("MASE"), std::string::npos) << out;
  EXPECT_NE(out.find("naive"), std::string::npos) << out;
  EXPECT_NE(out.find("series {column=\"value\"}"), std::string::npos) << out;
}

constexpr std::string_view kAnomalyRules = R"(groups:
  - name: quality
    interval: 1h
    rules:
      - anomaly: LoadSpike
        expr: load_total
        step: 1h
        history: 3d
        detector: {method: zscore, window: 48, robust: true, z: 5}
        for: 1h
)";

TEST(BacktestCommand, AnomalyAlertCatchesTheInjectedSpikeListedAsAnIncident) {
  // The spike at hour 300 stays high for two hours, so that with `for: 1h` the alert fires.
  std::string csv_text = seasonal_csv(24 * 15, 300);
  {
    // a second anomalous hour right after the first
    std::vector<std::string> lines;
    std::stringstream ss(csv_text);
    for (std::string l; std::getline(ss, l);) lines.push_back(l);
    const auto comma = lines[302].find(',');
    lines[302] =
        lines[302].substr(0, comma + 1) + std::to_string(std::stod(lines[302].substr(comma + 1)) + 150);
    csv_text.clear();
    for (const auto& l : lines) csv_text += l + "\n";
  }
  const std::string csv = write_temp("backtest_spike.csv", csv_text);
  const std::string rules = write_temp("backtest_anomaly_rules.yml", std::string(kAnomalyRules));
  const std::int64_t spike = kStart + 300 * 3600;
  const std::string incidents = write_temp(
      "backtest_incidents.csv",
      fmt::format("start,end,name\n{},{},injected spike\n# a quiet day: nothing to catch\n{},{},quiet\n",
                  spike - 1800, spike + 7200, kStart + 200 * 3600, kStart + 201 * 3600));
  std::string out, err;
  ASSERT_EQ(run({"--rules", rules, "--input", csv, "--from", std::to_string(kStart + 4 * 86400),
                 "--incidents", incidents, "--format", "json"},
                out, err),
            0)
      << err;
  simdjson::dom::parser parser;
  simdjson::dom::element rule = parser.parse(out)["rules"].at(0);
  EXPECT_EQ(std::string_view(rule["kind"]), "anomaly");
  EXPECT_EQ(std::string_view(rule["for"]), "1h");
  ASSERT_EQ(uint64_t(rule["alerts"]), 1u) << out;
  simdjson::dom::element alert = rule["series"].at(0)["alerts"].at(0);
  // Pending at the spike's hour, firing one evaluation (1h) later.
  EXPECT_EQ(std::string_view(alert["pending_since"]), "2025-12-13T12:00:00Z");
  EXPECT_EQ(std::string_view(alert["start"]), "2025-12-13T13:00:00Z");
  EXPECT_GT(double(alert["peak_score"]), 1.0);
  EXPECT_TRUE(bool(alert["matches_incident"]));
  simdjson::dom::element inc = rule["incidents"];
  EXPECT_EQ(uint64_t(inc["total"]), 2u);
  EXPECT_EQ(uint64_t(inc["caught"]), 1u);
  EXPECT_EQ(uint64_t(inc["missed"]), 1u);
  EXPECT_EQ(uint64_t(inc["false_alerts"]), 0u);
  EXPECT_EQ(double(inc["false_alerts_per_day"]), 0.0);
  simdjson::dom::element first = inc["list"].at(0);
  EXPECT_EQ(std::string_view(first["name"]), "injected spike");
  EXPECT_TRUE(bool(first["caught"]));
  // The incident began 30 minutes before the spike; the alert fired 1h after the spike: 5400 s late.
  EXPECT_EQ(double(first["lead_seconds"]), -5400.0);
  EXPECT_FALSE(bool(inc["list"].at(1)["caught"]));
}

TEST(BacktestCommand, HtmlReportHasAChartPerSeriesAndEscapesLabels) {
  const std::string csv = write_temp("backtest_html.csv", seasonal_csv(24 * 14, -1, "<b>load</b>&"));
  const std::string rules = write_temp("backtest_html_rules.yml", std::string(kForecastRules));
  const std::string html = ::testing::TempDir() + "backtest_report.html";
  std::remove(html.c_str());
  std::string out, err;
  ASSERT_EQ(run({"--rules", rules, "--input", csv, "--cuts", "3", "--html", html}, out, err), 0) << err;
  const std::string page = read_all(html);
  EXPECT_TRUE(page.starts_with("<!DOCTYPE html>"));
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("class=\"history\""), std::string::npos);
  EXPECT_NE(page.find("class=\"band\""), std::string::npos) << "the cuts' forecasts are drawn as the band";
  EXPECT_EQ(page.find("<b>load</b>"), std::string::npos) << "a label value is never markup";
  EXPECT_NE(page.find("&lt;b&gt;load&lt;/b&gt;&amp;"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  // Self-contained: no external resources (the only URL is the SVG namespace).
  EXPECT_EQ(page.find("src="), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find("href=\"http"), std::string::npos);
}

// With stderr on a terminal (a pseudo-terminal here) a progress bar is drawn there and erased at the end;
// stdout keeps only the report.
TEST(BacktestCommand, ProgressBarOnlyWhenStderrIsATerminal) {
  const std::string csv = write_temp("backtest_tty.csv", seasonal_csv(24 * 14));
  const std::string rules = write_temp("backtest_tty_rules.yml", std::string(kForecastRules));
  int master = -1, slave = -1;
  ASSERT_EQ(openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  dup2(slave, STDERR_FILENO);
  std::vector<std::string> args = {"--rules", rules, "--input", csv, "--cuts", "4", "--format", "json"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  const int rc = run_backtest(static_cast<int>(argv.size()), argv.data());
  const std::string out = ::testing::internal::GetCapturedStdout();
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(slave);
  std::string tty;
  pollfd p{master, POLLIN, 0};
  char buffer[4096];
  while (poll(&p, 1, 200) > 0) {
    const ssize_t n = read(master, buffer, sizeof buffer);
    if (n <= 0) break;
    tty.append(buffer, static_cast<std::size_t>(n));
  }
  close(master);
  ASSERT_EQ(rc, 0) << tty;
  EXPECT_NE(tty.find("] 1/4 load"), std::string::npos) << tty;
  EXPECT_NE(tty.find("] 4/4 load"), std::string::npos) << tty;
  EXPECT_NE(tty.find("\r\033[K"), std::string::npos) << "the bar is erased at the end";
  EXPECT_EQ(out.find('['), out.find("[\n")) << "stdout has the JSON only";
  EXPECT_EQ(out.find("] 1/4"), std::string::npos);
}

TEST(BacktestCommand, UnknownRuleIsAnErrorListingTheRules) {
  const std::string csv = write_temp("backtest_unknown.csv", seasonal_csv(24 * 12));
  const std::string rules = write_temp("backtest_unknown_rules.yml", std::string(kForecastRules));
  std::string out, err;
  EXPECT_EQ(run({"--rules", rules, "--rule", "nope", "--input", csv}, out, err), 1);
  EXPECT_NE(err.find("no rule named 'nope'"), std::string::npos) << err;
  EXPECT_NE(err.find("(rules: load)"), std::string::npos) << err;
}

TEST(BacktestCommand, RuleFileErrorsNameFileAndLine) {
  const std::string csv = write_temp("backtest_badrule.csv", seasonal_csv(24 * 12));
  const std::string rules = write_temp("backtest_bad_rules.yml", R"(groups:
  - name: g
    rules:
      - forecast: load
        expr: load_total
        step: 1h
        horizonz: [1h]
)");
  std::string out, err;
  EXPECT_EQ(run({"--rules", rules, "--input", csv}, out, err), 1);
  EXPECT_NE(err.find("backtest_bad_rules.yml:7:"), std::string::npos) << err;
}

TEST(BacktestCommand, TooLittleDataIsAnError) {
  const std::string csv = write_temp("backtest_short.csv", seasonal_csv(24 * 12));
  const std::string rules = write_temp("backtest_short_rules.yml", std::string(kForecastRules));
  std::string out, err;
  // The longest horizon (6h) does not fit between --from and --to.
  EXPECT_EQ(run({"--rules", rules, "--input", csv, "--from", std::to_string(kStart + 86400 * 11), "--to",
                 std::to_string(kStart + 86400 * 11 + 3 * 3600)},
                out, err),
            1);
  EXPECT_NE(err.find("too little data"), std::string::npos) << err;
  // Cuts fit, but there is no history before them: the model never has its 20 points.
  EXPECT_EQ(run({"--rules", rules, "--input", csv, "--from", std::to_string(kStart + 3600 * 5), "--to",
                 std::to_string(kStart + 3600 * 12), "--cuts", "2"},
                out, err),
            1);
  EXPECT_NE(err.find("too little data"), std::string::npos) << err;
  EXPECT_NE(err.find("insufficient history"), std::string::npos) << err;
  // An anomaly rule replayed over the first hours, where its detector is still warming up.
  const std::string anomaly_rules = write_temp("backtest_short_anomaly.yml", std::string(kAnomalyRules));
  EXPECT_EQ(run({"--rules", anomaly_rules, "--input", csv, "--from", std::to_string(kStart + 3600), "--to",
                 std::to_string(kStart + 3600 * 4)},
                out, err),
            1);
  EXPECT_NE(err.find("rule LoadSpike: too little data: the detector judged no point in 4 evaluations"),
            std::string::npos)
      << err;
}

TEST(BacktestCommand, UsageErrors) {
  const std::string rules = write_temp("backtest_usage_rules.yml", std::string(kForecastRules));
  std::string out, err;
  EXPECT_EQ(run({"--rules", rules}, out, err), 2) << "no --from and no --input";
  EXPECT_NE(err.find("--from is required"), std::string::npos) << err;
  EXPECT_EQ(run({"--rules", rules, "--from", "yesterday", "--query-url", "http://127.0.0.1:1"}, out, err), 2);
  EXPECT_NE(err.find("'yesterday' is not a time"), std::string::npos) << err;
  EXPECT_EQ(run({"--rules", rules, "--input", "x.csv", "--format", "xml"}, out, err), 2);
}

}  // namespace
}  // namespace promcast::app
