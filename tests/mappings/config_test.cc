// Mapping file parsing: every key, defaults, legacy aliases, and statsd_exporter's
// validation errors, each reported with file:line:column.
#include "mappings/config.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace promcast::mappings {
namespace {

using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

MappingConfig parse_ok(std::string_view yaml) {
  auto parsed = MappingConfig::parse(yaml, "test.yml");
  if (!parsed) {
    std::string all;
    for (const auto& e : parsed.error()) all += e.to_string() + "\n";
    ADD_FAILURE() << "unexpected errors:\n" << all;
    return {};
  }
  return *parsed;
}

std::vector<Error> parse_errors(std::string_view yaml) {
  auto parsed = MappingConfig::parse(yaml, "test.yml");
  EXPECT_FALSE(parsed.has_value()) << "expected the config to be rejected:\n" << yaml;
  return parsed ? std::vector<Error>{} : parsed.error();
}

TEST(MappingConfig, EmptyDocumentIsValidWithBuiltInDefaults) {
  for (std::string_view yaml : {"", "---\n", "mappings:\n", "defaults:\nmappings: []\n"}) {
    MappingConfig c = parse_ok(yaml);
    EXPECT_TRUE(c.mappings.empty());
    EXPECT_EQ(c.defaults.observer_type, ObserverType::Default);
    EXPECT_EQ(c.defaults.match_type, MatchType::Glob);
    EXPECT_FALSE(c.defaults.glob_disable_ordering);
    EXPECT_EQ(c.defaults.ttl, nanoseconds{0});
    // prometheus.DefBuckets and statsd_exporter's default quantiles.
    EXPECT_THAT(c.defaults.histogram_options.buckets,
                ElementsAre(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10));
    EXPECT_THAT(c.defaults.summary_options.quantiles,
                ElementsAre(Quantile{0.5, 0.05}, Quantile{0.9, 0.01}, Quantile{0.99, 0.001}));
  }
}

TEST(MappingConfig, EveryDefaultsKey) {
  MappingConfig c = parse_ok(R"y(
defaults:
  observer_type: histogram
  match_type: regex
  glob_disable_ordering: true
  ttl: 1m30s
  histogram_options:
    buckets: [1, 2.5, 10]
    native_histogram_bucket_factor: 1.1
    native_histogram_max_buckets: 256
  summary_options:
    quantiles:
      - quantile: 0.99
        error: 0.001
    max_age: 5m
    age_buckets: 3
    buf_cap: 1000
)y");
  EXPECT_EQ(c.defaults.observer_type, ObserverType::Histogram);
  EXPECT_EQ(c.defaults.match_type, MatchType::Regex);
  EXPECT_TRUE(c.defaults.glob_disable_ordering);
  EXPECT_EQ(c.defaults.ttl, seconds{90});
  EXPECT_THAT(c.defaults.histogram_options.buckets, ElementsAre(1, 2.5, 10));
  EXPECT_DOUBLE_EQ(c.defaults.histogram_options.native_histogram_bucket_factor, 1.1);
  EXPECT_EQ(c.defaults.histogram_options.native_histogram_max_buckets, 256u);
  EXPECT_THAT(c.defaults.summary_options.quantiles, ElementsAre(Quantile{0.99, 0.001}));
  EXPECT_EQ(c.defaults.summary_options.max_age, minutes{5});
  EXPECT_EQ(c.defaults.summary_options.age_buckets, 3u);
  EXPECT_EQ(c.defaults.summary_options.buf_cap, 1000u);
  // Unmatched summaries get the quantiles but the client library's ages.
  const SummaryOptions unmatched = c.defaults.unmatched_summary_options();
  EXPECT_THAT(unmatched.quantiles, ElementsAre(Quantile{0.99, 0.001}));
  EXPECT_EQ(unmatched.max_age, nanoseconds{0});
}

TEST(MappingConfig, LegacyDefaultsAliases) {
  // timer_type, buckets and quantiles at the top of defaults are still accepted.
  MappingConfig c = parse_ok(R"y(
defaults:
  timer_type: histogram
  buckets: [0.1, 1]
  quantiles:
    - quantile: 0.9
      error: 0.1
)y");
  EXPECT_EQ(c.defaults.observer_type, ObserverType::Histogram);
  EXPECT_THAT(c.defaults.histogram_options.buckets, ElementsAre(0.1, 1));
  EXPECT_THAT(c.defaults.summary_options.quantiles, ElementsAre(Quantile{0.9, 0.1}));

  // observer_type wins over timer_type; summary_options.quantiles over top-level quantiles.
  MappingConfig d = parse_ok(R"y(
defaults:
  observer_type: summary
  timer_type: histogram
  quantiles: [{quantile: 0.9, error: 0.1}]
  summary_options:
    quantiles: [{quantile: 0.42, error: 0.04}]
)y");
  EXPECT_EQ(d.defaults.observer_type, ObserverType::Summary);
  EXPECT_THAT(d.defaults.summary_options.quantiles, ElementsAre(Quantile{0.42, 0.04}));
}

TEST(MappingConfig, EveryMappingKey) {
  MappingConfig c = parse_ok(R"y(
mappings:
- match: "test.*.*"
  match_type: glob
  name: "foo_$1"
  labels:
    zeta: "z"
    alpha: "$2"
  help: "Some help"
  action: map
  match_metric_type: observer
  observer_type: histogram
  histogram_options:
    buckets: [1, 2]
    native_histogram_bucket_factor: 1.5
    native_histogram_max_buckets: 10
  scale: 0.001
  ttl: 10s
  honor_labels: true
- match: "(.*)"
  match_type: regex
  name: "x"
  action: drop
  match_metric_type: counter
  observer_type: summary
  summary_options:
    quantiles: [{quantile: 0.5, error: 0.1}]
    max_age: 1m
    age_buckets: 2
    buf_cap: 10
)y");
  ASSERT_EQ(c.mappings.size(), 2u);
  const MetricMapping& a = c.mappings[0];
  EXPECT_EQ(a.match, "test.*.*");
  EXPECT_EQ(a.match_type, MatchType::Glob);
  EXPECT_EQ(a.name, "foo_$1");
  EXPECT_THAT(a.labels, ElementsAre(Pair("alpha", "$2"), Pair("zeta", "z")));  // sorted by name
  EXPECT_EQ(a.help, "Some help");
  EXPECT_EQ(a.action, Action::Map);
  EXPECT_EQ(a.match_metric_type, MetricType::Observer);
  EXPECT_EQ(a.observer_type, ObserverType::Histogram);
  EXPECT_THAT(a.histogram_options.buckets, ElementsAre(1, 2));
  EXPECT_DOUBLE_EQ(a.histogram_options.native_histogram_bucket_factor, 1.5);
  EXPECT_EQ(a.histogram_options.native_histogram_max_buckets, 10u);
  ASSERT_TRUE(a.scale.has_value());
  EXPECT_DOUBLE_EQ(*a.scale, 0.001);
  EXPECT_EQ(a.ttl, seconds{10});
  EXPECT_TRUE(a.honor_labels);
  EXPECT_EQ(a.line, 3);
  EXPECT_EQ(a.column, 3);

  const MetricMapping& b = c.mappings[1];
  EXPECT_EQ(b.match_type, MatchType::Regex);
  EXPECT_EQ(b.action, Action::Drop);
  EXPECT_EQ(b.match_metric_type, MetricType::Counter);
  EXPECT_EQ(b.observer_type, ObserverType::Summary);
  EXPECT_THAT(b.summary_options.quantiles, ElementsAre(Quantile{0.5, 0.1}));
  EXPECT_EQ(b.summary_options.max_age, minutes{1});
  EXPECT_EQ(b.summary_options.age_buckets, 2u);
  EXPECT_EQ(b.summary_options.buf_cap, 10u);
  EXPECT_FALSE(b.scale.has_value());
  EXPECT_FALSE(b.honor_labels);
}

TEST(MappingConfig, MappingsInheritDefaults) {
  MappingConfig c = parse_ok(R"y(
defaults:
  observer_type: summary
  match_type: regex
  ttl: 45s
  summary_options:
    quantiles: [{quantile: 0.42, error: 0.04}]
    max_age: 5m
    age_buckets: 2
    buf_cap: 1000
mappings:
- match: "a(.*)"
  name: "a"
- match: "b.*"
  match_type: glob
  name: "b"
  ttl: 5s
  summary_options:
    max_age: 1m
)y");
  ASSERT_EQ(c.mappings.size(), 2u);
  EXPECT_EQ(c.mappings[0].match_type, MatchType::Regex);
  EXPECT_EQ(c.mappings[0].observer_type, ObserverType::Summary);
  EXPECT_EQ(c.mappings[0].ttl, seconds{45});
  EXPECT_THAT(c.mappings[0].summary_options.quantiles, ElementsAre(Quantile{0.42, 0.04}));
  EXPECT_EQ(c.mappings[0].summary_options.max_age, minutes{5});
  EXPECT_EQ(c.mappings[0].summary_options.age_buckets, 2u);
  EXPECT_EQ(c.mappings[0].summary_options.buf_cap, 1000u);
  EXPECT_EQ(c.mappings[1].match_type, MatchType::Glob);
  EXPECT_EQ(c.mappings[1].ttl, seconds{5});
  EXPECT_EQ(c.mappings[1].summary_options.max_age, minutes{1});  // own value
  EXPECT_EQ(c.mappings[1].summary_options.buf_cap, 1000u);       // merged from defaults
}

TEST(MappingConfig, HistogramMappingFallsBackToDefaultBuckets) {
  MappingConfig c = parse_ok(R"y(
defaults:
  histogram_options:
    buckets: [3, 4]
    native_histogram_bucket_factor: 1.1
mappings:
- match: "a.*"
  name: "a"
  observer_type: histogram
- match: "b.*"
  name: "b"
  observer_type: histogram
  buckets: [7, 8]
)y");
  EXPECT_THAT(c.mappings[0].histogram_options.buckets, ElementsAre(3, 4));
  EXPECT_DOUBLE_EQ(c.mappings[0].histogram_options.native_histogram_bucket_factor, 1.1);
  EXPECT_THAT(c.mappings[1].histogram_options.buckets, ElementsAre(7, 8));  // legacy top-level buckets
}

TEST(MappingConfig, LegacyMappingKeys) {
  MappingConfig c = parse_ok(R"y(
mappings:
- match: test.*.*
  timer_type: summary
  name: "foo"
  quantiles:
    - quantile: 0.42
      error: 0.04
    - quantile: 0.7
      error: 0.002
- match: test2.*.*
  observer_type: summary
  timer_type: histogram
  name: "bar"
)y");
  EXPECT_EQ(c.mappings[0].observer_type, ObserverType::Summary);
  EXPECT_THAT(c.mappings[0].summary_options.quantiles,
              ElementsAre(Quantile{0.42, 0.04}, Quantile{0.7, 0.002}));
  EXPECT_EQ(c.mappings[1].observer_type, ObserverType::Summary);
  EXPECT_THAT(c.mappings[1].summary_options.quantiles,
              ElementsAre(Quantile{0.5, 0.05}, Quantile{0.9, 0.01}, Quantile{0.99, 0.001}));
}

// statsd_exporter 0.27-0.29 accept the deprecated timer_type and 0.30 rejects it: we accept it and return a
// warning per use, with the file and the value's line and column, for the caller to log (no logging here).
TEST(MappingConfig, TimerTypeIsAcceptedWithADeprecationWarningPerUse) {
  MappingConfig c = parse_ok(R"y(defaults:
  timer_type: histogram
mappings:
- match: a.*
  name: "a"
  timer_type: summary
- match: b.*
  name: "b"
  observer_type: histogram
)y");
  EXPECT_EQ(c.defaults.observer_type, ObserverType::Histogram);
  EXPECT_EQ(c.mappings[0].observer_type, ObserverType::Summary);
  ASSERT_EQ(c.warnings.size(), 2u);
  EXPECT_EQ(c.warnings[0].file, "test.yml");
  EXPECT_EQ(c.warnings[0].line, 2);
  EXPECT_EQ(c.warnings[0].column, 15);
  EXPECT_EQ(c.warnings[1].line, 6);
  EXPECT_THAT(c.warnings[1].to_string(), HasSubstr("test.yml:6:15: timer_type is deprecated"));
  EXPECT_THAT(c.warnings[1].message, HasSubstr("use observer_type"));
  // observer_type alone warns about nothing
  EXPECT_TRUE(parse_ok("mappings:\n- match: a.*\n  name: a\n  observer_type: summary\n").warnings.empty());
}

TEST(MappingConfig, ScalarForms) {
  // yaml.v2 conventions: integer ttl is nanoseconds, yes/no are booleans, numbers may be
  // written as strings only for string fields.
  MappingConfig c = parse_ok(R"y(
defaults:
  glob_disable_ordering: yes
  ttl: 1000
mappings:
- match: a.b
  name: 'x'
  labels:
    code: 200
    flag: true
  scale: 1e3
  help: 42
)y");
  EXPECT_TRUE(c.defaults.glob_disable_ordering);
  EXPECT_EQ(c.defaults.ttl, nanoseconds{1000});
  EXPECT_THAT(c.mappings[0].labels, ElementsAre(Pair("code", "200"), Pair("flag", "true")));
  EXPECT_DOUBLE_EQ(*c.mappings[0].scale, 1000);
  EXPECT_EQ(c.mappings[0].help, "42");
}

struct BadCase {
  std::string name;
  std::string yaml;
  std::string message;  // a substring of the (first) error
  int line;
  int column;
  friend void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }
};

class MappingConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(MappingConfigErrors, RejectedWithPosition) {
  const BadCase& c = GetParam();
  std::vector<Error> errors = parse_errors(c.yaml);
  ASSERT_FALSE(errors.empty());
  EXPECT_THAT(errors[0].message, HasSubstr(c.message));
  EXPECT_EQ(errors[0].file, "test.yml");
  EXPECT_EQ(errors[0].line, c.line) << errors[0].to_string();
  EXPECT_EQ(errors[0].column, c.column) << errors[0].to_string();
}

INSTANTIATE_TEST_SUITE_P(
    StatsdExporterRules, MappingConfigErrors,
    ::testing::Values(
        BadCase{"UnknownTopLevelKey", "mapping:\n- match: a\n",
                "field mapping not found in type mapper.MetricMapper", 1, 1},
        BadCase{"UnknownDefaultsKey", "defaults:\n  timer: histogram\n", "field timer not found", 2, 3},
        BadCase{"UnknownMappingKey", "mappings:\n- match: a.b\n  name: x\n  lables:\n    a: b\n",
                "field lables not found in type mapper.MetricMapping", 4, 3},
        BadCase{"UnknownSummaryKey", "defaults:\n  summary_options:\n    maxage: 1m\n",
                "field maxage not found in type mapper.SummaryOptions", 3, 5},
        BadCase{"UnknownQuantileKey", "defaults:\n  quantiles:\n  - q: 0.5\n", "field q not found", 3, 5},
        BadCase{"DuplicateField", "mappings:\n- match: a.b\n  name: x\n  name: y\n",
                "field name already set in type mapper.MetricMapping", 4, 3},
        BadCase{"DuplicateLabel", "mappings:\n- match: a.b\n  name: x\n  labels:\n    ab: x\n    ab: y\n",
                "key \"ab\" already set in map", 6, 5},
        BadCase{"MergeOfAScalar", "mappings:\n- match: a.b\n  name: x\n  <<: 5\n",
                "map merge requires map or sequence of maps", 4, 7},
        BadCase{"BadMetricLine", "mappings:\n- match: bad--metric-line.*.*\n  name: foo\n",
                "invalid match: bad--metric-line.*.*", 2, 10},
        BadCase{"GlobPartialWildcard", "mappings:\n- match: \"foo*.bar\"\n  name: foo\n", "invalid match", 2,
                10},
        BadCase{"GlobLeadingDigit", "mappings:\n- match: 1foo.bar\n  name: foo\n", "invalid match", 2, 10},
        BadCase{"GlobEmptySegment", "mappings:\n- match: foo..bar\n  name: foo\n", "invalid match", 2, 10},
        BadCase{"GlobMissingMatch", "mappings:\n- name: foo\n", "invalid match: ", 2, 3},
        BadCase{"BadMetricName", "mappings:\n- match: test.*.*\n  name: \"0foo\"\n",
                "metric name '0foo' doesn't match", 3, 9},
        BadCase{"NameWithDash", "mappings:\n- match: test.*.*\n  name: \"a-b\"\n", "metric name 'a-b'", 3, 9},
        BadCase{"NoMetricName", "mappings:\n- match: test.*.*\n  labels:\n    this: \"$1\"\n",
                "line 0: metric mapping didn't set a metric name", 2, 3},
        BadCase{"DropStillNeedsName", "mappings:\n- match: a.b\n- match: c.d\n  action: drop\n",
                "line 0: metric mapping didn't set a metric name", 2, 3},
        BadCase{"InvalidLabelKey", "mappings:\n- match: a.*\n  name: x\n  labels:\n    bad-key: $1\n",
                "invalid label key: bad-key", 5, 5},
        BadCase{"SingleCharacterLabelKey", "mappings:\n- match: a.*\n  name: x\n  labels:\n    a: $1\n",
                "invalid label key: a", 5, 5},
        BadCase{"BadRegex", "mappings:\n- match: \"(a\"\n  match_type: regex\n  name: x\n",
                "invalid regex (a in mapping", 2, 10},
        BadCase{"BadMatchType", "mappings:\n- match: a\n  match_type: fuzzy\n  name: x\n",
                "invalid match type \"fuzzy\"", 3, 15},
        BadCase{"BadObserverType", "mappings:\n- match: test.*.*\n  observer_type: wrong\n  name: foo\n",
                "invalid observer type \"wrong\"", 3, 18},
        BadCase{"BadTimerType", "mappings:\n- match: test.*.*\n  timer_type: wrong\n  name: foo\n",
                "invalid observer type \"wrong\"", 3, 15},
        BadCase{"BadAction", "mappings:\n- match: a.b\n  name: x\n  action: keep\n",
                "invalid action type \"keep\"", 4, 11},
        BadCase{"BadMatchMetricType", "mappings:\n- match: a.b\n  name: x\n  match_metric_type: timer\n",
                "invalid metric type 'timer'", 4, 22},
        BadCase{"BadTtl", "mappings:\n- match: a.b\n  name: x\n  ttl: 10 minutes\n",
                "cannot unmarshal !!str `10 minutes` into time.Duration", 4, 8},
        BadCase{"TtlWithoutUnit", "defaults:\n  ttl: \"10\"\n", "into time.Duration", 2, 8},
        BadCase{"BadScale", "mappings:\n- match: a.b\n  name: x\n  scale: lots\n",
                "cannot unmarshal !!str `lots` into float64", 4, 10},
        BadCase{"BadBucket", "defaults:\n  histogram_options:\n    buckets: [1, two]\n", "into float64", 3,
                18},
        BadCase{"NegativeAgeBuckets", "defaults:\n  summary_options:\n    age_buckets: -1\n", "into uint32",
                3, 18},
        BadCase{"BadBool", "defaults:\n  glob_disable_ordering: maybe\n", "into bool", 2, 26},
        BadCase{"MappingsNotAList", "mappings:\n  match: a\n", "into []mapper.MetricMapping", 2, 3},
        BadCase{"LabelsNotAMap", "mappings:\n- match: a.b\n  name: x\n  labels: [a]\n",
                "into prometheus.Labels", 4, 11},
        BadCase{"HistogramWithSummaryOptions",
                "mappings:\n- match: a.b\n  name: x\n  observer_type: histogram\n  summary_options:\n    "
                "max_age: 1m\n",
                "cannot use histogram observer and summary options at the same time", 2, 3},
        BadCase{"SummaryWithHistogramOptions",
                "mappings:\n- match: a.b\n  name: x\n  observer_type: summary\n  histogram_options:\n    "
                "buckets: [1]\n",
                "cannot use summary observer and histogram options at the same time", 2, 3},
        BadCase{"QuantilesTwice",
                "mappings:\n- match: a.b\n  name: x\n  quantiles: [{quantile: 0.5, error: 0.1}]\n  "
                "summary_options:\n"
                "    quantiles: [{quantile: 0.9, error: 0.1}]\n",
                "cannot use quantiles in both the top level and summary options at the same time in a.b", 2,
                3},
        BadCase{
            "BucketsTwice",
            "mappings:\n- match: a.b\n  name: x\n  buckets: [1]\n  histogram_options:\n    buckets: [2]\n",
            "cannot use buckets in both the top level and histogram options at the same time in a.b", 2, 3},
        BadCase{"YamlSyntax", "mappings:\n- match: *.test.*\n  name: x\n", "", 2, 10},
        BadCase{"NotAMap", "just a string\n",
                "cannot unmarshal !!str `just a string` into mapper.MetricMapper", 1, 1}),
    [](const auto& info) { return info.param.name; });

TEST(MappingConfig, ReportsEveryErrorNotJustTheFirst) {
  std::vector<Error> errors = parse_errors(R"y(mappings:
- match: ok.*
  name: fine
- match: bad..glob
  name: x
- match: a.b
  name: "0bad"
- match: c.d
  name: y
  colour: red
)y");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_THAT(errors[0].message, HasSubstr("invalid match: bad..glob"));
  EXPECT_EQ(errors[0].line, 4);
  EXPECT_THAT(errors[1].message, HasSubstr("metric name '0bad'"));
  EXPECT_EQ(errors[1].line, 7);
  EXPECT_THAT(errors[2].message, HasSubstr("field colour not found"));
  EXPECT_EQ(errors[2].to_string(), "test.yml:10:3: field colour not found in type mapper.MetricMapping");
}

TEST(MappingConfig, AcceptedGlobsAndNames) {
  // statsd_exporter's grammar: later segments may start with a digit, single dashes
  // between word characters are fine, templates may use $N, ${N} and mix them.
  MappingConfig c = parse_ok(R"y(
mappings:
- match: "*"
  name: "all"
- match: "a.1b.c-d.*"
  name: "${1}_$2x"
- match: "_x.y_z"
  name: "$1"
)y");
  EXPECT_EQ(c.mappings.size(), 3u);
}

TEST(MappingConfig, LoadFile) {
  const std::string path = std::string(PROMCAST_BINARY_DIR) + "/mappings_config_test.yml";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("mappings:\n- match: a.*\n  name: a\n  bogus: 1\n", f);
    std::fclose(f);
  }
  auto loaded = MappingConfig::load_file(path);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error()[0].file, path);
  EXPECT_EQ(loaded.error()[0].line, 4);
  std::remove(path.c_str());

  auto missing = MappingConfig::load_file(path + ".does-not-exist");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error()[0].file, path + ".does-not-exist");
}

}  // namespace
}  // namespace promcast::mappings

namespace promcast::mappings {
namespace {

TEST(MappingConfig, HostileInputIsAnErrorNotACrash) {
  EXPECT_FALSE(MappingConfig::parse(std::string(100000, '['), "deep.yml").has_value());
  EXPECT_FALSE(
      MappingConfig::parse(std::string("mappings: ") + std::string(5000, '{'), "deep.yml").has_value());
  EXPECT_FALSE(MappingConfig::parse(std::string("\0\xff\xfe", 3), "bin.yml").has_value());
  // Aliases are followed, not expanded into copies.
  auto aliased = MappingConfig::parse(R"y(
base: &m {match: "a.*", name: "x"}
)y",
                                      "alias.yml");
  EXPECT_FALSE(aliased.has_value());  // `base` is not a known key
  auto ok = MappingConfig::parse(R"y(
mappings:
- &m {match: "a.*", name: "x"}
- *m
)y",
                                 "alias.yml");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->mappings.size(), 2u);
}

}  // namespace
}  // namespace promcast::mappings

namespace promcast::mappings {
namespace {

TEST(MappingConfig, MergeKeysAsYamlV2) {
  // Anchors plus `<<` merges are common in shared mapping files.
  auto parsed = MappingConfig::parse(R"y(
mappings:
- &base
  match: "svc.*.*"
  name: "svc_requests"
  ttl: 1m
  labels: &common
    team: core
    op: "$1"
- <<: *base
  match: "api.*.*"
  name: "api_requests"
  labels:
    result: "$2"
  summary_options:
    buf_cap: 10
- match: "db.*.*"
  summary_options:
    max_age: 1m
  <<: [*base, {summary_options: {buf_cap: 20}}]
)y",
                                     "merge.yml");
  ASSERT_TRUE(parsed.has_value()) << parsed.error()[0].to_string();
  const auto& m = parsed->mappings;
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[1].match, "api.*.*");  // explicit keys after the merge overwrite it
  EXPECT_EQ(m[1].name, "api_requests");
  EXPECT_EQ(m[1].ttl, std::chrono::minutes{1});  // merged
  // yaml.v2 decodes into the map the merge already filled: labels accumulate.
  ASSERT_EQ(m[1].labels.size(), 3u);
  EXPECT_EQ(m[1].labels[0].first, "op");
  EXPECT_EQ(m[1].labels[1].first, "result");
  EXPECT_EQ(m[1].labels[2].first, "team");
  EXPECT_EQ(m[1].summary_options.buf_cap, 10u);
  // The merge is decoded where it appears, so it overwrites the keys before it; in a list
  // of merges the first one wins; structs are filled in place, not replaced.
  EXPECT_EQ(m[2].match, "svc.*.*");
  EXPECT_EQ(m[2].name, "svc_requests");
  EXPECT_EQ(m[2].summary_options.max_age, std::chrono::minutes{1});
  EXPECT_EQ(m[2].summary_options.buf_cap, 20u);

  // A label set by a merge and again explicitly is a duplicate in a strict map.
  auto dup = MappingConfig::parse(R"y(
mappings:
- match: "a.*"
  name: "a"
  labels:
    <<: {team: core}
    team: other
)y",
                                  "merge.yml");
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error()[0].message, "key \"team\" already set in map");
}

}  // namespace
}  // namespace promcast::mappings

namespace promcast::mappings {
namespace {

// Found by the mapping_loader fuzzer (10 minutes, 2.4 GB and 519 s on one input): yaml-cpp resolves an
// alias inside its own anchor to that node, so a map could merge itself, and merges fanned out
// exponentially. Both are now errors (the fuzzer's input replays from fuzz/corpus/mapping_loader).
TEST(MappingConfig, SelfMergingAnchorsAndAliasBombsAreErrors) {
  auto self = MappingConfig::parse(R"y(
mappings:
- &base
  match: "svc.*"
  name: "svc"
  <<: [*base, {help: "x"}]
)y",
                                   "self.yml");
  ASSERT_FALSE(self.has_value());
  bool named_cycle = false;
  for (const auto& e : self.error())
    named_cycle = named_cycle || e.message.find("anchor cycle") != std::string::npos;
  EXPECT_TRUE(named_cycle) << self.error()[0].to_string();

  // Ten levels that each merge the one below twice: 2^10 merges of a small map stay fine, 2^16 do not.
  std::string bomb = "x0: &a0 {help: h}\n";
  for (int i = 1; i <= 16; ++i) bomb += fmt::format("x{}: &a{} {{<<: [*a{}, *a{}]}}\n", i, i, i - 1, i - 1);
  bomb += "mappings:\n- match: \"a.*\"\n  name: a\n  <<: *a16\n";
  auto exploded = MappingConfig::parse(bomb, "bomb.yml");
  ASSERT_FALSE(exploded.has_value());
  bool named_aliasing = false;
  for (const auto& e : exploded.error())
    named_aliasing = named_aliasing || e.message.find("excessive aliasing") != std::string::npos;
  EXPECT_TRUE(named_aliasing) << exploded.error()[0].to_string();
  EXPECT_LT(exploded.error().size(), 100u) << "one error for the excess, not one per merge";
}

}  // namespace
}  // namespace promcast::mappings
