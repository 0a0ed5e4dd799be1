// `promcast check mappings|rules|backends`, in process: promtool's layout on success and failure, every
// error as file:line:column, exit codes, and the example files shipped in compose/ (which must load).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "app/commands.h"
#include "tests/app/run_captured.h"
#include "tests/app/temp_file.h"

namespace promcast::app {
namespace {

using test_support::write_temp;

using Outcome = test_support::CommandOutput;

Outcome check(std::vector<std::string> args) {
  return test_support::run_captured(run_check, std::move(args));
}

constexpr const char* kGoodRules = R"(groups:
  - name: g
    interval: 1m
    rules:
      - forecast: f
        expr: up
        horizons: [5m, 1h]
      - anomaly: A
        expr: up
        detector: {method: zscore, window: 1h}
        annotations: {summary: "{{ $labels.job }} is {{ $value }}"}
)";

constexpr const char* kBadRules = R"(groups:
  - name: g
    interval: 1m
    rules:
      - forecast: f
        expr: up
        horizons: [90s]
      - anomaly: A
        expr: up
        detector: {method: zscore, windw: 1h}
        annotations: {summary: "{{ $labels.job "}
)";

TEST(CheckCommand, RulesSuccessInPromtoolsLayout) {
  const std::string path = write_temp("check_good.yml", kGoodRules);
  const Outcome r = check({"rules", path});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "Checking " + path + "\n  SUCCESS: 2 rules found (1 forecast, 1 anomaly, in 1 groups)\n");
  EXPECT_EQ(r.err, "");
}

TEST(CheckCommand, RulesFailureListsEveryErrorWithItsPosition) {
  const std::string good = write_temp("check_good.yml", kGoodRules);
  const std::string bad = write_temp("check_bad.yml", kBadRules);
  const Outcome r = check({"rules", bad, good});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.out, "Checking " + bad + "\n  FAILED:\nChecking " + good +
                       "\n  SUCCESS: 2 rules found (1 forecast, 1 anomaly, in 1 groups)\n");
  EXPECT_EQ(r.err,
            bad + ":7:20: horizon: 1m30s is not a whole number of steps of 1m\n" + bad +
                ":10:36: unknown key \"windw\" in detector (did you mean window? expected one of method, "
                "period, alpha, max_anoms, direction, min_rel_scale, threshold, only_last, longterm_period, "
                "piecewise_weeks, window, z, robust, order, seasonal_order, trend, level, k, n, trees, "
                "subsample, contamination, seed, peers, diff, refit_every, history, recent_max_window, "
                "likelihood, likelihood_learning, likelihood_samples, likelihood_average, range_tolerance, "
                "range_min_points)\n" +
                bad +
                ":11:32: annotations.summary: template column 16: unexpected end of template (expected "
                "}} or |)\n");
}

TEST(CheckCommand, RulesMissingFileAndSyntaxError) {
  const Outcome missing = check({"rules", ::testing::TempDir() + "no_such_rules.yml"});
  EXPECT_EQ(missing.rc, 1);
  EXPECT_EQ(missing.err, ::testing::TempDir() + "no_such_rules.yml: no such file\n");
  const std::string broken = write_temp("check_broken.yml", "groups:\n  - name: [\n");
  const Outcome r = check({"rules", broken});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, broken + ":3:1: end of sequence flow not found\n");
}

TEST(CheckCommand, TheComposeExamplesLoad) {
  const std::string dir = std::string(PROMCAST_SOURCE_DIR) + "/compose/";
  const Outcome rules = check({"rules", dir + "rules/*.yml"});
  EXPECT_EQ(rules.rc, 0) << rules.out << rules.err;
  EXPECT_NE(rules.out.find("Checking " + dir + "rules/drift.yml\n  SUCCESS: 2 rules found"),
            std::string::npos)
      << rules.out;
  EXPECT_NE(rules.out.find("Checking " + dir + "rules/detectors.yml\n  SUCCESS: 5 rules found"),
            std::string::npos)
      << rules.out;
  const Outcome backends = check({"backends", dir + "backends.yml"});
  EXPECT_EQ(backends.rc, 0) << backends.err;
  EXPECT_EQ(
      backends.out,
      "Checking " + dir + "backends.yml\n  SUCCESS: 1 sources, 1 remote-write targets, 1 Alertmanagers\n");
  const Outcome mappings = check({"mappings", dir + "statsd_mapping.yml"});
  EXPECT_EQ(mappings.rc, 0) << mappings.out;
  EXPECT_EQ(mappings.out, dir + "statsd_mapping.yml: ok (1 mappings)\n");
}

TEST(CheckCommand, BackendsFailure) {
  const std::string bad =
      write_temp("check_backends.yml", "sources:\n  - url: http://127.0.0.1:9090\n    tiemout: 5s\n");
  const Outcome r = check({"backends", bad});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.out, "Checking " + bad + "\n  FAILED:\n");
  EXPECT_EQ(r.err,
            bad +
                ":3:5: unknown key \"tiemout\" in source (did you mean timeout? expected one of name, "
                "max_series, max_samples, max_points_per_query, basic_auth, bearer_token, bearer_token_file, "
                "tls_config, headers, timeout, max_retries, min_backoff, max_backoff, url)\n");
}

TEST(CheckCommand, EvaluationIntervalIsTheDefaultStep) {
  // 90s horizons are whole steps of a 30s default interval but not of the 1m one.
  const std::string path = write_temp(
      "check_interval.yml",
      "groups:\n  - name: g\n    rules:\n      - forecast: f\n        expr: up\n        horizons: [90s]\n");
  EXPECT_EQ(check({"rules", path}).rc, 1);
  EXPECT_EQ(check({"rules", "--rules.evaluation-interval", "30s", path}).rc, 0);
  EXPECT_EQ(check({"rules", "--rules.evaluation-interval", "0s", path}).rc, 2);
}

TEST(CheckCommand, UsageErrors) {
  EXPECT_EQ(check({}).rc, 2);
  EXPECT_EQ(check({"rules"}).rc, 2);
  EXPECT_EQ(check({"nonsense", "x"}).rc, 2);
}

}  // namespace
}  // namespace promcast::app
