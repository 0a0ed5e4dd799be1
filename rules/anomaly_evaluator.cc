#include "rules/anomaly_evaluator.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <span>

#include "forecaster/anomaly_likelihood.h"
#include "forecaster/detector_factory.h"
#include "rules/alert_state.h"
#include "rules/alert_template.h"
#include "rules/forecast_evaluator.h"

namespace promcast::rules {

namespace {

namespace fc = promcast::forecaster;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The streaming post-processing of one series, fed one judged point at a time (the incremental form
// of detect_online's stages, so a series keeps its state between evaluations).
class PostProcessor {
 public:
  explicit PostProcessor(const fc::OnlineOptions& o) : options_(o) {
    if (o.likelihood) likelihood_.emplace(*o.likelihood);
  }

  fc::Judgement next(fc::Judgement j, double value) {
    if (j.judged && !std::isnan(j.score)) {
      if (options_.recent_max_window > 0) {
        while (!best_.empty() && best_.front().first + options_.recent_max_window < judged_ + 1)
          best_.pop_front();
        const double raw = j.score;
        const double ref = best_.empty() ? 1.0 : std::max(1.0, best_.front().second);
        j.score = raw / ref;
        j.anomaly = j.anomaly && j.score > 1.0;
        while (!best_.empty() && best_.back().second <= raw) best_.pop_back();
        best_.emplace_back(judged_, raw);
      }
      if (likelihood_) {
        const double p = likelihood_->next(fc::bounded_anomaly_score(j.score));
        j.score = fc::likelihood_score(p, options_.likelihood->red);
        j.anomaly = j.score >= 1.0;
      }
      if (options_.range_tolerance && std::isfinite(value) && seen_ >= options_.range_min_points &&
          max_ > min_) {
        const double slack = *options_.range_tolerance * (max_ - min_);
        if (value < min_ - slack || value > max_ + slack) {
          j.score = std::max(j.score, fc::kNewRangeScore);
          j.anomaly = true;
        }
      }
      ++judged_;
    }
    if (std::isfinite(value)) {
      min_ = std::min(min_, value);
      max_ = std::max(max_, value);
      ++seen_;
    }
    return j;
  }

 private:
  fc::OnlineOptions options_;
  std::optional<fc::AnomalyLikelihood> likelihood_;
  std::deque<std::pair<std::size_t, double>> best_;
  std::size_t judged_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
  std::size_t seen_ = 0;
};

struct SeriesDetector {
  std::optional<PostProcessor> post;
  // The detector fitted at the last (re)fit, judging the points since; absent until the first fit.
  std::optional<fc::StreamDetector> model;
  TimestampMs origin = 0;     // grid time of the model's stream index 0 (the window's start at the first fit)
  std::size_t since_fit = 0;  // points the model judged since it was fitted (or a refit was tried)
  std::string fit_error;      // the last refit's failure, until a refit succeeds (the old model judges)
  TimestampMs fitted_at = 0;  // evaluation time of the model's fit (the status pages' "last fit")
  std::optional<fc::KOfN> k_of_n;  // residual: counts over the stream, across evaluations and refits
  fc::Judgement last;              // the newest judged point
  double last_value = kNaN;
  bool anomalous = false;  // some new point was anomalous at the last evaluation
  fc::Judgement trigger;   // the newest anomalous point's judgement
  double trigger_value = kNaN;
  std::string state = "ok";
};

// What one series' judgement did, for the rule's fit counters.
struct FitCount {
  std::size_t fits = 0;
  std::size_t failures = 0;
};

class AnomalyEvaluator final : public RuleEvaluator {
 public:
  AnomalyEvaluator(const AnomalyRule& rule, Shard shard)
      : rule_(rule),
        windows_(rule.common.step, rule.common.history,
                 std::max(rule.common.step * 5, Duration{5 * 60 * 1000}), shard) {
    for (const auto& [name, text] : rule_.common.labels) {
      auto t = AlertTemplate::compile(text);
      if (t) label_templates_.emplace_back(name, std::move(*t));
    }
    for (const auto& [name, text] : rule_.annotations) {
      auto t = AlertTemplate::compile(text);
      if (t) annotation_templates_.emplace_back(name, std::move(*t));
    }
  }

  [[nodiscard]] const RuleCommon& common() const override { return rule_.common; }

  [[nodiscard]] std::optional<SeriesChart> chart(std::uint64_t series_hash) const override {
    auto w = windows_.windows().find(series_hash);
    if (w == windows_.windows().end()) return std::nullopt;
    SeriesChart c;
    c.labels = w->second.labels;
    c.step = rule_.common.step;
    c.values = w->second.values;
    c.start = windows_.start_of(w->second);
    c.model = std::string(fc::to_string(rule_.detector.method));
    const std::size_t n = c.values.size();
    c.expected.assign(n, kNaN);
    c.lower.assign(n, kNaN);
    c.upper.assign(n, kNaN);
    // A view, so batch: every point judged against the whole window, where the alerts came from models
    // fitted every `refit` on the points before them; the newest points' verdicts can differ slightly.
    auto detection = fc::detect(rule_.detector, c.values);
    if (!detection) return c;
    for (std::size_t i = 0; i < n && i < detection->points.size(); ++i) {
      const auto& j = detection->points[i];
      c.expected[i] = j.expected;
      c.lower[i] = j.lower;
      c.upper[i] = j.upper;
      if (j.anomaly) c.anomalies.push_back(i);
    }
    return c;
  }

  std::expected<RuleEvaluation, Error> evaluate(TimestampMs now, const QueryFn& query,
                                                const EvalEnv& env) override {
    auto refreshed = windows_.refresh(now, rule_query(rule_.common), query);
    if (!refreshed) return std::unexpected(refreshed.error());
    std::erase_if(detectors_, [&](const auto& e) { return !windows_.windows().contains(e.first); });

    std::vector<std::function<void()>> tasks;
    std::vector<std::pair<SeriesWindow*, SeriesDetector*>> work;
    FitCount counts;
    std::mutex count_mutex;
    for (auto& [key, w] : windows_.windows()) {
      SeriesDetector& d = detectors_[key];
      work.emplace_back(&w, &d);
      tasks.emplace_back([&, wp = &w, dp = &d] {
        const FitCount c = judge(*wp, *dp, now);
        std::lock_guard lock(count_mutex);
        counts.fits += c.fits;
        counts.failures += c.failures;
      });
    }
    run_tasks(env, std::move(tasks));

    RuleEvaluation out;
    out.samples_read = refreshed->samples;
    out.queries = refreshed->queries;
    out.fits = counts.fits;
    out.fit_failures = counts.failures;
    const std::string& name = rule_.common.name;
    std::vector<AlertInput> anomalous;
    for (auto [w, d] : work) {
      SeriesStatus status;
      status.labels = w->labels;
      status.model = std::string(fc::to_string(rule_.detector.method));
      status.aicc = kNaN;
      status.last_fit = d->fitted_at;
      status.value = d->last_value;
      status.expected = d->last.expected;
      status.lower = d->last.lower;
      status.upper = d->last.upper;
      status.score = d->last.score;
      status.state = d->state;
      if (d->state.starts_with("insufficient")) ++out.insufficient;
      const Labels labels = output_labels(w->labels, {});
      if (d->last.judged) {
        Labels l =
            output_labels(w->labels, expand_rule_labels(w->labels, rule_.common.labels, d->last_value));
        out.samples.push_back({name + ":anomaly_score", l, d->last.score});
        out.samples.push_back({name + ":yhat", l, d->last.expected});
        out.samples.push_back({name + ":yhat_lower", l, d->last.lower});
        out.samples.push_back({name + ":yhat_upper", std::move(l), d->last.upper});
      }
      if (d->anomalous) anomalous.push_back(alert_input(w->labels, *d, env));
      out.series.push_back(std::move(status));
    }
    alerts_.update(now, anomalous, rule_.for_, rule_.keep_firing_for);
    for (const ActiveAlert* a : alerts_.active()) {
      Labels l = a->labels;
      set_label(l, "alertstate", a->status == AlertStatus::kFiring ? "firing" : "pending");
      out.samples.push_back({"promcast_alerts", std::move(l), 1.0});
    }
    for (auto& s : out.series) {
      for (const ActiveAlert* a : alerts_.active()) {
        bool match = true;
        for (const auto& [k, v] : output_labels(s.labels, {}))
          if (label_value(a->labels, k) != v) match = false;
        if (!match) continue;
        s.state = a->status == AlertStatus::kFiring ? "firing" : "pending";
        s.annotations = a->annotations;
      }
    }
    out.alerts = alerts_.due(now, env.resend_delay, env.interval, env.generator_url);
    for (auto& alert : out.alerts)
      for (const auto& [k, v] : env.external_labels)
        if (label_value(alert.labels, k).empty()) set_label(alert.labels, k, v);
    for (const auto& s : out.samples) {
      Labels l = s.labels;
      for (const auto& [k, v] : env.external_labels)
        if (label_value(l, k).empty()) set_label(l, k, v);
      set_label(l, "__name__", s.name);
      out.remote.push_back({std::move(l), now, s.value});
    }
    return out;
  }

 private:
  // Judges the new points of a window and feeds them through the post-processing. A series keeps its
  // fitted detector between evaluations (the rule's `refit`, as `detect --online`'s refit_every): each new
  // point is judged by the model on the points before it, and every refit_every judged points the model
  // is fitted again on the window before the next point. Without a model (first sight, or every fit so far
  // failed) the batch detection over the window judges, then the model is fitted on the window.
  FitCount judge(const SeriesWindow& w, SeriesDetector& d, TimestampMs now) {
    // No new point (an interval shorter than the step): the newest point's verdict stands, as a PromQL
    // alert expression keeps its value until the series goes stale; clearing it would reset `for:`.
    if (w.new_points == 0) return {};
    d.anomalous = false;
    const TimestampMs start = windows_.start_of(w);
    if (w.is_new || start < d.origin) d.model.reset();  // a new stream: nothing carries over
    const FitCount count = d.model ? judge_streaming(w, d, start) : judge_batch(w, d, start);
    if (count.fits > 0) d.fitted_at = now;
    return count;
  }

  // First sight (or no model yet): the batch detection over the window judges; on first sight the whole
  // window warms the post-processing up, but only the newest point can make the series anomalous. Then the
  // model is fitted on the window, so the following evaluations judge with it.
  FitCount judge_batch(const SeriesWindow& w, SeriesDetector& d, TimestampMs start) {
    FitCount count;
    // residual: the points' own scores; k-of-n is counted with the series' counter, which goes on across
    // evaluations (the same verdicts as the batch method's own k-of-n over the window)
    fc::DetectorConfig config = rule_.detector;
    config.residual.k = config.residual.n = 1;
    auto detection = fc::detect(config, w.values);
    if (!detection) {
      d.state = "insufficient history: " + detection.error().message;
      ++count.failures;
      return count;
    }
    if (!d.post || w.is_new) {
      d.post.emplace(rule_.online);
      d.k_of_n.emplace(rule_.detector.residual.k, rule_.detector.residual.n);
    }
    const std::size_t n = w.values.size();
    const std::size_t fresh = std::min(w.new_points, n);
    const std::size_t alert_from = w.is_new ? n - 1 : n - fresh;
    for (std::size_t i = n - fresh; i < n; ++i) take(d, detection->points[i], w.values[i], i >= alert_from);
    d.state = "ok";
    // Fitted on the points before the newest one, which it then takes as judged (the residual model
    // absorbs it; the batch gave its verdict): the model is then the one `detect --online` would have
    // fitted for the newest point, and the refit cadence counts from this evaluation.
    const std::span<const double> before = std::span(w.values).first(n - 1);
    const std::size_t history = fit_history(before.size());
    if (fc::count_finite(before.last(history)) < min_fit_points(history)) return count;
    auto model = fc::StreamDetector::fit(rule_.detector, w.values, before.size() - history, before.size());
    if (!model) {
      d.state = "fit failed: " + model.error().message;
      ++count.failures;
      return count;
    }
    (void)model->judge(w.values);
    d.model = std::move(*model);
    d.origin = start;
    d.since_fit = 1;
    d.fit_error.clear();
    ++count.fits;
    return count;
  }

  // Between first sight and the end of the series: each new point judged by the kept model on the points
  // before it (like `promcast detect --online`), refitted every refit_every points. A failed refit keeps
  // the previous model and is tried again refit_every points later.
  FitCount judge_streaming(const SeriesWindow& w, SeriesDetector& d, TimestampMs start) {
    FitCount count;
    const std::size_t n = w.values.size();
    const std::size_t fresh = std::min(w.new_points, n);
    const auto first = static_cast<std::size_t>((start - d.origin) / rule_.common.step.count());
    const std::span<const double> values(w.values);
    // zscore has no fitted model: nothing to refit
    const bool refits = rule_.detector.method != fc::Method::kZscore;
    const std::size_t every = std::max<std::size_t>(1, rule_.online.refit_every);
    for (std::size_t i = n - fresh; i < n; ++i) {
      if (refits && d.since_fit >= every) {
        const std::size_t history = std::min(fit_history(n), i);
        if (fc::count_finite(values.subspan(i - history, history)) >= min_fit_points(history)) {
          auto model = fc::StreamDetector::fit(rule_.detector, values, i - history, i, first);
          if (model) {
            d.model = std::move(*model);
            d.fit_error.clear();
            ++count.fits;
          } else {
            d.fit_error = model.error().message;
            ++count.failures;
          }
          d.since_fit = 0;
        }
      }
      const fc::Judgement j = d.model->judge(values.first(i + 1), first);
      ++d.since_fit;
      take(d, j, values[i], true);
    }
    d.state = d.fit_error.empty() ? "ok" : "fit failed: " + d.fit_error;
    return count;
  }

  // One judged point through k-of-n and the post-processing; `may_alert` lets it make the series anomalous.
  void take(SeriesDetector& d, fc::Judgement own, double value, bool may_alert) const {
    const fc::Judgement j = d.post->next(d.k_of_n->next(own), value);
    if (std::isfinite(value)) d.last_value = value;
    if (!j.judged) return;
    d.last = j;
    if (may_alert && j.anomaly) {
      d.anomalous = true;
      d.trigger = j;
      d.trigger_value = value;
    }
  }

  // Points a fit uses: the detector's `history` (the rule's by default, so the whole window).
  [[nodiscard]] std::size_t fit_history(std::size_t window) const {
    return rule_.online.history > 0 ? std::min(rule_.online.history, window) : window;
  }
  [[nodiscard]] std::size_t min_fit_points(std::size_t history) const {
    return std::min(fc::StreamDetector::min_points(rule_.detector), history);
  }

  AlertInput alert_input(const Labels& series, const SeriesDetector& d, const EvalEnv& env) const {
    const Labels source = output_labels(series, {});
    TemplateData data;
    data.labels = &source;
    data.external_labels = &env.external_labels;
    data.value = d.trigger_value;
    data.expected = d.trigger.expected;
    data.lower = d.trigger.lower;
    data.upper = d.trigger.upper;
    data.score = d.trigger.score;
    AlertInput in;
    in.labels = source;
    for (const auto& [name, t] : label_templates_) set_label(in.labels, name, t.expand(data));
    set_label(in.labels, "alertname", rule_.common.name);
    for (const auto& [name, t] : annotation_templates_) set_label(in.annotations, name, t.expand(data));
    in.value = d.trigger_value;
    return in;
  }

  AnomalyRule rule_;
  SeriesWindows windows_;
  std::map<std::uint64_t, SeriesDetector> detectors_;
  AlertTracker alerts_;
  std::vector<std::pair<std::string, AlertTemplate>> label_templates_;
  std::vector<std::pair<std::string, AlertTemplate>> annotation_templates_;
};

}  // namespace

std::unique_ptr<RuleEvaluator> make_anomaly_evaluator(const AnomalyRule& rule, Shard shard) {
  return std::make_unique<AnomalyEvaluator>(rule, shard);
}

}  // namespace promcast::rules
