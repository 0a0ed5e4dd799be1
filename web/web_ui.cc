#include "web/web_ui.h"

#include <chrono>

#include "common/json.h"
#include "mappings/config.h"
#include "web/html.h"
#include "web/remote_read.h"

namespace promcast::web {
namespace {

exporter::HttpResponse html(int status, std::string body) {
  exporter::HttpResponse r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(body);
  return r;
}

std::string match_type_name(mappings::MatchType t) {
  return t == mappings::MatchType::Regex ? "regex" : "glob";
}

std::string action_name(mappings::Action a) { return a == mappings::Action::Drop ? "drop" : "map"; }

}  // namespace

WebUi::WebUi(WebOptions options) : options_(std::move(options)) {
  if (!options_.clock)
    options_.clock = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  started_ms_ = options_.clock();
  query_api_ = std::make_unique<QueryApi>([this] { return all_series(); }, options_.clock, options_.version);
}

void WebUi::set_mappings(const exporter::MappingHolder* holder) {
  std::lock_guard lock(mutex_);
  mappings_ = holder;
}

void WebUi::record_reload(bool ok) {
  std::lock_guard lock(mutex_);
  last_reload_ms_ = options_.clock();
  last_reload_ok_ = ok;
  ++reloads_;
}

std::vector<rules::Series> WebUi::all_series() const {
  if (!options_.engine) return {};
  auto out = options_.engine->forecast_paths();
  auto current = options_.engine->current_outputs();
  std::move(current.begin(), current.end(), std::back_inserter(out));
  return out;
}

SiteInfo WebUi::site() const {
  SiteInfo s;
  s.version = options_.version;
  s.telemetry_path = options_.telemetry_path;
  s.started_ms = started_ms_;
  s.now_ms = options_.clock();
  s.rules_enabled = options_.engine != nullptr;
  s.lifecycle = options_.lifecycle;
  s.args = options_.args;
  s.mapping_file = options_.mapping_file;
  s.rule_files = options_.rule_files;
  std::lock_guard lock(mutex_);
  s.last_reload_ms = last_reload_ms_;
  s.last_reload_ok = last_reload_ok_;
  s.reloads = reloads_;
  if (mappings_)
    if (auto state = mappings_->get(); state && state->config) s.mappings = state->config->mappings.size();
  return s;
}

std::optional<exporter::HttpResponse> WebUi::handle(const exporter::HttpRequest& request) const {
  const std::string& path = request.path;
  if (path == "/api/v1/rules") {
    exporter::HttpResponse r;
    r.content_type = "application/json";
    r.body = options_.engine
                 ? options_.engine->status_json()
                 : json::dump({{"status", "success"}, {"data", {{"groups", json::Json::array()}}}});
    return r;
  }
  if (path == "/api/v1/read") return handle_remote_read(request, all_series());
  if (auto api = query_api_->handle(request)) return api;
  return page(request);
}

std::optional<exporter::HttpResponse> WebUi::page(const exporter::HttpRequest& request) const {
  const std::string& path = request.path;
  const bool is_page = path == "/" || path == "/rules" || path == "/rules/" || path.starts_with("/rules/") ||
                       path == "/alerts" || path == "/mappings" || path == "/status";
  if (!is_page) return std::nullopt;
  if (request.method != "GET" && request.method != "HEAD") {
    auto r = html(405, "method not allowed\n");
    r.allow = "GET";
    return r;
  }
  const SiteInfo s = site();
  const std::vector<rules::RuleStatus> statuses =
      options_.engine ? options_.engine->status() : std::vector<rules::RuleStatus>{};
  if (path == "/") return html(200, render_landing(s, statuses));
  if (path == "/rules" || path == "/rules/") return html(200, render_rules_page(s, statuses));
  if (path.starts_with("/rules/")) {
    const std::string name = url_unescape(std::string_view(path).substr(7), false);
    for (const auto& r : statuses) {
      if (r.name != name) continue;
      // Charts wait for a running evaluation of the rule (at most 2 s each): after one slow chart, or past
      // kMaxCharts, the remaining rows go without one so the page (and the HTTP thread) stays quick.
      constexpr std::size_t kMaxCharts = 50;
      std::vector<SeriesRow> rows;
      bool charts = true;
      for (auto& st : options_.engine->series_status(name)) {
        SeriesRow row;
        if (charts && rows.size() < kMaxCharts) {
          const auto t0 = std::chrono::steady_clock::now();
          row.chart = options_.engine->chart(name, rules::labels_hash(st.labels));
          charts = std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(500);
        }
        row.status = std::move(st);
        rows.push_back(std::move(row));
      }
      return html(200, render_rule_page(s, r, rows));
    }
    return html(404, render_not_found(s, "rule " + name));
  }
  if (path == "/alerts") {
    std::vector<AlertRow> alerts;
    for (const auto& r : statuses) {
      if (r.pending + r.firing == 0) continue;
      for (const auto& st : options_.engine->series_status(r.name))
        if (st.state == "pending" || st.state == "firing")
          alerts.push_back(
              {r.name, r.group, st.state, st.labels, st.value, st.expected, st.score, st.annotations});
    }
    return html(200, render_alerts_page(s, alerts));
  }
  if (path == "/mappings") {
    std::vector<MappingRow> rows;
    std::shared_ptr<const exporter::MappingState> state;
    {
      std::lock_guard lock(mutex_);
      if (mappings_) state = mappings_->get();
    }
    if (state && state->config)
      for (std::size_t i = 0; i < state->config->mappings.size(); ++i) {
        const auto& m = state->config->mappings[i];
        rows.push_back({m.match, match_type_name(m.match_type), m.name, action_name(m.action), m.labels,
                        m.line, state->hits(i)});
      }
    return html(200, render_mappings_page(s, rows));
  }
  return html(200, render_status_page(s));
}

exporter::ExporterExtension make_extension(std::shared_ptr<WebUi> web, rules::RuleEngine* engine) {
  exporter::ExporterExtension extension;
  extension.handle = [web](const exporter::HttpRequest& request) { return web->handle(request); };
  if (!engine) return extension;
  extension.write_metrics = [engine](std::vector<std::string>& sections) {
    std::string self_metrics, outputs;
    engine->write_metrics(self_metrics, outputs);
    sections.push_back(std::move(self_metrics));
    sections.push_back(std::move(outputs));
  };
  extension.reload = [web, engine] {
    const bool ok = engine->reload();
    web->record_reload(ok);
    return ok;
  };
  return extension;
}

}  // namespace promcast::web
