// StreamDetector, the fitted state detect_online keeps between refits (and the rule engine per series):
// a caller keeping only the recent part of a stream judges exactly as one keeping all of it; zscore's
// streaming verdict is its batch verdict; the k-of-n rule fed one point at a time is apply_k_of_n.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "forecaster/detector_factory.h"

namespace promcast::forecaster {
namespace {

std::vector<double> seasonal_stream(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.5);
  std::vector<double> x(n);
  for (std::size_t t = 0; t < n; ++t)
    x[t] = 50.0 + 10.0 * std::sin(2 * std::numbers::pi * static_cast<double>(t) / 24.0) + noise(rng);
  x[n - 20] += 60.0;  // a spike among the judged points
  x[n - 12] = std::nan("");
  return x;
}

// Equal within 1e-12, or both NaN, or the same infinity (one-sided bounds).
void expect_close(double a, double b, std::size_t t) {
  if (std::isnan(b) || std::isinf(b)) {
    EXPECT_TRUE(std::isnan(b) ? std::isnan(a) : a == b) << a << " vs " << b << " at " << t;
  } else {
    EXPECT_NEAR(a, b, 1e-12) << t;
  }
}

void expect_same(const Judgement& a, const Judgement& b, std::size_t t) {
  EXPECT_EQ(a.judged, b.judged) << t;
  EXPECT_EQ(a.anomaly, b.anomaly) << t;
  if (!a.judged) return;
  expect_close(a.score, b.score, t);
  expect_close(a.expected, b.expected, t);
  expect_close(a.lower, b.lower, t);
  expect_close(a.upper, b.upper, t);
}

// The rule engine keeps a sliding window, not the stream: given the index of its first point, a fit and
// the judgements after it are those on the whole stream. The offset is not a multiple of the period, so a
// seasonal phase taken from the window instead of the stream would judge every point against the wrong
// hour; iforest's peer and difference features look back before the fitted stretch.
TEST(StreamDetector, ARecentPartOfTheStreamJudgesAsTheWholeStream) {
  const std::vector<double> x = seasonal_stream(400, 3);
  constexpr std::size_t kFrom = 100, kTo = 340, kOffset = 61;
  for (const Method method : {Method::kShesd, Method::kIforest, Method::kEsd, Method::kResidual}) {
    SCOPED_TRACE(std::string(to_string(method)));
    DetectorConfig c;
    c.method = method;
    c.shesd.period = 24;
    c.iforest_features = {.seasonal_peers = 1, .period = 24, .difference = true};
    c.iforest.seed = 7;
    c.residual.spec.order = {.p = 2, .d = 0, .q = 1};
    c.residual.spec.trend = Trend::kConstant;
    auto whole = StreamDetector::fit(c, x, kFrom, kTo);
    const std::span<const double> recent = std::span(x).subspan(kOffset);
    auto part = StreamDetector::fit(c, recent, kFrom - kOffset, kTo - kOffset, kOffset);
    ASSERT_TRUE(whole) << whole.error().message;
    ASSERT_TRUE(part) << part.error().message;
    int anomalies = 0;
    for (std::size_t t = kTo; t < x.size(); ++t) {
      const Judgement a = whole->judge(std::span(x).first(t + 1));
      const Judgement b = part->judge(recent.first(t + 1 - kOffset), kOffset);
      expect_same(b, a, t);
      anomalies += a.anomaly ? 1 : 0;
    }
    EXPECT_GE(anomalies, 1) << "the spike";
  }
}

// S-H-ESD's judgement depends on the phase: judging the same points a quarter period off is different.
TEST(StreamDetector, ShesdPhaseMatters) {
  const std::vector<double> x = seasonal_stream(400, 4);
  DetectorConfig c;
  c.method = Method::kShesd;
  c.shesd.period = 24;
  auto a = StreamDetector::fit(c, x, 100, 340);
  auto b = StreamDetector::fit(c, x, 100, 340, 6);
  ASSERT_TRUE(a && b);
  int differ = 0;
  for (std::size_t t = 340; t < 380; ++t)
    if (std::abs(a->judge(std::span(x).first(t + 1)).expected -
                 b->judge(std::span(x).first(t + 1), 6).expected) > 1.0)
      ++differ;
  // the fit and its judgements share the offset, so only a judge given another offset than its fit moves
  EXPECT_EQ(differ, 0);
  auto shifted = StreamDetector::fit(c, x, 100, 340);
  ASSERT_TRUE(shifted);
  for (std::size_t t = 340; t < 380; ++t)
    if (std::abs(a->judge(std::span(x).first(t + 1)).expected -
                 shifted->judge(std::span(x).first(t + 1), 6).expected) > 1.0)
      ++differ;
  EXPECT_GT(differ, 20) << "a judge six hours off expects another hour's level";
}

// zscore has no model: each point against the `window` finite points before it, as the batch method.
TEST(StreamDetector, ZscoreJudgesAsTheBatchMethod) {
  std::vector<double> x = seasonal_stream(300, 5);
  for (std::size_t t = 40; t < 300; t += 37) x[t] = std::nan("");
  for (const bool robust : {false, true}) {
    DetectorConfig c;
    c.method = Method::kZscore;
    c.zscore.window = 30;
    c.zscore.robust = robust;
    auto batch = zscore_detect(x, c.zscore);
    auto stream = StreamDetector::fit(c, x, 0, 0);
    ASSERT_TRUE(batch && stream);
    int judged = 0;
    for (std::size_t t = 0; t < x.size(); ++t) {
      const Judgement j = stream->judge(std::span(x).first(t + 1));
      EXPECT_EQ(j.judged, batch->points[t].judged) << t;
      if (!j.judged) continue;
      ++judged;
      EXPECT_NEAR(j.score, batch->points[t].score, 1e-9) << t;
      EXPECT_NEAR(j.expected, batch->points[t].expected, 1e-9) << t;
      EXPECT_EQ(j.anomaly, batch->points[t].anomaly) << t;
    }
    EXPECT_GT(judged, 250);
  }
}

TEST(StreamDetector, TooShortAFitIsAnError) {
  const std::vector<double> x = seasonal_stream(400, 6);
  DetectorConfig c;
  c.method = Method::kShesd;
  c.shesd.period = 24;
  EXPECT_FALSE(StreamDetector::fit(c, x, 0, 30).has_value()) << "less than two periods";
  EXPECT_EQ(StreamDetector::min_points(c), 49u);
}

// k-of-n one point at a time: the definition by hand, then any split of a stream into pieces.
TEST(KOfN, OnePointAtATimeIsApplyKOfN) {
  KOfN rule(2, 3);
  const double own[] = {0.5, 2.0, 0.1, 3.0, 4.0};
  const double want[] = {0.0, 0.5, 0.5, 2.0, 3.0};  // the 2nd largest of the last 3 (0 before 2 points)
  for (std::size_t t = 0; t < 5; ++t) {
    Judgement j;
    j.judged = true;
    j.score = own[t];
    j.anomaly = own[t] > 1.0;
    const Judgement out = rule.next(j);
    EXPECT_EQ(out.score, want[t]) << t;
    EXPECT_EQ(out.anomaly, want[t] > 1.0) << t;
  }

  std::mt19937_64 rng(8);
  std::exponential_distribution<double> score(1.5);
  Detection d;
  d.points.resize(500);
  for (auto& j : d.points) {
    j.judged = rng() % 7 != 0;
    if (j.judged) j.score = score(rng);
    j.anomaly = j.judged && j.score > 1.0;
  }
  Detection whole = d;
  apply_k_of_n(whole, 3, 5);
  KOfN pieces(3, 5);
  int flagged = 0;
  for (std::size_t t = 0; t < d.points.size(); ++t) {
    const Judgement j = pieces.next(d.points[t]);
    EXPECT_EQ(j.judged, whole.points[t].judged) << t;
    EXPECT_EQ(j.anomaly, whole.points[t].anomaly) << t;
    if (j.judged) {
      EXPECT_EQ(j.score, whole.points[t].score) << t;
    }
    flagged += j.anomaly ? 1 : 0;
  }
  EXPECT_GT(flagged, 5);
}

}  // namespace
}  // namespace promcast::forecaster
