// Mapping statsd names: table-driven cases modelled on statsd_exporter's mapper tests
// (expected values follow its documented behaviour), plus precedence rules.
#include "mappings/mapper.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

namespace promcast::mappings {
namespace {

using Labels = std::map<std::string, std::string>;

std::shared_ptr<const MappingConfig> load(std::string_view yaml) {
  auto parsed = MappingConfig::parse(yaml, "test.yml");
  if (!parsed) {
    std::string all;
    for (const auto& e : parsed.error()) all += e.to_string() + "\n";
    ADD_FAILURE() << all;
    return std::make_shared<MappingConfig>();
  }
  return std::make_shared<const MappingConfig>(std::move(*parsed));
}

struct Expect {
  std::string statsd_name;
  MetricType type = MetricType::Counter;
  bool matched = true;
  std::string name;  // expected metric name (escaped name when unmatched)
  Labels labels;
  int mapping = -1;  // expected mapping index when >= 0
};

struct Scenario {
  std::string title;
  std::string yaml;
  std::vector<Expect> expects;
  friend void PrintTo(const Scenario& s, std::ostream* os) { *os << s.title; }
};

class MapperScenarios : public ::testing::TestWithParam<Scenario> {};

TEST_P(MapperScenarios, MapsAsStatsdExporter) {
  const Scenario& s = GetParam();
  auto config = load(s.yaml);
  Mapper mapper(config);
  for (const Expect& e : s.expects) {
    SCOPED_TRACE(e.statsd_name);
    MapResult r = mapper.map(e.statsd_name, e.type);
    EXPECT_EQ(r.matched(), e.matched);
    EXPECT_EQ(r.name, e.name);
    Labels got(r.labels.begin(), r.labels.end());
    EXPECT_EQ(got, e.labels);
    EXPECT_TRUE(std::is_sorted(r.labels.begin(), r.labels.end()));
    if (e.mapping >= 0) {
      ASSERT_TRUE(r.matched());
      EXPECT_EQ(r.mapping, &config->mappings[static_cast<size_t>(e.mapping)]);
    }
  }
}

const char* kSeveral = R"y(---
mappings:
- match: test.dispatcher.*.*.*
  name: "dispatch_events"
  labels:
    processor: "$1"
    action: "$2"
    result: "$3"
    job: "test_dispatcher"
- match: test.my-dispatch-host01.name.dispatcher.*.*.*
  name: "host_dispatch_events"
  labels:
    processor: "$1"
    action: "$2"
    result: "$3"
    job: "test_dispatcher"
- match: request_time.*.*.*.*.*.*.*.*.*.*.*.*
  name: "tyk_http_request"
  labels:
    method_and_path: "${1}"
    response_code: "${2}"
    apikey: "${3}"
    apiversion: "${4}"
    apiname: "${5}"
    apiid: "${6}"
    ipv4_t1: "${7}"
    ipv4_t2: "${8}"
    ipv4_t3: "${9}"
    ipv4_t4: "${10}"
    orgid: "${11}"
    oauthid: "${12}"
- match: "*.*"
  name: "catchall"
  labels:
    first: "$1"
    second: "$2"
    third: "$3"
    job: "$1-$2-$3"
- match: (.*)\.(.*)-(.*)\.(.*)
  match_type: regex
  name: "proxy_requests_total"
  labels:
    job: "$1"
    protocol: "$2"
    endpoint: "$3"
    result: "$4"
)y";

INSTANTIATE_TEST_SUITE_P(
    Mapper, MapperScenarios,
    ::testing::Values(
        Scenario{
            "SeveralMappings",
            kSeveral,
            {
                {"test.dispatcher.FooProcessor.send.succeeded",
                 MetricType::Counter,
                 true,
                 "dispatch_events",
                 {{"processor", "FooProcessor"},
                  {"action", "send"},
                  {"result", "succeeded"},
                  {"job", "test_dispatcher"}},
                 0},
                {"test.my-dispatch-host01.name.dispatcher.FooProcessor.send.succeeded",
                 MetricType::Counter,
                 true,
                 "host_dispatch_events",
                 {{"processor", "FooProcessor"},
                  {"action", "send"},
                  {"result", "succeeded"},
                  {"job", "test_dispatcher"}},
                 1},
                {"request_time.get/threads/1/posts.200.00000000.nonversioned.discussions."
                 "a11bbcdf0ac64ec243658dc64b7100fb.172.20.0.1.12ba97b7eaa1a50001000001.",
                 MetricType::Counter,
                 true,
                 "tyk_http_request",
                 {{"method_and_path", "get/threads/1/posts"},
                  {"response_code", "200"},
                  {"apikey", "00000000"},
                  {"apiversion", "nonversioned"},
                  {"apiname", "discussions"},
                  {"apiid", "a11bbcdf0ac64ec243658dc64b7100fb"},
                  {"ipv4_t1", "172"},
                  {"ipv4_t2", "20"},
                  {"ipv4_t3", "0"},
                  {"ipv4_t4", "1"},
                  {"orgid", "12ba97b7eaa1a50001000001"},
                  {"oauthid", ""}},
                 2},
                // $3 is beyond the glob's two captures: it expands to nothing.
                {"foo.bar",
                 MetricType::Counter,
                 true,
                 "catchall",
                 {{"first", "foo"}, {"second", "bar"}, {"third", ""}, {"job", "foo-bar-"}},
                 3},
                {"foo.bar.baz", MetricType::Counter, false, "foo_bar_baz", {}},
                {"proxy-1.http-goober.success",
                 MetricType::Counter,
                 true,
                 "proxy_requests_total",
                 {{"job", "proxy-1"}, {"protocol", "http"}, {"endpoint", "goober"}, {"result", "success"}},
                 4},
            }},
        Scenario{"DriftMetrics",
                 R"y(mappings:
- match: "drift_metrics.*.*.*.*"
  name: drift_metrics
  labels:
    dataset_name: "$1"
    dataset_version: "$2"
    column_name: "$3"
    metric_name: "$4"
)y",
                 {
                     {"drift_metrics.mushroom.v1.cap-diameter.wasserstein",
                      MetricType::Gauge,
                      true,
                      "drift_metrics",
                      {{"dataset_name", "mushroom"},
                       {"dataset_version", "v1"},
                       {"column_name", "cap-diameter"},
                       {"metric_name", "wasserstein"}}},
                     {"drift_metrics.mushroom.v1.cap-diameter",
                      MetricType::Gauge,
                      false,
                      "drift_metrics_mushroom_v1_cap_diameter",
                      {}},
                     {"drift_metrics.a.b.c.d.e", MetricType::Gauge, false, "drift_metrics_a_b_c_d_e", {}},
                     // An empty token is still a token, and `*` captures it.
                     {"drift_metrics.a..c.d",
                      MetricType::Gauge,
                      true,
                      "drift_metrics",
                      {{"dataset_name", "a"},
                       {"dataset_version", ""},
                       {"column_name", "c"},
                       {"metric_name", "d"}}},
                 }},
        Scenario{"TemplateReferences",
                 R"y(mappings:
- match: test.*
  name: "name"
  labels:
    bad: "$1_foo"
    good: "${1}_foo"
    both: "$1.${1}"
- match: test1.*.*
  name: "$1"
- match: test2.*.*
  name: "${1}_$2"
- match: test3\.(\w+)\.(\w+)
  match_type: regex
  name: "${2}_$1"
- match: "*.test.*"
  name: "name2"
  labels:
    label: "${2}_foo"
)y",
                 {
                     // `$1_foo` refers to a capture named `1_foo`, which does not exist.
                     {"test.a",
                      MetricType::Counter,
                      true,
                      "name",
                      {{"bad", ""}, {"good", "a_foo"}, {"both", "a.a"}}},
                     {"test1.total_requests.count", MetricType::Counter, true, "total_requests", {}},
                     {"test2.total_requests.count", MetricType::Counter, true, "total_requests_count", {}},
                     {"test3.total_requests.count", MetricType::Counter, true, "count_total_requests", {}},
                     {"foo.test.a", MetricType::Counter, true, "name2", {{"label", "a_foo"}}},
                 }},
        Scenario{"RegexExpansion",
                 R"y(mappings:
- match: '^(?P<service>[a-z]+)\.(\w+)\.count$'
  match_type: regex
  name: "${2}_total"
  labels:
    service: "${service}"
    glued: "$service_x"
    dollar: "$$1"
    whole: "$0"
    missing: "${9}"
    malformed: "a$"
- match: 'foo'
  match_type: regex
  name: "unanchored"
- match: '(a)|(b)'
  match_type: regex
  name: "alternation"
  labels:
    first: "<$1>"
    second: "<$2>"
)y",
                 {
                     {"web.hits.count",
                      MetricType::Counter,
                      true,
                      "hits_total",
                      {{"service", "web"},
                       {"glued", ""},
                       {"dollar", "$1"},
                       {"whole", "web.hits.count"},
                       {"missing", ""},
                       {"malformed", "a$"}},
                      0},
                     // Go's FindStringSubmatchIndex searches; it does not anchor.
                     {"xxfooyy", MetricType::Counter, true, "unanchored", {}, 1},
                     {"b", MetricType::Counter, true, "alternation", {{"first", "<>"}, {"second", "<b>"}}, 2},
                 }},
        Scenario{"MatchMetricType",
                 R"y(mappings:
- match: test.*.*
  match_metric_type: counter
  name: "counter_$1"
- match: test.*.*
  match_metric_type: gauge
  name: "gauge_$1"
- match: test\.(\w+)
  match_type: regex
  match_metric_type: observer
  name: "observer_$1"
- match: test\.(\w+)
  match_type: regex
  name: "any_$1"
)y",
                 {
                     {"test.a.b", MetricType::Counter, true, "counter_a", {}, 0},
                     {"test.a.b", MetricType::Gauge, true, "gauge_a", {}, 1},
                     // No observer glob; the regex is unanchored, so "test.a" inside matches.
                     {"test.a.b", MetricType::Observer, true, "observer_a", {}, 2},
                     {"test.x", MetricType::Observer, true, "observer_x", {}, 2},
                     {"test.x", MetricType::Gauge, true, "any_x", {}, 3},
                 }},
        Scenario{"DropAction",
                 R"y(mappings:
- match: keep.*
  name: "kept"
- match: "."
  match_type: regex
  action: drop
  name: "dropped"
)y",
                 {
                     {"keep.me", MetricType::Counter, true, "kept", {}, 0},
                     {"anything.else", MetricType::Counter, true, "dropped", {}, 1},
                 }},
        Scenario{"GlobsBeforeRegexes",
                 R"y(mappings:
- match: '(.*)'
  match_type: regex
  name: "regex_first_in_file"
- match: 'a.*'
  name: "glob"
- match: 'b(.*)'
  match_type: regex
  name: "second_regex"
)y",
                 {
                     {"a.b", MetricType::Counter, true, "glob", {}, 1},
                     // No glob matches: regexes in file order, first wins.
                     {"b.c.d", MetricType::Counter, true, "regex_first_in_file", {}, 0},
                 }},
        Scenario{"OrderingOnFirstGlobWins",
                 R"y(mappings:
- match: order.*.*
  name: "testa"
  labels:
    label: "${1}_foo"
- match: order.*.bbb
  name: "testb"
  labels:
    label: "${1}_foo"
)y",
                 {
                     {"order.good.bbb", MetricType::Counter, true, "testa", {{"label", "good_foo"}}, 0},
                 }},
        Scenario{"OrderingOnCapturesOfTheWinner",
                 R"y(defaults:
  glob_disable_ordering: false
mappings:
- match: '*.dummy.*'
  name: metric_one
  labels:
    system: $1
    attribute: $2
- match: 'full.name.*'
  name: metric_two
  labels:
    system: static
    attribute: $1
)y",
                 {
                     {"whatever.dummy.test",
                      MetricType::Counter,
                      true,
                      "metric_one",
                      {{"system", "whatever"}, {"attribute", "test"}}},
                     {"full.name.anothertest",
                      MetricType::Counter,
                      true,
                      "metric_two",
                      {{"system", "static"}, {"attribute", "anothertest"}}},
                 }},
        Scenario{"OrderingOffBacktracking",
                 R"y(defaults:
  glob_disable_ordering: true
mappings:
- match: backtrack.*.bbb
  name: "testb"
  labels:
    label: "${1}_foo"
- match: backtrack.justatest.aaa
  name: "testa"
  labels:
    label: "${1}_foo"
)y",
                 {
                     {"backtrack.good.bbb", MetricType::Counter, true, "testb", {{"label", "good_foo"}}},
                     {"backtrack.justatest.bbb",
                      MetricType::Counter,
                      true,
                      "testb",
                      {{"label", "justatest_foo"}}},
                     {"backtrack.justatest.aaa", MetricType::Counter, true, "testa", {{"label", "_foo"}}},
                 }},
        Scenario{"OrderingOffMostSpecificWins",
                 R"y(defaults:
  glob_disable_ordering: true
mappings:
- match: noorder.*.*
  name: "testa"
  labels:
    label: "${1}_foo"
- match: noorder.*.bbb
  name: "testb"
  labels:
    label: "${1}_foo"
- match: noorder.ccc.bbb
  name: "testc"
  labels:
    label: "ccc_foo"
)y",
                 {
                     {"noorder.good.bbb", MetricType::Counter, true, "testb", {{"label", "good_foo"}}},
                     {"noorder.ccc.bbb", MetricType::Counter, true, "testc", {{"label", "ccc_foo"}}},
                     // Without ordering the walk commits to the literal `ccc`, and statsd_exporter
                     // decides this rule set needs no backtracking (each `*` rule covers or is
                     // covered by another), so the dead end is final: unmatched.
                     {"noorder.ccc.ddd", MetricType::Counter, false, "noorder_ccc_ddd", {}},
                 }},
        Scenario{"PrefixGlobAfterLongerGlobNeverMatches",
                 // statsd_exporter's FSM attaches a result only to a state the glob created;
                 // `a.b` reuses the state `a.b.c` made, so it never matches (regex fallback).
                 R"y(mappings:
- match: a.b.c
  name: "long"
- match: a.b
  name: "short"
- match: x.y
  name: "short_first"
- match: x.y.z
  name: "long_second"
)y",
                 {
                     {"a.b.c", MetricType::Counter, true, "long", {}, 0},
                     {"a.b", MetricType::Counter, false, "a_b", {}},
                     {"x.y", MetricType::Counter, true, "short_first", {}, 2},
                     {"x.y.z", MetricType::Counter, true, "long_second", {}, 3},
                 }},
        Scenario{"RepeatedGlobTakesTheLaterPriority",
                 // statsd_exporter keeps the first mapping's result on a repeated glob but
                 // gives the state the later position, so `*.b` (position 1) beats `a.*`.
                 R"y(mappings:
- match: a.*
  name: "first"
- match: "*.b"
  name: "second"
- match: a.*
  name: "third"
)y",
                 {
                     {"a.b", MetricType::Counter, true, "second", {}, 1},
                     {"a.c", MetricType::Counter, true, "first", {}, 0},
                 }},
        Scenario{"UnmatchedNamesAreEscaped",
                 R"y(mappings:
- match: only.this
  name: "x"
)y",
                 {
                     {"0day.hits", MetricType::Counter, false, "_0day_hits", {}},
                     {"web-server.req--total", MetricType::Gauge, false, "web_server_req_total", {}},
                     {"caf\xC3\xA9.latency", MetricType::Observer, false, "caf__latency", {}},
                 }},
        Scenario{"NoMappings", "", {{"some.metric", MetricType::Counter, false, "some_metric", {}}}}),
    [](const auto& info) { return info.param.title; });

TEST(Mapper, MapIntoReusesTheResult) {
  auto config = load(R"y(mappings:
- match: a.*.*
  name: "a"
  labels:
    xx: "$1"
    yy: "$2"
- match: b.*
  name: "b"
  labels:
    zz: "$1"
)y");
  Mapper mapper(config);
  MapResult r;
  mapper.map_into("a.one.two", MetricType::Counter, r);
  EXPECT_EQ(r.name, "a");
  ASSERT_EQ(r.labels.size(), 2u);
  mapper.map_into("b.three", MetricType::Counter, r);
  EXPECT_EQ(r.name, "b");
  ASSERT_EQ(r.labels.size(), 1u);
  EXPECT_EQ(r.labels[0].first, "zz");
  EXPECT_EQ(r.labels[0].second, "three");
  mapper.map_into("c.d", MetricType::Counter, r);
  EXPECT_FALSE(r.matched());
  EXPECT_EQ(r.name, "c_d");
  EXPECT_TRUE(r.labels.empty());
  EXPECT_EQ(mapper.mapping_count(), 2u);
}

TEST(Mapper, ManyTokensAndDeepGlobs) {
  // Deeper than the small inline buffers: must still match, and longer names must not.
  std::string glob = "deep";
  std::string name = "deep";
  for (int i = 0; i < 40; ++i) {
    glob += ".*";
    name += ".t" + std::to_string(i);
  }
  auto config = load("mappings:\n- match: \"" + glob + "\"\n  name: deep\n  labels:\n    last: \"${40}\"\n");
  Mapper mapper(config);
  MapResult r = mapper.map(name, MetricType::Counter);
  ASSERT_TRUE(r.matched());
  EXPECT_EQ(r.labels[0].second, "t39");
  EXPECT_FALSE(mapper.map(name + ".extra", MetricType::Counter).matched());
  EXPECT_FALSE(mapper.map(std::string(100000, '.'), MetricType::Counter).matched());
}

}  // namespace
}  // namespace promcast::mappings
