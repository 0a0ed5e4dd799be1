// S-H-ESD against a reference following Twitter's AnomalyDetection in R (scripts/fixtures/
// make_detector_fixtures.R, using R's own stl()), on seeded synthetic series and on Twitter's example data.
#include "forecaster/shesd.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>

#include "forecaster/detector_factory.h"
#include "tests/forecaster/fixtures/detectors/read_csv.h"

namespace promcast::forecaster {
namespace {

using testing::fixture_path;
using testing::read_csv;

std::vector<std::size_t> parse_indices(const std::string& s) {
  std::vector<std::size_t> out;
  std::stringstream ss(s);
  for (std::size_t v; ss >> v;) out.push_back(v);
  return out;
}

ShesdThreshold parse_threshold(const std::string& s) {
  if (s == "med_max") return ShesdThreshold::kMedMax;
  if (s == "p95") return ShesdThreshold::kP95;
  if (s == "p99") return ShesdThreshold::kP99;
  return ShesdThreshold::kNone;
}

Direction parse_direction(const std::string& s) {
  if (s == "pos") return Direction::kPositive;
  if (s == "neg") return Direction::kNegative;
  return Direction::kBoth;
}

// Exact on every case where R's stl() computed its robustness weights from the true median of the absolute
// residuals. R calls psort() with the targets (n/2+1, n/2) in descending order, which for even n sometimes
// leaves a neighbouring value in place of the median (the generator flags those pieces: r_stl_quirk); we
// implement the paper's median, so there a borderline point may differ. Those cases must still agree
// exactly in at least 90% of rows and otherwise differ by at most two indices.
TEST(Shesd, AnomaliesAreExactlyTheReferences) {
  const auto cases = read_csv(fixture_path("shesd_expected.csv"));
  ASSERT_GE(cases.rows(), 40u);
  std::size_t total = 0;
  std::size_t quirk_rows = 0;
  std::size_t quirk_mismatches = 0;
  for (std::size_t c = 0; c < cases.rows(); ++c) {
    const auto& series = cases.text.at("series")[c];
    const auto y = read_csv(fixture_path("shesd_" + series + ".csv")).column("y");
    ShesdOptions o;
    o.period = static_cast<int>(cases.column("period")[c]);
    o.max_anoms = cases.column("max_anoms")[c];
    o.direction = parse_direction(cases.text.at("direction")[c]);
    o.alpha = cases.column("alpha")[c];
    o.threshold = parse_threshold(cases.text.at("threshold")[c]);
    o.only_last = cases.column("only_last")[c] != 0.0;
    o.longterm_period = static_cast<std::size_t>(cases.column("longterm_period")[c]);
    auto d = shesd_detect(y, o);
    ASSERT_TRUE(d.has_value()) << d.error().message;
    const auto want = parse_indices(cases.text.at("anomalies")[c]);
    const auto got = d->anomalies();
    total += want.size();
    if (cases.column("r_stl_quirk")[c] == 0.0) {
      EXPECT_EQ(got, want) << "row " << c + 2 << " " << series;
      continue;
    }
    ++quirk_rows;
    if (got == want) continue;
    ++quirk_mismatches;
    std::vector<std::size_t> diff;
    std::set_symmetric_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(diff));
    EXPECT_LE(diff.size(), 2u) << "row " << c + 2 << " " << series;
  }
  EXPECT_GT(total, 100u);
  EXPECT_LE(quirk_mismatches * 10, quirk_rows);
}

// Twitter's example data, carried in tests/data/twitter/ (GPL-3.0, see its README).
std::string twitter_raw_data_path() { return std::string(PROMCAST_TEST_DATA_DIR) + "/twitter/raw_data.csv"; }

std::vector<double> twitter_raw_data() { return read_csv(twitter_raw_data_path()).column("count"); }

std::vector<std::size_t> read_expected(const std::string& name) {
  const std::string path = fixture_path(name);
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open test input " + path);
  std::string line;
  std::getline(in, line);
  return parse_indices(line);
}

// Twitter's own test suite (tests/testthat, AnomalyDetectionVec) expects 131 anomalies for this call, 25 with
// only_last and 6 with threshold = "med_max"; the reference reproduces those counts and we must match it.
TEST(Shesd, TwitterExampleDataMatchesReferenceAndTwittersCounts) {
  const auto y = twitter_raw_data();
  ASSERT_EQ(y.size(), 14398u);
  ShesdOptions o;
  o.period = 1440;
  o.max_anoms = 0.02;
  o.direction = Direction::kBoth;
  auto d = shesd_detect(y, o);
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(d->anomalies(), read_expected("shesd_twitter_raw_data_expected.txt"));
  EXPECT_EQ(d->anomalies().size(), 131u);

  o.only_last = true;
  d = shesd_detect(y, o);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->anomalies(), read_expected("shesd_twitter_raw_data_only_last_expected.txt"));
  EXPECT_EQ(d->anomalies().size(), 25u);

  o.only_last = false;
  o.threshold = ShesdThreshold::kMedMax;
  d = shesd_detect(y, o);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->anomalies(), read_expected("shesd_twitter_raw_data_med_max_expected.txt"));
  EXPECT_EQ(d->anomalies().size(), 6u);

  o.threshold = ShesdThreshold::kNone;
  o.longterm_period = 1440 * 14;  // longer than the series: one piece, same result
  d = shesd_detect(y, o);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->anomalies().size(), 131u);
}

TEST(Shesd, NeedsTwoFullPeriodsAndSaysSo) {
  std::vector<double> y(48, 1.0);
  ShesdOptions o;
  o.period = 24;
  auto d = shesd_detect(y, o);
  ASSERT_FALSE(d.has_value());
  EXPECT_NE(d.error().message.find("two full periods"), std::string::npos);
}

TEST(Shesd, InteriorGapsAreFilledButNotJudged) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> y(24 * 6);
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = 50 + 10 * std::sin(i * 2 * M_PI / 24) + noise(rng);
  y[0] = std::nan("");
  y[40] = std::nan("");
  y[41] = std::nan("");
  y[100] += 25;
  ShesdOptions o;
  o.period = 24;
  o.direction = Direction::kBoth;
  auto d = shesd_detect(y, o);
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_FALSE(d->points[0].judged);
  EXPECT_FALSE(d->points[40].judged);
  EXPECT_TRUE(d->points[39].judged);
  EXPECT_TRUE(d->points[100].anomaly);
  EXPECT_LE(d->anomalies().size(), 3u);
  EXPECT_GT(d->points[100].score, 1.0);
}

}  // namespace
}  // namespace promcast::forecaster

// Streaming mode (detector_factory): every method's verdict on point t must not depend on points after t,
// and a clear spike in the last day is caught by S-H-ESD fitted on the days before it.
namespace promcast::forecaster {
namespace {

TEST(DetectOnline, VerdictsNeverDependOnLaterPoints) {
  std::mt19937_64 rng(21);
  std::normal_distribution<double> noise(0.0, 1.0);
  const int period = 24;
  std::vector<double> y(period * 12);
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = 30 + 8 * std::sin(i * 2 * M_PI / period) + noise(rng);
  std::vector<double> changed = y;
  const std::size_t cut = period * 9;
  for (std::size_t i = cut; i < y.size(); ++i) changed[i] += 50 * noise(rng);
  for (Method m : {Method::kEsd, Method::kShesd, Method::kZscore, Method::kResidual, Method::kIforest}) {
    DetectorConfig c;
    c.method = m;
    c.shesd.period = period;
    c.residual.spec.order.p = 1;
    c.residual.spec.trend = Trend::kConstant;
    c.zscore.window = 48;
    OnlineOptions o;
    o.refit_every = 5;
    o.recent_max_window = 30;
    auto a = detect_online(c, y, o);
    auto b = detect_online(c, changed, o);
    ASSERT_TRUE(a && b) << to_string(m);
    std::size_t judged = 0;
    for (std::size_t t = 0; t < cut; ++t) {
      ASSERT_EQ(a->points[t].judged, b->points[t].judged) << to_string(m) << " " << t;
      if (!a->points[t].judged) continue;
      ++judged;
      ASSERT_EQ(a->points[t].score, b->points[t].score) << to_string(m) << " " << t;
    }
    EXPECT_GT(judged, cut / 2) << to_string(m);
  }
}

TEST(DetectOnline, ShesdCatchesASpikeFromThePastOnly) {
  std::mt19937_64 rng(22);
  std::normal_distribution<double> noise(0.0, 1.0);
  const int period = 24;
  std::vector<double> y(period * 8);
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = 30 + 8 * std::sin(i * 2 * M_PI / period) + noise(rng);
  const std::size_t at = period * 7 + 5;
  y[at] += 12;
  DetectorConfig c;
  c.method = Method::kShesd;
  c.shesd.period = period;
  c.shesd.direction = Direction::kBoth;
  auto d = detect_online(c, y, {});
  ASSERT_TRUE(d.has_value());
  EXPECT_FALSE(d->points[2 * period - 1].judged);  // not enough history yet
  EXPECT_TRUE(d->points[at].anomaly);
  EXPECT_GT(d->points[at].score, 1.0);
  std::size_t flagged = 0;
  for (const auto& j : d->points) flagged += j.anomaly;
  EXPECT_LE(flagged, 4u);
}

// A stream too short for one fit used to leave every point unjudged without a word (exit 0 in the CLI):
// it is now the batch error, counting the point to judge.
TEST(DetectOnline, TooShortForAnyFitIsTheBatchError) {
  std::vector<double> y(40);
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = 30 + 8 * std::sin(static_cast<double>(i) * 2 * M_PI / 24);
  DetectorConfig c;
  c.method = Method::kShesd;
  c.shesd.period = 24;
  auto batch = detect(c, y);
  ASSERT_FALSE(batch.has_value());
  EXPECT_NE(batch.error().message.find("needs at least two full periods"), std::string::npos);
  auto online = detect_online(c, y, {});
  ASSERT_FALSE(online.has_value());
  EXPECT_EQ(
      online.error().message,
      "shesd --online: needs at least two full periods of data plus one point to judge (50 for period 24), "
      "got 40");
  c.method = Method::kIforest;
  c.iforest_features.seasonal_peers = 2;
  c.iforest_features.period = 24;
  online = detect_online(c, y, {});
  ASSERT_FALSE(online.has_value());
  EXPECT_NE(online.error().message.find("2 full periods for the seasonal peers"), std::string::npos)
      << online.error().message;
  // a history shorter than two periods could never fit, however long the stream
  c.method = Method::kShesd;
  std::vector<double> long_y(24 * 10, 1.0);
  for (std::size_t i = 0; i < long_y.size(); ++i)
    long_y[i] = std::sin(static_cast<double>(i) * 2 * M_PI / 24);
  OnlineOptions short_history;
  short_history.history = 40;
  online = detect_online(c, long_y, short_history);
  ASSERT_FALSE(online.has_value());
  EXPECT_EQ(online.error().message,
            "shesd --online: a history of 40 points is shorter than two full periods (49 for period 24)");
  // one point more than the minimum: exactly the last point is judged
  c.method = Method::kShesd;
  y.resize(50);
  for (std::size_t i = 40; i < y.size(); ++i)
    y[i] = 30 + 8 * std::sin(static_cast<double>(i) * 2 * M_PI / 24);
  online = detect_online(c, y, {});
  ASSERT_TRUE(online.has_value()) << online.error().message;
  EXPECT_TRUE(online->points[49].judged);
  EXPECT_FALSE(online->points[48].judged);
}

// Seeded statistical behaviour of S-H-ESD (as for ESD, z-score, residual and iforest): on a week of hourly
// seasonal data with Gaussian noise, injected 7-sigma spikes and dips are found (direction both) and clean
// series show few false positives. The hybrid (median/MAD) statistic is more liberal than Rosner's test
// (the MAD is a noisier scale than the standard deviation, and the critical values are Rosner's), so a
// clean series often shows one or two flags: the bound that matters is flagged points per clean point.
TEST(Shesd, DetectionAndFalsePositiveRatesOverSeededSeries) {
  std::mt19937_64 rng(77);
  std::normal_distribution<double> noise(0.0, 1.0);
  const int period = 24;
  const std::size_t n = 7 * period;
  std::uniform_int_distribution<std::size_t> where(0, n - 1);
  ShesdOptions o;
  o.period = period;
  o.direction = Direction::kBoth;
  o.max_anoms = 0.05;
  int injected = 0, found = 0;
  std::size_t clean_points = 0, false_positives = 0, series_with_fp = 0;
  const int trials = 200;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> y(n);
    for (std::size_t i = 0; i < n; ++i)
      y[i] = 100 + 10 * std::sin(static_cast<double>(i) * 2 * M_PI / period) + noise(rng);
    auto clean = shesd_detect(y, o);
    ASSERT_TRUE(clean.has_value()) << clean.error().message;
    const auto fp = clean->anomalies().size();
    clean_points += n;
    false_positives += fp;
    series_with_fp += fp > 0;
    // two anomalies per series, a spike and a dip, in different periods
    const std::size_t a = where(rng);
    const std::size_t b = (a + n / 2) % n;
    y[a] += 7.0;
    y[b] -= 7.0;
    auto d = shesd_detect(y, o);
    ASSERT_TRUE(d.has_value());
    injected += 2;
    found += d->points[a].anomaly + d->points[b].anomaly;
  }
  EXPECT_GE(found, injected * 97 / 100) << found << " of " << injected;
  // measured: 0.71% of clean points, in 57% of the series (Twitter's algorithm; the fixtures match R's)
  EXPECT_LE(false_positives, clean_points / 100) << false_positives << " of " << clean_points;  // <= 1%
  EXPECT_LE(series_with_fp, static_cast<std::size_t>(trials) * 70 / 100) << series_with_fp;
  std::printf("S-H-ESD: found %d of %d; false positives %zu of %zu points, %zu of %d series\n", found,
              injected, false_positives, clean_points, series_with_fp, trials);
}

}  // namespace
}  // namespace promcast::forecaster
