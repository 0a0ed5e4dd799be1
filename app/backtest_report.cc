// The backtest's reports: JSON (common/json.h), text tables, and one self-contained HTML page with the
// status pages' SVG charts (web/svg_chart.h) and their escaping (web/html.h).
#include <fmt/format.h>

#include <cmath>
#include <string>

#include "app/backtest.h"
#include "web/html.h"
#include "web/svg_chart.h"

namespace promcast::app {

namespace {

using json::Json;
using json::number_or_null;
using web::html_escape;

std::string level_key(double level) { return rules::format_sample_value(level); }

Json labels_json(const rules::Labels& labels) {
  Json out = Json::object();
  for (const auto& [k, v] : labels) out[k] = v;
  return out;
}

Json accuracy_json(const forecaster::Accuracy& a, const std::vector<double>& levels) {
  Json coverage = Json::object();
  for (std::size_t l = 0; l < levels.size() && l < a.coverage.size(); ++l)
    coverage[level_key(levels[l])] = number_or_null(a.coverage[l]);
  return {{"n", a.n},
          {"mase", number_or_null(a.mase)},
          {"smape", number_or_null(a.smape)},
          {"mae", number_or_null(a.mae)},
          {"coverage", std::move(coverage)}};
}

Json pair_json(const AccuracyPair& p, const std::vector<double>& levels) {
  Json out = accuracy_json(p.model.result(), levels);
  out["baseline"] = accuracy_json(p.baseline.result(), levels);
  return out;
}

Json horizons_json(const std::vector<AccuracyPair>& pairs, const ForecastBacktest& b) {
  Json out = Json::array();
  for (std::size_t j = 0; j < pairs.size(); ++j) {
    Json h = {{"horizon", rules::format_duration(b.step * b.horizon_steps[j])},
              {"steps", b.horizon_steps[j]}};
    h.update(pair_json(pairs[j], b.levels));
    out.push_back(std::move(h));
  }
  return out;
}

std::string num(double v, int digits = 3) {
  return std::isfinite(v) ? fmt::format("{:.{}f}", v, digits) : "-";
}
std::string percent(double v) { return std::isfinite(v) ? fmt::format("{:.1f}%", 100 * v) : "-"; }

// One row per horizon (and "all"): n, then model | baseline for MASE, sMAPE and each level's coverage.
struct Row {
  std::string name;
  const AccuracyPair* pair;
};

std::vector<std::string> header(const ForecastBacktest& b) {
  std::vector<std::string> h = {"horizon", "n", "MASE", "naive", "sMAPE", "naive"};
  for (double l : b.levels) {
    h.push_back(fmt::format("cover {}", percent(l)));
    h.push_back("naive");
  }
  return h;
}

std::vector<std::string> cells(const Row& row) {
  const auto m = row.pair->model.result(), n = row.pair->baseline.result();
  std::vector<std::string> c = {row.name,    std::to_string(m.n), num(m.mase),
                                num(n.mase), num(m.smape, 2),     num(n.smape, 2)};
  for (std::size_t l = 0; l < m.coverage.size(); ++l) {
    c.push_back(percent(m.coverage[l]));
    c.push_back(l < n.coverage.size() ? percent(n.coverage[l]) : "-");
  }
  return c;
}

std::vector<Row> rows(const std::vector<AccuracyPair>& horizons, const AccuracyPair& all,
                      const ForecastBacktest& b) {
  std::vector<Row> out;
  for (std::size_t j = 0; j < horizons.size(); ++j)
    out.push_back({rules::format_duration(b.step * b.horizon_steps[j]), &horizons[j]});
  out.push_back({"all", &all});
  return out;
}

std::string text_table(const std::vector<std::string>& head,
                       const std::vector<std::vector<std::string>>& body, const std::string& indent) {
  std::vector<std::size_t> width(head.size(), 0);
  for (std::size_t i = 0; i < head.size(); ++i) width[i] = head[i].size();
  for (const auto& r : body)
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
  auto line = [&](const std::vector<std::string>& r) {
    std::string s = indent;
    for (std::size_t i = 0; i < r.size(); ++i)
      s += i == 0 ? fmt::format("{:<{}}", r[i], width[i]) : fmt::format("  {:>{}}", r[i], width[i]);
    return s + "\n";
  };
  std::string out = line(head);
  for (const auto& r : body) out += line(r);
  return out;
}

std::string html_table(const std::vector<std::string>& head,
                       const std::vector<std::vector<std::string>>& body, const std::string& css_class) {
  std::string out = "<table class=\"" + css_class + "\"><thead><tr>";
  for (const auto& h : head) out += "<th>" + html_escape(h) + "</th>";
  out += "</tr></thead><tbody>";
  for (const auto& r : body) {
    out += "<tr>";
    for (const auto& c : r) out += "<td>" + html_escape(c) + "</td>";
    out += "</tr>";
  }
  return out + "</tbody></table>\n";
}

std::string span_text(TimestampMs from, TimestampMs to) {
  return fmt::format("{} to {}", format_rfc3339(from), format_rfc3339(to));
}

std::string seconds_text(double s) {
  if (!std::isfinite(s)) return "-";
  const double a = std::abs(s);
  const std::string d = a >= 3600 ? fmt::format("{:.1f}h", a / 3600)
                        : a >= 60 ? fmt::format("{:.0f}m", a / 60)
                                  : fmt::format("{:.0f}s", a);
  return s >= 0 ? d + " early" : d + " late";
}

// Every alert (with a series column), or only those of `only`; alerts are indexed in series order, as
// the incident report's alert_matched is.
std::vector<std::vector<std::string>> alert_rows(const AnomalyBacktest& b,
                                                 const SeriesAnomalyBacktest* only) {
  const bool with_labels = only == nullptr;
  std::vector<std::vector<std::string>> out;
  std::size_t index = 0;
  for (const auto& s : b.series)
    for (const auto& a : s.alerts) {
      if (only != nullptr && only != &s) {
        ++index;
        continue;
      }
      std::vector<std::string> r;
      if (with_labels) r.push_back(rules::labels_to_string(s.labels));
      r.push_back(format_rfc3339(a.start));
      r.push_back(a.ongoing ? format_rfc3339(a.end) + " (ongoing)" : format_rfc3339(a.end));
      r.push_back(format_rfc3339(a.pending_since));
      r.push_back(num(a.peak_score, 2));
      if (!b.incidents.empty())
        r.push_back(index < b.incident_report.alert_matched.size() && b.incident_report.alert_matched[index]
                        ? "incident"
                        : "false alert");
      out.push_back(std::move(r));
      ++index;
    }
  return out;
}

std::vector<std::string> alert_head(const AnomalyBacktest& b, bool with_labels) {
  std::vector<std::string> h;
  if (with_labels) h.push_back("series");
  for (const char* c : {"firing from", "to", "pending since", "peak score"}) h.emplace_back(c);
  if (!b.incidents.empty()) h.emplace_back("matches");
  return h;
}

std::vector<std::vector<std::string>> incident_rows(const AnomalyBacktest& b) {
  std::vector<std::vector<std::string>> out;
  for (std::size_t i = 0; i < b.incidents.size(); ++i) {
    const auto& m = b.incident_report.incidents[i];
    out.push_back(
        {b.incidents[i].name, format_rfc3339(b.incidents[i].start), format_rfc3339(b.incidents[i].end),
         m.caught ? "caught" : "missed",
         m.caught ? format_rfc3339(static_cast<TimestampMs>(std::llround(m.first_alert * 1000))) : "-",
         m.caught ? seconds_text(m.lead) : "-"});
  }
  return out;
}

const std::vector<std::string> kIncidentHead = {"incident", "start", "end", "result", "first alert", "lead"};

std::size_t alert_count(const AnomalyBacktest& b) {
  std::size_t n = 0;
  for (const auto& s : b.series) n += s.alerts.size();
  return n;
}

std::size_t caught_count(const AnomalyBacktest& b) {
  std::size_t n = 0;
  for (const auto& m : b.incident_report.incidents) n += m.caught ? 1 : 0;
  return n;
}

std::string incident_summary(const AnomalyBacktest& b) {
  return fmt::format("incidents: {} of {} caught; false alerts: {} ({} per day)", caught_count(b),
                     b.incidents.size(), b.incident_report.false_alerts,
                     num(b.incident_report.false_alerts_per_day, 2));
}

std::string forecast_summary(const ForecastBacktest& b) {
  return fmt::format(
      "{} cuts from {} to {}, step {}; baseline: seasonal naive with a season of {} steps ({})",
      b.cuts.size(), format_rfc3339(b.cuts.front()), format_rfc3339(b.cuts.back()),
      rules::format_duration(b.step), b.season, rules::format_duration(b.step * b.season));
}

std::string anomaly_summary(const AnomalyBacktest& b) {
  return fmt::format("{} evaluations every {} from {}, step {}, for: {}; {} alerts would have fired",
                     b.evaluations, rules::format_duration(b.interval), span_text(b.from, b.to),
                     rules::format_duration(b.step), rules::format_duration(b.for_), alert_count(b));
}

constexpr std::string_view kStyle =
    "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;max-width:1100px}"
    "table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;padding:.2rem .5rem;"
    "text-align:right}th:first-child,td:first-child{text-align:left}th{background:#f1f3f5}"
    ".muted{color:#666}.series{margin:1.5rem 0;border-top:1px solid #ddd;padding-top:.5rem}"
    "h3{font-family:monospace;font-size:1rem}";

}  // namespace

Json to_json(const ForecastBacktest& b) {
  Json cuts = Json::array();
  for (TimestampMs c : b.cuts) cuts.push_back(format_rfc3339(c));
  Json series = Json::array();
  for (const auto& s : b.series) {
    Json skipped = Json::array();
    for (const auto& [t, why] : s.skipped) skipped.push_back({{"cut", format_rfc3339(t)}, {"reason", why}});
    series.push_back({{"labels", labels_json(s.labels)},
                      {"model", s.model},
                      {"cuts_forecast", s.cuts_forecast},
                      {"skipped", std::move(skipped)},
                      {"horizons", horizons_json(s.horizons, b)},
                      {"all", pair_json(s.all, b.levels)}});
  }
  return {{"rule", b.rule},
          {"kind", "forecast"},
          {"step", rules::format_duration(b.step)},
          {"season_steps", b.season},
          {"levels", b.levels},
          {"cuts", std::move(cuts)},
          {"overall", {{"horizons", horizons_json(b.horizons, b)}, {"all", pair_json(b.all, b.levels)}}},
          {"series", std::move(series)}};
}

Json to_json(const AnomalyBacktest& b) {
  Json series = Json::array();
  std::size_t index = 0;
  for (const auto& s : b.series) {
    Json alerts = Json::array();
    for (const auto& a : s.alerts) {
      Json alert = {{"pending_since", format_rfc3339(a.pending_since)},
                    {"start", format_rfc3339(a.start)},
                    {"end", format_rfc3339(a.end)},
                    {"ongoing", a.ongoing},
                    {"peak_score", number_or_null(a.peak_score)}};
      if (!b.incidents.empty())
        alert["matches_incident"] =
            index < b.incident_report.alert_matched.size() && b.incident_report.alert_matched[index];
      alerts.push_back(std::move(alert));
      ++index;
    }
    Json row = {{"labels", labels_json(s.labels)},
                {"alerts", std::move(alerts)},
                {"pending_only", s.pending_only},
                {"evaluations", s.evaluations},
                {"judged", s.judged}};
    if (!s.last_problem.empty()) row["problem"] = s.last_problem;
    series.push_back(std::move(row));
  }
  Json out = {{"rule", b.rule},
              {"kind", "anomaly"},
              {"from", format_rfc3339(b.from)},
              {"to", format_rfc3339(b.to)},
              {"step", rules::format_duration(b.step)},
              {"interval", rules::format_duration(b.interval)},
              {"for", rules::format_duration(b.for_)},
              {"evaluations", b.evaluations},
              {"alerts", alert_count(b)},
              {"series", std::move(series)}};
  if (!b.incidents.empty()) {
    Json list = Json::array();
    for (std::size_t i = 0; i < b.incidents.size(); ++i) {
      const auto& m = b.incident_report.incidents[i];
      Json one = {{"name", b.incidents[i].name},
                  {"start", format_rfc3339(b.incidents[i].start)},
                  {"end", format_rfc3339(b.incidents[i].end)},
                  {"caught", m.caught}};
      if (m.caught) {
        one["first_alert"] = format_rfc3339(static_cast<TimestampMs>(std::llround(m.first_alert * 1000)));
        one["lead_seconds"] = m.lead;
      }
      list.push_back(std::move(one));
    }
    out["incidents"] = {{"total", b.incidents.size()},
                        {"caught", caught_count(b)},
                        {"missed", b.incidents.size() - caught_count(b)},
                        {"false_alerts", b.incident_report.false_alerts},
                        {"false_alerts_per_day", number_or_null(b.incident_report.false_alerts_per_day)},
                        {"list", std::move(list)}};
  }
  return out;
}

std::string to_text(const ForecastBacktest& b) {
  std::string out = fmt::format("rule {} (forecast): {}\n", b.rule, forecast_summary(b));
  auto table = [&](const std::vector<AccuracyPair>& h, const AccuracyPair& all, const std::string& indent) {
    std::vector<std::vector<std::string>> body;
    for (const auto& r : rows(h, all, b)) body.push_back(cells(r));
    return text_table(header(b), body, indent);
  };
  out += "overall (every series):\n" + table(b.horizons, b.all, "  ");
  for (const auto& s : b.series) {
    out += fmt::format("series {}: {}, forecast at {} of {} cuts\n", rules::labels_to_string(s.labels),
                       s.model.empty() ? "no model" : s.model, s.cuts_forecast, b.cuts.size());
    if (!s.skipped.empty())
      out += fmt::format("  skipped {} cuts, first at {}: {}\n", s.skipped.size(),
                         format_rfc3339(s.skipped.front().first), s.skipped.front().second);
    if (s.all.model.count() > 0) out += table(s.horizons, s.all, "  ");
  }
  return out;
}

std::string to_text(const AnomalyBacktest& b) {
  std::string out = fmt::format("rule {} (anomaly): {}\n", b.rule, anomaly_summary(b));
  for (const auto& s : b.series) {
    out += fmt::format("series {}: {} alerts, {} pending only, {} of {} evaluations judged\n",
                       rules::labels_to_string(s.labels), s.alerts.size(), s.pending_only, s.judged,
                       s.evaluations);
    if (!s.last_problem.empty()) out += "  " + s.last_problem + "\n";
  }
  if (alert_count(b) > 0) out += "alerts:\n" + text_table(alert_head(b, true), alert_rows(b, nullptr), "  ");
  if (!b.incidents.empty())
    out += incident_summary(b) + "\n" + text_table(kIncidentHead, incident_rows(b), "  ");
  return out;
}

std::string to_html(const std::vector<ForecastBacktest>& forecasts,
                    const std::vector<AnomalyBacktest>& anomalies, const std::string& title) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>";
  out += html_escape(title);
  out += "</title><style>";
  out += kStyle;
  out += "</style></head><body><h1>" + html_escape(title) + "</h1>\n";
  // A page stays loadable with thousands of series: charts for the first kMaxCharts of each rule only.
  static constexpr std::size_t kMaxCharts = 100;
  auto chart_note = [](std::size_t series) {
    return series <= kMaxCharts ? std::string()
                                : fmt::format(
                                      "<p class=\"muted\">Charts for the first {} of {} series (in label "
                                      "order); the tables list every series.</p>\n",
                                      kMaxCharts, series);
  };
  auto chart = [](const rules::SeriesChart& c, const std::string& caption) {
    web::ChartOptions o;
    o.title = rules::labels_to_string(c.labels);
    return "<figure>" + web::render_chart_svg(c, o) + "<figcaption class=\"muted\">" + html_escape(caption) +
           "</figcaption></figure>\n";
  };
  for (const auto& b : forecasts) {
    out += "<section class=\"rule\" data-kind=\"forecast\"><h2>" + html_escape(b.rule) +
           " (forecast)</h2><p>" + html_escape(forecast_summary(b)) + "</p><h3>every series</h3>\n";
    std::vector<std::vector<std::string>> body;
    for (const auto& r : rows(b.horizons, b.all, b)) body.push_back(cells(r));
    out += html_table(header(b), body, "accuracy") + chart_note(b.series.size());
    std::size_t charts = 0;
    for (const auto& s : b.series) {
      out += "<div class=\"series\"><h3>" + html_escape(rules::labels_to_string(s.labels)) + "</h3><p>" +
             html_escape(fmt::format("{}, forecast at {} of {} cuts", s.model.empty() ? "no model" : s.model,
                                     s.cuts_forecast, b.cuts.size())) +
             "</p>";
      if (!s.skipped.empty())
        out += "<p class=\"muted\">" +
               html_escape(fmt::format("skipped {} cuts, first at {}: {}", s.skipped.size(),
                                       format_rfc3339(s.skipped.front().first), s.skipped.front().second)) +
               "</p>";
      std::vector<std::vector<std::string>> rows_html;
      for (const auto& r : rows(s.horizons, s.all, b)) rows_html.push_back(cells(r));
      out += html_table(header(b), rows_html, "accuracy");
      if (charts++ < kMaxCharts)
        out += chart(s.chart,
                     "observed: the data; expected and band: each point's out-of-sample forecast from the "
                     "latest cut before it (up to the longest horizon)");
      out += "</div>\n";
    }
    out += "</section>\n";
  }
  for (const auto& b : anomalies) {
    out += "<section class=\"rule\" data-kind=\"anomaly\"><h2>" + html_escape(b.rule) + " (anomaly)</h2><p>" +
           html_escape(anomaly_summary(b)) + "</p>\n";
    if (!b.incidents.empty())
      out += "<p>" + html_escape(incident_summary(b)) + "</p>" +
             html_table(kIncidentHead, incident_rows(b), "incidents");
    out += chart_note(b.series.size());
    std::size_t charts = 0;
    for (const auto& s : b.series) {
      out += "<div class=\"series\"><h3>" + html_escape(rules::labels_to_string(s.labels)) + "</h3><p>" +
             html_escape(fmt::format("{} alerts, {} pending only, {} of {} evaluations judged",
                                     s.alerts.size(), s.pending_only, s.judged, s.evaluations)) +
             "</p>";
      if (!s.last_problem.empty()) out += "<p class=\"muted\">" + html_escape(s.last_problem) + "</p>";
      if (!s.alerts.empty()) out += html_table(alert_head(b, false), alert_rows(b, &s), "alerts");
      if (charts++ < kMaxCharts)
        out += chart(s.chart,
                     "observed: the data; expected and band: the detector's judgement at each evaluation; "
                     "red: points with an anomaly score of 1 or more");
      out += "</div>\n";
    }
    out += "</section>\n";
  }
  out += "</body></html>\n";
  return out;
}

}  // namespace promcast::app
