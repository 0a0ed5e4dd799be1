#include "rules/rule_evaluator.h"

#include "rules/alert_template.h"
#include "rules/anomaly_evaluator.h"
#include "rules/forecast_evaluator.h"

namespace promcast::rules {

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
