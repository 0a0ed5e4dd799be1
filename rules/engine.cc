#include "rules/engine.h"

#include <fmt/format.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

#include "common/json.h"
#include "rules/model_store.h"
#include "rules/notifier.h"
#include "rules/query_client.h"
#include "rules/remote_write.h"
#include "rules/rule_evaluator.h"
#include "rules/worker_pool.h"

namespace promcast::rules {

namespace {

TimestampMs now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t text_hash(std::string_view text) {  // FNV-1a: stable across processes, like labels_hash
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// One rule as it runs: its evaluator (and with it every fitted model and alert) plus what the status
// pages show. Shared between the old and the new group across a reload when the rule is unchanged.
struct RuleRuntime {
  std::string key;          // file|group|name|occurrence: identity across reloads
  std::string fingerprint;  // the rule as written: equal means unchanged
  std::string group;
  std::string kind;
  std::unique_ptr<RuleEvaluator> evaluator;
  // One evaluation at a time, also across a reload. Timed: readers (charts on the status pages) wait a
  // bounded time, never for an evaluation stuck on a slow query.
  std::timed_mutex evaluation_mutex;
  mutable std::mutex status_mutex;
  RuleStatus status;
  std::vector<SeriesStatus> series;
  // Forecast paths of the last successful evaluation: remote read and the query API read this copy,
  // because an evaluation may be waiting on the very Prometheus whose remote read asks for it.
  std::vector<ForecastPath> paths;
};

struct GroupRuntime {
  RuleGroup config;
  std::string key;  // file|name
  std::vector<std::shared_ptr<RuleRuntime>> rules;
  std::thread thread;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
};

}  // namespace

struct RuleEngine::Impl {
  EngineOptions options;
  prometheus::Registry registry;
  // self-metrics (Prometheus' rule manager names, promcast_ prefix)
  prometheus::Family<prometheus::Gauge>* group_last_duration = nullptr;
  prometheus::Family<prometheus::Gauge>* group_interval = nullptr;
  prometheus::Family<prometheus::Gauge>* group_last_evaluation = nullptr;
  prometheus::Family<prometheus::Counter>* group_iterations = nullptr;
  prometheus::Family<prometheus::Counter>* group_missed = nullptr;
  prometheus::Family<prometheus::Counter>* rule_evaluations = nullptr;
  prometheus::Family<prometheus::Counter>* rule_failures = nullptr;
  prometheus::Family<prometheus::Counter>* rule_fits = nullptr;
  prometheus::Family<prometheus::Counter>* rule_fit_failures = nullptr;
  prometheus::Family<prometheus::Counter>* rule_restored = nullptr;
  prometheus::Family<prometheus::Gauge>* rule_series = nullptr;
  prometheus::Family<prometheus::Gauge>* rule_insufficient = nullptr;
  prometheus::Family<prometheus::Gauge>* rule_last_duration = nullptr;
  prometheus::Gauge* reload_success = nullptr;
  prometheus::Gauge* reload_timestamp = nullptr;

  std::map<std::string, std::unique_ptr<QueryClient>> sources;
  std::string default_source;
  std::vector<std::unique_ptr<RemoteWriter>> writers;
  std::unique_ptr<Notifier> notifier;
  std::unique_ptr<WorkerPool> pool;
  OutputStore outputs;
  std::unique_ptr<ModelStore> models;  // --storage.path; null when off
  QueryFn query_override;

  std::mutex reload_mutex;
  mutable std::mutex groups_mutex;
  std::vector<std::shared_ptr<GroupRuntime>> groups;
  std::atomic<bool> stopped{false};

  explicit Impl(EngineOptions o) : options(std::move(o)) {
    using prometheus::BuildCounter;
    using prometheus::BuildGauge;
    group_last_duration = &BuildGauge()
                               .Name("promcast_rule_group_last_duration_seconds")
                               .Help("The duration of the last rule group evaluation.")
                               .Register(registry);
    group_interval = &BuildGauge()
                          .Name("promcast_rule_group_interval_seconds")
                          .Help("The interval of a rule group.")
                          .Register(registry);
    group_last_evaluation = &BuildGauge()
                                 .Name("promcast_rule_group_last_evaluation_timestamp_seconds")
                                 .Help("The timestamp of the last rule group evaluation in seconds.")
                                 .Register(registry);
    group_iterations = &BuildCounter()
                            .Name("promcast_rule_group_iterations_total")
                            .Help("The number of scheduled evaluations of a rule group.")
                            .Register(registry);
    group_missed = &BuildCounter()
                        .Name("promcast_rule_group_iterations_missed_total")
                        .Help("Rule group evaluations skipped because an evaluation overran its interval.")
                        .Register(registry);
    rule_evaluations = &BuildCounter()
                            .Name("promcast_rule_evaluations_total")
                            .Help("The number of rule evaluations.")
                            .Register(registry);
    rule_failures = &BuildCounter()
                         .Name("promcast_rule_evaluation_failures_total")
                         .Help("Rule evaluations that failed (query error, limits); the last outputs stay.")
                         .Register(registry);
    rule_fits = &BuildCounter()
                     .Name("promcast_rule_fits_total")
                     .Help("Models fitted (forecast rules) or detector runs (anomaly rules) that succeeded.")
                     .Register(registry);
    rule_fit_failures = &BuildCounter()
                             .Name("promcast_rule_fit_failures_total")
                             .Help("Fits that failed; the series keeps its last good model.")
                             .Register(registry);
    rule_restored =
        &BuildCounter()
             .Name("promcast_rule_models_restored_total")
             .Help("Stored models (--storage.path) used for a series instead of fitting it (not fits).")
             .Register(registry);
    rule_series = &BuildGauge()
                       .Name("promcast_rule_series")
                       .Help("Series selected by a rule at its last evaluation.")
                       .Register(registry);
    rule_insufficient = &BuildGauge()
                             .Name("promcast_rule_series_insufficient_history")
                             .Help("Series of a rule with too little history to fit or judge.")
                             .Register(registry);
    rule_last_duration = &BuildGauge()
                              .Name("promcast_rule_last_duration_seconds")
                              .Help("The duration of the last evaluation of a rule.")
                              .Register(registry);
    reload_success = &BuildGauge()
                          .Name("promcast_rules_config_last_reload_successful")
                          .Help("Whether the last rules configuration reload attempt was successful.")
                          .Register(registry)
                          .Add({});
    reload_timestamp = &BuildGauge()
                            .Name("promcast_rules_config_last_reload_success_timestamp_seconds")
                            .Help("Timestamp of the last successful rules configuration reload.")
                            .Register(registry)
                            .Add({});
  }

  std::expected<void, std::vector<Error>> check_sources(const RuleSet& set) const {
    std::vector<Error> errors;
    for (const auto& g : set.groups)
      for (const auto& r : g.rules) {
        const RuleCommon& c = common_of(r);
        if (!c.source.empty() && !sources.contains(c.source))
          errors.push_back(Error{fmt::format("rule {}: unknown source '{}'", c.name, c.source),
                                 c.position.file, c.position.line, c.position.column});
      }
    if (sources.empty() && !set.groups.empty())
      errors.push_back(
          Error{"rules need a query source: set --rules.query.url or a backends file", {}, 0, 0});
    if (!errors.empty()) return std::unexpected(std::move(errors));
    return {};
  }

  std::vector<std::shared_ptr<GroupRuntime>> build_groups(const RuleSet& set) {
    std::map<std::string, std::shared_ptr<RuleRuntime>> previous;
    {
      std::lock_guard lock(groups_mutex);
      for (const auto& g : groups)
        for (const auto& r : g->rules) previous[r->key] = r;
    }
    std::vector<std::shared_ptr<GroupRuntime>> built;
    for (const auto& g : set.groups) {
      auto group = std::make_shared<GroupRuntime>();
      group->config = g;
      group->key = g.position.file + "|" + g.name;
      std::map<std::string, int> occurrences;
      for (const auto& r : g.rules) {
        const RuleCommon& c = common_of(r);
        const std::string key = fmt::format("{}|{}|{}", group->key, c.name, occurrences[c.name]++);
        const std::string fingerprint = fmt::format("{}|{}", c.fingerprint, g.interval.count());
        auto it = previous.find(key);
        if (it != previous.end() && it->second->fingerprint == fingerprint && !fingerprint.starts_with("|")) {
          group->rules.push_back(it->second);  // unchanged: keeps its models and alerts
          continue;
        }
        auto rt = std::make_shared<RuleRuntime>();
        rt->key = key;
        rt->fingerprint = fingerprint;
        rt->group = g.name;
        rt->kind = std::holds_alternative<ForecastRule>(r) ? "forecast" : "anomaly";
        rt->evaluator = make_evaluator(r, options.shard);
        if (models) models->restore(*rt->evaluator);
        rt->status.group = g.name;
        rt->status.name = c.name;
        rt->status.kind = rt->kind;
        rt->status.expr = c.expr;
        rt->status.file = c.position.file;
        group->rules.push_back(std::move(rt));
      }
      built.push_back(std::move(group));
    }
    return built;
  }

  void swap_groups(std::vector<std::shared_ptr<GroupRuntime>> next) {
    std::vector<std::shared_ptr<GroupRuntime>> old;
    {
      std::lock_guard lock(groups_mutex);
      old = std::move(groups);
      groups.clear();
    }
    for (auto& g : old) stop_group(*g);
    std::vector<std::string> keys, fingerprints;
    for (const auto& g : next)
      for (const auto& r : g->rules) {
        keys.push_back(r->key);
        fingerprints.push_back(r->evaluator->model_fingerprint());
      }
    outputs.retain(keys);
    if (models) models->retain(fingerprints);
    std::lock_guard lock(groups_mutex);
    groups = std::move(next);
    if (!options.manual)
      for (auto& g : groups) g->thread = std::thread([this, gp = g.get()] { run_group(*gp); });
  }

  static void stop_group(GroupRuntime& g) {
    {
      std::lock_guard lock(g.mutex);
      g.stopping = true;
    }
    g.wake.notify_all();
    if (g.thread.joinable()) g.thread.join();
  }

  // Prometheus' schedule: evaluations at multiples of the interval shifted by a stable per-group offset,
  // so restarts keep the phase and groups spread over the interval; overruns skip, never stack.
  void run_group(GroupRuntime& g) {
    const std::int64_t interval = std::max<std::int64_t>(1, g.config.interval.count());
    const auto offset = static_cast<std::int64_t>(text_hash(g.key) % static_cast<std::uint64_t>(interval));
    const prometheus::Labels labels{{"rule_group", g.key}};
    group_interval->Add(labels).Set(static_cast<double>(interval) / 1000.0);
    TimestampMs next = ((now_ms() - offset) / interval + 1) * interval + offset;
    for (;;) {
      {
        std::unique_lock lock(g.mutex);
        const auto deadline = std::chrono::system_clock::time_point(std::chrono::milliseconds(next));
        if (g.wake.wait_until(lock, deadline, [&] { return g.stopping; })) return;
      }
      group_iterations->Add(labels).Increment();
      evaluate_group(g, next);
      next += interval;
      const TimestampMs now = now_ms();
      if (now > next) {
        const std::int64_t missed = (now - next) / interval + 1;
        group_missed->Add(labels).Increment(static_cast<double>(missed));
        spdlog::warn("Rule group evaluation overran its interval group={} missed={}", g.config.name, missed);
        next += missed * interval;
      }
    }
  }

  void evaluate_group(GroupRuntime& g, TimestampMs now) {
    const auto t0 = std::chrono::steady_clock::now();
    for (auto& rule : g.rules) evaluate_rule(g, *rule, now);
    if (models) models->write_if_changed();  // once per group evaluation, after the rules that fitted
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const prometheus::Labels labels{{"rule_group", g.key}};
    group_last_duration->Add(labels).Set(seconds);
    group_last_evaluation->Add(labels).Set(static_cast<double>(now) / 1000.0);
  }

  QueryFn query_for(const RuleCommon& c) {
    if (query_override) return query_override;
    const std::string& name = c.source.empty() ? default_source : c.source;
    QueryClient* client = sources.at(name).get();
    return [client](const RangeQuery& q) { return client->query_range(q); };
  }

  void evaluate_rule(const GroupRuntime& g, RuleRuntime& rt, TimestampMs now) {
    std::lock_guard evaluation(rt.evaluation_mutex);
    const RuleCommon& c = rt.evaluator->common();
    const prometheus::Labels labels{{"rule_group", g.key}, {"rule", c.name}};
    EvalEnv env;
    env.external_labels = options.backends.external_labels;
    env.interval = g.config.interval;
    env.resend_delay = options.backends.resend_delay;
    for (const auto& w : writers) env.future_window = std::max(env.future_window, w->config().future_window);
    env.generator_url = options.external_url + "/rules/" + url_encode(c.name);
    env.pool = pool.get();
    const auto t0 = std::chrono::steady_clock::now();
    auto result = rt.evaluator->evaluate(now, query_for(c), env);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rule_evaluations->Add(labels).Increment();
    rule_last_duration->Add(labels).Set(seconds);
    std::vector<ForecastPath> paths;
    if (result && rt.kind == "forecast") paths = rt.evaluator->forecast_path_set();
    std::lock_guard lock(rt.status_mutex);
    if (result && rt.kind == "forecast") rt.paths = std::move(paths);
    rt.status.last_evaluation_ms = now;
    rt.status.last_duration_seconds = seconds;
    if (!result) {
      rule_failures->Add(labels).Increment();
      rt.status.last_error = result.error().message;
      spdlog::error("Evaluating rule failed group={} rule={} err=\"{}\"", g.config.name, c.name,
                    result.error().message);
      return;
    }
    rt.status.last_error.clear();
    rule_fits->Add(labels).Increment(static_cast<double>(result->fits));
    if (result->fit_failures > 0)
      rule_fit_failures->Add(labels).Increment(static_cast<double>(result->fit_failures));
    if (models) {
      rule_restored->Add(labels).Increment(static_cast<double>(result->restored));
      if (result->fits > 0) models->update(*rt.evaluator);  // under the evaluation lock, as export needs
      if (result->restore_failures > 0)
        spdlog::warn("Stored models could not be rebuilt, the series were fitted group={} rule={} series={}",
                     g.config.name, c.name, result->restore_failures);
    }
    rule_series->Add(labels).Set(static_cast<double>(result->series.size()));
    rule_insufficient->Add(labels).Set(static_cast<double>(result->insufficient));
    rt.status.series = result->series.size();
    rt.status.insufficient = result->insufficient;
    rt.status.pending = rt.status.firing = 0;
    for (const auto& s : result->series) {
      if (s.state == "pending") ++rt.status.pending;
      if (s.state == "firing") ++rt.status.firing;
    }
    rt.series = std::move(result->series);
    outputs.replace(rt.key, std::move(result->samples));
#ifdef __GLIBC__
    // A fit's temporaries (filter matrices, search candidates) are freed, but glibc's per-thread arenas
    // keep the pages: measured 58 KiB of RSS per fitted series beyond the live heap. Fits are rare
    // (first sight, refit), so handing the pages back after them costs nothing in steady state.
    if (result->fits > 0) malloc_trim(0);
#endif
    for (const auto& w : writers) {
      const Duration window = w->config().future_window;
      std::vector<Sample> batch;
      for (const auto& s : result->remote)
        if (s.timestamp <= now || s.timestamp - now <= window.count()) batch.push_back(s);
      w->append(std::move(batch));
    }
    if (notifier && !result->alerts.empty()) notifier->send(std::move(result->alerts));
  }
};

RuleEngine::RuleEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RuleEngine::~RuleEngine() { stop(); }

std::expected<std::unique_ptr<RuleEngine>, std::vector<Error>> RuleEngine::start(EngineOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  if (!impl->options.storage_path.empty())
    impl->models = std::make_unique<ModelStore>(impl->options.storage_path, impl->registry);
  const BackendsConfig& b = impl->options.backends;
  for (const auto& s : b.sources) {
    if (impl->default_source.empty()) impl->default_source = s.name;
    impl->sources[s.name] = std::make_unique<QueryClient>(s, &impl->registry);
  }
  LoadOptions load;
  load.default_interval = impl->options.default_interval;
  auto set = load_rule_files(impl->options.rule_files, load);
  if (!set) return std::unexpected(set.error());
  if (auto ok = impl->check_sources(*set); !ok) return std::unexpected(ok.error());
  for (const auto& w : b.remote_write)
    impl->writers.push_back(std::make_unique<RemoteWriter>(w, &impl->registry));
  if (!b.alertmanagers.empty())
    impl->notifier =
        std::make_unique<Notifier>(b.alertmanagers, b.notification_queue_capacity, &impl->registry);
  const std::size_t workers =
      impl->options.workers > 0 ? impl->options.workers : std::max(1u, std::thread::hardware_concurrency());
  impl->pool = std::make_unique<WorkerPool>(workers);
  std::size_t rules = 0;
  for (const auto& g : set->groups) rules += g.rules.size();
  impl->swap_groups(impl->build_groups(*set));
  impl->reload_success->Set(1);
  impl->reload_timestamp->Set(static_cast<double>(now_ms()) / 1000.0);
  spdlog::info("Rule engine started groups={} rules={} workers={}", set->groups.size(), rules, workers);
  return std::unique_ptr<RuleEngine>(new RuleEngine(std::move(impl)));
}

bool RuleEngine::reload() {
  std::lock_guard lock(impl_->reload_mutex);
  LoadOptions load;
  load.default_interval = impl_->options.default_interval;
  auto set = load_rule_files(impl_->options.rule_files, load);
  if (set) {
    if (auto ok = impl_->check_sources(*set); !ok) set = std::unexpected(ok.error());
  }
  if (!set) {
    for (const auto& e : set.error()) spdlog::error("Error reloading rules: {}", e.to_string());
    impl_->reload_success->Set(0);
    return false;
  }
  impl_->swap_groups(impl_->build_groups(*set));
  impl_->reload_success->Set(1);
  impl_->reload_timestamp->Set(static_cast<double>(now_ms()) / 1000.0);
  spdlog::info("Rules reloaded successfully groups={}", set->groups.size());
  return true;
}

void RuleEngine::write_metrics(std::string& self_metrics, std::string& outputs) {
  auto families = impl_->registry.Collect();
  std::sort(families.begin(), families.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::erase_if(families, [](const auto& f) { return f.metric.empty(); });
  self_metrics += prometheus::TextSerializer().Serialize(families);
  impl_->outputs.write_text(outputs);
}

void RuleEngine::evaluate_all(TimestampMs now) {
  std::vector<std::shared_ptr<GroupRuntime>> groups;
  {
    std::lock_guard lock(impl_->groups_mutex);
    groups = impl_->groups;
  }
  for (auto& g : groups) impl_->evaluate_group(*g, now);
}

void RuleEngine::set_query_override(QueryFn query) { impl_->query_override = std::move(query); }

std::vector<RuleStatus> RuleEngine::status() const {
  std::vector<RuleStatus> out;
  std::lock_guard lock(impl_->groups_mutex);
  for (const auto& g : impl_->groups)
    for (const auto& r : g->rules) {
      std::lock_guard l(r->status_mutex);
      out.push_back(r->status);
    }
  return out;
}

std::vector<SeriesStatus> RuleEngine::series_status(const std::string& rule) const {
  std::lock_guard lock(impl_->groups_mutex);
  for (const auto& g : impl_->groups)
    for (const auto& r : g->rules) {
      std::lock_guard l(r->status_mutex);
      if (r->status.name == rule) return r->series;
    }
  return {};
}

std::optional<SeriesChart> RuleEngine::chart(const std::string& rule, std::uint64_t series_hash) const {
  std::shared_ptr<RuleRuntime> found;
  {
    std::lock_guard lock(impl_->groups_mutex);
    for (const auto& g : impl_->groups)
      for (const auto& r : g->rules)
        if (r->evaluator->common().name == rule) found = r;
  }
  if (!found) return std::nullopt;
  std::unique_lock evaluation(found->evaluation_mutex, std::chrono::seconds(2));
  if (!evaluation.owns_lock()) return std::nullopt;  // an evaluation is taking long: no chart this time
  return found->evaluator->chart(series_hash);
}

std::vector<Series> RuleEngine::forecast_paths() const {
  std::vector<std::shared_ptr<RuleRuntime>> rules;
  {
    std::lock_guard lock(impl_->groups_mutex);
    for (const auto& g : impl_->groups) rules.insert(rules.end(), g->rules.begin(), g->rules.end());
  }
  std::vector<Series> out;
  for (const auto& r : rules) {
    if (r->kind != "forecast") continue;
    std::lock_guard lock(r->status_mutex);
    for (const auto& p : r->paths) p.expand(out);
  }
  return out;
}

std::vector<Series> RuleEngine::current_outputs() const {
  std::vector<Series> out;
  std::lock_guard lock(impl_->groups_mutex);
  for (const auto& g : impl_->groups)
    for (const auto& r : g->rules) {
      TimestampMs at = 0;
      {
        std::lock_guard l(r->status_mutex);
        at = r->status.last_evaluation_ms;
      }
      for (const auto& s : impl_->outputs.samples(r->key)) {
        Series series;
        series.labels = s.labels;
        set_label(series.labels, "__name__", s.name);
        series.timestamps.push_back(at);
        series.values.push_back(s.value);
        out.push_back(std::move(series));
      }
    }
  return out;
}

std::string RuleEngine::status_json() const {
  json::Json groups = json::Json::array();
  std::lock_guard lock(impl_->groups_mutex);
  for (const auto& g : impl_->groups) {
    json::Json rules = json::Json::array();
    for (const auto& r : g->rules) {
      std::lock_guard l(r->status_mutex);
      const RuleStatus& s = r->status;
      json::Json series = json::Json::array();
      for (const auto& st : r->series) {
        json::Json labels = json::Json::object();
        for (const auto& [k, v] : st.labels) labels[k] = v;
        series.push_back({{"labels", labels},
                          {"model", st.model},
                          {"aicc", json::number_or_null(st.aicc)},
                          {"lastFit", st.last_fit / 1000.0},
                          {"value", json::number_or_null(st.value)},
                          {"expected", json::number_or_null(st.expected)},
                          {"lower", json::number_or_null(st.lower)},
                          {"upper", json::number_or_null(st.upper)},
                          {"score", json::number_or_null(st.score)},
                          {"state", st.state}});
      }
      rules.push_back({{"name", s.name},
                       {"type", s.kind},
                       {"query", s.expr},
                       {"file", s.file},
                       {"lastError", s.last_error},
                       {"lastEvaluation", s.last_evaluation_ms / 1000.0},
                       {"evaluationTime", s.last_duration_seconds},
                       {"series", s.series},
                       {"insufficientHistory", s.insufficient},
                       {"pending", s.pending},
                       {"firing", s.firing},
                       {"seriesStatus", series}});
    }
    groups.push_back({{"name", g->config.name},
                      {"file", g->config.position.file},
                      {"interval", g->config.interval.count() / 1000.0},
                      {"rules", rules}});
  }
  json::Json out = {{"status", "success"}, {"data", {{"groups", groups}}}};
  return json::dump(out);
}

bool RuleEngine::flush(std::chrono::milliseconds timeout) {
  bool ok = true;
  for (auto& w : impl_->writers) ok = w->flush(timeout) && ok;
  if (impl_->notifier) ok = impl_->notifier->flush(timeout) && ok;
  return ok;
}

void RuleEngine::stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  std::vector<std::shared_ptr<GroupRuntime>> groups;
  {
    std::lock_guard lock(impl_->groups_mutex);
    groups = impl_->groups;
  }
  for (auto& g : groups) Impl::stop_group(*g);
  if (impl_->models) impl_->models->write();  // the last state, whatever the last write did
  impl_->writers.clear();
  impl_->notifier.reset();
  impl_->pool.reset();
}

}  // namespace promcast::rules
