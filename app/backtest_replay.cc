// The replay of one rule over past data: the rule engine's evaluator, evaluated at past times
// against an in-memory query function (see backtest.h).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>
#include <map>

#include "app/backtest.h"

namespace promcast::app {

namespace {

namespace fc = promcast::forecaster;
using rules::Labels;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::unexpected<Error> fail(std::string message) {
  return std::unexpected(Error{std::move(message), {}, 0, 0});
}

// How series are matched between the data, the evaluator's status rows and its forecast paths: the
// labels without __name__ (and without the `level` the bound paths carry).
Labels series_key(Labels labels) {
  rules::remove_label(labels, "__name__");
  return labels;
}

TimestampMs align_down(TimestampMs t, TimestampMs step) { return t - (((t % step) + step) % step); }
TimestampMs align_up(TimestampMs t, TimestampMs step) { return -align_down(-t, step); }

// Every series of the data on the grid start, start + step, ... (count points), keyed by labels_hash of
// series_key; a sample between grid points goes to the nearest one, as rules::SeriesWindows places it.
struct Grid {
  TimestampMs start = 0, step = 1;
  std::size_t count = 0;
  std::map<std::uint64_t, std::pair<Labels, std::vector<double>>> series;

  Grid(const PastData& data, TimestampMs from, TimestampMs step_ms, std::size_t points)
      : start(from), step(step_ms), count(points) {
    for (const auto& s : data.series) {
      Labels key = series_key(s.labels);
      auto& [labels, values] = series[rules::labels_hash(key)];
      if (values.empty()) {
        labels = key;
        values.assign(count, kNaN);
      }
      for (std::size_t i = 0; i < s.timestamps.size(); ++i) {
        if (s.timestamps[i] < start - step / 2) continue;
        const auto k = static_cast<std::size_t>((s.timestamps[i] - start + step / 2) / step);
        if (k < count) values[k] = s.values[i];
      }
    }
  }
  [[nodiscard]] long long index(TimestampMs t) const { return (t - start) / step; }
  // The values of (t - points * step, t] of one series (NaN outside the grid).
  [[nodiscard]] std::vector<double> window(const std::vector<double>& values, TimestampMs t,
                                           std::size_t points) const {
    std::vector<double> out(points, kNaN);
    const long long last = index(t);
    for (std::size_t i = 0; i < points; ++i) {
      const long long k = last - static_cast<long long>(points - 1 - i);
      if (k >= 0 && k < static_cast<long long>(count)) out[i] = values[static_cast<std::size_t>(k)];
    }
    return out;
  }
  [[nodiscard]] double at(const std::vector<double>& values, TimestampMs t) const {
    const long long k = index(t);
    return k >= 0 && k < static_cast<long long>(count) ? values[static_cast<std::size_t>(k)] : kNaN;
  }
};

int to_steps(rules::Duration d, rules::Duration step) { return static_cast<int>(d.count() / step.count()); }

// The baseline's period: the rule's season, else its first Fourier period, else 1 (the naive forecast).
int default_season(const rules::ForecastRule& rule) {
  const rules::Duration step = rule.common.step;
  if (rule.model.seasonal_period && to_steps(*rule.model.seasonal_period, step) >= 2)
    return to_steps(*rule.model.seasonal_period, step);
  for (const auto& f : rule.model.fourier)
    if (to_steps(f.period, step) >= 2) return to_steps(f.period, step);
  return 1;
}

// A forecast path of one series as forecast_paths() returns it: mean and bounds per level, by time.
struct Path {
  std::map<TimestampMs, double> mean;
  std::vector<std::map<TimestampMs, double>> lower, upper;
};

std::map<std::uint64_t, Path> paths_by_series(const std::vector<rules::Series>& paths,
                                              const std::string& name, const std::vector<double>& levels) {
  std::map<std::uint64_t, Path> out;
  for (const auto& s : paths) {
    const std::string metric(rules::label_value(s.labels, "__name__"));
    Labels key = series_key(s.labels);
    const std::string level(rules::label_value(key, "level"));
    if (metric != name + ":yhat_path") rules::remove_label(key, "level");
    Path& p = out[rules::labels_hash(key)];
    p.lower.resize(levels.size());
    p.upper.resize(levels.size());
    std::map<TimestampMs, double>* target = nullptr;
    if (metric == name + ":yhat_path") {
      target = &p.mean;
    } else {
      for (std::size_t l = 0; l < levels.size(); ++l)
        if (level == rules::format_sample_value(levels[l]))
          target = metric == name + ":yhat_path_lower" ? &p.lower[l] : &p.upper[l];
    }
    if (target == nullptr) continue;
    for (std::size_t i = 0; i < s.timestamps.size(); ++i) (*target)[s.timestamps[i]] = s.values[i];
  }
  return out;
}

double find_or_nan(const std::map<TimestampMs, double>& m, TimestampMs t) {
  auto it = m.find(t);
  return it == m.end() ? kNaN : it->second;
}

}  // namespace

rules::QueryFn memory_query(const PastData& data) {
  return [&data](const rules::RangeQuery& q) -> std::expected<std::vector<rules::Series>, Error> {
    std::vector<rules::Series> out;
    for (const auto& s : data.series) {
      rules::Series slice;
      slice.labels = s.labels;
      const auto first = std::lower_bound(s.timestamps.begin(), s.timestamps.end(), q.start);
      const auto last = std::upper_bound(s.timestamps.begin(), s.timestamps.end(), q.end);
      slice.timestamps.assign(first, last);
      slice.values.assign(s.values.begin() + (first - s.timestamps.begin()),
                          s.values.begin() + (last - s.timestamps.begin()));
      if (!slice.timestamps.empty()) out.push_back(std::move(slice));
    }
    return out;
  };
}

std::expected<ForecastBacktest, Error> backtest_forecast(const rules::ForecastRule& rule,
                                                         const PastData& data,
                                                         const ForecastBacktestOptions& options,
                                                         const ProgressFn& progress) {
  ForecastBacktest out;
  out.rule = rule.common.name;
  out.step = rule.common.step;
  const TimestampMs step = rule.common.step.count();
  for (rules::Duration h : rule.horizons)
    if (to_steps(h, rule.common.step) > 0) out.horizon_steps.push_back(to_steps(h, rule.common.step));
  if (out.horizon_steps.empty()) out.horizon_steps.push_back(1);  // only 0s: the next step
  const int max_h = *std::max_element(out.horizon_steps.begin(), out.horizon_steps.end());
  out.levels = rule.intervals;
  std::vector<double> percents;
  for (double l : rule.intervals) percents.push_back(100.0 * l);
  out.season = options.season.value_or(default_season(rule));
  if (out.season < 1)
    return fail(fmt::format("the baseline's season {} is not a positive number of steps", out.season));

  // Cuts on the rule's grid such that the longest horizon still ends by `to`.
  fc::CutPlan plan;
  plan.first = align_up(options.from, step) / step;
  plan.last = align_down(options.to, step) / step - max_h;
  plan.count = options.cuts;
  plan.spacing = options.cut_every.count() / step;
  if (options.cut_every.count() > 0 && plan.spacing == 0)
    return fail(fmt::format("--cut-every {} is shorter than the rule's step {}",
                            rules::format_duration(options.cut_every),
                            rules::format_duration(rule.common.step)));
  auto origins = fc::rolling_origins(plan);
  if (!origins)
    return fail(
        fmt::format("rule {}: too little data: forecasting {} steps ahead from {} needs data until {}, "
                    "but --to is {}",
                    out.rule, max_h, format_rfc3339(align_up(options.from, step)),
                    format_rfc3339(align_up(options.from, step) + max_h * step), format_rfc3339(options.to)));
  for (long long c : *origins) out.cuts.push_back(c * step);

  const std::size_t capacity =
      static_cast<std::size_t>(std::max<std::int64_t>(1, rule.common.history.count() / step));
  const TimestampMs grid_start = out.cuts.front() - static_cast<TimestampMs>(capacity - 1) * step;
  const Grid grid(data, grid_start, step,
                  static_cast<std::size_t>((out.cuts.back() + max_h * step - grid_start) / step + 1));
  if (grid.series.empty()) return fail(fmt::format("rule {}: the data has no series", out.rule));

  // The evaluator of a copy without the rule's labels: outputs then carry exactly the source labels.
  rules::ForecastRule replayed = rule;
  replayed.common.labels.clear();
  auto evaluator = rules::make_evaluator(rules::Rule{replayed});
  rules::EvalEnv env;
  env.future_window = rules::Duration{max_h * step};
  const rules::QueryFn query = memory_query(data);

  std::map<std::uint64_t, SeriesForecastBacktest> series;
  const TimestampMs chart_start =
      std::max(grid_start, out.cuts.front() - static_cast<TimestampMs>(max_h) * step);
  for (const auto& [key, entry] : grid.series) {
    SeriesForecastBacktest s;
    s.labels = entry.first;
    s.horizons.assign(out.horizon_steps.size(), AccuracyPair(out.levels.size()));
    s.all = AccuracyPair(out.levels.size());
    s.chart.labels = entry.first;
    s.chart.step = rule.common.step;
    s.chart.start = chart_start;
    for (TimestampMs t = chart_start; t <= out.cuts.back() + max_h * step; t += step)
      s.chart.values.push_back(grid.at(entry.second, t));
    const std::size_t n = s.chart.values.size();
    s.chart.expected.assign(n, kNaN);
    s.chart.lower.assign(n, kNaN);
    s.chart.upper.assign(n, kNaN);
    s.chart.level = out.levels.empty() ? 0 : *std::max_element(out.levels.begin(), out.levels.end());
    series.emplace(key, std::move(s));
  }
  const std::size_t widest =
      out.levels.empty() ? 0
                         : static_cast<std::size_t>(std::max_element(out.levels.begin(), out.levels.end()) -
                                                    out.levels.begin());

  for (std::size_t ci = 0; ci < out.cuts.size(); ++ci) {
    const TimestampMs cut = out.cuts[ci];
    auto evaluation = evaluator->evaluate(cut, query, env);
    if (!evaluation) return std::unexpected(evaluation.error());
    const auto paths = paths_by_series(evaluator->forecast_paths(), replayed.common.name, out.levels);
    std::map<std::uint64_t, const rules::SeriesStatus*> status;
    for (const auto& st : evaluation->series) status[rules::labels_hash(series_key(st.labels))] = &st;
    for (auto& [key, s] : series) {
      auto st = status.find(key);
      if (st == status.end()) {
        s.skipped.emplace_back(cut, "no data in the window before the cut");
        continue;
      }
      // A failed fit keeps the previous forecast in the evaluator: only "ok" (or a constant window,
      // forecast as itself) is a forecast from this cut.
      if (st->second->state != "ok" && st->second->state != "constant") {
        s.skipped.emplace_back(cut, st->second->state);
        continue;
      }
      auto p = paths.find(key);
      if (p == paths.end() || p->second.mean.empty()) {
        s.skipped.emplace_back(cut, "no forecast");
        continue;
      }
      s.model = st->second->model;
      ++s.cuts_forecast;
      const std::vector<double>& values = grid.series.at(key).second;
      const std::vector<double> window = grid.window(values, cut, capacity);
      const double scale = fc::seasonal_naive_scale(window, out.season);
      const fc::NaiveForecast naive = fc::seasonal_naive(window, out.season, max_h, percents);
      std::vector<double> lo(out.levels.size()), hi(out.levels.size()), nlo(out.levels.size()),
          nhi(out.levels.size());
      for (int k = 1; k <= max_h; ++k) {
        const TimestampMs t = cut + static_cast<TimestampMs>(k) * step;
        const double actual = grid.at(values, t);
        const double mean = find_or_nan(p->second.mean, t);
        const auto ks = static_cast<std::size_t>(k - 1);
        for (std::size_t l = 0; l < out.levels.size(); ++l) {
          lo[l] = find_or_nan(p->second.lower[l], t);
          hi[l] = find_or_nan(p->second.upper[l], t);
          nlo[l] = naive.lower[l][ks];
          nhi[l] = naive.upper[l][ks];
        }
        if (std::isnan(mean)) continue;  // the path is shorter than max_h: never with future_window set
        auto add = [&](AccuracyPair& a) {
          a.model.add(actual, mean, lo, hi, scale);
          // A baseline without a value at that phase (a gap a whole season long) has no forecast.
          if (!std::isnan(naive.mean[ks])) a.baseline.add(actual, naive.mean[ks], nlo, nhi, scale);
        };
        add(s.all);
        for (std::size_t j = 0; j < out.horizon_steps.size(); ++j)
          if (out.horizon_steps[j] == k) add(s.horizons[j]);
        // The chart's band: each point's forecast from the latest cut before it.
        const long long ix = (t - s.chart.start) / step;
        if (ix >= 0 && ix < static_cast<long long>(s.chart.values.size())) {
          const auto i = static_cast<std::size_t>(ix);
          s.chart.expected[i] = mean;
          if (!out.levels.empty()) {
            s.chart.lower[i] = lo[widest];
            s.chart.upper[i] = hi[widest];
          }
        }
      }
    }
    if (progress) progress(ci + 1, out.cuts.size());
  }

  out.horizons.assign(out.horizon_steps.size(), AccuracyPair(out.levels.size()));
  out.all = AccuracyPair(out.levels.size());
  std::string first_reason;
  for (auto& [key, s] : series) {
    if (s.cuts_forecast == 0 && first_reason.empty() && !s.skipped.empty())
      first_reason = fmt::format("series {} at the cut {}: {}", rules::labels_to_string(s.labels),
                                 format_rfc3339(s.skipped.front().first), s.skipped.front().second);
    for (std::size_t j = 0; j < s.horizons.size(); ++j) out.horizons[j].merge(s.horizons[j]);
    out.all.merge(s.all);
    s.chart.model = s.model;
    out.series.push_back(std::move(s));
  }
  if (out.all.model.count() == 0)
    return fail(
        fmt::format("rule {}: too little data: no forecast could be checked at any of the {} cuts ({})",
                    out.rule, out.cuts.size(), first_reason.empty() ? "no actual values" : first_reason));
  std::sort(out.series.begin(), out.series.end(), [](const auto& a, const auto& b) {
    return rules::labels_to_string(a.labels) < rules::labels_to_string(b.labels);
  });
  return out;
}

std::expected<AnomalyBacktest, Error> backtest_anomaly(const rules::AnomalyRule& rule, const PastData& data,
                                                       const AnomalyBacktestOptions& options,
                                                       const ProgressFn& progress) {
  AnomalyBacktest out;
  out.rule = rule.common.name;
  out.step = rule.common.step;
  out.interval = options.interval;
  out.for_ = rule.for_;
  out.from = options.from;
  out.to = options.to;
  const TimestampMs step = rule.common.step.count();
  if (options.to <= options.from)
    return fail(fmt::format("rule {}: --to ({}) must be after --from ({})", out.rule,
                            format_rfc3339(options.to), format_rfc3339(options.from)));
  if (options.interval.count() <= 0) return fail("the evaluation interval must be greater than 0");
  const TimestampMs chart_start = align_up(options.from, step);
  const Grid grid(data, chart_start, step, static_cast<std::size_t>((options.to - chart_start) / step + 1));
  if (grid.series.empty()) return fail(fmt::format("rule {}: the data has no series", out.rule));

  auto evaluator = rules::make_evaluator(rules::Rule{rule});
  rules::EvalEnv env;
  env.interval = options.interval;
  const rules::QueryFn query = memory_query(data);

  // One episode per series in progress: pending since, firing since, the peak score so far.
  struct Tracker {
    SeriesAnomalyBacktest result;
    std::optional<TimestampMs> pending_since;
    std::optional<ReplayedAlert> firing;
    double peak = 0;
  };
  std::map<std::uint64_t, Tracker> trackers;
  for (const auto& [key, entry] : grid.series) {
    Tracker& t = trackers[key];
    t.result.labels = entry.first;
    t.result.chart.labels = entry.first;
    t.result.chart.step = rule.common.step;
    t.result.chart.start = chart_start;
    t.result.chart.values = entry.second;
    t.result.chart.model = std::string(forecaster::to_string(rule.detector.method));
    t.result.chart.expected.assign(grid.count, kNaN);
    t.result.chart.lower.assign(grid.count, kNaN);
    t.result.chart.upper.assign(grid.count, kNaN);
  }
  auto close = [](Tracker& t) {
    if (t.firing) {
      t.firing->peak_score = t.peak;
      t.result.alerts.push_back(*t.firing);
    } else if (t.pending_since) {
      ++t.result.pending_only;
    }
    t.firing.reset();
    t.pending_since.reset();
    t.peak = 0;
  };
  const auto total = static_cast<std::size_t>((options.to - options.from) / options.interval.count() + 1);
  std::size_t done = 0;
  for (TimestampMs now = options.from; now <= options.to; now += options.interval.count()) {
    auto evaluation = evaluator->evaluate(now, query, env);
    if (!evaluation) return std::unexpected(evaluation.error());
    ++out.evaluations;
    const TimestampMs grid_time = align_down(now, step);
    for (const auto& st : evaluation->series) {
      auto it = trackers.find(rules::labels_hash(series_key(st.labels)));
      if (it == trackers.end()) continue;
      Tracker& t = it->second;
      ++t.result.evaluations;
      if (std::isfinite(st.score)) ++t.result.judged;
      if (st.state.starts_with("insufficient")) t.result.last_problem = st.state;
      const long long ix = (grid_time - chart_start) / step;
      if (ix >= 0 && ix < static_cast<long long>(grid.count) && std::isfinite(st.score)) {
        const auto i = static_cast<std::size_t>(ix);
        t.result.chart.expected[i] = st.expected;
        t.result.chart.lower[i] = st.lower;
        t.result.chart.upper[i] = st.upper;
        if (st.score >= 1.0 && (t.result.chart.anomalies.empty() || t.result.chart.anomalies.back() != i))
          t.result.chart.anomalies.push_back(i);
      }
      if (st.state == "pending" || st.state == "firing") {
        if (!t.pending_since) t.pending_since = now;
        if (std::isfinite(st.score)) t.peak = std::max(t.peak, st.score);
        if (st.state == "firing") {
          if (!t.firing) {
            t.firing = ReplayedAlert{};
            t.firing->pending_since = *t.pending_since;
            t.firing->start = now;
          }
          t.firing->end = now;
        }
      } else {
        close(t);
      }
    }
    if (progress) progress(++done, total);
  }
  std::size_t judged = 0;
  std::string reason;
  for (auto& [key, t] : trackers) {
    if (t.firing) t.firing->ongoing = true;
    close(t);
    judged += t.result.judged;
    if (reason.empty() && !t.result.last_problem.empty())
      reason = fmt::format("series {}: {}", rules::labels_to_string(t.result.labels), t.result.last_problem);
    out.series.push_back(std::move(t.result));
  }
  if (judged == 0)
    return fail(fmt::format("rule {}: too little data: the detector judged no point in {} evaluations ({})",
                            out.rule, out.evaluations,
                            reason.empty() ? "every point was in the detector's warm-up" : reason));
  std::sort(out.series.begin(), out.series.end(), [](const auto& a, const auto& b) {
    return rules::labels_to_string(a.labels) < rules::labels_to_string(b.labels);
  });
  return out;
}

void score_incidents(AnomalyBacktest& backtest, std::vector<Incident> incidents) {
  std::vector<fc::Window> alerts, windows;
  for (const auto& s : backtest.series)
    for (const auto& a : s.alerts)
      alerts.push_back({static_cast<double>(a.start) / 1000.0, static_cast<double>(a.end) / 1000.0});
  for (const auto& i : incidents)
    windows.push_back({static_cast<double>(i.start) / 1000.0, static_cast<double>(i.end) / 1000.0});
  backtest.incident_report = fc::match_incidents(
      alerts, windows, static_cast<double>(backtest.to - backtest.from) / 1000.0, 86400.0);
  backtest.incidents = std::move(incidents);
}

std::string format_rfc3339(TimestampMs ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
  const auto millis = static_cast<int>(ms - static_cast<TimestampMs>(seconds) * 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::string out = fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}", tm.tm_year + 1900, tm.tm_mon + 1,
                                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (millis != 0) out += fmt::format(".{:03d}", millis);
  return out + "Z";
}

}  // namespace promcast::app
