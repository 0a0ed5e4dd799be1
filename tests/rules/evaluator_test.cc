// The two evaluators end to end on a fake query source: a forecast rule on a seasonal series (outputs,
// accuracy against the known truth, refit cadence, incremental updates, too little history), and an
// anomaly rule that goes pending, firing and resolved around an injected spike.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numbers>
#include <random>

#include "rules/anomaly_evaluator.h"
#include "rules/forecast_evaluator.h"

namespace promcast::rules {
namespace {

constexpr TimestampMs kMinute = 60'000;
constexpr TimestampMs kHour = 60 * kMinute;

// Noise that is a pure function of (series, time), so overlapping reads agree.
double noise(int series, TimestampMs t, double sd) {
  std::mt19937_64 rng(static_cast<std::uint64_t>(t) * 31 + static_cast<std::uint64_t>(series));
  return std::normal_distribution<double>(0.0, sd)(rng);
}

struct Fake {
  std::map<std::string, std::function<double(TimestampMs)>> series;
  std::map<std::string, TimestampMs> born;
  int reads = 0;
  QueryFn fn() {
    return [this](const RangeQuery& q) -> std::expected<std::vector<Series>, Error> {
      ++reads;
      std::vector<Series> out;
      for (const auto& [id, f] : series) {
        Series s;
        s.labels = {{"__name__", "kafka_rate"}, {"topic", id}};
        for (TimestampMs t = q.start; t <= q.end; t += q.step.count()) {
          if (born.contains(id) && t < born[id]) continue;
          s.timestamps.push_back(t);
          s.values.push_back(f(t));
        }
        if (!s.timestamps.empty()) out.push_back(std::move(s));
      }
      return out;
    };
  }
};

double daily(TimestampMs t) {
  return 1000.0 + 200.0 * std::sin(2 * std::numbers::pi * static_cast<double>(t) / (24.0 * kHour));
}

const OutputSample* find(const std::vector<OutputSample>& samples, const std::string& name,
                         const std::vector<std::pair<std::string, std::string>>& want) {
  for (const auto& s : samples) {
    if (s.name != name) continue;
    bool all = true;
    for (const auto& [k, v] : want)
      if (label_value(s.labels, k) != v) all = false;
    if (all) return &s;
  }
  return nullptr;
}

ForecastRule kafka_rule() {
  ForecastRule r;
  r.common.name = "kafka_ingest_rate";
  r.common.expr = "kafka_rate";
  r.common.step = Duration{kHour};
  r.common.history = Duration{14 * 24 * kHour};
  r.common.labels = {{"team", "data-platform"}};
  r.refit = Duration{6 * kHour};
  r.horizons = {Duration{0}, Duration{kHour}, Duration{6 * kHour}, Duration{24 * kHour}};
  r.model.auto_order = true;
  r.model.seasonal_period = Duration{24 * kHour};
  r.intervals = {0.8, 0.95};
  return r;
}

TEST(ForecastEvaluator, ForecastsTheSeasonalTruthWithBandsAndRefitsOnCadence) {
  Fake fake;
  fake.series["a"] = [](TimestampMs t) { return daily(t) + noise(1, t, 10.0); };
  fake.series["b"] = [](TimestampMs t) { return 2 * daily(t) + noise(2, t, 10.0); };
  fake.series["young"] = [](TimestampMs t) { return daily(t); };
  const TimestampMs now = 20000 * kHour;
  fake.born["young"] = now - 10 * kHour;  // 11 points: too few for a daily season
  auto ev = make_forecast_evaluator(kafka_rule());
  EvalEnv env;
  auto r = ev->evaluate(now, fake.fn(), env);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->fits, 2u);
  EXPECT_EQ(r->fit_failures, 0u);
  EXPECT_EQ(r->insufficient, 1u);
  EXPECT_EQ(r->series.size(), 3u);
  EXPECT_EQ(find(r->samples, "kafka_ingest_rate:yhat", {{"topic", "young"}}), nullptr)
      << "no outputs without a model";

  for (const auto& [horizon, steps] :
       std::vector<std::pair<std::string, int>>{{"0s", 0}, {"1h", 1}, {"6h", 6}, {"1d", 24}}) {
    const OutputSample* mean =
        find(r->samples, "kafka_ingest_rate:yhat", {{"topic", "a"}, {"horizon", horizon}});
    ASSERT_NE(mean, nullptr) << horizon;
    EXPECT_EQ(label_value(mean->labels, "team"), "data-platform");
    EXPECT_EQ(label_value(mean->labels, "__name__"), "");
    const double truth = daily(now + steps * kHour);
    EXPECT_NEAR(mean->value, truth, 40.0) << horizon << ": within 4 noise sd of the seasonal truth";
    const OutputSample* lo80 = find(r->samples, "kafka_ingest_rate:yhat_lower",
                                    {{"topic", "a"}, {"horizon", horizon}, {"level", "0.8"}});
    const OutputSample* lo95 = find(r->samples, "kafka_ingest_rate:yhat_lower",
                                    {{"topic", "a"}, {"horizon", horizon}, {"level", "0.95"}});
    const OutputSample* hi95 = find(r->samples, "kafka_ingest_rate:yhat_upper",
                                    {{"topic", "a"}, {"horizon", horizon}, {"level", "0.95"}});
    ASSERT_TRUE(lo80 && lo95 && hi95) << horizon;
    EXPECT_LT(lo95->value, lo80->value);
    EXPECT_LT(lo80->value, mean->value);
    EXPECT_GT(hi95->value, mean->value);
    EXPECT_GT(hi95->value - lo95->value, 2 * 1.9 * 10.0 * 0.9) << "a 95% band about +-1.96 sd wide";
  }
  int tested = 0;
  for (const auto& status : r->series) {
    if (status.model.empty()) continue;  // a series with too little history yet
    ++tested;
    // a well-specified model of daily-plus-white-noise data: its residuals look white
    EXPECT_GT(status.ljung_box_p, 0.001) << status.model;
    EXPECT_LE(status.ljung_box_p, 1.0) << status.model;
  }
  EXPECT_EQ(tested, 2) << "topics a and b are fitted";
  const OutputSample* b6 = find(r->samples, "kafka_ingest_rate:yhat", {{"topic", "b"}, {"horizon", "6h"}});
  ASSERT_NE(b6, nullptr);
  EXPECT_NEAR(b6->value, 2 * daily(now + 6 * kHour), 40.0);
  // remote samples carry __name__ and the evaluation time
  ASSERT_FALSE(r->remote.empty());
  EXPECT_EQ(r->remote.front().timestamp, now);
  EXPECT_FALSE(label_value(r->remote.front().labels, "__name__").empty());

  // next step: one new point each, absorbed by the filter, no refit, one incremental read
  const int reads = fake.reads;
  auto r2 = ev->evaluate(now + kHour, fake.fn(), env);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->fits, 0u);
  EXPECT_EQ(fake.reads, reads + 1);
  const OutputSample* next = find(r2->samples, "kafka_ingest_rate:yhat", {{"topic", "a"}, {"horizon", "6h"}});
  ASSERT_NE(next, nullptr);
  EXPECT_NEAR(next->value, daily(now + 7 * kHour), 40.0);

  // the refit cadence (6h) re-estimates every series
  auto r3 = ev->evaluate(now + 6 * kHour, fake.fn(), env);
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->fits, 2u);
}

TEST(ForecastEvaluator, AConstantSeriesIsForecastAsItselfUntilItMoves) {
  // A gauge stuck at 0 for its whole window (a consumer lag, an error count): nothing random to model,
  // so R's auto.arima forecasts the constant with zero-width intervals. Once the values move, the next
  // evaluation fits a model.
  Fake fake;
  const TimestampMs now = 20000 * kHour;
  const TimestampMs moves = now + 2 * kHour;
  fake.series["stuck"] = [&](TimestampMs t) { return t < moves ? 0.0 : daily(t) + noise(3, t, 10.0); };
  fake.series["a"] = [](TimestampMs t) { return daily(t) + noise(1, t, 10.0); };
  auto ev = make_forecast_evaluator(kafka_rule());
  EvalEnv env;
  env.future_window = Duration{24 * kHour};
  auto r = ev->evaluate(now, fake.fn(), env);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->fits, 1u) << "the constant series is not a fit";
  EXPECT_EQ(r->fit_failures, 0u);
  for (const std::string horizon : {"0s", "1h", "1d"}) {
    const OutputSample* mean =
        find(r->samples, "kafka_ingest_rate:yhat", {{"topic", "stuck"}, {"horizon", horizon}});
    const OutputSample* lo = find(r->samples, "kafka_ingest_rate:yhat_lower",
                                  {{"topic", "stuck"}, {"horizon", horizon}, {"level", "0.95"}});
    const OutputSample* hi = find(r->samples, "kafka_ingest_rate:yhat_upper",
                                  {{"topic", "stuck"}, {"horizon", horizon}, {"level", "0.95"}});
    ASSERT_TRUE(mean && lo && hi) << horizon;
    EXPECT_EQ(mean->value, 0.0) << horizon;
    EXPECT_EQ(lo->value, 0.0) << horizon;
    EXPECT_EQ(hi->value, 0.0) << horizon;
  }
  std::size_t path = 0;
  for (const auto& s : r->remote)
    if (label_value(s.labels, "__name__") == "kafka_ingest_rate:yhat_path" &&
        label_value(s.labels, "topic") == "stuck") {
      EXPECT_EQ(s.value, 0.0);
      EXPECT_GT(s.timestamp, now);
      ++path;
    }
  EXPECT_EQ(path, 24u) << "the path a day ahead at hourly steps";
  bool reported = false;
  for (const auto& status : r->series)
    if (label_value(status.labels, "topic") == "stuck") {
      reported = true;
      EXPECT_EQ(status.state, "constant");
      EXPECT_EQ(status.model, "constant 0");
    }
  EXPECT_TRUE(reported);
  const auto chart = ev->chart(labels_hash({{"__name__", "kafka_rate"}, {"topic", "stuck"}}));
  ASSERT_TRUE(chart);
  ASSERT_FALSE(chart->forecast_mean.empty());
  EXPECT_EQ(chart->forecast_mean.front(), 0.0);

  // Still constant an hour later: forecast again, not fitted.
  auto r2 = ev->evaluate(now + kHour, fake.fn(), env);
  ASSERT_TRUE(r2) << r2.error().message;
  EXPECT_EQ(r2->fits, 0u);
  // The newest point moves: judged against the constant (the fit would not see it yet) ...
  auto moved = ev->evaluate(moves, fake.fn(), env);
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_EQ(moved->fits, 0u);
  EXPECT_EQ(moved->fit_failures, 0u);
  const OutputSample* h0 =
      find(moved->samples, "kafka_ingest_rate:yhat", {{"topic", "stuck"}, {"horizon", "0s"}});
  ASSERT_NE(h0, nullptr);
  EXPECT_EQ(h0->value, 0.0);
  // ... and fitted at the next evaluation, between refits.
  auto r3 = ev->evaluate(moves + kHour, fake.fn(), env);
  ASSERT_TRUE(r3) << r3.error().message;
  EXPECT_EQ(r3->fits, 1u);
  EXPECT_EQ(r3->fit_failures, 0u);
  for (const auto& status : r3->series)
    if (label_value(status.labels, "topic") == "stuck") {
      EXPECT_EQ(status.state, "ok");
      EXPECT_NE(status.model.find("SARIMAX"), std::string::npos) << status.model;
    }
}

TEST(ForecastEvaluator, AWindowConstantUpToRoundingIsConstantAsForR) {
  // Sums of fractional gauges differ in their last bits from one scrape to the next; R's is.constant
  // (and auto_arima, which refuses such a series) counts that as constant, so the evaluator does too.
  Fake fake;
  fake.series["sum"] = [](TimestampMs t) { return (t / kHour) % 2 == 0 ? 0.1 + 0.2 : 0.3; };
  ASSERT_NE(0.1 + 0.2, 0.3);
  auto ev = make_forecast_evaluator(kafka_rule());
  EvalEnv env;
  auto r = ev->evaluate(20000 * kHour, fake.fn(), env);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->fit_failures, 0u);
  ASSERT_EQ(r->series.size(), 1u);
  EXPECT_EQ(r->series[0].state, "constant");
  const OutputSample* mean =
      find(r->samples, "kafka_ingest_rate:yhat", {{"topic", "sum"}, {"horizon", "1d"}});
  ASSERT_NE(mean, nullptr);
  EXPECT_NEAR(mean->value, 0.3, 1e-12);
}

// Between refits a series keeps only its recent points; the refit reads the whole history again, so the
// refitted model is the one a fresh evaluator fits on the same data (same orders, same forecasts).
TEST(ForecastEvaluator, ARefitAfterTrimmingFitsTheWholeHistoryAgain) {
  Fake fake;
  fake.series["a"] = [](TimestampMs t) { return daily(t) + noise(1, t, 10.0); };
  const TimestampMs now = 20000 * kHour;
  auto kept = make_forecast_evaluator(kafka_rule());
  EvalEnv env;
  ASSERT_TRUE(kept->evaluate(now, fake.fn(), env));
  for (int k = 1; k < 6; ++k) ASSERT_TRUE(kept->evaluate(now + k * kHour, fake.fn(), env));
  const std::uint64_t key = labels_hash({{"__name__", "kafka_rate"}, {"topic", "a"}});
  ASSERT_EQ(kept->chart(key)->values.size(), 3u * 24u) << "trimmed between refits";

  auto refit = kept->evaluate(now + 6 * kHour, fake.fn(), env);  // the 6h cadence
  ASSERT_TRUE(refit);
  ASSERT_EQ(refit->fits, 1u);
  auto fresh = make_forecast_evaluator(kafka_rule());
  auto first = fresh->evaluate(now + 6 * kHour, fake.fn(), env);
  ASSERT_TRUE(first);
  ASSERT_EQ(refit->series.size(), 1u);
  ASSERT_EQ(first->series.size(), 1u);
  EXPECT_EQ(refit->series[0].model, first->series[0].model);
  EXPECT_NEAR(refit->series[0].aicc, first->series[0].aicc, 1e-6 * std::abs(first->series[0].aicc));
  for (const std::string horizon : {"0s", "1h", "6h", "1d"}) {
    const OutputSample* a = find(refit->samples, "kafka_ingest_rate:yhat", {{"horizon", horizon}});
    const OutputSample* b = find(first->samples, "kafka_ingest_rate:yhat", {{"horizon", horizon}});
    ASSERT_TRUE(a && b) << horizon;
    EXPECT_NEAR(a->value, b->value, 1e-6 * std::abs(b->value)) << horizon;
  }
  EXPECT_EQ(kept->chart(key)->values.size(), 3u * 24u) << "trimmed again after the refit";
}

TEST(ForecastEvaluator, AFailedReadKeepsStateAndReportsTheError) {
  Fake fake;
  fake.series["a"] = [](TimestampMs t) { return daily(t) + noise(1, t, 10.0); };
  auto ev = make_forecast_evaluator(kafka_rule());
  EvalEnv env;
  ASSERT_TRUE(ev->evaluate(20000 * kHour, fake.fn(), env));
  QueryFn down = [](const RangeQuery&) -> std::expected<std::vector<Series>, Error> {
    return std::unexpected(Error{"prometheus: 503 Service Unavailable", {}, 0, 0});
  };
  auto failed = ev->evaluate(20001 * kHour, down, env);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("503"), std::string::npos);
  auto again = ev->evaluate(20002 * kHour, fake.fn(), env);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->fits, 0u) << "the model survived the failed evaluation";
  EXPECT_NE(find(again->samples, "kafka_ingest_rate:yhat", {{"topic", "a"}, {"horizon", "1h"}}), nullptr);
}

TEST(ForecastEvaluator, FutureWindowWritesThePathAhead) {
  Fake fake;
  fake.series["a"] = [](TimestampMs t) { return daily(t) + noise(1, t, 10.0); };
  auto ev = make_forecast_evaluator(kafka_rule());
  EvalEnv env;
  env.future_window = Duration{3 * kHour};
  env.external_labels = {{"replica", "r1"}};
  const TimestampMs now = 20000 * kHour;
  auto r = ev->evaluate(now, fake.fn(), env);
  ASSERT_TRUE(r);
  std::vector<TimestampMs> path;
  for (const auto& s : r->remote)
    if (label_value(s.labels, "__name__") == "kafka_ingest_rate:yhat_path") {
      path.push_back(s.timestamp);
      EXPECT_EQ(label_value(s.labels, "replica"), "r1");
    }
  EXPECT_EQ(path, (std::vector<TimestampMs>{now + kHour, now + 2 * kHour, now + 3 * kHour}));

  // the chart of the series: history on the grid, in-sample expectations with bands, the forecast after
  const Labels source = {{"__name__", "kafka_rate"}, {"topic", "a"}};
  auto chart = ev->chart(labels_hash(source));
  ASSERT_TRUE(chart);
  ASSERT_EQ(chart->values.size(), 3u * 24u) << "between refits the chart keeps three seasons";
  EXPECT_EQ(chart->start + static_cast<TimestampMs>(chart->values.size() - 1) * kHour, now);
  EXPECT_DOUBLE_EQ(chart->level, 0.95);
  // bands from the first step after the diffuse start of the re-filter (d + D*s = 25 here) on
  std::size_t inside = 0, judged = 0, first = 0;
  while (first < chart->values.size() && !std::isfinite(chart->lower[first])) ++first;
  EXPECT_LE(first, 26u);
  for (std::size_t i = first; i < chart->values.size(); ++i) {
    ASSERT_TRUE(std::isfinite(chart->expected[i])) << i;
    ++judged;
    if (chart->values[i] >= chart->lower[i] && chart->values[i] <= chart->upper[i]) ++inside;
  }
  // ~47 points at 95%: 0.85 is three binomial standard deviations below, so a failure means a band
  // that is really too narrow, not bad luck
  EXPECT_GT(static_cast<double>(inside) / static_cast<double>(judged), 0.85)
      << "about 95% inside the 95% band (" << inside << " of " << judged << ")";
  ASSERT_GE(chart->forecast_mean.size(), 3u);
  EXPECT_NEAR(chart->forecast_mean[0], daily(now + kHour), 40.0);
  EXPECT_FALSE(ev->chart(12345).has_value());

  // the paths for remote read: mean and both bounds of each level, at future timestamps
  const auto paths = ev->forecast_paths();
  ASSERT_EQ(paths.size(), 5u);  // mean + (lower, upper) x 2 levels
  for (const auto& p : paths) {
    EXPECT_EQ(p.timestamps.front(), now + kHour);
    EXPECT_EQ(label_value(p.labels, "topic"), "a");
  }
}

AnomalyRule drift_rule() {
  AnomalyRule r;
  r.common.name = "DriftAnomaly";
  r.common.expr = "drift_metrics";
  r.common.step = Duration{kMinute};
  r.common.history = Duration{6 * kHour};
  r.common.labels = {{"severity", "warning"}, {"dataset", "{{ $labels.topic }}-drift"}};
  r.detector.method = forecaster::Method::kShesd;
  r.detector.shesd.period = 60;
  r.detector.shesd.max_anoms = 0.02;
  r.detector.shesd.direction = forecaster::Direction::kBoth;
  r.for_ = Duration{2 * kMinute};
  r.annotations = {
      {"summary", "Drift on {{ $labels.topic }} is {{ $value }} (expected {{ printf \"%.0f\" $expected }})"}};
  return r;
}

TEST(AnomalyEvaluator, SpikeGoesPendingFiringThenResolves) {
  Fake fake;
  const TimestampMs start = 30000 * kMinute;
  auto hourly = [](TimestampMs t) {
    return 10.0 + 3.0 * std::sin(2 * std::numbers::pi * static_cast<double>(t) / kHour);
  };
  fake.series["a"] = [&](TimestampMs t) {
    const bool spike = t > start && t <= start + 5 * kMinute;
    return hourly(t) + noise(3, t, 0.1) + (spike ? 40.0 : 0.0);
  };
  auto ev = make_anomaly_evaluator(drift_rule());
  EvalEnv env;
  env.generator_url = "http://promcast/rules/DriftAnomaly";
  auto first = ev->evaluate(start, fake.fn(), env);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->series.size(), 1u);
  EXPECT_EQ(first->series[0].state, "ok");
  const OutputSample* score = find(first->samples, "DriftAnomaly:anomaly_score", {{"topic", "a"}});
  ASSERT_NE(score, nullptr);
  EXPECT_LT(score->value, 1.0);
  EXPECT_EQ(label_value(score->labels, "dataset"), "a-drift")
      << "rule label templates are expanded per series";
  EXPECT_EQ(find(first->samples, "promcast_alerts", {}), nullptr);

  auto at = [&](int minute) {
    auto r = ev->evaluate(start + minute * kMinute, fake.fn(), env);
    EXPECT_TRUE(r);
    return *r;
  };
  auto p = at(1);
  const OutputSample* pending =
      find(p.samples, "promcast_alerts", {{"alertstate", "pending"}, {"alertname", "DriftAnomaly"}});
  ASSERT_NE(pending, nullptr) << "the spike makes the series pending";
  EXPECT_EQ(label_value(pending->labels, "severity"), "warning");
  EXPECT_TRUE(p.alerts.empty());
  EXPECT_GT(find(p.samples, "DriftAnomaly:anomaly_score", {{"topic", "a"}})->value, 1.0);
  at(2);
  auto f = at(3);
  ASSERT_NE(find(f.samples, "promcast_alerts", {{"alertstate", "firing"}}), nullptr)
      << "firing after for: 2m";
  ASSERT_EQ(f.alerts.size(), 1u);
  EXPECT_EQ(label_value(f.alerts[0].labels, "alertname"), "DriftAnomaly");
  EXPECT_EQ(label_value(f.alerts[0].labels, "topic"), "a");
  EXPECT_EQ(label_value(f.alerts[0].labels, "dataset"), "a-drift");
  const std::string summary(label_value(f.alerts[0].annotations, "summary"));
  EXPECT_NE(summary.find("Drift on a is 5"), std::string::npos) << summary;
  EXPECT_EQ(f.alerts[0].generator_url, "http://promcast/rules/DriftAnomaly");
  at(4);
  at(5);
  auto resolved = at(6);
  EXPECT_EQ(find(resolved.samples, "promcast_alerts", {}), nullptr);
  ASSERT_EQ(resolved.alerts.size(), 1u) << "the resolution is sent";
  EXPECT_EQ(resolved.alerts[0].ends_at, start + 6 * kMinute);

  auto chart = ev->chart(labels_hash(Labels{{"__name__", "kafka_rate"}, {"topic", "a"}}));
  ASSERT_TRUE(chart);
  EXPECT_EQ(chart->values.size(), 360u);
  EXPECT_FALSE(chart->anomalies.empty()) << "the spike is marked";
  EXPECT_TRUE(ev->forecast_paths().empty());
}

// Found by `promcast backtest`: with an interval shorter than the step, the evaluations between grid points
// bring no new point; they must keep the newest point's verdict, or `for:` never elapses.
TEST(AnomalyEvaluator, IntervalShorterThanTheStepKeepsTheVerdictBetweenPoints) {
  Fake fake;
  const TimestampMs start = 30000 * kMinute;
  constexpr TimestampMs kStep = 5 * kMinute;
  fake.series["a"] = [&](TimestampMs t) {
    const double hourly = 10.0 + 3.0 * std::sin(2 * std::numbers::pi * static_cast<double>(t) / kHour);
    return hourly + noise(4, t, 0.1) + (t == start + kStep ? 40.0 : 0.0);
  };
  AnomalyRule rule = drift_rule();
  rule.common.step = Duration{kStep};
  rule.detector.shesd.period = 12;  // an hour of 5-minute steps
  auto ev = make_anomaly_evaluator(rule);
  EvalEnv env;
  env.interval = Duration{kMinute};
  ASSERT_TRUE(ev->evaluate(start, fake.fn(), env));
  std::vector<std::string> states;  // the alert state after each one-minute evaluation
  for (int minute = 1; minute <= 9; ++minute) {
    auto r = ev->evaluate(start + minute * kMinute, fake.fn(), env);
    ASSERT_TRUE(r) << r.error().message;
    const OutputSample* alert = find(r->samples, "promcast_alerts", {});
    states.push_back(alert ? std::string(label_value(alert->labels, "alertstate")) : "none");
  }
  // the spike's grid point (start + 5m) is read at minute 5; for: 2m elapses at minute 7
  EXPECT_EQ(states, (std::vector<std::string>{"none", "none", "none", "none", "pending", "pending", "firing",
                                              "firing", "firing"}));
}

}  // namespace
}  // namespace promcast::rules
