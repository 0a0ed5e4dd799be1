// Generalized ESD against the Python/scipy reference (scripts/fixtures/make_detector_fixtures.py), plus the
// seeded statistical behaviour of the detector.
#include "forecaster/esd.h"

#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "tests/forecaster/fixtures/detectors/read_csv.h"

namespace promcast::forecaster {
namespace {

using testing::fixture_path;
using testing::read_csv;

Direction parse_direction(const std::string& s) {
  if (s == "pos") return Direction::kPositive;
  if (s == "neg") return Direction::kNegative;
  return Direction::kBoth;
}

TEST(Esd, AnomaliesAreExactlyTheReferences) {
  const auto cases = read_csv(fixture_path("esd_expected.csv"));
  ASSERT_GE(cases.rows(), 40u);
  std::size_t total = 0;
  for (std::size_t c = 0; c < cases.rows(); ++c) {
    const auto& name = cases.text.at("name")[c];
    const auto series = read_csv(fixture_path("esd_" + name + ".csv"));
    EsdOptions o;
    o.alpha = cases.column("alpha")[c];
    o.max_count = static_cast<std::size_t>(cases.column("max_count")[c]);
    o.direction = parse_direction(cases.text.at("direction")[c]);
    std::vector<std::size_t> want;
    std::stringstream ss(cases.text.at("anomalies")[c]);
    for (std::size_t v; ss >> v;) want.push_back(v);
    auto r = generalized_esd(series.column("y"), o);
    ASSERT_TRUE(r.has_value());
    const std::vector<std::size_t> got(r->removed.begin(), r->removed.begin() + r->num_anomalies);
    EXPECT_EQ(got, want) << name << " alpha=" << o.alpha << " r=" << o.max_count
                         << " dir=" << cases.text.at("direction")[c];
    total += want.size();
  }
  EXPECT_GT(total, 50u);  // the fixtures do contain anomalies
}

// The median/MAD ("hybrid") statistic of Twitter's S-H-ESD, on the same series and settings, against an R
// reference (scripts/fixtures/make_hybrid_esd_fixtures.R: R's median(), mad(), qt()). Exact indices in
// removal order.
TEST(Esd, HybridMedianMadMatchesTheRReference) {
  const auto cases = read_csv(fixture_path("esd_hybrid_expected.csv"));
  ASSERT_GE(cases.rows(), 40u);
  std::size_t total = 0;
  std::size_t differs_from_classic = 0;
  const auto classic = read_csv(fixture_path("esd_expected.csv"));
  ASSERT_EQ(classic.rows(), cases.rows());
  for (std::size_t c = 0; c < cases.rows(); ++c) {
    const auto& name = cases.text.at("name")[c];
    EsdOptions o;
    o.alpha = cases.column("alpha")[c];
    o.max_count = static_cast<std::size_t>(cases.column("max_count")[c]);
    o.direction = parse_direction(cases.text.at("direction")[c]);
    o.statistic = EsdStatistic::kMedianMad;
    std::vector<std::size_t> want;
    std::stringstream ss(cases.text.at("anomalies")[c]);
    for (std::size_t v; ss >> v;) want.push_back(v);
    auto r = generalized_esd(read_csv(fixture_path("esd_" + name + ".csv")).column("y"), o);
    ASSERT_TRUE(r.has_value());
    const std::vector<std::size_t> got(r->removed.begin(), r->removed.begin() + r->num_anomalies);
    EXPECT_EQ(got, want) << name << " alpha=" << o.alpha << " r=" << o.max_count
                         << " dir=" << cases.text.at("direction")[c];
    total += want.size();
    differs_from_classic += cases.text.at("anomalies")[c] != classic.text.at("anomalies")[c];
  }
  EXPECT_GT(total, 50u);
  EXPECT_GT(differs_from_classic, 5u);  // the two statistics are told apart by these fixtures
}

TEST(Esd, CriticalValueMatchesRosnersTable) {
  // Rosner (1983), Table 2: n = 25, alpha = 0.05, i = 1 -> 2.82 (two-sided); n = 100 -> 3.38
  EXPECT_NEAR(esd_critical_value(25, 1, 0.05, false), 2.82, 0.01);
  EXPECT_NEAR(esd_critical_value(100, 1, 0.05, false), 3.38, 0.01);
}

TEST(Esd, ScoresAreOneOnTheBoundaryAndBoundsBracketTheNormalPoints) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(10.0, 1.0);
  std::vector<double> y(300);
  for (auto& v : y) v = noise(rng);
  y[100] = 30.0;
  y[200] = -5.0;
  EsdOptions o;
  o.max_count = 10;
  auto d = esd_detect(y, o);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->anomalies(), (std::vector<std::size_t>{100, 200}));
  for (std::size_t i = 0; i < y.size(); ++i) {
    const auto& j = d->points[i];
    ASSERT_TRUE(j.judged);
    const bool inside = y[i] >= j.lower && y[i] <= j.upper;
    EXPECT_EQ(inside, j.score <= 1.0) << i;
  }
  const EsdModel m{10.0, 2.0, 3.0, Direction::kBoth};
  EXPECT_DOUBLE_EQ(m.score(16.0), 1.0);
  EXPECT_DOUBLE_EQ(m.score(4.0), 1.0);
  EXPECT_DOUBLE_EQ(m.score(13.0), 0.5);
}

TEST(Esd, RejectsBadInput) {
  std::vector<double> y{1, 2};
  EXPECT_FALSE(generalized_esd(y, {}).has_value());
  std::vector<double> z(10, 1.0);
  z[3] = std::nan("");
  EXPECT_FALSE(generalized_esd(z, {}).has_value());
  EsdOptions o;
  o.max_fraction = 0.01;  // floor(0.1) = 0 anomalies allowed
  EXPECT_FALSE(generalized_esd(std::vector<double>(10, 1.0), o).has_value());
  // a negative fraction used to be cast to size_t (undefined; in practice nearly every point flagged)
  std::vector<double> w(240);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::sin(0.3 * static_cast<double>(i));
  for (double bad : {-0.1, 0.0, 1.0, std::nan("")}) {
    o.max_fraction = bad;
    auto r = esd_detect(w, o);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_NE(r.error().message.find("max_anoms as a fraction must be in (0, 1)"), std::string::npos);
  }
}

// Seeded statistical behaviour: detection of injected 6-sigma spikes and false positives on clean Gaussian
// series. Under H0 the procedure's familywise error rate is about alpha.
TEST(Esd, DetectionAndFalsePositiveRatesOverSeededSeries) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_int_distribution<std::size_t> where(0, 499);
  int injected = 0;
  int found = 0;
  int series_with_fp = 0;
  const int trials = 200;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> y(500);
    for (auto& v : y) v = noise(rng);
    auto clean = esd_detect(y, {});
    ASSERT_TRUE(clean.has_value());
    if (!clean->anomalies().empty()) ++series_with_fp;
    const std::size_t at = where(rng);
    y[at] += (t % 2 == 0 ? 6.0 : -6.0);
    auto d = esd_detect(y, {});
    ASSERT_TRUE(d.has_value());
    ++injected;
    if (d->points[at].anomaly) ++found;
  }
  EXPECT_GE(found, injected * 97 / 100);
  EXPECT_LE(series_with_fp, trials * 10 / 100);  // alpha = 0.05, with room for sampling noise
}

}  // namespace
}  // namespace promcast::forecaster
