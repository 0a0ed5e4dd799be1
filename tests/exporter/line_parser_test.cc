// Table of statsd lines -> expected events and self-metric counters. Expected values follow
// statsd_exporter's pkg/line rules (v0.28+), worked out by hand from its source, not from our output.
#include "exporter/line_parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace promcast::exporter {
namespace {

using Tags = std::vector<std::pair<std::string, std::string>>;

struct Ev {
  std::string name;
  double value;
  EventType type;
  Tags tags = {};
  bool relative = false;
};

Ev C(std::string name, double v, Tags t = {}) { return {std::move(name), v, EventType::Counter, std::move(t)}; }
Ev G(std::string name, double v, Tags t = {}, bool rel = false) {
  return {std::move(name), v, EventType::Gauge, std::move(t), rel};
}
Ev O(std::string name, double v, Tags t = {}) { return {std::move(name), v, EventType::Observer, std::move(t)}; }
std::vector<Ev> times(int n, const Ev& e) { return std::vector<Ev>(static_cast<std::size_t>(n), e); }

using R = ErrorReason;

struct Counts {
  uint64_t samples = 0;
  uint64_t tags = 0;
  uint64_t tag_errors = 0;
  std::map<ErrorReason, uint64_t> errors = {};
};

struct Case {
  std::string title;
  std::string line;
  std::vector<Ev> events;
  Counts counts;
  ParserOptions options = {};
};

ParserOptions without(bool dog, bool influx, bool librato, bool signalfx) {
  return ParserOptions{!dog, !influx, !librato, !signalfx};
}

const Tags kBarBaz = {{"tag1", "bar"}, {"tag2", "baz"}};
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// basics
std::vector<Case> basics_cases() {
  return {
      {"empty line", "", {}, {}},
      {"simple counter", "foo:2|c", {C("foo", 2)}, {1}},
      {"simple gauge", "foo:3|g", {G("foo", 3)}, {1}},
      {"gauge ignores sampling", "foo:3|g|@0.2", {G("foo", 3)}, {1}},
      {"gauge decrement is relative", "foo:-10|g", {G("foo", -10, {}, true)}, {1}},
      {"gauge increment is relative", "foo:+4.5|g", {G("foo", 4.5, {}, true)}, {1}},
      {"only gauges are relative", "foo:+1|c", {C("foo", 1)}, {1}},
      {"timer in ms becomes seconds", "foo:200|ms", {O("foo", 0.2)}, {1}},
      {"timer fraction", "foo:1500|ms", {O("foo", 1.5)}, {1}},
      {"histogram", "foo:200|h", {O("foo", 200)}, {1}},
      {"distribution", "foo:200|d", {O("foo", 200)}, {1}},
      {"negative counter is parsed (the store rejects it)", "foo:-3|c", {C("foo", -3)}, {1}},
      {"dots and dashes stay in the name", "a.b-c_d:1|c", {C("a.b-c_d", 1)}, {1}},
      {"NUL bytes are valid UTF-8", std::string("fo\0o:1|c", 8), {C(std::string("fo\0o", 4), 1)}, {1}},
      {"valid multi-byte UTF-8 name", "m\xc3\xa9tric:1|g", {G("m\xc3\xa9tric", 1)}, {1}},
  };
}

// line-level errors
std::vector<Case> lineerrors_cases() {
  return {
      {"no colon", "foo", {}, {0, 0, 0, {{R::MalformedLine, 1}}}},
      {"empty name", ":1|c", {}, {0, 0, 0, {{R::MalformedLine, 1}}}},
      {"invalid UTF-8 in name", "f\xff:1|c", {}, {0, 0, 0, {{R::MalformedLine, 1}}}},
      {"invalid UTF-8 in tag value", "foo:100|c|@0.1|#tag:\xc3\x28invalid", {}, {0, 0, 0, {{R::MalformedLine, 1}}}},
      {"valid and invalid UTF-8 tags", "foo:100|c|@0.1|#tag1:valid,tag2:\xc3\x28invalid", {},
       {0, 0, 0, {{R::MalformedLine, 1}}}},
      {"UTF-16 surrogate encoded in UTF-8", "f\xed\xa0\x80:1|c", {}, {0, 0, 0, {{R::MalformedLine, 1}}}},
      {"overlong encoding", "f\xc0\xaf:1|c", {}, {0, 0, 0, {{R::MalformedLine, 1}}}},
      {"truncated sequence at end", "foo:1|c\xe2\x82", {}, {0, 0, 0, {{R::MalformedLine, 1}}}},
      {"no pipe after colon", "foo:1", {}, {0, 0, 0, {{R::NotEnoughPartsAfterColon, 1}}}},
      {"multi-value without pipe", "foo:1:2", {}, {0, 0, 0, {{R::NotEnoughPartsAfterColon, 1}}}},
      {"empty value and type", "foo:|", {}, {1, 0, 0, {{R::MalformedValue, 1}}}},
  };
}

// sample errors
std::vector<Case> sampleerrors_cases() {
  return {
      {"bad value", "foo:abc|c", {}, {1, 0, 0, {{R::MalformedValue, 1}}}},
      {"overflowing value", "foo:1e400|g", {}, {1, 0, 0, {{R::MalformedValue, 1}}}},
      {"empty trailing component", "foo:1|c|", {}, {1, 0, 0, {{R::MalformedComponent, 1}}}},
      {"empty middle component", "foo:1|c||@0.5", {}, {1, 0, 0, {{R::MalformedComponent, 1}}}},
      {"unknown section", "foo:1|c|x", {}, {1, 0, 0, {{R::InvalidSampleFactor, 1}}}},
      {"set type is illegal", "foo:1|s", {}, {1, 0, 0, {{R::IllegalEvent, 1}}}},
      {"empty type is illegal", "foo:1|", {}, {1, 0, 0, {{R::IllegalEvent, 1}}}},
      {"unknown type with sampling is one illegal event", "foo:1|x|@0.25", {}, {1, 0, 0, {{R::IllegalEvent, 1}}}},
      {"carriage return is part of the type", "foo:1|c\r", {}, {1, 0, 0, {{R::IllegalEvent, 1}}}},
      {"8 components are fine", "foo:1|c|@1|@1|@1|@1|@1|@1", {C("foo", 1)}, {1}},
      {"9 components are too many", "foo:1|c|@1|@1|@1|@1|@1|@1|@1", {}, {1, 0, 0, {{R::MalformedComponent, 1}}}},
  };
}

// sampling
std::vector<Case> sampling_cases() {
  return {
      {"counter divided by rate", "foo:1|c|@0.1", {C("foo", 10)}, {1}},
      {"counter divided by every rate in turn", "foo:4|c|@0.5|@0.5", {C("foo", 16)}, {1}},
      {"rate 0 means 1", "foo:7|c|@0", {C("foo", 7)}, {1}},
      {"unparsable rate is counted and treated as 1", "foo:7|c|@abc", {C("foo", 7)},
       {1, 0, 0, {{R::InvalidSampleFactor, 1}}}},
      {"empty rate is counted and treated as 1", "foo:7|c|@", {C("foo", 7)}, {1, 0, 0, {{R::InvalidSampleFactor, 1}}}},
      {"overflowing rate is counted and is +Inf", "foo:7|c|@1e400", {C("foo", 0)},
       {1, 0, 0, {{R::InvalidSampleFactor, 1}}}},
      {"bad rate on a gauge is counted too", "foo:7|g|@x", {G("foo", 7)}, {1, 0, 0, {{R::InvalidSampleFactor, 1}}}},
      {"negative rate negates a counter", "foo:7|c|@-1", {{"foo", -7, EventType::Counter}}, {1}},
      {"NaN rate makes a NaN counter", "foo:7|c|@NaN", {C("foo", kNaN)}, {1}},
      {"histogram rate 0.5 doubles", "foo:3|h|@0.5", times(2, O("foo", 3)), {1}},
      {"histogram rate 0.3 gives int(3.33) copies", "foo:3|h|@0.3", times(3, O("foo", 3)), {1}},
      {"timer with sampling", "foo:250|ms|@0.25", times(4, O("foo", 0.25)), {1}},
      {"rate above 1 gives no event", "foo:3|h|@2", {}, {1}},
      {"negative rate gives no observer event", "foo:3|d|@-0.5", {}, {1}},
      {"overflowing rate gives no observer event", "foo:3|d|@1e400", {}, {1, 0, 0, {{R::InvalidSampleFactor, 1}}}},
      {"replication overflowing int64 gives no event (Go on amd64)", "foo:3|d|@1e-30", {}, {1}},
      {"last rate decides observer copies", "foo:3|h|@0.1|@0.5", times(2, O("foo", 3)), {1}},
  };
}

// multi-metric lines and extended aggregation
std::vector<Case> multivalue_cases() {
  return {
      {"several samples of different types", "foo:1|c:2|g:300|ms", {C("foo", 1), G("foo", 2), O("foo", 0.3)}, {3}},
      {"bad piece in multi-metric line", "foo:1|c:bar", {C("foo", 1)}, {2, 0, 0, {{R::MalformedComponent, 1}}}},
      {"bad value in multi-metric line", "foo:x|c:2|c", {C("foo", 2)}, {2, 0, 0, {{R::MalformedValue, 1}}}},
      {"extended aggregation needs an observer type", "foo:1:2|c", {},
       {0, 0, 0, {{R::InvalidExtendedAggregateType, 1}}}},
      {"extended aggregation timings with tags", "foo_timing:0.5:120:3000:10:20000:0.01|ms|#tag1:bar,tag2:baz",
       {O("foo_timing", 0.0005, kBarBaz), O("foo_timing", 0.12, kBarBaz), O("foo_timing", 3, kBarBaz),
        O("foo_timing", 0.01, kBarBaz), O("foo_timing", 20, kBarBaz), O("foo_timing", 0.00001, kBarBaz)},
       {6, 6}},
      {"extended aggregation without tags", "foo:1:2:3|h", {O("foo", 1), O("foo", 2), O("foo", 3)}, {3}},
      {"extended aggregation with sampling", "foo:1:2|d|@0.5",
       {O("foo", 1), O("foo", 1), O("foo", 2), O("foo", 2)}, {2}},
      {"extended aggregation with a bad value", "foo:1:x:3|h", {O("foo", 1), O("foo", 3)},
       {3, 0, 0, {{R::MalformedValue, 1}}}},
      {"extended aggregation with an empty value", "foo:1:|ms", {O("foo", 0.001)}, {2, 0, 0, {{R::MalformedValue, 1}}}},
      {"extended aggregation counts tag errors per sample", "foo:1:2|h|#bad", {O("foo", 1), O("foo", 2)}, {2, 0, 2}},
      {"tag errors only for samples whose value parsed", "foo:x:2|h|#bad", {O("foo", 2)},
       {2, 0, 1, {{R::MalformedValue, 1}}}},
      {"extended aggregation with too many components", "foo:1:2|ms|@1|@1|@1|@1|@1|@1|@1", {},
       {2, 0, 0, {{R::MalformedComponent, 2}}}},
      {"extended aggregation with container id", "foo:1:2|h|c:abc",
       {O("foo", 1, {{"container_id", "abc"}}), O("foo", 2, {{"container_id", "abc"}})}, {2, 2}},
      {"extended aggregation with a bad section fails every sample", "foo:1:2|h|#a:b|q", {},
       {2, 0, 0, {{R::InvalidSampleFactor, 2}}}},
  };
}

// DogStatsD tags
std::vector<Case> dogstatsdtags_cases() {
  return {
      {"dogstatsd tags", "foo:100|c|#tag1:bar,tag2:baz", {C("foo", 100, kBarBaz)}, {1, 1}},
      {"dogstatsd tags with # on every key", "foo:100|c|#tag1:bar,#tag2:baz", {C("foo", 100, kBarBaz)}, {1, 1}},
      {"dogstatsd keys are escaped", "foo:100|c|#09digits:0,tag.with.dots:1",
       {C("foo", 100, {{"_09digits", "0"}, {"tag_with_dots", "1"}})}, {1, 1}},
      {"valueless tag is an error", "foo:100|c|#tag_without_a_value", {C("foo", 100)}, {1, 0, 1}},
      {"valueless tag next to a good one", "foo:100|c|#tag_without_a_value,tag:value",
       {C("foo", 100, {{"tag", "value"}})}, {1, 1, 1}},
      {"empty tags between commas", "foo:100|c|#tag:value,,", {C("foo", 100, {{"tag", "value"}})}, {1, 1, 1}},
      {"empty key", "foo:1|c|#:v", {C("foo", 1)}, {1, 0, 1}},
      {"empty value", "foo:1|c|#k:", {C("foo", 1)}, {1, 0, 1}},
      {"lone hash", "foo:1|c|#", {C("foo", 1)}, {1}},
      {"hash-only tag", "foo:1|c|#a:b,#", {C("foo", 1, {{"a", "b"}})}, {1, 1, 1}},
      {"dogstatsd tags with sampling", "foo:100|c|@0.1|#tag1:bar,#tag2:baz", {C("foo", 1000, kBarBaz)}, {1, 1}},
      {"tag value keeps further colons", "foo:100|c|@0.1|#tag1:foo:bar", {C("foo", 1000, {{"tag1", "foo:bar"}})},
       {1, 1}},
      {"tags before sampling", "foo:0.01|d|#tag1:bar,tag2:baz|@0.2", times(5, O("foo", 0.01, kBarBaz)), {1, 1}},
      {"distribution with sampling and tags", "foo:0.01|d|@0.2|#tag1:bar,#tag2:baz",
       times(5, O("foo", 0.01, kBarBaz)), {1, 1}},
      {"dogstatsd tags disable multi-metric", "foo:1|c|#a:b:2|c", {}, {1, 0, 0, {{R::MalformedContainerId, 1}}}},
      {"duplicate tag: last wins", "foo:1|c|#a:1,a:2", {C("foo", 1, {{"a", "2"}})}, {1, 1}},
      {"keys colliding after escaping: last wins", "foo:1|c|#a.b:1,a_b:2,a-b:3", {C("foo", 1, {{"a_b", "3"}})},
       {1, 1}},
      {"tags come out sorted", "foo:1|c|#z:1,a:2,m:3", {C("foo", 1, {{"a", "2"}, {"m", "3"}, {"z", "1"}})}, {1, 1}},
      {"double dash in key collapses", "foo:1|c|#a--b:1", {C("foo", 1, {{"a_b", "1"}})}, {1, 1}},
      {"triple dash and dash-underscore-dash", "foo:1|c|#a---b:1,c-_-d:2", {C("foo", 1, {{"a_b", "1"}, {"c___d", "2"}})},
       {1, 1}},
      {"multi-byte runes become one underscore each", "foo:1|c|#\xc3\xa9t\xc3\xa9:1,\xe2\x82\xac:2",
       {C("foo", 1, {{"_", "2"}, {"_t_", "1"}})}, {1, 1}},
      {"tag values are kept verbatim", "foo:1|c|#k:v=w x\xc3\xa9", {C("foo", 1, {{"k", "v=w x\xc3\xa9"}})}, {1, 1}},
      {"bad section after tags", "foo:1|c|@0.5|#a:b|x", {}, {1, 0, 0, {{R::InvalidSampleFactor, 1}}}},
  };
}

// container id and timestamp
std::vector<Case> containerandtimestamp_cases() {
  return {
      {"container id", "foo:1|c|#a:b|c:abc", {C("foo", 1, {{"a", "b"}, {"container_id", "abc"}})}, {1, 1}},
      {"container id alone splits like a multi-metric line", "foo:1|c|c:abc", {},
       {2, 0, 0, {{R::MalformedContainerId, 1}, {R::MalformedComponent, 1}}}},
      {"container id overridden by a later tag", "foo:1|c|c:xyz|#container_id:t",
       {C("foo", 1, {{"container_id", "t"}})}, {1, 1}},
      {"tag overridden by a later container id", "foo:1|c|#container_id:t|c:xyz",
       {C("foo", 1, {{"container_id", "xyz"}})}, {1, 1}},
      {"bare c section", "foo:1|c|#a:b|c", {}, {1, 0, 0, {{R::MalformedContainerId, 1}}}},
      {"empty container id", "foo:1|c|#a:b|c:", {}, {1, 0, 0, {{R::MalformedContainerId, 1}}}},
      {"c without colon", "foo:1|c|#a:b|cx", {}, {1, 0, 0, {{R::MalformedContainerId, 1}}}},
      {"timestamp is accepted and ignored", "foo:1|c|#a:b|T1656581400", {C("foo", 1, {{"a", "b"}})}, {1, 1}},
      {"timestamp in extended aggregation", "foo:1:2|h|T1656581400", {O("foo", 1), O("foo", 2)}, {2}},
      {"signed timestamps", "foo:1|c|#a:b|T-9223372036854775808|T+5", {C("foo", 1, {{"a", "b"}})}, {1, 1}},
      {"bare T", "foo:1|c|#a:b|T", {}, {1, 0, 0, {{R::MalformedTimestamp, 1}}}},
      {"non-numeric timestamp", "foo:1|c|#a:b|Tabc", {}, {1, 0, 0, {{R::MalformedTimestamp, 1}}}},
      {"timestamp beyond int64", "foo:1|c|#a:b|T9223372036854775808", {}, {1, 0, 0, {{R::MalformedTimestamp, 1}}}},
      {"timestamp with underscore", "foo:1|c|#a:b|T1_000", {}, {1, 0, 0, {{R::MalformedTimestamp, 1}}}},
      {"timestamp as float", "foo:1|c|#a:b|T1.5", {}, {1, 0, 0, {{R::MalformedTimestamp, 1}}}},
  };
}

// name tags: Librato, InfluxDB, SignalFx
std::vector<Case> nametags_cases() {
  return {
      {"librato tags", "foo#tag1=bar,tag2=baz:100|c", {C("foo", 100, kBarBaz)}, {1, 1}},
      {"librato keys escaped", "foo#09digits=0,tag.with.dots=1:100|c",
       {C("foo", 100, {{"_09digits", "0"}, {"tag_with_dots", "1"}})}, {1, 1}},
      {"influxdb tags", "foo,tag1=bar,tag2=baz:100|c", {C("foo", 100, kBarBaz)}, {1, 1}},
      {"influxdb keys escaped", "foo,09digits=0,tag.with.dots=1:100|c",
       {C("foo", 100, {{"_09digits", "0"}, {"tag_with_dots", "1"}})}, {1, 1}},
      {"first of # and , starts the tags", "foo,a=b#c=d:1|c", {C("foo", 1, {{"a", "b#c=d"}})}, {1, 1}},
      {"influx tag errors", "foo,a,=b,c=,,d=e:1|c", {C("foo", 1, {{"d", "e"}})}, {1, 1, 4}},
      {"influx trailing comma is fine", "foo,a=b,:1|c", {C("foo", 1, {{"a", "b"}})}, {1, 1}},
      {"name tags apply to every sample", "foo,a=b:1|c:2|g", {C("foo", 1, {{"a", "b"}}), G("foo", 2, {{"a", "b"}})},
       {2, 2}},
      {"name can become empty", ",a=b:1|c", {C("", 1, {{"a", "b"}})}, {1, 1}},
      {"signalfx tags", "foo.[tag1=bar,tag2=baz]test:100|c", {C("foo.test", 100, kBarBaz)}, {1, 1}},
      {"signalfx tags at end", "foo.test[tag1=bar,tag2=baz]:100|c", {C("foo.test", 100, kBarBaz)}, {1, 1}},
      {"signalfx tags at start", "[tag1=bar,tag2=baz]foo.test:100|c", {C("foo.test", 100, kBarBaz)}, {1, 1}},
      {"signalfx empty tags", "foo.[]test:100|c", {C("foo.test", 100)}, {1}},
      {"signalfx non-kv tags", "foo.[tag1,tag2]test:100|c", {C("foo.test", 100)}, {1, 0, 2}},
      {"signalfx missing closing bracket", "[tag1=bar,tag2=bazfoo.test:100|c", {C("[tag1=bar,tag2=bazfoo.test", 100)},
       {1, 0, 1}},
      {"signalfx missing opening bracket", "tag1=bar,tag2=baz]foo.test:100|c", {C("tag1=bar,tag2=baz]foo.test", 100)},
       {1, 0, 1}},
      {"signalfx wins over influx", "foo[a=b],c=d:1|c", {C("foo,c=d", 1, {{"a", "b"}})}, {1, 1}},
      {"signalfx brackets reversed (statsd_exporter panics): tag error", "a]b[c:1|c", {C("a]b[c", 1)}, {1, 0, 1}},
      {"librato and dogstatsd mixed", "foo#tag1=foo,tag3=bing:100|c|#tag1:bar,#tag2:baz", {},
       {0, 0, 0, {{R::MixedTaggingStyles, 1}}}},
      {"signalfx and dogstatsd mixed", "foo[tag1=foo,tag3=bing]:100|c|#tag1:bar,#tag2:baz", {},
       {0, 0, 0, {{R::MixedTaggingStyles, 1}}}},
      {"influxdb and dogstatsd mixed", "foo,tag1=foo,tag3=bing:100|c|#tag1:bar,#tag2:baz", {},
       {0, 0, 0, {{R::MixedTaggingStyles, 1}}}},
      {"mixed with sampling", "foo#tag1=foo,tag3=bing:100|c|@0.1|#tag1:bar,#tag2:baz", {},
       {0, 0, 0, {{R::MixedTaggingStyles, 1}}}},
      {"failed name tags do not count as mixing", "foo,bad:1|c|#a:b", {C("foo", 1, {{"a", "b"}})}, {1, 1, 1}},
      {"container id next to name tags", "foo,a=b:1:2|h|c:x",
       {O("foo", 1, {{"a", "b"}, {"container_id", "x"}}), O("foo", 2, {{"a", "b"}, {"container_id", "x"}})}, {2, 2}},
  };
}

// switches
std::vector<Case> switches_cases() {
  return {
      {"dogstatsd off: tags ignored", "foo:1|c|#a:b", {C("foo", 1)}, {1}, without(true, false, false, false)},
      {"dogstatsd off: still no mixing", "foo,a=b:1|c|#x:y", {}, {0, 0, 0, {{R::MixedTaggingStyles, 1}}},
       without(true, false, false, false)},
      {"influxdb off", "foo,a=b:1|c", {C("foo,a=b", 1)}, {1}, without(false, true, false, false)},
      {"librato off", "foo#a=b:1|c", {C("foo#a=b", 1)}, {1}, without(false, false, true, false)},
      {"librato off, influx on", "foo#x,a=b:1|c", {C("foo#x", 1, {{"a", "b"}})}, {1, 1},
       without(false, false, true, false)},
      {"signalfx off", "foo[a=b]:1|c", {C("foo[a=b]", 1)}, {1}, without(false, false, false, true)},
      {"signalfx off, influx sees brackets", "foo[x,a=b]:1|c", {C("foo[x", 1, {{"a", "b]"}})}, {1, 1},
       without(false, false, false, true)},
      {"signalfx off: one bracket is no error", "foo[:1|c", {C("foo[", 1)}, {1}, without(false, false, false, true)},
      {"all name tags off", "a,b#c[d]:1|g", {G("a,b#c[d]", 1)}, {1}, without(false, true, true, true)},
  };
}

// values, parsed like Go's strconv.ParseFloat
std::vector<Case> values_cases() {
  return {
      {"+Inf gauge", "foo:+Inf|g", {G("foo", kInf, {}, true)}, {1}},
      {"-infinity gauge", "foo:-infinity|g", {G("foo", -kInf, {}, true)}, {1}},
      {"NaN gauge", "foo:NaN|g", {G("foo", kNaN)}, {1}},
      {"+nan is not a number", "foo:+nan|g", {}, {1, 0, 0, {{R::MalformedValue, 1}}}},
      {"nan(1) is not a number", "foo:nan(1)|g", {}, {1, 0, 0, {{R::MalformedValue, 1}}}},
      {"hex float", "foo:0x1p-2|g", {G("foo", 0.25)}, {1}},
      {"hex float needs p exponent", "foo:0x1|g", {}, {1, 0, 0, {{R::MalformedValue, 1}}}},
      {"underscore digit separators", "foo:1_000.5|g", {G("foo", 1000.5)}, {1}},
      {"bad underscore", "foo:1__0|g", {}, {1, 0, 0, {{R::MalformedValue, 1}}}},
      {"exponent", "foo:1.5e3|c", {C("foo", 1500)}, {1}},
      {"leading dot", "foo:.5|g", {G("foo", 0.5)}, {1}},
      {"trailing dot", "foo:5.|g", {G("foo", 5)}, {1}},
      {"underflow is zero, not an error", "foo:1e-400|g", {G("foo", 0)}, {1}},
      {"leading space", "foo: 1|g", {}, {1, 0, 0, {{R::MalformedValue, 1}}}},
      {"trailing space", "foo:1 |g", {}, {1, 0, 0, {{R::MalformedValue, 1}}}},
      {"comma decimal", "foo:1,5|g", {}, {1, 0, 0, {{R::MalformedValue, 1}}}},
  };
}

struct Got {
  std::string name;
  double value;
  EventType type;
  bool relative;
  Tags tags;
};

std::vector<Got> run(LineParser& parser, std::string_view line) {
  std::vector<Got> got;
  parser.parse_line(line, [&](const Event& e) {
    Tags tags;
    for (const Tag& t : e.tags) tags.emplace_back(std::string(t.name), std::string(t.value));
    got.push_back({std::string(e.name), e.value, e.type, e.relative, std::move(tags)});
  });
  return got;
}

bool same_value(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  return std::fabs(a - b) <= 1e-12 * std::max(std::fabs(a), std::fabs(b));
}

void check_cases(const std::vector<Case>& table) {
  ASSERT_FALSE(table.empty());
  for (const Case& c : table) {
    SCOPED_TRACE(c.title + " | " + c.line);
    LineParser parser(c.options);
    const std::vector<Got> got = run(parser, c.line);
    ASSERT_EQ(got.size(), c.events.size());
    std::array<uint64_t, kEventTypeCount> by_type{};
    for (std::size_t i = 0; i < got.size(); ++i) {
      SCOPED_TRACE("event " + std::to_string(i));
      EXPECT_EQ(got[i].name, c.events[i].name);
      EXPECT_TRUE(same_value(got[i].value, c.events[i].value)) << got[i].value << " vs " << c.events[i].value;
      EXPECT_EQ(got[i].type, c.events[i].type);
      EXPECT_EQ(got[i].relative, c.events[i].relative);
      EXPECT_EQ(got[i].tags, c.events[i].tags);
      ++by_type[static_cast<std::size_t>(got[i].type)];
    }
    const ParseStats& s = parser.stats();
    EXPECT_EQ(s.lines, 1u);
    EXPECT_EQ(s.samples, c.counts.samples);
    EXPECT_EQ(s.tags, c.counts.tags);
    EXPECT_EQ(s.tag_errors, c.counts.tag_errors);
    EXPECT_EQ(s.events, by_type);
    for (std::size_t r = 0; r < kErrorReasonCount; ++r) {
      const auto reason = static_cast<ErrorReason>(r);
      const auto it = c.counts.errors.find(reason);
      EXPECT_EQ(s.errors[r], it == c.counts.errors.end() ? 0u : it->second) << error_reason_name(reason);
    }
  }
}

TEST(LineParserTable, Basics) { check_cases(basics_cases()); }
TEST(LineParserTable, LineErrors) { check_cases(lineerrors_cases()); }
TEST(LineParserTable, SampleErrors) { check_cases(sampleerrors_cases()); }
TEST(LineParserTable, Sampling) { check_cases(sampling_cases()); }
TEST(LineParserTable, MultiValue) { check_cases(multivalue_cases()); }
TEST(LineParserTable, DogStatsDTags) { check_cases(dogstatsdtags_cases()); }
TEST(LineParserTable, ContainerAndTimestamp) { check_cases(containerandtimestamp_cases()); }
TEST(LineParserTable, NameTags) { check_cases(nametags_cases()); }
TEST(LineParserTable, Switches) { check_cases(switches_cases()); }
TEST(LineParserTable, Values) { check_cases(values_cases()); }

TEST(LineParser, ErrorReasonNamesMatchStatsdExporter) {
  EXPECT_EQ(error_reason_name(R::MalformedLine), "malformed_line");
  EXPECT_EQ(error_reason_name(R::MixedTaggingStyles), "mixed_tagging_styles");
  EXPECT_EQ(error_reason_name(R::NotEnoughPartsAfterColon), "not_enough_parts_after_colon");
  EXPECT_EQ(error_reason_name(R::InvalidExtendedAggregateType), "invalid_extended_aggregate_type");
  EXPECT_EQ(error_reason_name(R::MalformedComponent), "malformed_component");
  EXPECT_EQ(error_reason_name(R::MalformedValue), "malformed_value");
  EXPECT_EQ(error_reason_name(R::InvalidSampleFactor), "invalid_sample_factor");
  EXPECT_EQ(error_reason_name(R::MalformedContainerId), "malformed_container_id");
  EXPECT_EQ(error_reason_name(R::MalformedTimestamp), "malformed_timestamp");
  EXPECT_EQ(error_reason_name(R::IllegalEvent), "illegal_event");
  EXPECT_EQ(event_type_name(EventType::Observer), "observer");
}

TEST(LineParser, PacketSplitsOnNewlineLikeStringsSplit) {
  LineParser parser;
  std::vector<std::string> names;
  auto sink = [&](const Event& e) { names.emplace_back(e.name); };
  parser.parse_packet("a:1|c\nb:2|g\n", sink);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(parser.stats().lines, 3u);  // the trailing empty piece is a line too
  parser.parse_packet("", sink);
  EXPECT_EQ(parser.stats().lines, 4u);
  parser.parse_packet("\n\nbad\nc:1|ms", sink);
  EXPECT_EQ(parser.stats().lines, 8u);
  EXPECT_EQ(parser.stats().error(R::MalformedLine), 1u);
  EXPECT_EQ(names.back(), "c");
  EXPECT_EQ(parser.stats().samples, 3u);
}

TEST(LineParser, ABadLineDoesNotStopTheDatagram) {
  LineParser parser;
  int events = 0;
  parser.parse_packet("ok:1|c\n\xff\xfe:1|c\nfoo:1|q\nalso:2|g", [&](const Event&) { ++events; });
  EXPECT_EQ(events, 2);
  EXPECT_EQ(parser.stats().error(R::MalformedLine), 1u);
  EXPECT_EQ(parser.stats().error(R::IllegalEvent), 1u);
}

TEST(LineParser, TakeStatsResetsAndAddMerges) {
  LineParser parser;
  parser.parse_line("a:1|c|#x:y", [](const Event&) {});
  parser.parse_line("bad", [](const Event&) {});
  ParseStats total = parser.take_stats();
  EXPECT_EQ(parser.stats().lines, 0u);
  EXPECT_EQ(parser.stats().total_errors(), 0u);
  parser.parse_line("b:1|g", [](const Event&) {});
  total.add(parser.stats());
  EXPECT_EQ(total.lines, 3u);
  EXPECT_EQ(total.samples, 2u);
  EXPECT_EQ(total.tags, 1u);
  EXPECT_EQ(total.total_errors(), 1u);
  EXPECT_EQ(total.events[static_cast<std::size_t>(EventType::Counter)], 1u);
  EXPECT_EQ(total.events[static_cast<std::size_t>(EventType::Gauge)], 1u);
}

TEST(LineParser, TenThousandTags) {
  std::string line = "m:1|c|#";
  for (int i = 0; i < 10000; ++i) {
    if (i) line += ',';
    line += "k" + std::to_string(9999 - i) + ":v" + std::to_string(i);
  }
  line += ",k5:last";  // a duplicate: the last value wins
  LineParser parser;
  std::size_t tag_count = 0;
  std::string k5, first;
  bool sorted = true;
  parser.parse_line(line, [&](const Event& e) {
    tag_count = e.tags.size();
    first = std::string(e.tags.front().name);
    for (std::size_t i = 1; i < e.tags.size(); ++i) sorted = sorted && e.tags[i - 1].name < e.tags[i].name;
    for (const Tag& t : e.tags) {
      if (t.name == "k5") k5 = std::string(t.value);
    }
  });
  EXPECT_EQ(tag_count, 10000u);
  EXPECT_TRUE(sorted);
  EXPECT_EQ(first, "k0");
  EXPECT_EQ(k5, "last");
  EXPECT_EQ(parser.stats().tags, 1u);
}

TEST(LineParser, ObserverReplicationIsClamped) {
  LineParser parser;
  uint64_t events = 0;
  parser.parse_line("foo:1|h|@1e-9", [&](const Event&) { ++events; });
  EXPECT_EQ(events, kMaxObserverReplication);
  EXPECT_EQ(parser.stats().replication_clamped, 1u);
}

TEST(LineParser, OversizedAndHostileInputDoesNotCrash) {
  LineParser parser;
  uint64_t events = 0;
  auto sink = [&](const Event&) { ++events; };
  std::string big(1 << 20, 'x');
  parser.parse_line(big, sink);  // no colon
  big[10] = ':';
  parser.parse_line(big, sink);  // no pipe
  std::string many_values = "m";
  for (int i = 0; i < 20000; ++i) many_values += ":1";
  many_values += "|ms|#" + std::string(20000, 'a') + ":b";
  parser.parse_line(many_values, sink);
  EXPECT_EQ(events, 20000u);
  EXPECT_EQ(parser.stats().samples, 20000u);
  std::string escapes = "m:1|c|#";
  for (int i = 0; i < 5000; ++i) escapes += "9\xc3\xa9-.:v,";
  parser.parse_line(escapes, sink);
  EXPECT_EQ(events, 20001u);
}

TEST(LineParser, ScratchIsReusedAcrossLines) {
  // Views handed to the sink must be right for each line even though the parser reuses its buffers.
  LineParser parser;
  std::vector<std::string> seen;
  for (const char* line : {"a.[x=1]b:1|c", "cc[y=2]:1|c", "d:1|c|#9k:v"}) {
    parser.parse_line(line, [&](const Event& e) {
      std::string s(e.name);
      for (const Tag& t : e.tags) s += "," + std::string(t.name) + "=" + std::string(t.value);
      seen.push_back(s);
    });
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a.b,x=1", "cc,y=2", "d,_9k=v"}));
}

}  // namespace
}  // namespace promcast::exporter
