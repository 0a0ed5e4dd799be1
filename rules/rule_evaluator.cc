#include "rules/rule_evaluator.h"

#include "rules/alert_template.h"
#include "rules/anomaly_evaluator.h"
#include "rules/forecast_evaluator.h"

namespace promcast::rules {

void ForecastPath::expand(std::vector<Series>& out) const {
  auto path = [&](const std::string& name, const Labels& with, double side, double zq) {
    Series s;
    s.labels = with;
    set_label(s.labels, "__name__", name);
    s.timestamps.reserve(mean.size());
    s.values.reserve(mean.size());
    for (std::size_t k = 0; k < mean.size(); ++k) {
      s.timestamps.push_back(start + static_cast<TimestampMs>(k) * step.count());
      s.values.push_back(side == 0 ? mean[k] : mean[k] + side * zq * std_err[k]);
    }
    out.push_back(std::move(s));
  };
  path(rule + ":yhat_path", labels, 0, 0);
  for (std::size_t j = 0; j < levels.size(); ++j) {
    Labels with = labels;
    set_label(with, "level", format_sample_value(levels[j]));
    path(rule + ":yhat_path_lower", with, -1.0, z[j]);
    path(rule + ":yhat_path_upper", with, 1.0, z[j]);
  }
}

std::vector<Series> expand_paths(const std::vector<ForecastPath>& paths) {
  std::vector<Series> out;
  out.reserve(paths.size() * 5);
  for (const auto& p : paths) p.expand(out);
  return out;
}

RangeQuery rule_query(const RuleCommon& rule) {
  RangeQuery q;
  q.expr = rule.expr;
  q.max_series = rule.max_series;
  q.max_samples = rule.max_samples;
  q.rule_name = rule.name;
  return q;
}

void run_tasks(const EvalEnv& env, std::vector<std::function<void()>> tasks) {
  if (env.pool != nullptr) {
    env.pool->run_all(std::move(tasks));
    return;
  }
  for (auto& t : tasks) t();
}

std::unique_ptr<RuleEvaluator> make_evaluator(const Rule& rule, Shard shard) {
  if (const auto* f = std::get_if<ForecastRule>(&rule)) return make_forecast_evaluator(*f, shard);
  return make_anomaly_evaluator(std::get<AnomalyRule>(rule), shard);
}

Labels expand_rule_labels(const Labels& series, const Labels& rule_labels, double value) {
  Labels out;
  const Labels source = output_labels(series, {});
  for (const auto& [k, v] : rule_labels) {
    if (v.find("{{") == std::string::npos) {
      out.emplace_back(k, v);
      continue;
    }
    auto t = AlertTemplate::compile(v);  // validated at load; a failure here keeps the text
    TemplateData data;
    data.labels = &source;
    data.value = value;
    out.emplace_back(k, t ? t->expand(data) : v);
  }
  return out;
}

Labels output_labels(const Labels& series, const Labels& rule_labels) {
  Labels out = series;
  remove_label(out, "__name__");
  for (const auto& [k, v] : rule_labels) set_label(out, k, v);
  return out;
}

}  // namespace promcast::rules
