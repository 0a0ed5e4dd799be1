#include "web/pages.h"

#include <fmt/format.h>

#include <cmath>

#include "web/html.h"
#include "web/svg_chart.h"

namespace promcast::web {
namespace {

using rules::TimestampMs;

constexpr std::string_view kStyle = R"(
body{font-family:sans-serif;margin:0;color:#222;background:#fff}
header{background:#1f2937;color:#fff;padding:10px 20px;display:flex;gap:22px;align-items:center}
header a{color:#e5e7eb;text-decoration:none}header a:hover{color:#fff;text-decoration:underline}
header .brand{font-weight:bold;font-size:18px;color:#fff}
main{padding:16px 20px}
table{border-collapse:collapse;margin:8px 0 20px}
th,td{border:1px solid #d1d5db;padding:4px 8px;text-align:left;vertical-align:top;font-size:14px}
th{background:#f3f4f6}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code,.labels{font-family:monospace;font-size:13px;word-break:break-all}
.state-firing{background:#fee2e2;color:#991b1b;font-weight:bold}
.state-pending{background:#fef3c7;color:#92400e;font-weight:bold}
.state-ok{color:#166534}
.error{color:#b91c1c}
.series{border:1px solid #e5e7eb;margin:0 0 18px;padding:8px}
.muted{color:#6b7280}
)";

std::string esc(std::string_view s) { return html_escape(s); }

std::string number(double v) {
  if (std::isnan(v)) return "&#8211;";  // a dash for "none"
  return esc(format_compact(v));
}

std::string labels_html(const rules::Labels& labels) {
  std::string out = "<span class=\"labels\">{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ", ";
    first = false;
    out += esc(k) + "=&quot;" + esc(v) + "&quot;";
  }
  return out + "}</span>";
}

std::string state_class(std::string_view state) {
  if (state == "firing") return "state-firing";
  if (state == "pending") return "state-pending";
  if (state == "ok" || state == "constant") return "state-ok";
  return state.empty() ? "" : "error";
}

std::string page(const SiteInfo& site, std::string_view title, std::string_view body) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>";
  out += esc(title);
  out += " &#8211; promcast</title><style>";
  out += kStyle;
  out += "</style></head><body><header><a class=\"brand\" href=\"/\">promcast</a>";
  out += "<a href=\"/rules\">Rules</a><a href=\"/alerts\">Alerts</a><a href=\"/mappings\">Mappings</a>";
  out += "<a href=\"/status\">Status</a><a href=\"" + esc(site.telemetry_path) + "\">Metrics</a>";
  out +=
      "<span class=\"muted\" style=\"margin-left:auto\">" + esc(site.version) + "</span></header><main><h1>";
  out += esc(title);
  out += "</h1>\n";
  out += body;
  out += "</main></body></html>\n";
  return out;
}

std::string rule_link(std::string_view name) {
  return "<a class=\"rule-link\" href=\"/rules/" + url_escape(name) + "\">" + esc(name) + "</a>";
}

std::string ago(TimestampMs now, TimestampMs then) {
  if (then <= 0) return "never";
  return esc(format_utc(then)) + fmt::format(" <span class=\"muted\">({:.0f}s ago)</span>",
                                             std::max<double>(0, static_cast<double>(now - then) / 1000.0));
}

}  // namespace

std::string render_landing(const SiteInfo& site, const std::vector<rules::RuleStatus>& rules) {
  std::string body = "<p>StatsD to Prometheus exporter with forecasting and anomaly rules.</p><ul>";
  body += "<li><a href=\"" + esc(site.telemetry_path) +
          "\">Metrics</a> (exporter series, rule outputs, self-metrics)</li>";
  body += "<li><a href=\"/rules\">Rules</a> and <a href=\"/alerts\">alerts</a></li>";
  body += "<li><a href=\"/mappings\">Mappings</a>, <a href=\"/status\">status and flags</a></li>";
  body +=
      "<li><a href=\"/api/v1/rules\">/api/v1/rules</a> (JSON), a Prometheus-compatible query API "
      "(<code>/api/v1/query_range</code>, ...) and remote read at <code>/api/v1/read</code></li>";
  body += "<li><a href=\"/-/healthy\">Health</a>, <a href=\"/-/ready\">Ready</a></li></ul>";
  body += "<h2>Build</h2><table><tr><th>version</th><td>" + esc(site.version) + "</td></tr>";
  body += "<tr><th>started</th><td>" + esc(format_utc(site.started_ms)) + " UTC</td></tr></table>";
  body += "<h2>Running</h2><table><tr><th>component</th><th>state</th></tr>";
  body += "<tr><td>statsd exporter</td><td>running, " + std::to_string(site.mappings) + " mappings";
  if (!site.mapping_file.empty()) body += " from <code>" + esc(site.mapping_file) + "</code>";
  body += "</td></tr>";
  if (!site.rules_enabled) {
    body += "<tr><td>rule engine</td><td class=\"muted\">off (no --rules.config)</td></tr>";
  } else {
    std::vector<std::string> groups;
    for (const auto& r : rules)
      if (groups.empty() || groups.back() != r.group) groups.push_back(r.group);
    body +=
        fmt::format("<tr><td>rule engine</td><td>{} groups, {} rules</td></tr>", groups.size(), rules.size());
    for (const auto& g : groups) body += "<tr><td>&#160;&#160;group</td><td>" + esc(g) + "</td></tr>";
  }
  body += "</table>";
  return page(site, "promcast", body);
}

std::string render_rules_page(const SiteInfo& site, const std::vector<rules::RuleStatus>& rules) {
  std::string body;
  if (!site.rules_enabled)
    body += "<p class=\"muted\">The rule engine is off (start promcast with --rules.config).</p>";
  std::string group;
  bool open = false;
  for (const auto& r : rules) {
    if (!open || r.group != group) {
      if (open) body += "</table>";
      group = r.group;
      open = true;
      body += "<h2 class=\"group\">" + esc(group) +
              "</h2><table class=\"rules\"><tr><th>rule</th><th>kind</th>"
              "<th>expression</th><th>last evaluation</th><th>duration</th><th>series</th>"
              "<th>insufficient history</th><th>pending</th><th>firing</th><th>error</th></tr>";
    }
    body += "<tr class=\"rule\"><td>" + rule_link(r.name) + "</td><td>" + esc(r.kind) + "</td><td><code>" +
            esc(r.expr) + "</code><div class=\"muted\">" + esc(r.file) + "</div></td><td>" +
            ago(site.now_ms, r.last_evaluation_ms) + "</td>";
    body += fmt::format("<td class=\"num\">{:.3f}s</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
                        r.last_duration_seconds, r.series, r.insufficient);
    body +=
        fmt::format("<td class=\"num{}\">{}</td><td class=\"num{}\">{}</td>",
                    r.pending ? " state-pending" : "", r.pending, r.firing ? " state-firing" : "", r.firing);
    body += "<td class=\"error\">" + esc(r.last_error) + "</td></tr>";
  }
  if (open) body += "</table>";
  if (site.rules_enabled && rules.empty()) body += "<p>No rules loaded.</p>";
  return page(site, "Rules", body);
}

std::string render_rule_page(const SiteInfo& site, const rules::RuleStatus& rule,
                             const std::vector<SeriesRow>& rows) {
  std::string body = "<table><tr><th>group</th><td>" + esc(rule.group) + "</td></tr><tr><th>kind</th><td>" +
                     esc(rule.kind) + "</td></tr><tr><th>expression</th><td><code>" + esc(rule.expr) +
                     "</code></td></tr><tr><th>file</th><td>" + esc(rule.file) +
                     "</td></tr><tr><th>last evaluation</th><td>" +
                     ago(site.now_ms, rule.last_evaluation_ms) +
                     fmt::format(" in {:.3f}s</td></tr>", rule.last_duration_seconds);
  if (!rule.last_error.empty())
    body += "<tr><th>error</th><td class=\"error\">" + esc(rule.last_error) + "</td></tr>";
  body += "</table>";
  body += fmt::format("<h2>{} series</h2>", rows.size());
  body +=
      "<table class=\"series-table\"><tr><th>labels</th><th>model</th><th>AICc</th><th>Ljung-Box p</th>"
      "<th>last fit</th><th>value</th><th>expected</th><th>band</th><th>score</th><th>state</th></tr>";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& s = rows[i].status;
    body += fmt::format("<tr class=\"series-row\"><td><a href=\"#series-{}\">", i) + labels_html(s.labels) +
            "</a></td><td>" + esc(s.model) + "</td><td class=\"num\">" + number(s.aicc) +
            "</td><td class=\"num ljung-box\">" + number(s.ljung_box_p) + "</td><td>" +
            esc(format_utc(s.last_fit)) + "</td><td class=\"num\">" + number(s.value) +
            "</td><td class=\"num\">" + number(s.expected) + "</td><td class=\"num\">" + number(s.lower) +
            " &#8230; " + number(s.upper) + "</td><td class=\"num\">" + number(s.score) +
            "</td><td class=\"" + state_class(s.state) + "\">" + esc(s.state) + "</td></tr>";
  }
  body += "</table>";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    body += fmt::format("<div class=\"series\" id=\"series-{}\"><div>", i) +
            labels_html(rows[i].status.labels) + " <span class=\"muted\">" + esc(rows[i].status.model) +
            "</span></div>";
    if (rows[i].chart) {
      ChartOptions options;
      options.now = site.now_ms;
      body += render_chart_svg(*rows[i].chart, options);
    } else {
      body +=
          "<p class=\"muted\">no chart right now (the series has no window yet, its rule is being "
          "evaluated, or the page already shows 50 charts)</p>";
    }
    body += "</div>";
  }
  return page(site, "Rule " + rule.name, body);
}

std::string render_alerts_page(const SiteInfo& site, const std::vector<AlertRow>& alerts) {
  std::string body;
  if (alerts.empty())
    body += "<p>No pending or firing alerts.</p>";
  else
    body +=
        "<table class=\"alerts\"><tr><th>alert</th><th>group</th><th>state</th><th>labels</th><th>value</th>"
        "<th>expected</th><th>score</th><th>annotations</th></tr>";
  for (const auto& a : alerts) {
    body += "<tr class=\"alert\"><td>" + rule_link(a.rule) + "</td><td>" + esc(a.group) +
            "</td><td class=\"" + state_class(a.state) + "\">" + esc(a.state) + "</td><td>" +
            labels_html(a.labels) + "</td><td class=\"num\">" + number(a.value) + "</td><td class=\"num\">" +
            number(a.expected) + "</td><td class=\"num\">" + number(a.score) + "</td><td>";
    for (const auto& [name, text] : a.annotations)
      body += "<div class=\"annotation\"><b>" + esc(name) + "</b>: " + esc(text) + "</div>";
    body += "</td></tr>";
  }
  if (!alerts.empty()) body += "</table>";
  return page(site, "Alerts", body);
}

std::string render_mappings_page(const SiteInfo& site, const std::vector<MappingRow>& mappings) {
  std::string body = "<p>";
  body += site.mapping_file.empty()
              ? std::string("No mapping file (--statsd.mapping-config): every event is unmapped.")
              : "From <code>" + esc(site.mapping_file) + "</code>, in match order.";
  body += " Hits: events each mapping matched since the file was loaded (reset by a reload).</p>";
  if (!mappings.empty()) {
    body +=
        "<table class=\"mappings\"><tr><th>line</th><th>match</th><th>type</th><th>name</th><th>labels</th>"
        "<th>action</th><th>hits</th></tr>";
    for (const auto& m : mappings) {
      body += fmt::format("<tr class=\"mapping\"><td class=\"num\">{}</td><td><code>", m.line) +
              esc(m.match) + "</code></td><td>" + esc(m.match_type) + "</td><td><code>" + esc(m.name) +
              "</code></td><td>";
      for (const auto& [k, v] : m.labels) body += "<code>" + esc(k) + "=" + esc(v) + "</code><br>";
      body += "</td><td>" + esc(m.action) + fmt::format("</td><td class=\"num hits\">{}</td></tr>", m.hits);
    }
    body += "</table>";
  }
  return page(site, "Mappings", body);
}

std::string render_status_page(const SiteInfo& site) {
  std::string body = "<h2>Runtime</h2><table>";
  body += "<tr><th>version</th><td>" + esc(site.version) + "</td></tr>";
  body += "<tr><th>started</th><td>" + esc(format_utc(site.started_ms)) + " UTC</td></tr>";
  body +=
      "<tr><th>lifecycle API</th><td>" + std::string(site.lifecycle ? "enabled" : "disabled") + "</td></tr>";
  body += "</table><h2>Configuration files</h2><table><tr><th>kind</th><th>file</th></tr>";
  body += "<tr><td>mappings</td><td><code>" + esc(site.mapping_file.empty() ? "(none)" : site.mapping_file) +
          "</code></td></tr>";
  for (const auto& f : site.rule_files) body += "<tr><td>rules</td><td><code>" + esc(f) + "</code></td></tr>";
  body += "</table><h2>Reload</h2><table>";
  body += fmt::format("<tr><th>reloads since start</th><td class=\"num\">{}</td></tr>", site.reloads);
  body += "<tr><th>last reload</th><td>" + esc(format_utc(site.last_reload_ms)) + "</td></tr>";
  body += "<tr><th>last reload successful</th><td class=\"" +
          std::string(site.last_reload_ok ? "state-ok" : "error") + "\">" +
          (site.last_reload_ok ? "yes" : "no") + "</td></tr></table>";
  body += "<h2>Command-line flags</h2><table class=\"flags\"><tr><th>argument</th></tr>";
  for (const auto& a : site.args) body += "<tr><td><code>" + esc(a) + "</code></td></tr>";
  body += "</table>";
  return page(site, "Status", body);
}

std::string render_not_found(const SiteInfo& site, std::string_view what) {
  return page(site, "Not found", "<p>Nothing here: <code>" + esc(what) + "</code></p>");
}

}  // namespace promcast::web
