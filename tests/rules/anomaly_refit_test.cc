// Anomaly rules honour `refit` (issue 8): a series is fitted on first sight, its model judges the new points
// of the following evaluations one at a time, and it is fitted again every refit_every points. Checked
// against `promcast detect --online` (forecaster::detect_online) on the same stream with the same cadence,
// by the fit counts, by k-of-n across evaluations, and by a spike between refits that alerts.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numbers>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "forecaster/detector_factory.h"
#include "rules/anomaly_evaluator.h"

namespace promcast::rules {
namespace {

namespace fc = promcast::forecaster;
constexpr TimestampMs kMinute = 60'000;
constexpr TimestampMs kHour = 60 * kMinute;
constexpr TimestampMs kStart = 30000 * kMinute;

// Noise that is a pure function of (series, time), so overlapping reads agree.
double noise(int series, TimestampMs t, double sd) {
  std::mt19937_64 rng(static_cast<std::uint64_t>(t) * 31 + static_cast<std::uint64_t>(series));
  return std::normal_distribution<double>(0.0, sd)(rng);
}

// An hourly pattern with noise and +40 at the given minutes after kStart.
double value(int series, TimestampMs t, const std::set<int>& spikes = {}) {
  const double hourly = 10.0 + 3.0 * std::sin(2 * std::numbers::pi * static_cast<double>(t) / kHour);
  const bool spike =
      t > kStart && (t - kStart) % kMinute == 0 && spikes.contains(static_cast<int>((t - kStart) / kMinute));
  return hourly + noise(series, t, 0.3) + (spike ? 40.0 : 0.0);
}

struct Fake {
  std::map<std::string, std::function<double(TimestampMs)>> series;
  std::set<std::string> hidden;  // not answered (yet)
  QueryFn fn() {
    return [this](const RangeQuery& q) -> std::expected<std::vector<Series>, Error> {
      std::vector<Series> out;
      for (const auto& [id, f] : series) {
        if (hidden.contains(id)) continue;
        Series s;
        s.labels = {{"__name__", "drift"}, {"topic", id}};
        for (TimestampMs t = q.start; t <= q.end; t += q.step.count()) {
          s.timestamps.push_back(t);
          s.values.push_back(f(t));
        }
        out.push_back(std::move(s));
      }
      return out;
    };
  }
};

const OutputSample* find(const std::vector<OutputSample>& samples, const std::string& name,
                         const std::string& topic) {
  for (const auto& s : samples)
    if (s.name == name && label_value(s.labels, "topic") == topic) return &s;
  return nullptr;
}

// A rule on a one-minute grid refitting every `refit` steps; the detector's options are set per test.
AnomalyRule rule(fc::Method method, std::size_t history_steps, std::size_t refit) {
  AnomalyRule r;
  r.common.name = "Drift";
  r.common.expr = "drift";
  r.common.step = Duration{kMinute};
  r.common.history = Duration{static_cast<std::int64_t>(history_steps) * kMinute};
  r.refit = Duration{static_cast<std::int64_t>(refit) * kMinute};
  r.online.refit_every = refit;  // what the loader derives from refit
  r.detector.method = method;
  r.detector.shesd.period = 60;
  r.detector.shesd.max_anoms = 0.02;
  r.detector.shesd.direction = fc::Direction::kBoth;
  r.detector.esd.alpha = 0.05;
  r.detector.residual.spec.order = {.p = 1, .d = 0, .q = 1};
  r.detector.residual.spec.trend = fc::Trend::kConstant;
  r.detector.residual.level = 99.0;
  return r;
}

std::vector<std::size_t> fits_per_evaluation(AnomalyRule r, Fake& fake, int minutes) {
  auto ev = make_anomaly_evaluator(r);
  std::vector<std::size_t> fits;
  for (int m = 0; m <= minutes; ++m) {
    auto out = ev->evaluate(kStart + m * kMinute, fake.fn(), EvalEnv{});
    EXPECT_TRUE(out) << out.error().message;
    if (!out) break;
    EXPECT_EQ(out->fit_failures, 0u) << "minute " << m;
    fits.push_back(out->fits);
  }
  return fits;
}

// (a) One fit per series on first sight, none between refits, one every `refit` points.
TEST(AnomalyRefit, FitsOnFirstSightThenOnlyEveryRefit) {
  for (const fc::Method method : {fc::Method::kShesd, fc::Method::kResidual, fc::Method::kEsd}) {
    SCOPED_TRACE(std::string(fc::to_string(method)));
    Fake fake;
    fake.series["a"] = [](TimestampMs t) { return value(1, t); };
    fake.series["b"] = [](TimestampMs t) { return value(2, t); };
    const auto fits = fits_per_evaluation(rule(method, 360, 20), fake, 41);
    std::vector<std::size_t> want(42, 0);
    want[0] = want[20] = want[40] = 2;  // both series, on first sight and after 20 and 40 judged points
    EXPECT_EQ(fits, want);
  }
}

// A series that appears later is fitted when it is first seen, not at the rule's next refit; the others
// keep their schedule. Two new points in one evaluation straddling a refit refit between them.
TEST(AnomalyRefit, NewSeriesFitOnFirstSightAndARefitMayFallBetweenTwoNewPoints) {
  Fake fake;
  fake.series["a"] = [](TimestampMs t) { return value(1, t); };
  fake.series["late"] = [](TimestampMs t) { return value(2, t); };
  fake.hidden.insert("late");
  auto ev = make_anomaly_evaluator(rule(fc::Method::kShesd, 360, 10));
  auto at = [&](int minute) {
    auto out = ev->evaluate(kStart + minute * kMinute, fake.fn(), EvalEnv{});
    EXPECT_TRUE(out) << out.error().message;
    return out ? out->fits : 999u;
  };
  EXPECT_EQ(at(0), 1u);
  EXPECT_EQ(at(3), 0u);
  fake.hidden.clear();
  EXPECT_EQ(at(4), 1u) << "the late series is fitted on first sight";
  EXPECT_EQ(at(8), 0u) << "a has judged 9 points since its fit (the newest at first sight counts)";
  EXPECT_EQ(at(11), 1u) << "a refits before minute 10's point; late has judged 8 points";
  EXPECT_EQ(at(13), 0u) << "a has judged 4 since its refit, late 10 since its fit";
  EXPECT_EQ(at(14), 1u) << "late refits before minute 14's point, ten minutes after first sight";
}

// (b) Between refits the rule judges exactly as `detect --online` on the same stream: same points per
// fit, same cadence, the model absorbing the points it judged (residual), S-H-ESD's phase kept while the
// window slides, k-of-n counted across evaluations.
void expect_same_as_detect_online(fc::Method method, int k, int n) {
  SCOPED_TRACE(std::string(fc::to_string(method)));
  constexpr std::size_t kRefit = 60;
  constexpr int kMinutes = 150;
  const std::set<int> spikes = {20, 90, 91};
  AnomalyRule r = rule(method, 0, kRefit);
  r.detector.residual.k = k;
  r.detector.residual.n = n;
  // detect_online first fits when it has the method's minimum, then every kRefit points; the rule fits on
  // first sight for the window's newest point (on the points before it), then every kRefit points. A
  // window of the minimum plus a whole number of kRefit plus the newest point puts both fits at the same
  // points, and a fit history of the window less one point is what the rule has before each new point.
  const std::size_t needed = fc::StreamDetector::min_points(r.detector);
  const std::size_t window = needed + 5 * kRefit + 1;
  r.common.history = Duration{static_cast<std::int64_t>(window) * kMinute};
  r.online.history = window - 1;

  std::vector<double> x;  // the stream from the first window's start
  const TimestampMs first = kStart - static_cast<TimestampMs>(window - 1) * kMinute;
  for (TimestampMs t = first; t <= kStart + kMinutes * kMinute; t += kMinute)
    x.push_back(value(1, t, spikes));
  fc::OnlineOptions o;
  o.refit_every = kRefit;
  o.history = window - 1;
  auto online = fc::detect_online(r.detector, x, o);
  ASSERT_TRUE(online) << online.error().message;

  Fake fake;
  fake.series["a"] = [&](TimestampMs t) { return value(1, t, spikes); };
  auto ev = make_anomaly_evaluator(r);
  ASSERT_TRUE(ev->evaluate(kStart, fake.fn(), EvalEnv{}));
  int flagged = 0;
  for (int m = 1; m <= kMinutes; ++m) {
    auto out = ev->evaluate(kStart + m * kMinute, fake.fn(), EvalEnv{});
    ASSERT_TRUE(out) << out.error().message;
    if (m < n) continue;  // k-of-n still counts first-sight (batch) scores
    const fc::Judgement& want = online->points[window - 1 + static_cast<std::size_t>(m)];
    ASSERT_TRUE(want.judged) << m;
    const OutputSample* score = find(out->samples, "Drift:anomaly_score", "a");
    ASSERT_NE(score, nullptr) << m;
    EXPECT_NEAR(score->value, want.score, 1e-9) << "minute " << m;
    EXPECT_NEAR(find(out->samples, "Drift:yhat", "a")->value, want.expected, 1e-9) << m;
    EXPECT_NEAR(find(out->samples, "Drift:yhat_lower", "a")->value, want.lower, 1e-9) << m;
    EXPECT_NEAR(find(out->samples, "Drift:yhat_upper", "a")->value, want.upper, 1e-9) << m;
    const bool pending = find(out->samples, "promcast_alerts", "a") != nullptr;
    EXPECT_EQ(pending, want.anomaly) << "minute " << m << " (no for: an anomaly fires at once)";
    flagged += want.anomaly ? 1 : 0;
  }
  EXPECT_GE(flagged, 1) << "the spikes are in the compared stretch";
}

TEST(AnomalyRefit, EsdJudgesAsDetectOnline) { expect_same_as_detect_online(fc::Method::kEsd, 1, 1); }
TEST(AnomalyRefit, ShesdJudgesAsDetectOnline) { expect_same_as_detect_online(fc::Method::kShesd, 1, 1); }
TEST(AnomalyRefit, ResidualJudgesAsDetectOnline) {
  expect_same_as_detect_online(fc::Method::kResidual, 1, 1);
}
TEST(AnomalyRefit, ResidualKOfNJudgesAsDetectOnline) {
  expect_same_as_detect_online(fc::Method::kResidual, 2, 3);
}

// (c) A spike between refits is judged by the model fitted before it: flagged, pending, firing after
// `for:`, resolved when it ends, with no fit on the way.
TEST(AnomalyRefit, SpikeBetweenRefitsGoesPendingFiringThenResolves) {
  Fake fake;
  fake.series["a"] = [](TimestampMs t) { return value(1, t, {20, 21, 22, 23, 24}); };
  AnomalyRule r = rule(fc::Method::kShesd, 360, 60);
  r.for_ = Duration{2 * kMinute};
  auto ev = make_anomaly_evaluator(r);
  std::vector<std::string> states;
  std::size_t fits = 0;
  for (int m = 0; m <= 27; ++m) {
    auto out = ev->evaluate(kStart + m * kMinute, fake.fn(), EvalEnv{});
    ASSERT_TRUE(out) << out.error().message;
    if (m > 0) fits += out->fits;
    ASSERT_EQ(out->series.size(), 1u);
    EXPECT_EQ(out->series[0].last_fit, kStart) << "the status pages' last fit, minute " << m;
    if (m < 19) continue;
    const OutputSample* alert = find(out->samples, "promcast_alerts", "a");
    states.push_back(alert ? std::string(label_value(alert->labels, "alertstate")) : "none");
    if (m >= 20 && m <= 24) {
      EXPECT_GT(find(out->samples, "Drift:anomaly_score", "a")->value, 1.0) << m;
    }
  }
  EXPECT_EQ(fits, 0u) << "refit is an hour away";
  EXPECT_EQ(states, (std::vector<std::string>{"none", "pending", "pending", "firing", "firing", "firing",
                                              "none", "none", "none"}));
}

// k-of-n counts over the stream: two points outside their interval in two consecutive evaluations make
// 2-of-2 at the second one (a count restarted per evaluation would never see two).
TEST(AnomalyRefit, KOfNSpansEvaluations) {
  Fake fake;
  fake.series["a"] = [](TimestampMs t) { return value(1, t, {10, 11}); };
  for (const int k : {1, 2}) {
    AnomalyRule r = rule(fc::Method::kResidual, 360, 60);
    r.detector.residual.k = k;
    r.detector.residual.n = 2;
    auto ev = make_anomaly_evaluator(r);
    std::vector<bool> anomalous;
    for (int m = 0; m <= 11; ++m) {
      auto out = ev->evaluate(kStart + m * kMinute, fake.fn(), EvalEnv{});
      ASSERT_TRUE(out) << out.error().message;
      if (m >= 9) anomalous.push_back(find(out->samples, "promcast_alerts", "a") != nullptr);
    }
    // (after the spike the model's predictions are off for a while, so the minutes after 11 say little)
    if (k == 1) {
      EXPECT_EQ(anomalous, (std::vector<bool>{false, true, true})) << "1-of-2";
    } else {
      EXPECT_EQ(anomalous, (std::vector<bool>{false, false, true})) << "2-of-2";
    }
  }
}

// Too little history: reported, counted as before, no model; once there is enough, fitted.
TEST(AnomalyRefit, InsufficientHistoryStaysUnfitted) {
  Fake fake;
  fake.series["a"] = [](TimestampMs t) { return t >= kStart - 30 * kMinute ? value(1, t) : std::nan(""); };
  auto ev = make_anomaly_evaluator(rule(fc::Method::kShesd, 360, 60));
  auto first = ev->evaluate(kStart, fake.fn(), EvalEnv{});
  ASSERT_TRUE(first);
  ASSERT_EQ(first->series.size(), 1u);
  EXPECT_TRUE(first->series[0].state.starts_with("insufficient history")) << first->series[0].state;
  EXPECT_EQ(first->insufficient, 1u);
  EXPECT_EQ(first->fits, 0u);
  EXPECT_EQ(find(first->samples, "Drift:anomaly_score", "a"), nullptr);
  // once the window holds two periods (120 points) S-H-ESD judges; with one more the model is fitted, once
  std::size_t fits = 0;
  for (int m = 1; m <= 95; ++m) {
    auto out = ev->evaluate(kStart + m * kMinute, fake.fn(), EvalEnv{});
    ASSERT_TRUE(out);
    fits += out->fits;
  }
  EXPECT_EQ(fits, 1u);
  auto last = ev->evaluate(kStart + 96 * kMinute, fake.fn(), EvalEnv{});
  ASSERT_TRUE(last);
  EXPECT_EQ(last->series[0].state, "ok");
  EXPECT_NE(find(last->samples, "Drift:anomaly_score", "a"), nullptr);
}

}  // namespace
}  // namespace promcast::rules
