#include "rules/anomaly_evaluator.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <optional>

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
  fc::Judgement last;  // the newest judged point
  double last_value = kNaN;
  bool anomalous = false;  // some new point was anomalous at the last evaluation
  fc::Judgement trigger;   // the newest anomalous point's judgement
  double trigger_value = kNaN;
  std::string state = "ok";
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
    c.start = windows_.end() - static_cast<TimestampMs>(c.values.size() - 1) * c.step.count();
    c.model = std::string(fc::to_string(rule_.detector.method));
    const std::size_t n = c.values.size();
    c.expected.assign(n, kNaN);
    c.lower.assign(n, kNaN);
    c.upper.assign(n, kNaN);
    auto detection = fc::detect(rule_.detector, c.values);  // the same judgement, every point at once
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
    std::size_t failures = 0;
    std::mutex count_mutex;
    for (auto& [key, w] : windows_.windows()) {
      SeriesDetector& d = detectors_[key];
      work.emplace_back(&w, &d);
      tasks.emplace_back([&, wp = &w, dp = &d] {
        if (!judge(*wp, *dp)) {
          std::lock_guard lock(count_mutex);
          ++failures;
        }
      });
    }
    run_tasks(env, std::move(tasks));

    RuleEvaluation out;
    out.samples_read = refreshed->samples;
    out.queries = refreshed->queries;
    out.fits = work.size() - failures;
    out.fit_failures = failures;
    const std::string& name = rule_.common.name;
    std::vector<AlertInput> anomalous;
    for (auto [w, d] : work) {
      SeriesStatus status;
      status.labels = w->labels;
      status.model = std::string(fc::to_string(rule_.detector.method));
      status.aicc = kNaN;
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
  // Judges the window; the new points go through the post-processing. On first sight the whole window
  // warms the post-processing up, but only the newest point can make the series anomalous.
  bool judge(const SeriesWindow& w, SeriesDetector& d) {
    // No new point (an interval shorter than the step): the newest point's verdict stands, as a PromQL
    // alert expression keeps its value until the series goes stale; clearing it would reset `for:`.
    if (w.new_points == 0) return true;
    d.anomalous = false;
    auto detection = fc::detect(rule_.detector, w.values);
    if (!detection) {
      d.state = "insufficient history: " + detection.error().message;
      return false;
    }
    if (!d.post || w.is_new) d.post.emplace(rule_.online);
    const std::size_t n = w.values.size();
    const std::size_t fresh = std::min(w.new_points, n);
    const std::size_t alert_from = w.is_new ? n - 1 : n - fresh;
    for (std::size_t i = n - fresh; i < n; ++i) {
      const fc::Judgement j = d.post->next(detection->points[i], w.values[i]);
      if (std::isfinite(w.values[i])) d.last_value = w.values[i];
      if (!j.judged) continue;
      d.last = j;
      if (i >= alert_from && j.anomaly) {
        d.anomalous = true;
        d.trigger = j;
        d.trigger_value = w.values[i];
      }
    }
    d.state = "ok";
    return true;
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
