#include "web/query_api.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <map>
#include <set>

#include "common/json.h"
#include "rules/duration.h"
#include "rules/output_store.h"
#include "web/html.h"
#include "web/selector.h"

namespace promcast::web {
namespace {

using json::Json;
using rules::TimestampMs;

constexpr TimestampMs kLookbackMs = 5 * 60 * 1000;
constexpr std::int64_t kMaxPoints = 11000;
// Prometheus' defaults for absent start/end on the metadata endpoints: all time.
constexpr TimestampMs kMinTime = std::numeric_limits<TimestampMs>::min() / 2;
constexpr TimestampMs kMaxTime = std::numeric_limits<TimestampMs>::max() / 2;

exporter::HttpResponse json_response(int status, const Json& body) {
  exporter::HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = json::dump(body);
  return r;
}

exporter::HttpResponse bad_data(const std::string& message) {
  Json body;
  body["status"] = "error";
  body["errorType"] = "bad_data";
  body["error"] = message;
  return json_response(400, body);
}

exporter::HttpResponse success(Json data) {
  Json body;
  body["status"] = "success";
  body["data"] = std::move(data);
  return json_response(200, body);
}

// Prometheus writes timestamps as seconds with up to millisecond decimals.
Json time_json(TimestampMs ms) {
  if (ms % 1000 == 0) return Json(ms / 1000);
  return Json(static_cast<double>(ms) / 1000.0);
}

Json point(TimestampMs ms, double v) { return Json::array({time_json(ms), rules::format_sample_value(v)}); }

Json metric_json(const rules::Labels& labels) {
  Json m = Json::object();
  for (const auto& [k, v] : labels) m[k] = v;
  return m;
}

const std::string* param(const Params& params, std::string_view name) {
  for (const auto& [k, v] : params)
    if (k == name) return &v;
  return nullptr;
}

std::vector<std::string> params_named(const Params& params, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : params)
    if (k == name) out.push_back(v);
  return out;
}

void parse_form(std::string_view text, Params& out) {
  while (!text.empty()) {
    const std::size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    out.emplace_back(url_unescape(pair.substr(0, eq), true),
                     eq == std::string_view::npos ? std::string() : url_unescape(pair.substr(eq + 1), true));
  }
}

// The latest sample at or before t, at most the lookback old (Prometheus' instant-vector semantics).
std::optional<double> value_at(const rules::Series& s, TimestampMs t) {
  auto it = std::upper_bound(s.timestamps.begin(), s.timestamps.end(), t);
  if (it == s.timestamps.begin()) return std::nullopt;
  const auto i = static_cast<std::size_t>(std::prev(it) - s.timestamps.begin());
  if (t - s.timestamps[i] > kLookbackMs || i >= s.values.size()) return std::nullopt;
  return s.values[i];
}

// `1`, `1.5`, `1+1`: the constant expressions Grafana sends to test a data source.
std::optional<double> constant(std::string_view q) {
  std::string text;
  for (const char c : q)
    if (c != ' ') text += c;
  const auto number = [](std::string_view s) -> std::optional<double> {
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
  };
  if (auto v = number(text)) return v;
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char op = text[i];
    if (op != '+' && op != '-' && op != '*' && op != '/') continue;
    auto a = number(std::string_view(text).substr(0, i)), b = number(std::string_view(text).substr(i + 1));
    if (!a || !b) continue;
    switch (op) {
      case '+':
        return *a + *b;
      case '-':
        return *a - *b;
      case '*':
        return *a * *b;
      default:
        return *a / *b;
    }
  }
  return std::nullopt;
}

std::optional<TimestampMs> parse_step(std::string_view text) {
  if (auto seconds = parse_time(text); seconds && text.find_first_of("-T:") == std::string_view::npos)
    return *seconds;
  if (auto d = rules::parse_duration(text)) return d->count();
  return std::nullopt;
}

struct Range {
  TimestampMs start = kMinTime, end = kMaxTime;
};

std::expected<Range, std::string> optional_range(const Params& params) {
  Range r;
  if (const auto* s = param(params, "start"); s && !s->empty()) {
    auto t = parse_time(*s);
    if (!t)
      return std::unexpected("invalid parameter \"start\": cannot parse \"" + *s + "\" to a valid timestamp");
    r.start = *t;
  }
  if (const auto* e = param(params, "end"); e && !e->empty()) {
    auto t = parse_time(*e);
    if (!t)
      return std::unexpected("invalid parameter \"end\": cannot parse \"" + *e + "\" to a valid timestamp");
    r.end = *t;
  }
  return r;
}

// Series selected by any of the match[] selectors (all series when there is none and `required` is false).
std::expected<std::vector<rules::Series>, std::string> matched(const std::vector<rules::Series>& all,
                                                               const Params& params, bool required) {
  auto range = optional_range(params);
  if (!range) return std::unexpected(range.error());
  const auto selectors = params_named(params, "match[]");
  if (selectors.empty()) {
    if (required) return std::unexpected("no match[] parameter provided");
    return select_series(all, {}, range->start, range->end);
  }
  std::vector<rules::Series> out;
  std::set<std::uint64_t> seen;
  for (const auto& text : selectors) {
    auto matchers = parse_selector(text);
    if (!matchers) return std::unexpected("invalid parameter \"match[]\": " + matchers.error());
    for (auto& s : select_series(all, *matchers, range->start, range->end))
      if (seen.insert(rules::labels_hash(s.labels)).second) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

std::optional<TimestampMs> parse_time(std::string_view text) {
  double seconds = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && p == text.data() + text.size() && !text.empty()) {
    if (!std::isfinite(seconds) || std::fabs(seconds) > 9e15) return std::nullopt;
    return static_cast<TimestampMs>(std::llround(seconds * 1000.0));
  }
  // RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  std::tm tm{};
  int consumed = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      consumed != 19)
    return std::nullopt;
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  TimestampMs ms = static_cast<TimestampMs>(timegm(&tm)) * 1000;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    TimestampMs frac = 0, scale = 100;
    const std::size_t begin = i;
    for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i, scale /= 10)
      frac += (s[i] - '0') * scale;
    if (i == begin) return std::nullopt;
    ms += frac;
  }
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) return ms;
  int oh = 0, om = 0;
  if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') &&
      std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) == 2 && s[i + 3] == ':') {
    const TimestampMs offset = (oh * 3600LL + om * 60LL) * 1000;
    return s[i] == '+' ? ms - offset : ms + offset;
  }
  return std::nullopt;
}

Params request_params(const exporter::HttpRequest& request) {
  Params out;
  const std::size_t q = request.target.find('?');
  if (q != std::string::npos) parse_form(std::string_view(request.target).substr(q + 1), out);
  if (request.method == "POST" &&
      request.header("Content-Type").starts_with("application/x-www-form-urlencoded"))
    parse_form(request.body, out);
  return out;
}

QueryApi::QueryApi(SeriesSource source, Clock clock, std::string version)
    : source_(std::move(source)), clock_(std::move(clock)), version_(std::move(version)) {}

std::optional<exporter::HttpResponse> QueryApi::handle(const exporter::HttpRequest& request) const {
  const std::string& path = request.path;
  static constexpr std::string_view kLabel = "/api/v1/label/";
  const bool known = path == "/api/v1/query" || path == "/api/v1/query_range" || path == "/api/v1/labels" ||
                     path == "/api/v1/series" || path == "/api/v1/metadata" ||
                     path == "/api/v1/status/buildinfo" || path == "/api/v1/query_exemplars" ||
                     (path.starts_with(kLabel) && path.ends_with("/values"));
  if (!known) return std::nullopt;
  if (request.method != "GET" && request.method != "POST" && request.method != "HEAD") {
    auto r = json_response(
        405, Json{{"status", "error"}, {"errorType", "bad_data"}, {"error", "method not allowed"}});
    r.allow = "GET, POST";
    return r;
  }
  const Params params = request_params(request);

  if (path == "/api/v1/status/buildinfo")
    return success(Json{{"version", version_},
                        {"revision", ""},
                        {"branch", ""},
                        {"buildUser", ""},
                        {"buildDate", ""},
                        {"goVersion", ""},
                        {"application", "promcast"}});
  if (path == "/api/v1/metadata") return success(Json::object());
  if (path == "/api/v1/query_exemplars") return success(Json::array());  // promcast keeps no exemplars

  if (path == "/api/v1/query") {
    const std::string* query = param(params, "query");
    if (!query || query->empty()) return bad_data("invalid parameter \"query\": empty query");
    TimestampMs t = clock_();
    if (const auto* ts = param(params, "time"); ts && !ts->empty()) {
      auto parsed = parse_time(*ts);
      if (!parsed)
        return bad_data("invalid parameter \"time\": cannot parse \"" + *ts + "\" to a valid timestamp");
      t = *parsed;
    }
    if (auto c = constant(*query)) return success(Json{{"resultType", "scalar"}, {"result", point(t, *c)}});
    auto matchers = parse_selector(*query);
    if (!matchers) return bad_data("invalid parameter \"query\": " + matchers.error());
    Json result = Json::array();
    for (const auto& s : select_series(source_(), *matchers, t - kLookbackMs, t)) {
      auto v = value_at(s, t);
      if (!v) continue;
      rules::Labels labels = s.labels;
      result.push_back(Json{{"metric", metric_json(labels)}, {"value", point(t, *v)}});
    }
    return success(Json{{"resultType", "vector"}, {"result", std::move(result)}});
  }

  if (path == "/api/v1/query_range") {
    const std::string* query = param(params, "query");
    if (!query || query->empty()) return bad_data("invalid parameter \"query\": empty query");
    const std::string *start_text = param(params, "start"), *end_text = param(params, "end"),
                      *step_text = param(params, "step");
    if (!start_text) return bad_data("invalid parameter \"start\": missing");
    if (!end_text) return bad_data("invalid parameter \"end\": missing");
    if (!step_text) return bad_data("invalid parameter \"step\": missing");
    auto start = parse_time(*start_text);
    if (!start)
      return bad_data("invalid parameter \"start\": cannot parse \"" + *start_text +
                      "\" to a valid timestamp");
    auto end = parse_time(*end_text);
    if (!end)
      return bad_data("invalid parameter \"end\": cannot parse \"" + *end_text + "\" to a valid timestamp");
    if (*end < *start)
      return bad_data("invalid parameter \"end\": end timestamp must not be before start time");
    auto step = parse_step(*step_text);
    if (!step)
      return bad_data("invalid parameter \"step\": cannot parse \"" + *step_text + "\" to a valid duration");
    if (*step <= 0)
      return bad_data(
          "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. "
          "Try a positive integer");
    if ((*end - *start) / *step + 1 > kMaxPoints)
      return bad_data(
          "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
          "resolution (?step=XX)");
    Json result = Json::array();
    if (auto c = constant(*query)) {
      Json values = Json::array();
      for (TimestampMs t = *start; t <= *end; t += *step) values.push_back(point(t, *c));
      return success(Json{{"resultType", "matrix"},
                          {"result", Json::array({Json{{"metric", Json::object()}, {"values", values}}})}});
    }
    auto matchers = parse_selector(*query);
    if (!matchers) return bad_data("invalid parameter \"query\": " + matchers.error());
    for (const auto& s : select_series(source_(), *matchers, *start - kLookbackMs, *end)) {
      Json values = Json::array();
      for (TimestampMs t = *start; t <= *end; t += *step)
        if (auto v = value_at(s, t)) values.push_back(point(t, *v));
      if (values.empty()) continue;
      result.push_back(Json{{"metric", metric_json(s.labels)}, {"values", std::move(values)}});
    }
    return success(Json{{"resultType", "matrix"}, {"result", std::move(result)}});
  }

  const bool series_route = path == "/api/v1/series";
  auto series = matched(source_(), params, series_route);
  if (!series) return bad_data(series.error());
  if (series_route) {
    Json data = Json::array();
    for (const auto& s : *series) data.push_back(metric_json(s.labels));
    return success(std::move(data));
  }
  if (path == "/api/v1/labels") {
    std::set<std::string> names;
    for (const auto& s : *series)
      for (const auto& l : s.labels) names.insert(l.first);
    return success(Json(std::vector<std::string>(names.begin(), names.end())));
  }
  const std::string name = url_unescape(path.substr(kLabel.size(), path.size() - kLabel.size() - 7), false);
  std::set<std::string> values;
  for (const auto& s : *series)
    if (auto v = rules::label_value(s.labels, name); !v.empty()) values.emplace(v);
  return success(Json(std::vector<std::string>(values.begin(), values.end())));
}

}  // namespace promcast::web
