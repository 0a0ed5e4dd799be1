// The router without a rule engine (promcast as a plain statsd exporter): every page renders, unknown
// paths fall through to the exporter, remote read and the API answer with no series.
#include "web/web_ui.h"

#include <gtest/gtest.h>

#include "exporter/pipeline.h"
#include "mappings/config.h"

namespace promcast::web {
namespace {

exporter::HttpRequest request(std::string method, std::string target) {
  exporter::HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.path = r.target.substr(0, r.target.find('?'));
  return r;
}

WebUi make_ui() {
  WebOptions options;
  options.version = "9.9.9";
  options.args = {"--statsd.mapping-config=m.yml"};
  options.mapping_file = "m.yml";
  options.clock = [] { return rules::TimestampMs{1'700'000'000'000}; };
  return WebUi(std::move(options));
}

TEST(WebUi, PagesWithoutAnEngine) {
  const WebUi ui = make_ui();
  for (const char* path : {"/", "/rules", "/alerts", "/mappings", "/status"}) {
    const auto r = ui.handle(request("GET", path));
    ASSERT_TRUE(r.has_value()) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->content_type, "text/html; charset=utf-8");
    EXPECT_TRUE(r->body.starts_with("<!DOCTYPE html>")) << path;
    EXPECT_NE(r->body.find("9.9.9"), std::string::npos) << path;
  }
  EXPECT_NE(ui.handle(request("GET", "/"))->body.find("off (no --rules.config)"), std::string::npos);
  EXPECT_NE(ui.handle(request("GET", "/status"))->body.find("--statsd.mapping-config=m.yml"),
            std::string::npos);
  const auto missing = ui.handle(request("GET", "/rules/none%3Cx%3E"));
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("rule none&lt;x&gt;"), std::string::npos);
  EXPECT_EQ(ui.handle(request("POST", "/status"))->status, 405);
}

TEST(WebUi, MappingsPageShowsEachMappingsHits) {
  auto config = mappings::MappingConfig::parse(
      "mappings:\n- match: a.*\n  name: a\n- match: b.*\n  name: b\n", "m.yml");
  ASSERT_TRUE(config.has_value());
  const auto state = exporter::MappingState::build(std::move(*config));
  const std::vector<std::uint64_t> counts{5, 0};
  state->add_hits(counts);
  state->add_hits(counts);
  exporter::MappingHolder holder(state);
  WebUi ui = make_ui();
  ui.set_mappings(&holder);
  const std::string body = ui.handle(request("GET", "/mappings"))->body;
  const auto first = body.find("<td class=\"num hits\">10</td>");
  const auto second = body.find("<td class=\"num hits\">0</td>");
  ASSERT_NE(first, std::string::npos) << body;
  ASSERT_NE(second, std::string::npos) << body;
  EXPECT_LT(first, second) << "rows in file order";
}

TEST(WebUi, LeavesOtherRoutesToTheExporter) {
  const WebUi ui = make_ui();
  for (const char* path : {"/metrics", "/-/healthy", "/-/reload", "/favicon.ico", "/api/v1/write"})
    EXPECT_FALSE(ui.handle(request("GET", path)).has_value()) << path;
}

TEST(WebUi, ApisAnswerWithNoSeries) {
  WebUi ui = make_ui();
  const auto rules = ui.handle(request("GET", "/api/v1/rules"));
  ASSERT_TRUE(rules.has_value());
  EXPECT_EQ(rules->content_type, "application/json");
  EXPECT_NE(rules->body.find("\"groups\":[]"), std::string::npos);
  const auto query = ui.handle(request("GET", "/api/v1/query?query=up&time=1700000000"));
  ASSERT_TRUE(query.has_value());
  EXPECT_EQ(query->body, R"({"status":"success","data":{"resultType":"vector","result":[]}})");
  EXPECT_EQ(ui.handle(request("GET", "/api/v1/read"))->status, 405);
  ui.record_reload(false);
  const std::string status = ui.handle(request("GET", "/status"))->body;
  EXPECT_NE(status.find("reloads since start</th><td class=\"num\">1<"), std::string::npos) << status;
  EXPECT_NE(status.find("class=\"error\">no<"), std::string::npos);
}

}  // namespace
}  // namespace promcast::web
