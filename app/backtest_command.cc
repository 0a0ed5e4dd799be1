// `promcast backtest`: replays the rules of a rule file over past data from Prometheus (the rule's
// expr, step and source) or from a CSV file, and reports forecast accuracy next to a seasonal-naive
// baseline, or the alerts that would have fired and the known incidents they caught (backtest.h).
// Exit codes: 0 done, 1 a failure (message on stderr), 2 a usage error.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "app/backtest.h"
#include "app/commands.h"
#include "app/csv_input.h"
#include "app/rules_flags.h"
#include "rules/query_client.h"
#include "rules/rule_loader.h"

namespace promcast::app {

namespace {

struct Flags {
  std::vector<std::string> rule_files;
  std::string rule_name;
  std::string from, to;
  std::string source;
  std::string backends_file;
  std::string query_url;
  std::string input;
  std::vector<std::string> value_columns;
  std::size_t cuts = 10;
  std::string cut_every;
  std::string season;
  std::string interval;
  std::string incidents;
  std::string format = "text";
  std::string html;
};

struct SelectedRule {
  const rules::Rule* rule;
  rules::Duration group_interval;
};

std::unexpected<Error> error(std::string message) {
  return std::unexpected(Error{std::move(message), {}, 0, 0});
}

int fail(const std::string& message) {
  std::fputs(fmt::format("promcast backtest: {}\n", message).c_str(), stderr);
  return 1;
}

// RFC 3339, Unix seconds, `now`, or `now-<duration>` / `now+<duration>` (Prometheus durations).
std::expected<TimestampMs, Error> parse_time(const std::string& flag, std::string_view text,
                                             TimestampMs now) {
  if (text.starts_with("now")) {
    if (text == "now") return now;
    const char sign = text.size() > 3 ? text[3] : ' ';
    auto d = rules::parse_duration(text.substr(4));
    if ((sign != '-' && sign != '+') || !d)
      return error(
          fmt::format("{} '{}': expected now, now-<duration> or now+<duration> (e.g. now-7d)", flag, text));
    return sign == '-' ? now - d->count() : now + d->count();
  }
  double seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && end == text.data() + text.size())
    return static_cast<TimestampMs>(std::llround(seconds * 1000));
  auto t = parse_rfc3339(text);
  if (!t)
    return error(fmt::format(
        "{} '{}' is not a time: give RFC 3339 (2026-11-23T12:00:00Z), Unix seconds or now-7d", flag, text));
  return static_cast<TimestampMs>(std::llround(*t * 1000));
}

std::expected<std::vector<Incident>, Error> read_incidents(const std::string& path) {
  std::ifstream in(path);
  if (!in) return error(fmt::format("{}: cannot read the incidents file", path));
  std::vector<Incident> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, ',');) {
      const auto b = f.find_first_not_of(" \t\"");
      const auto e = f.find_last_not_of(" \t\"");
      fields.push_back(b == std::string::npos ? std::string() : f.substr(b, e - b + 1));
    }
    auto at = [&](std::string message) {
      return std::unexpected(Error{std::move(message), path, number, 0});
    };
    if (fields.size() < 2) return at("expected start,end[,name]");
    auto start = parse_time("start", fields[0], 0);
    auto end = parse_time("end", fields[1], 0);
    if (out.empty() && (!start || !end) && fields[0] == "start") continue;  // a header row
    if (!start) return at(start.error().message);
    if (!end) return at(end.error().message);
    if (fields[0].starts_with("now") || fields[1].starts_with("now"))
      return at("incident times must be absolute");
    if (*end < *start) return at(fmt::format("the end {} is before the start {}", fields[1], fields[0]));
    Incident incident{*start, *end, fields.size() > 2 ? fields[2] : fmt::format("line {}", number)};
    for (std::size_t i = 3; i < fields.size(); ++i) incident.name += "," + fields[i];
    out.push_back(std::move(incident));
  }
  if (out.empty()) return error(fmt::format("{}: no incidents (expected lines of start,end[,name])", path));
  return out;
}

// The CSV's value columns as series labelled {column="<header>"}; missing cells are no sample.
std::expected<PastData, Error> csv_data(const Flags& f, TimestampMs& first, TimestampMs& last, double& step) {
  auto csv = read_csv_series(f.input);
  if (!csv) return std::unexpected(csv.error());
  if (csv->time_kind == TimeKind::kIndex)
    return error(
        fmt::format("{}: the first column '{}' holds no timestamps; a backtest needs times (RFC 3339 or "
                    "Unix seconds)",
                    f.input, csv->time_column));
  if (csv->rows() < 2) return error(fmt::format("{}: fewer than two rows", f.input));
  PastData data;
  data.origin = f.input;
  const std::vector<std::string> columns = f.value_columns.empty() ? csv->names : f.value_columns;
  for (const auto& name : columns) {
    const std::vector<double>* values = csv->column(name);
    if (values == nullptr) return error(fmt::format("{}: no column named '{}'", f.input, name));
    rules::Series s;
    s.labels = {{"column", name}};
    for (std::size_t r = 0; r < csv->rows(); ++r) {
      if (std::isnan((*values)[r])) continue;
      const auto t = static_cast<TimestampMs>(std::llround(csv->times[r] * 1000));
      if (!s.timestamps.empty() && t <= s.timestamps.back())
        return error(fmt::format("{}: times are not increasing", csv->row_location(r)));
      s.timestamps.push_back(t);
      s.values.push_back((*values)[r]);
    }
    data.series.push_back(std::move(s));
  }
  first = static_cast<TimestampMs>(std::llround(csv->times.front() * 1000));
  last = static_cast<TimestampMs>(std::llround(csv->times.back() * 1000));
  step = csv->step();
  return data;
}

std::expected<PastData, Error> prometheus_data(const Flags& f, const rules::RuleCommon& rule,
                                               TimestampMs from, TimestampMs to) {
  RulesFlags rf;
  rf.backends_file = f.backends_file;
  rf.query_url = f.query_url;
  auto options = engine_options(rf, 0);
  if (!options) {
    std::string all;
    for (const auto& e : options.error()) all += (all.empty() ? "" : "; ") + e.to_string();
    return error(all);
  }
  const auto& sources = options->backends.sources;
  if (sources.empty())
    return error("no query source: give --query-url URL, --backends FILE with sources, or --input FILE.csv");
  const std::string wanted = !f.source.empty() ? f.source : rule.source;
  const rules::SourceConfig* source = &sources.front();
  if (!wanted.empty()) {
    auto it = std::find_if(sources.begin(), sources.end(), [&](const auto& s) { return s.name == wanted; });
    if (it == sources.end()) {
      std::vector<std::string> names;
      for (const auto& s : sources) names.push_back(s.name);
      return error(fmt::format("unknown source '{}' (sources: {})", wanted, fmt::join(names, ", ")));
    }
    source = &*it;
  }
  rules::QueryClient client(*source, nullptr);
  rules::RangeQuery q = rules::rule_query(rule);
  q.step = rule.step;
  q.start = from - rule.history.count() - rule.step.count();
  q.end = to;
  auto series = client.query_range(q);
  if (!series) return std::unexpected(series.error());
  return PastData{std::move(*series), fmt::format("{} ({})", source->name, source->url)};
}

// "\r[#####.....] 5/10 rule" on a terminal; nothing when stderr is a file or a pipe.
ProgressFn progress_bar(const std::string& rule) {
  if (isatty(STDERR_FILENO) == 0) return {};
  return [rule](std::size_t done, std::size_t total) {
    constexpr std::size_t kWidth = 30;
    const std::size_t filled = total == 0 ? kWidth : done * kWidth / total;
    std::fputs(fmt::format("\r[{}{}] {}/{} {}", std::string(filled, '#'), std::string(kWidth - filled, '.'),
                           done, total, rule)
                   .c_str(),
               stderr);
    if (done >= total) std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  };
}

}  // namespace

int run_backtest(int argc, char** argv) {
  Flags f;
  CLI::App app{
      "Replays forecast and anomaly rules over past data: forecast accuracy (MASE, sMAPE, interval coverage "
      "per "
      "horizon, next to a seasonal-naive baseline) or the alerts that would have fired and the incidents "
      "they "
      "caught.",
      "promcast backtest"};
  app.add_option("--rules", f.rule_files, "rule file (repeatable, globs accepted)")->required();
  app.add_option("--rule", f.rule_name, "only the rules with this name (default: every rule of the files)");
  app.add_option("--from", f.from, "start of the replay: RFC 3339, Unix seconds or now-7d (CSV: see docs)");
  app.add_option("--to", f.to, "end of the replay (default: now; CSV: the last row)");
  app.add_option("--source", f.source,
                 "query source from --backends (default: the rule's source, else the first)");
  app.add_option("--backends", f.backends_file,
                 "backends file with the query sources (as --rules.backends.config)");
  app.add_option("--query-url", f.query_url,
                 "Prometheus-compatible query API base URL (a source named default)");
  app.add_option("--input", f.input, "read the data from this CSV (time column, value columns) instead");
  app.add_option("--value-column", f.value_columns, "with --input: the columns to replay (default: all)");
  app.add_option("--cuts", f.cuts, "forecast rules: number of rolling origins, evenly spread (default 10)");
  app.add_option("--cut-every", f.cut_every, "forecast rules: a cut every this long from --from instead");
  app.add_option("--season", f.season, "forecast rules: the baseline's season (default: the rule's season)");
  app.add_option("--interval", f.interval,
                 "anomaly rules: evaluation cadence (default: the group's interval)");
  app.add_option("--incidents", f.incidents, "anomaly rules: CSV of known incidents, start,end[,name]");
  app.add_option("--format", f.format, "text or json (default text)")->check(CLI::IsMember({"text", "json"}));
  app.add_option("--html", f.html, "also write a self-contained HTML report with charts to this file");
  std::vector<std::string> args;
  for (int i = argc - 1; i >= 0; --i) args.emplace_back(argv[i]);  // CLI11 takes them reversed
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  auto usage = [&](const std::string& message) {
    std::fputs(fmt::format("promcast backtest: {}\n{}", message, app.help()).c_str(), stderr);
    return 2;
  };
  if (f.cuts == 0 && f.cut_every.empty()) return usage("--cuts must be at least 1");
  if (f.input.empty() && f.from.empty())
    return usage("--from is required when the data comes from a query source");

  auto set = rules::load_rule_files(f.rule_files);
  if (!set) {
    for (const auto& e : set.error()) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    return 1;
  }
  std::vector<SelectedRule> selected;
  std::vector<std::string> names;
  for (const auto& g : set->groups)
    for (const auto& r : g.rules) {
      names.push_back(rules::common_of(r).name);
      if (f.rule_name.empty() || rules::common_of(r).name == f.rule_name)
        selected.push_back({&r, g.interval});
    }
  if (selected.empty())
    return fail(f.rule_name.empty() ? "the rule files hold no rules"
                                    : fmt::format("no rule named '{}' in {} (rules: {})", f.rule_name,
                                                  fmt::join(f.rule_files, ", "), fmt::join(names, ", ")));

  std::optional<rules::Duration> cut_every, season, interval;
  for (auto [flag, text, out] :
       {std::tuple{"--cut-every", &f.cut_every, &cut_every}, std::tuple{"--season", &f.season, &season},
        std::tuple{"--interval", &f.interval, &interval}}) {
    if (text->empty()) continue;
    auto d = rules::parse_duration(*text);
    if (!d || d->count() <= 0)
      return usage(fmt::format("{} '{}': {}", flag, *text, d ? "must be greater than 0" : d.error()));
    *out = *d;
  }
  std::vector<Incident> incidents;
  if (!f.incidents.empty()) {
    auto read = read_incidents(f.incidents);
    if (!read) return fail(read.error().to_string());
    incidents = std::move(*read);
  }

  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  // CSV data is read once; its span gives the defaults of --from and --to.
  std::optional<PastData> csv;
  TimestampMs csv_first = 0, csv_last = 0;
  double csv_step = 0;
  if (!f.input.empty()) {
    auto data = csv_data(f, csv_first, csv_last, csv_step);
    if (!data) return fail(data.error().to_string());
    csv = std::move(*data);
  }

  std::vector<ForecastBacktest> forecasts;
  std::vector<AnomalyBacktest> anomalies;
  json::Json reports = json::Json::array();
  std::string text;
  for (const auto& [rule, group_interval] : selected) {
    const rules::RuleCommon& common = rules::common_of(*rule);
    auto to = f.to.empty() ? std::expected<TimestampMs, Error>(csv ? csv_last : now)
                           : parse_time("--to", f.to, now);
    if (!to) return usage(to.error().message);
    std::expected<TimestampMs, Error> from = 0;
    if (!f.from.empty()) {
      from = parse_time("--from", f.from, now);
    } else {  // CSV: after one history from the first row, or halfway when the file is shorter
      from = csv_first + common.history.count() < *to ? csv_first + common.history.count()
                                                      : csv_first + (*to - csv_first) / 2;
    }
    if (!from) return usage(from.error().message);
    if (*to <= *from)
      return fail(fmt::format("rule {}: --to {} is not after --from {}", common.name, format_rfc3339(*to),
                              format_rfc3339(*from)));
    PastData fetched;
    const PastData* data = nullptr;
    if (csv) {
      if (std::abs(csv_step * 1000 - static_cast<double>(common.step.count())) > 1)
        std::fputs(fmt::format(
                       "promcast backtest: warning: {} has a step of {} s, rule {} a step of {}; the data is "
                       "placed on the rule's grid\n",
                       f.input, csv_step, common.name, rules::format_duration(common.step))
                       .c_str(),
                   stderr);
      data = &*csv;
    } else {
      auto got = prometheus_data(f, common, *from, *to);
      if (!got) {  // the query client's errors already name the rule
        const std::string message = got.error().to_string();
        return fail(message.starts_with("rule ") ? message
                                                 : fmt::format("rule {}: {}", common.name, message));
      }
      fetched = std::move(*got);
      data = &fetched;
    }
    if (data->series.empty())
      return fail(fmt::format("rule {}: no data from {} between {} and {}", common.name, data->origin,
                              format_rfc3339(*from - common.history.count()), format_rfc3339(*to)));

    if (const auto* fr = std::get_if<rules::ForecastRule>(rule)) {
      ForecastBacktestOptions o;
      o.from = *from;
      o.to = *to;
      o.cuts = f.cuts;
      if (cut_every) {
        o.cut_every = *cut_every;
        if (app.count("--cuts") == 0) o.cuts = 0;  // spacing alone: as many cuts as fit
      }
      if (season) {
        if (season->count() % common.step.count() != 0)
          return usage(fmt::format("--season {} is not a whole number of the rule's {} steps", f.season,
                                   rules::format_duration(common.step)));
        o.season = static_cast<int>(season->count() / common.step.count());
      }
      auto b = backtest_forecast(*fr, *data, o, progress_bar(common.name));
      if (!b) return fail(b.error().to_string());
      reports.push_back(to_json(*b));
      reports.back()["data"] = data->origin;
      text += (text.empty() ? "" : "\n") + to_text(*b);
      forecasts.push_back(std::move(*b));
    } else {
      const auto& ar = std::get<rules::AnomalyRule>(*rule);
      AnomalyBacktestOptions o;
      o.from = *from;
      o.to = *to;
      o.interval = interval.value_or(group_interval);
      auto b = backtest_anomaly(ar, *data, o, progress_bar(common.name));
      if (!b) return fail(b.error().to_string());
      if (!incidents.empty()) score_incidents(*b, incidents);
      reports.push_back(to_json(*b));
      reports.back()["data"] = data->origin;
      text += (text.empty() ? "" : "\n") + to_text(*b);
      anomalies.push_back(std::move(*b));
    }
  }
  if (!incidents.empty() && anomalies.empty())
    std::fputs("promcast backtest: warning: --incidents applies to anomaly rules only\n", stderr);

  if (!f.html.empty()) {
    std::ofstream out(f.html, std::ios::binary);
    out << to_html(
        forecasts, anomalies,
        fmt::format("promcast backtest: {}",
                    f.rule_name.empty() ? fmt::format("{}", fmt::join(f.rule_files, ", ")) : f.rule_name));
    if (!out.flush()) return fail(fmt::format("{}: cannot write the HTML report", f.html));
  }
  if (f.format == "json") {
    json::Json doc = {{"rules", std::move(reports)}};
    const std::string s = json::dump(doc, 2) + "\n";
    std::fwrite(s.data(), 1, s.size(), stdout);
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  return 0;
}

}  // namespace promcast::app
