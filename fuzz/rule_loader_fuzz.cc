// libFuzzer target: any bytes as a rule file and as a backends file. Whatever loads must satisfy the
// loader's promises (horizons and periods whole numbers of steps, intervals in (0, 1), templates that
// compile), and its label and annotation templates are expanded with extreme values. Every error must carry the
// file name. Nothing may crash, hang or allocate without bound.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "rules/alert_template.h"
#include "rules/rule_loader.h"

using namespace promcast::rules;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_errors(const std::vector<promcast::Error>& errors) {
  check(!errors.empty());
  for (const auto& e : errors) {
    check(e.file == "fuzz.yml" && !e.message.empty() && e.line >= 0 && e.column >= 0);
    (void)e.to_string();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto set = parse_rule_file(input, "fuzz.yml");
  if (!set) {
    check_errors(set.error());
  } else {
    const Labels labels{{"instance", "host:9100"}, {"job", "fuzz"}};
    TemplateData td;
    td.labels = &labels;
    td.value = std::numeric_limits<double>::quiet_NaN();
    td.expected = std::numeric_limits<double>::infinity();
    td.lower = -1e308;
    td.upper = 5e-324;
    td.score = -0.0;
    for (const auto& g : set->groups) {
      check(g.interval.count() > 0 && !g.name.empty());
      for (const auto& rule : g.rules) {
        const RuleCommon& c = common_of(rule);
        check(c.step.count() > 0 && !c.expr.empty() && !c.name.empty() && !c.fingerprint.empty());
        for (const auto& [name, text] : c.labels) {  // templates in labels of either kind compile
          auto t = AlertTemplate::compile(text);
          check(t.has_value());
          (void)t->expand(td);
        }
        if (const auto* f = std::get_if<ForecastRule>(&rule)) {
          check(!f->horizons.empty());
          for (auto h : f->horizons) check(h.count() % c.step.count() == 0);
          for (double l : f->intervals) check(l > 0 && l < 1);
          if (f->model.seasonal_period) check(f->model.seasonal_period->count() % c.step.count() == 0);
        } else {
          const auto& a = std::get<AnomalyRule>(rule);
          check(a.online.refit_every >= 1);
          for (const auto& [name, text] : a.annotations) {
            auto t = AlertTemplate::compile(text);
            check(t.has_value());
            (void)t->expand(td);
          }
        }
      }
    }
  }
  auto backends = parse_backends(input, "fuzz.yml");
  if (!backends) {
    check_errors(backends.error());
  } else {
    check(!backends->sources.empty());
    for (const auto& s : backends->sources) check(!s.url.empty() && !s.name.empty());
  }
  return 0;
}
