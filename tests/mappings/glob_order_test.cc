// Glob precedence: with ordering on, file order decides; with glob_disable_ordering the
// state machine's walk (literal before `*`, token by token) decides, so the file order of
// the same rules must not matter.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mappings/glob_fsm.h"
#include "mappings/mapper.h"

namespace promcast::mappings {
namespace {

struct Rule {
  std::string match;
  std::string name;
};

std::string config_yaml(const std::vector<Rule>& rules, bool disable_ordering) {
  std::string yaml = disable_ordering ? "defaults:\n  glob_disable_ordering: true\n" : "";
  yaml += "mappings:\n";
  for (const Rule& r : rules) {
    yaml += "- match: \"" + r.match + "\"\n  name: \"" + r.name + "\"\n  labels:\n    first: \"${1}\"\n";
  }
  return yaml;
}

std::unique_ptr<Mapper> make_mapper(const std::vector<Rule>& rules, bool disable_ordering) {
  auto parsed = MappingConfig::parse(config_yaml(rules, disable_ordering), "order.yml");
  EXPECT_TRUE(parsed.has_value());
  return std::make_unique<Mapper>(std::make_shared<const MappingConfig>(std::move(*parsed)));
}

// Rules of equal length, none a token prefix of another (statsd_exporter's state machine
// only attaches a result to a state the glob itself created, so prefixes are order-bound).
const std::vector<Rule> kRules = {
    {"api.*.requests", "api_any_requests"},
    {"api.users.*", "api_users_any"},
    {"api.users.requests", "api_users_requests"},
    {"*.users.requests", "any_users_requests"},
    {"web.*.*", "web_any_any"},
    {"*.*.errors", "any_any_errors"},
    {"db.*.latency", "db_any_latency"},
};

std::vector<std::string> all_names() {
  std::vector<std::string> names;
  for (const char* a : {"api", "web", "db", "x"}) {
    for (const char* b : {"users", "orders", "y"}) {
      for (const char* c : {"requests", "errors", "latency", "z"}) {
        names.push_back(std::string(a) + "." + b + "." + c);
      }
    }
  }
  return names;
}

TEST(GlobOrdering, DisabledOrderingIsIndependentOfFileOrder) {
  std::vector<Rule> reversed(kRules.rbegin(), kRules.rend());
  auto forward = make_mapper(kRules, true);
  auto backward = make_mapper(reversed, true);
  int matched = 0;
  for (const std::string& name : all_names()) {
    for (MetricType type : {MetricType::Counter, MetricType::Gauge, MetricType::Observer}) {
      MapResult a = forward->map(name, type);
      MapResult b = backward->map(name, type);
      EXPECT_EQ(a.matched(), b.matched()) << name;
      EXPECT_EQ(a.name, b.name) << name;
      EXPECT_EQ(a.labels, b.labels) << name;
      matched += a.matched() ? 1 : 0;
    }
  }
  EXPECT_GT(matched, 30);  // the comparison is not vacuous
}

TEST(GlobOrdering, DisabledOrderingPrefersLiteralTokens) {
  auto mapper = make_mapper(kRules, true);
  auto name_of = [&](std::string_view n) { return mapper->map(n, MetricType::Counter).name; };
  EXPECT_EQ(name_of("api.users.requests"), "api_users_requests");  // all literal
  EXPECT_EQ(name_of("api.users.errors"), "api_users_any");         // literal api.users beats *.*.errors
  EXPECT_EQ(name_of("api.orders.requests"), "api_any_requests");
  EXPECT_EQ(name_of("x.users.requests"), "any_users_requests");
  // api.y.errors dead-ends under api.*; `*.*.errors` needs backtracking, which the rule set enables.
  EXPECT_EQ(name_of("api.y.errors"), "any_any_errors");
  EXPECT_EQ(name_of("web.users.requests"), "web_any_any");
}

TEST(GlobOrdering, EnabledOrderingFirstInFileWins) {
  std::vector<Rule> reversed(kRules.rbegin(), kRules.rend());
  auto forward = make_mapper(kRules, false);
  auto backward = make_mapper(reversed, false);
  // api.users.requests matches four rules; the earliest in the file wins.
  EXPECT_EQ(forward->map("api.users.requests", MetricType::Counter).name, "api_any_requests");
  EXPECT_EQ(backward->map("api.users.requests", MetricType::Counter).name, "any_users_requests");
  EXPECT_EQ(forward->map("api.users.errors", MetricType::Counter).name, "api_users_any");
  EXPECT_EQ(backward->map("api.users.errors", MetricType::Counter).name, "any_any_errors");
  // Captures come from the winning rule's path, not the last path explored.
  MapResult r = backward->map("web.users.errors", MetricType::Counter);
  EXPECT_EQ(r.name, "any_any_errors");
  ASSERT_EQ(r.labels.size(), 1u);
  EXPECT_EQ(r.labels[0].second, "web");
}

TEST(GlobOrdering, BacktrackingDecision) {
  using detail::needs_backtracking;
  // Ordering on: always explore every path.
  EXPECT_TRUE(needs_backtracking({"a.b"}, false));
  // backtrack.*.bbb competes with the literal backtrack.justatest.aaa at the `*`.
  EXPECT_TRUE(needs_backtracking({"backtrack.*.bbb", "backtrack.justatest.aaa"}, true));
  // Supersets cancel it (statsd_exporter's rule).
  EXPECT_FALSE(needs_backtracking({"noorder.*.*", "noorder.*.bbb", "noorder.ccc.bbb"}, true));
  // Different lengths never compete.
  EXPECT_FALSE(needs_backtracking({"a.*", "a.b.c"}, true));
  EXPECT_FALSE(needs_backtracking({"a.b.c", "a.b.d"}, true));
}

}  // namespace
}  // namespace promcast::mappings
