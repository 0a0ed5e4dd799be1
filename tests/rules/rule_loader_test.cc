// The rule file loader: the issue's example decoded field by field, the defaults, every detector method
// with its options, the file errors with their positions (all of them, in file order), glob expansion and
// multi-file loading.
#include "rules/rule_loader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace promcast::rules {
namespace {

using namespace std::chrono_literals;
namespace fc = promcast::forecaster;

constexpr std::string_view kIssueExample = R"yaml(groups:
  - name: kafka-ingestion
    interval: 1m
    rules:
      - forecast: kafka_ingest_rate
        expr: sum by (topic) (rate(kafka_server_brokertopicmetrics_messagesin_total[5m]))
        step: 5m            # resolution of the history pulled with query_range
        history: 14d        # training window
        refit: 6h           # full re-estimation; between refits new points only update the filter
        horizons: [1h, 6h, 1d]
        model: {order: auto, seasonal: {period: 1d, order: auto}, fourier: [{period: 1w, harmonics: 3}]}
        intervals: [0.8, 0.95]
        labels: {team: data-platform}
  - name: data-quality
    interval: 1m
    rules:
      - anomaly: DriftAnomaly
        expr: drift_metrics{metric_name="wasserstein"}
        step: 1m
        history: 7d
        detector: {method: shesd, period: 1d, alpha: 0.05, max_anoms: 0.02, direction: both}
        for: 5m
        labels: {severity: warning}
        annotations:
          summary: "Drift on {{ $labels.dataset_name }}/{{ $labels.column_name }} is {{ $value }} (expected {{ $expected }})"
)yaml";

RuleSet parse_ok(std::string_view text, const LoadOptions& options = {}) {
  auto set = parse_rule_file(text, "r.yml", options);
  if (!set) {
    std::string all;
    for (const auto& e : set.error()) all += e.to_string() + "\n";
    ADD_FAILURE() << "unexpected errors:\n" << all;
    return {};
  }
  return *set;
}

std::vector<std::string> errors_of(std::string_view text) {
  auto set = parse_rule_file(text, "r.yml");
  std::vector<std::string> out;
  if (set) return out;
  for (const auto& e : set.error()) out.push_back(e.to_string());
  return out;
}

TEST(RuleLoader, DecodesTheIssueExample) {
  const RuleSet set = parse_ok(kIssueExample);
  ASSERT_EQ(set.groups.size(), 2u);
  const RuleGroup& g = set.groups[0];
  EXPECT_EQ(g.name, "kafka-ingestion");
  EXPECT_EQ(g.interval, 1min);
  EXPECT_EQ(g.position.file, "r.yml");
  EXPECT_EQ(g.position.line, 2);
  EXPECT_EQ(g.position.column, 5);
  ASSERT_EQ(g.rules.size(), 1u);
  const auto& f = std::get<ForecastRule>(g.rules[0]);
  EXPECT_EQ(f.common.name, "kafka_ingest_rate");
  EXPECT_EQ(f.common.expr, "sum by (topic) (rate(kafka_server_brokertopicmetrics_messagesin_total[5m]))");
  EXPECT_EQ(f.common.step, 5min);
  EXPECT_EQ(f.common.history, std::chrono::days(14));
  EXPECT_EQ(f.common.position.line, 5);
  EXPECT_EQ(f.common.position.column, 9);
  EXPECT_EQ(f.refit, 6h);
  EXPECT_EQ(f.horizons, (std::vector<Duration>{1h, 6h, std::chrono::days(1)}));
  EXPECT_TRUE(f.model.auto_order);
  ASSERT_TRUE(f.model.seasonal_period.has_value());
  EXPECT_EQ(*f.model.seasonal_period, std::chrono::days(1));
  EXPECT_TRUE(f.model.seasonal_auto);
  ASSERT_EQ(f.model.fourier.size(), 1u);
  EXPECT_EQ(f.model.fourier[0].period, std::chrono::weeks(1));
  EXPECT_EQ(f.model.fourier[0].harmonics, 3);
  EXPECT_FALSE(f.model.trend.has_value());
  EXPECT_EQ(f.intervals, (std::vector<double>{0.8, 0.95}));
  EXPECT_EQ(f.common.labels, (Labels{{"team", "data-platform"}}));
  EXPECT_EQ(common_of(g.rules[0]).name, "kafka_ingest_rate");

  const auto& a = std::get<AnomalyRule>(set.groups[1].rules[0]);
  EXPECT_EQ(common_of(set.groups[1].rules[0]).name, "DriftAnomaly");
  EXPECT_EQ(a.common.expr, "drift_metrics{metric_name=\"wasserstein\"}");
  EXPECT_EQ(a.common.step, 1min);
  EXPECT_EQ(a.common.history, std::chrono::days(7));
  EXPECT_EQ(a.detector.method, fc::Method::kShesd);
  EXPECT_EQ(a.detector.shesd.period, 1440);  // 1d in 1m steps
  EXPECT_DOUBLE_EQ(a.detector.shesd.alpha, 0.05);
  EXPECT_DOUBLE_EQ(a.detector.shesd.max_anoms, 0.02);
  EXPECT_EQ(a.detector.shesd.direction, fc::Direction::kBoth);
  EXPECT_EQ(a.for_, 5min);
  EXPECT_EQ(a.keep_firing_for, 0ms);
  // refit (default 6h) in steps, and the rule's history as the detector's training window
  EXPECT_EQ(a.online.refit_every, 360u);
  EXPECT_EQ(a.online.history, 7u * 1440u);
  EXPECT_FALSE(a.online.likelihood.has_value());
  EXPECT_EQ(a.common.labels, (Labels{{"severity", "warning"}}));
  ASSERT_EQ(a.annotations.size(), 1u);
  EXPECT_EQ(a.annotations[0].first, "summary");
  EXPECT_EQ(a.annotations[0].second,
            "Drift on {{ $labels.dataset_name }}/{{ $labels.column_name }} is {{ $value }} (expected {{ "
            "$expected }})");
}

TEST(RuleLoader, Defaults) {
  LoadOptions options;
  options.default_interval = 30s;
  const RuleSet set = parse_ok(R"(
groups:
  - name: g
    rules:
      - forecast: f
        expr: up
        horizons: [0s, 5m]
      - anomaly: A
        expr: up
        detector: {method: esd}
)",
                               options);
  ASSERT_EQ(set.groups.size(), 1u);
  EXPECT_EQ(set.groups[0].interval, 30s);
  const auto& f = std::get<ForecastRule>(set.groups[0].rules[0]);
  EXPECT_EQ(f.common.step, 30s);  // the group's interval
  EXPECT_EQ(f.common.history, std::chrono::days(7));
  EXPECT_EQ(f.refit, 6h);
  EXPECT_EQ(f.intervals, (std::vector<double>{0.8, 0.95}));
  EXPECT_TRUE(f.model.auto_order);
  EXPECT_FALSE(f.model.seasonal_period.has_value());
  EXPECT_TRUE(f.common.source.empty());
  EXPECT_EQ(f.common.max_series, 0u);
  const auto& a = std::get<AnomalyRule>(set.groups[0].rules[1]);
  EXPECT_EQ(a.detector.method, fc::Method::kEsd);
  EXPECT_DOUBLE_EQ(a.detector.esd.alpha, 0.05);
  EXPECT_DOUBLE_EQ(a.detector.esd.max_fraction, 0.1);
  EXPECT_EQ(a.detector.esd.direction, fc::Direction::kBoth);
  EXPECT_EQ(a.detector.shesd.direction, fc::Direction::kPositive);  // Twitter's default, as `promcast detect`
  EXPECT_EQ(a.detector.residual.spec.order.p, 1);                   // detect's residual defaults
  EXPECT_EQ(a.detector.residual.spec.trend, fc::Trend::kConstant);
  EXPECT_EQ(a.online.refit_every, 720u);  // 6h in 30s steps
  EXPECT_EQ(a.online.history, 7u * 2880u);
  EXPECT_EQ(a.for_, 0ms);

  EXPECT_TRUE(parse_ok("").groups.empty());
  EXPECT_TRUE(parse_ok("groups: []\n").groups.empty());
  EXPECT_TRUE(parse_ok("# only a comment\n").groups.empty());
}

TEST(RuleLoader, EveryDetectorMethodAndOption) {
  const RuleSet set = parse_ok(R"(
groups:
  - name: g
    interval: 5m
    rules:
      - anomaly: Esd
        expr: x
        detector: {method: esd, alpha: 0.01, max_anoms: 5, direction: neg, min_rel_scale: 0.001}
      - anomaly: Zscore
        expr: x
        detector: {method: zscore, window: 1d, z: 4, robust: true, direction: pos}
      - anomaly: Residual
        expr: x
        history: 14d
        refit: 1h
        detector:
          method: residual
          order: [2, 1, 1]
          seasonal_order: [1, 0, 1, 1d]
          trend: n
          level: 95
          k: 3
          n: 5
      - anomaly: Iforest
        expr: x
        detector: {method: iforest, trees: 50, subsample: 128, contamination: 0.02, seed: 7, peers: 2, period: 288, diff: true}
      - anomaly: Online
        expr: x
        detector:
          method: shesd
          period: 1d
          threshold: p99
          only_last: true
          piecewise_weeks: 2
          refit_every: 1h
          history: 2d
          recent_max_window: 36
          likelihood: {learning: 100, samples: 1d, average: 5}
          range_tolerance: 0.1
          range_min_points: 500
      - anomaly: LikelihoodFlags
        expr: x
        detector: {method: esd, likelihood_learning: 10, likelihood_average: 3}
      - anomaly: LikelihoodOn
        expr: x
        detector: {method: esd, likelihood: true}
)");
  ASSERT_EQ(set.groups.size(), 1u);
  const auto& rules = set.groups[0].rules;
  ASSERT_EQ(rules.size(), 7u);
  const auto& esd = std::get<AnomalyRule>(rules[0]).detector;
  EXPECT_DOUBLE_EQ(esd.esd.alpha, 0.01);
  EXPECT_EQ(esd.esd.max_count, 5u);
  EXPECT_EQ(esd.esd.direction, fc::Direction::kNegative);
  EXPECT_DOUBLE_EQ(esd.esd.min_relative_scale, 0.001);

  const auto& z = std::get<AnomalyRule>(rules[1]);
  EXPECT_EQ(z.detector.zscore.window, 288u);  // 1d of 5m steps
  EXPECT_DOUBLE_EQ(z.detector.zscore.threshold, 4);
  EXPECT_TRUE(z.detector.zscore.robust);
  EXPECT_EQ(z.detector.zscore.direction, fc::Direction::kPositive);
  EXPECT_EQ(z.online.history, 0u);  // zscore's window is its history

  const auto& res = std::get<AnomalyRule>(rules[2]);
  const auto& o = res.detector.residual.spec.order;
  EXPECT_EQ(std::vector<int>({o.p, o.d, o.q, o.P, o.D, o.Q, o.s}), std::vector<int>({2, 1, 1, 1, 0, 1, 288}));
  EXPECT_EQ(res.detector.residual.spec.trend, fc::Trend::kNone);
  EXPECT_DOUBLE_EQ(res.detector.residual.level, 95);
  EXPECT_EQ(res.detector.residual.k, 3);
  EXPECT_EQ(res.detector.residual.n, 5);
  EXPECT_EQ(res.refit, 1h);
  EXPECT_EQ(res.online.refit_every, 12u);  // 1h of 5m steps
  EXPECT_EQ(res.online.history, 14u * 288u);

  const auto& iso = std::get<AnomalyRule>(rules[3]).detector;
  EXPECT_EQ(iso.iforest.trees, 50);
  EXPECT_EQ(iso.iforest.subsample, 128u);
  EXPECT_DOUBLE_EQ(iso.iforest.contamination, 0.02);
  EXPECT_EQ(iso.iforest.seed, 7u);
  EXPECT_EQ(iso.iforest_features.seasonal_peers, 2);
  EXPECT_EQ(iso.iforest_features.period, 288);
  EXPECT_TRUE(iso.iforest_features.difference);

  const auto& sh = std::get<AnomalyRule>(rules[4]).detector.shesd;
  EXPECT_EQ(sh.threshold, fc::ShesdThreshold::kP99);
  EXPECT_TRUE(sh.only_last);
  EXPECT_EQ(sh.longterm_period, 288u * 7 * 2);  // Twitter's period * 7 * piecewise weeks
  const auto& on = std::get<AnomalyRule>(rules[4]).online;
  EXPECT_EQ(on.refit_every, 12u);
  EXPECT_EQ(on.history, 576u);
  EXPECT_EQ(on.recent_max_window, 36u);
  ASSERT_TRUE(on.likelihood.has_value());
  EXPECT_EQ(on.likelihood->learning_period, 100u);
  EXPECT_EQ(on.likelihood->estimation_samples, 288u);
  EXPECT_EQ(on.likelihood->averaging_window, 5u);
  ASSERT_TRUE(on.range_tolerance.has_value());
  EXPECT_DOUBLE_EQ(*on.range_tolerance, 0.1);
  EXPECT_EQ(on.range_min_points, 500u);

  const auto& flags = std::get<AnomalyRule>(rules[5]).online;
  ASSERT_TRUE(flags.likelihood.has_value());
  EXPECT_EQ(flags.likelihood->learning_period, 10u);
  EXPECT_EQ(flags.likelihood->estimation_samples, fc::AnomalyLikelihoodOptions{}.estimation_samples);
  EXPECT_EQ(flags.likelihood->averaging_window, 3u);
  EXPECT_TRUE(std::get<AnomalyRule>(rules[6]).online.likelihood.has_value());
}

TEST(RuleLoader, FixedModelOrders) {
  const RuleSet set = parse_ok(R"(
groups:
  - name: g
    interval: 1h
    rules:
      - forecast: f
        expr: x
        horizons: [1d]
        intervals: [0.5]
        model:
          order: [2, 1, 0]
          seasonal: {period: 1d, order: [0, 1, 1]}
          fourier: [{period: 1w, harmonics: 2}]
          trend: t
)");
  ASSERT_EQ(set.groups.size(), 1u);
  const auto& m = std::get<ForecastRule>(set.groups[0].rules[0]).model;
  EXPECT_FALSE(m.auto_order);
  EXPECT_EQ(std::vector<int>({m.p, m.d, m.q, m.P, m.D, m.Q}), std::vector<int>({2, 1, 0, 0, 1, 1}));
  EXPECT_FALSE(m.seasonal_auto);
  EXPECT_EQ(m.trend, fc::Trend::kLinear);
  EXPECT_EQ(std::get<ForecastRule>(set.groups[0].rules[0]).intervals, std::vector<double>{0.5});
}

struct ErrorCase {
  std::string name;
  std::string yaml;
  std::vector<std::string> errors;
};

// A group around one rule body (rule keys at column 9, starting on line 5).
std::string rule(const std::string& body) {
  return "groups:\n  - name: g\n    interval: 1m\n    rules:\n" + body;
}

TEST(RuleLoader, ErrorsWithPositions) {
  const ErrorCase cases[] = {
      {"yaml syntax", "groups: [\n", {"r.yml:2:1: end of sequence flow not found"}},
      {"top-level typo",
       "group:\n  - name: g\n",
       {"r.yml:1:1: unknown key \"group\" in rule file (did you mean groups? expected one of groups)"}},
      {"groups not a list", "groups: {a: 1}\n", {"r.yml:1:9: groups: expected a list of groups, got a map"}},
      {"group typo and missing name",
       "groups:\n  - intervall: 1m\n",
       {"r.yml:2:5: unknown key \"intervall\" in group (did you mean interval? expected one of name, "
        "interval, "
        "rules)",
        "r.yml:2:5: group: missing required key \"name\""}},
      {"duplicate group and bad interval",
       "groups:\n  - name: g\n  - name: g\n    interval: 0s\n",
       {"r.yml:3:11: group name: \"g\" is defined twice in this file",
        "r.yml:4:15: interval: must be greater than 0"}},
      {"rule without kind",
       rule("      - expr: up\n"),
       {"r.yml:5:9: rule: expected a forecast: or anomaly: key naming the rule"}},
      {"rule with both kinds",
       rule("      - forecast: a\n        anomaly: b\n        expr: up\n"),
       {"r.yml:5:9: rule: has both forecast and anomaly (expected exactly one)"}},
      {"forecast errors",
       rule("      - forecast: bad-name\n"
            "        expr: \"\"\n"
            "        step: 7m\n"
            "        horizons: [1h, 14m, 1x, 14m]\n"
            "        intervals: [0.8, 1.5, 0.8, x]\n"
            "        detector: {method: esd}\n"
            "        labels: {horizon: x, ok: \"{{ $value }}\"}\n"),
       {"r.yml:5:19: forecast: \"bad-name\" is not a valid metric name (expected [a-zA-Z_:][a-zA-Z0-9_:]*; "
        "the "
        "outputs are bad-name:yhat and so on)",
        "r.yml:6:15: expr: must not be empty", "r.yml:8:20: horizon: 1h is not a whole number of steps of 7m",
        "r.yml:8:29: horizon: invalid duration \"1x\": unknown unit \"x\" (expected one of y, w, d, h, m, s, "
        "ms)",
        "r.yml:8:33: horizon: 14m repeated",
        "r.yml:9:26: interval: expected a level in (0, 1) such as 0.95, got 1.5",
        "r.yml:9:31: interval: 0.8 repeated", "r.yml:9:36: interval: expected a number, got \"x\"",
        "r.yml:10:19: detector: applies only to anomaly rules (this is a forecast rule)",
        "r.yml:11:18: labels: label \"horizon\" is set by promcast on this rule's outputs"}},
      {"forecast template label",
       rule("      - forecast: f\n        expr: up\n        horizons: [1h]\n        labels: {ok: \"{{ "
            "$labels.job }}\", "
            "bad: \"{{ $job }}\"}\n"),
       {"r.yml:8:48: labels.bad: template column 4: undefined variable \"$job\" (expected $labels, $value, "
        "$expected, $lower, $upper, $score or $externalLabels)"}},
      {"missing expr and horizons",
       rule("      - forecast: f\n"),
       {"r.yml:5:9: forecast rule: missing required key \"expr\"",
        "r.yml:5:9: forecast rule f: missing required key \"horizons\" (e.g. [1h, 6h, 1d])"}},
      {"empty horizons and short history",
       rule("      - forecast: f\n        expr: up\n        horizons: []\n        history: 1m\n"),
       {"r.yml:7:19: horizons: expected at least one horizon (e.g. [1h, 6h, 1d])",
        "r.yml:8:18: history: 1m is less than two steps of 1m"}},
      {"model errors",
       rule("      - forecast: f\n"
            "        expr: up\n"
            "        horizons: [1h]\n"
            "        model: {order: [1, 1], trend: c, seasonal: {period: 90s}, fourier: [{harmonics: 40, "
            "period: 1h}, {period: 1d}]}\n"),
       {"r.yml:8:24: model order: expected auto or [p, d, q], got a list of 2 items",
        "r.yml:8:52: seasonal order: expected [P, D, Q] with a fixed model order (auto only with order: "
        "auto)",
        "r.yml:8:61: seasonal period: 1m30s is not a whole number of steps of 1m",
        "r.yml:8:89: fourier harmonics: at most 30 for a period of 60 steps (2 * harmonics <= period)",
        "r.yml:8:106: fourier term: missing required key \"harmonics\" (only order: auto chooses it)"}},
      {"model auto conflicts",
       rule("      - forecast: f\n"
            "        expr: up\n"
            "        horizons: [1h]\n"
            "        model: {trend: c, seasonal: {period: 1m, order: [1, 0, 1]}, fourier: [{period: 1h, "
            "harmonics: "
            "31}], extra: 1}\n"),
       {"r.yml:8:24: model trend: only with a fixed order (order: auto chooses the trend)",
        "r.yml:8:46: seasonal period: 1m is 1 step(s) of 1m, expected at least 2",
        "r.yml:8:57: seasonal order: a fixed seasonal order needs a fixed model order (with order: auto the "
        "search chooses both)",
        "r.yml:8:103: fourier harmonics: at most 30 for a period of 60 steps (2 * harmonics <= period)",
        "r.yml:8:109: unknown key \"extra\" in model (expected one of order, seasonal, fourier, trend)"}},
      {"anomaly errors",
       rule("      - anomaly: A\n"
            "        expr: up\n"
            "        horizons: [1h]\n"
            "        detector: {method: zscore, period: 1d, window: 90s, alpha: 2, refit_every: 5}\n"
            "        annotations: {summary: \"{{ $lables.x }}\", d: \"{{ $value | printf \\\"%d\\\" }}\"}\n"
            "        labels: {__x: y, \"a-b\": c, alertname: x, sev: \"{{ if }}\"}\n"
            "        for: soon\n"),
       {"r.yml:7:19: horizons: applies only to forecast rules (this is an anomaly rule)",
        "r.yml:8:44: detector period: does not apply to zscore (only to shesd, iforest)",
        "r.yml:8:56: detector window: 1m30s is not a whole number of steps of 1m",
        "r.yml:8:68: detector alpha: does not apply to zscore (only to esd, shesd)",
        "r.yml:8:84: detector refit_every: does not apply to zscore (only to esd, shesd, residual, iforest); "
        "zscore's rolling window has no fit",
        "r.yml:9:32: annotations.summary: template column 4: undefined variable \"$lables\" (expected "
        "$labels, "
        "$value, $expected, $lower, $upper, $score or $externalLabels)",
        "r.yml:9:54: annotations.d: template column 13: printf format \"%d\": %d cannot format a float64 "
        "(expected "
        "%f, %e, %g or %v); for a whole number use %.0f",
        "r.yml:10:18: labels: label name \"__x\" is reserved (names starting with __ are internal)",
        "r.yml:10:26: labels: invalid label name \"a-b\" (expected [a-zA-Z_][a-zA-Z0-9_]*)",
        "r.yml:10:36: labels: label \"alertname\" is set by promcast on this rule's outputs",
        "r.yml:10:55: labels.sev: template column 4: \"if\" is not supported (alert templates here have no "
        "control "
        "structures)",
        "r.yml:11:14: for: invalid duration \"soon\": expected a number at \"soon\" (a duration is numbers "
        "with units "
        "y, w, d, h, m, s, ms, e.g. 1h30m)"}},
      {"detector required keys",
       rule("      - anomaly: A\n        expr: up\n      - anomaly: B\n        expr: up\n        detector: "
            "{period: "
            "1d}\n      - anomaly: C\n        expr: up\n        detector: {method: shesd, alpha: 0.1}\n"),
       {"r.yml:5:9: anomaly rule A: missing required key \"detector\" (e.g. {method: shesd, period: 1d})",
        "r.yml:9:19: detector: missing required key \"method\" (esd, shesd, zscore, residual or iforest)",
        "r.yml:12:19: detector: shesd needs period (the season, e.g. 1d, a whole number of steps)"}},
      {"detector values",
       rule("      - anomaly: A\n"
            "        expr: up\n"
            "        refit: 1h\n"
            "        detector:\n"
            "          method: shesd\n"
            "          period: 1d\n"
            "          max_anoms: 0.6\n"
            "          direction: up\n"
            "          threshold: p90\n"
            "          refit_every: 10\n"
            "          likelihood: false\n"
            "          likelihood_average: 3\n"
            "          range_tolerance: -1\n"
            "          history: 20000000\n"
            "          recent_max_window: 100y\n"
            "          methd: x\n"),
       {"r.yml:7:16: refit: give either refit or detector refit_every, not both",
        "r.yml:9:11: detector: likelihood: false contradicts the likelihood_* keys",
        "r.yml:11:22: detector max_anoms: shesd's max_anoms is a fraction in (0, 0.49] as in Twitter's "
        "AnomalyDetection, got 0.6",
        "r.yml:12:22: detector direction: expected both, pos or neg, got \"up\"",
        "r.yml:13:22: detector threshold: expected none, med_max, p95 or p99, got \"p90\"",
        "r.yml:17:28: detector range_tolerance: expected a number >= 0, got -1",
        "r.yml:18:20: detector history: expected an integer from 2 to 10000000, got 20000000",
        "r.yml:19:30: detector recent_max_window: 100y is 52560000 steps of 1m, expected at most 10000000",
        "r.yml:20:11: unknown key \"methd\" in detector (did you mean method? expected one of method, "
        "period, "
        "alpha, max_anoms, direction, min_rel_scale, threshold, only_last, longterm_period, piecewise_weeks, "
        "window, z, robust, order, seasonal_order, trend, level, k, n, trees, subsample, contamination, "
        "seed, "
        "peers, diff, refit_every, history, recent_max_window, likelihood, likelihood_learning, "
        "likelihood_samples, likelihood_average, range_tolerance, range_min_points)"}},
      {"residual and iforest values",
       rule("      - anomaly: R\n"
            "        expr: up\n"
            "        detector: {method: residual, k: 4, n: 2, level: 100, seasonal_order: [1, 0, 1]}\n"
            "      - anomaly: I\n"
            "        expr: up\n"
            "        detector: {method: iforest, contamination: 0.5, subsample: 1, diff: yes}\n"
            "      - anomaly: E\n"
            "        expr: up\n"
            "        detector: {method: esd, max_anoms: 1.5, method: zscore}\n"
            "      - anomaly: E\n"
            "        expr: up\n"
            "        detector: {method: magic}\n"),
       {"r.yml:7:41: detector k: 4 of 2 points can never happen (expected k <= n)",
        "r.yml:7:57: detector level: expected a percentage in (0, 100), got 100",
        "r.yml:7:78: detector seasonal_order: expected [P, D, Q, s] (s in steps or a duration such as 1d), "
        "got a "
        "list of 3 items",
        "r.yml:10:52: detector contamination: expected a fraction in [0, 0.5), got 0.5",
        "r.yml:10:68: detector subsample: expected an integer from 2 to 1000000, got 1",
        "r.yml:10:77: detector diff: expected true or false, got \"yes\"",
        "r.yml:13:44: detector max_anoms: 1 or more is a count and must be an integer, got 1.5",
        "r.yml:13:49: key \"method\" repeated in detector",
        "r.yml:14:18: anomaly: \"E\" is defined twice in this file (its output series would clash)",
        "r.yml:16:28: detector method: expected esd, shesd, zscore, residual or iforest, got \"magic\""}},
      {"scalars of the wrong shape",
       rule("      - anomaly: [A]\n"
            "        expr: {a: 1}\n"
            "        max_series: -1\n"
            "        max_samples: many\n"
            "        detector: esd\n"),
       {"r.yml:5:18: anomaly: expected a string, got a list of 1 item",
        "r.yml:6:15: expr: expected a string, got a map",
        "r.yml:7:21: max_series: expected an integer >= 0, got -1",
        "r.yml:8:22: max_samples: expected an integer, got \"many\"",
        "r.yml:9:19: detector: expected a map with keys method, period, alpha, max_anoms, direction, "
        "min_rel_scale, "
        "threshold, only_last, longterm_period, piecewise_weeks, window, z, robust, order, seasonal_order, "
        "trend, "
        "level, k, n, trees, subsample, contamination, seed, peers, diff, refit_every, history, "
        "recent_max_window, "
        "likelihood, likelihood_learning, likelihood_samples, likelihood_average, range_tolerance, "
        "range_min_points, got \"esd\""}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(errors_of(c.yaml), c.errors) << c.name << "\n" << c.yaml;
  }
}

TEST(RuleLoader, AliasBombsAreRefused) {
  // Each level doubles the number of nodes the walk would visit: 2^30 rules from a few hundred bytes.
  std::string yaml = "a0: &a0 {forecast: f, expr: up, horizons: [1h]}\n";
  for (int i = 1; i <= 30; ++i) yaml += fmt::format("a{}: &a{} [*a{}, *a{}]\n", i, i, i - 1, i - 1);
  yaml += "groups: [{name: g, rules: *a30}]\n";
  const auto errors = errors_of(yaml);
  ASSERT_FALSE(errors.empty());
}

class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::path(::testing::TempDir()) / ("rules_loader_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string write(const std::string& name, std::string_view text) const {
    const auto p = path_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  [[nodiscard]] std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

TEST(RuleLoader, ExpandsGlobsSortedWithoutDuplicates) {
  TempDir dir;
  const std::string b = dir.write("b.yml", "");
  const std::string a = dir.write("a.yml", "");
  dir.write("c.yaml", "");
  auto files = expand_rule_files({dir.path("*.yml"), a, dir.path("?.yml")});
  ASSERT_TRUE(files.has_value());
  EXPECT_EQ(*files, (std::vector<std::string>{a, b}));
  auto none = expand_rule_files({dir.path("*.json")});
  ASSERT_TRUE(none.has_value());  // a glob may match nothing
  EXPECT_TRUE(none->empty());
  auto missing = expand_rule_files({dir.path("missing.yml"), dir.path("[ab].yml")});
  ASSERT_FALSE(missing.has_value());
  ASSERT_EQ(missing.error().size(), 1u);
  EXPECT_EQ(missing.error()[0].to_string(), dir.path("missing.yml") + ": no such file");
}

TEST(RuleLoader, LoadsFilesAndReportsEveryFilesErrors) {
  TempDir dir;
  const std::string good1 = dir.write("1.yml", kIssueExample);
  const std::string good2 = dir.write("2.yml", "groups:\n  - name: kafka-ingestion\n    rules: []\n");
  auto set = load_rule_files({dir.path("*.yml")});
  ASSERT_TRUE(set.has_value());
  ASSERT_EQ(set->groups.size(), 3u);  // the same group name in two files is allowed, as in Prometheus
  EXPECT_EQ(set->groups[2].position.file, good2);

  const std::string bad1 = dir.write("3.yml", "groups: 1\n");
  const std::string bad2 = dir.write("4.yml", "groups:\n  - name: [x]\n");
  auto bad = load_rule_files({dir.path("*.yml"), dir.path("nope.yml")});
  ASSERT_FALSE(bad.has_value());
  ASSERT_EQ(bad.error().size(), 1u);  // a missing file stops before any is read
  auto both = load_rule_files({bad1, bad2, good1});
  ASSERT_FALSE(both.has_value());
  std::vector<std::string> messages;
  for (const auto& e : both.error()) messages.push_back(e.to_string());
  EXPECT_EQ(messages,
            (std::vector<std::string>{bad1 + ":1:9: groups: expected a list of groups, got \"1\"",
                                      bad2 + ":2:11: group name: expected a string, got a list of 1 item"}));
  auto dir_error = load_rule_files({dir.path("")});
  ASSERT_FALSE(dir_error.has_value());
  EXPECT_NE(dir_error.error()[0].message.find("is a directory"), std::string::npos);
}

}  // namespace
}  // namespace promcast::rules
