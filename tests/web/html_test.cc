// HTML escaping and the status pages with hostile strings: nothing a user controls becomes markup.
#include "web/html.h"

#include <gtest/gtest.h>

#include "web/pages.h"

namespace promcast::web {
namespace {

TEST(HtmlEscape, EscapesMarkupCharacters) {
  EXPECT_EQ(html_escape(R"(<script>alert("x&y")</script>')"),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39;");
  EXPECT_EQ(html_escape("plain text"), "plain text");
  EXPECT_EQ(html_escape("caf\xC3\xA9 \xE2\x82\xAC"), "caf\xC3\xA9 \xE2\x82\xAC");  // valid UTF-8 kept
}

TEST(HtmlEscape, ReplacesInvalidUtf8ByteByByte) {
  const std::string replacement = "\xEF\xBF\xBD";
  EXPECT_EQ(html_escape("a\xFF"
                        "b"),
            "a" + replacement + "b");
  EXPECT_EQ(html_escape("\xC0\xAF"), replacement + replacement);                    // overlong '/'
  EXPECT_EQ(html_escape("\xED\xA0\x80"), replacement + replacement + replacement);  // a surrogate
  EXPECT_EQ(html_escape("\xE2\x82"), replacement + replacement);                    // truncated sequence
  EXPECT_EQ(html_escape(std::string("x\0y", 3)), "x" + replacement + "y");  // NUL is no HTML character
}

TEST(UrlEscape, RoundTripsRuleNames) {
  const std::string name = "a/b c?<d>&\"";
  EXPECT_EQ(url_escape(name), "a%2Fb%20c%3F%3Cd%3E%26%22");
  EXPECT_EQ(url_unescape(url_escape(name), false), name);
  EXPECT_EQ(url_unescape("a+b%2", true), "a b%2");
}

// Every page must contain no hostile string unescaped.
constexpr const char* kHostile = "<script>alert('x')</script>\"&amp;\xFF";

void expect_clean(const std::string& page) {
  EXPECT_EQ(page.find("<script>"), std::string::npos) << page;
  EXPECT_EQ(page.find("\xFF"), std::string::npos);
  EXPECT_EQ(page.find("'x'"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;amp;\xEF\xBF\xBD"),
            std::string::npos)
      << page;
}

SiteInfo hostile_site() {
  SiteInfo site;
  site.version = kHostile;
  site.rules_enabled = true;
  site.args = {std::string("--statsd.mapping-config=") + kHostile};
  site.mapping_file = kHostile;
  site.rule_files = {kHostile};
  return site;
}

rules::RuleStatus hostile_rule() {
  rules::RuleStatus r;
  r.group = kHostile;
  r.name = kHostile;
  r.kind = "anomaly";
  r.expr = std::string("sum(x{a=\"") + kHostile + "\"})";
  r.file = kHostile;
  r.last_error = kHostile;
  r.firing = 1;
  return r;
}

TEST(Pages, EscapeEveryUserString) {
  const SiteInfo site = hostile_site();
  const auto rule = hostile_rule();
  expect_clean(render_landing(site, {rule}));
  expect_clean(render_rules_page(site, {rule}));
  expect_clean(render_status_page(site));
  expect_clean(render_not_found(site, kHostile));

  SeriesRow row;
  row.status.labels = {{"job", kHostile}, {kHostile, "v"}};
  row.status.model = kHostile;
  row.status.state = kHostile;
  row.chart.emplace();
  row.chart->labels = row.status.labels;
  row.chart->step = rules::Duration(60000);
  row.chart->start = 1'700'000'000'000;
  row.chart->values = {1, 2, 3};
  row.chart->model = kHostile;
  const std::string rule_page = render_rule_page(site, rule, {row});
  expect_clean(rule_page);
  EXPECT_NE(rule_page.find("<svg"), std::string::npos);
  row.status.ljung_box_p = 0.25;
  EXPECT_NE(render_rule_page(site, rule, {row}).find("<td class=\"num ljung-box\">0.25</td>"),
            std::string::npos)
      << "the Ljung-Box p-value has its column";

  AlertRow alert{kHostile, kHostile, "firing", {{"severity", kHostile}}, 1, 2, 3, {{"summary", kHostile}}};
  const std::string alerts_page = render_alerts_page(site, {alert});
  expect_clean(alerts_page);
  EXPECT_NE(alerts_page.find("<div class=\"annotation\"><b>summary</b>: "), std::string::npos)
      << "annotations are shown";
  MappingRow mapping{kHostile, "glob", kHostile, "map", {{"label", kHostile}}, 3};
  expect_clean(render_mappings_page(site, {mapping}));
}

TEST(Pages, RuleLinksArePercentEncoded) {
  SiteInfo site;
  site.rules_enabled = true;
  rules::RuleStatus r;
  r.name = "odd name/\"x\"";
  const std::string page = render_rules_page(site, {r});
  EXPECT_NE(page.find("href=\"/rules/odd%20name%2F%22x%22\""), std::string::npos) << page;
}

TEST(Pages, RulesPageShowsEveryColumn) {
  SiteInfo site;
  site.rules_enabled = true;
  site.now_ms = 1'700'000'060'000;
  rules::RuleStatus r;
  r.group = "g1";
  r.name = "kafka_ingest_rate";
  r.kind = "forecast";
  r.last_evaluation_ms = 1'700'000'000'000;
  r.last_duration_seconds = 0.25;
  r.series = 7;
  r.insufficient = 2;
  r.pending = 1;
  r.firing = 3;
  r.last_error = "query failed";
  const std::string page = render_rules_page(site, {r});
  for (const char* part :
       {"<h2 class=\"group\">g1</h2>", ">kafka_ingest_rate</a>", "2023-11-14 22:13:20", "(60s ago)", "0.250s",
        ">7<", ">2<", "state-pending\">1<", "state-firing\">3<", "query failed"})
    EXPECT_NE(page.find(part), std::string::npos) << part;
}

}  // namespace
}  // namespace promcast::web
