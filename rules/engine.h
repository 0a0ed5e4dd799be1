#pragma once
// The running rule engine: loads rule files, runs one loop per group (every `interval`, at a stable
// per-group offset), evaluates each rule's series in parallel on a shared worker pool, exports the
// outputs, remote-writes them and sends alerts. Reload (SIGHUP, /-/reload) swaps in new rules only when
// every file loads; unchanged rules keep their fitted models and alert state.
//
// Threads: one per group, the worker pool, one sender per remote-write target and one for the
// notifier. Public calls are thread-safe.
#include <cstddef>
#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "rules/rule_config.h"
#include "rules/rule_evaluator.h"
#include "rules/rule_loader.h"
#include "rules/series_windows.h"

namespace promcast::rules {

struct EngineOptions {
  std::vector<std::string> rule_files;  ///< patterns (globs allowed)
  BackendsConfig backends;              ///< sources, remote write, Alertmanagers, external labels
  std::size_t workers = 0;              ///< 0 = hardware concurrency
  Duration default_interval{60 * 1000};
  /// promcast's own URL as users reach it: generatorURL = <external_url>/rules/<rule>.
  std::string external_url = "http://localhost:9102";
  /// This replica's share of the series (--rules.shard=i/n).
  Shard shard;
  /// --storage.path: the directory where fitted models are kept across restarts (model_store.h); empty =
  /// nowhere, every start fits every series.
  std::string storage_path;
  /// Don't start group loops (tests drive evaluate_all()).
  bool manual = false;
};

/// The state of one rule for the status pages and /api/v1/rules.
struct RuleStatus {
  std::string group;
  std::string name;
  std::string kind;  ///< "forecast" or "anomaly"
  std::string expr;
  std::string file;
  std::string last_error;
  std::int64_t last_evaluation_ms = 0;
  double last_duration_seconds = 0;
  std::size_t series = 0, insufficient = 0, pending = 0, firing = 0;
};

class RuleEngine {
 public:
  /// Loads the rule files and starts the loops; every load error is returned.
  static std::expected<std::unique_ptr<RuleEngine>, std::vector<Error>> start(EngineOptions options);
  ~RuleEngine();
  RuleEngine(const RuleEngine&) = delete;
  RuleEngine& operator=(const RuleEngine&) = delete;

  /// Reloads the rule files. On any error the running rules stay, the errors are logged and
  /// promcast_rules_config_last_reload_successful becomes 0.
  bool reload();

  /// Self-metrics and outputs as two name-sorted expositions (the caller merges them into /metrics).
  void write_metrics(std::string& self_metrics, std::string& outputs);

  /// Every group once at `now`, in file order, on the calling thread plus the pool (tests, backtests).
  void evaluate_all(TimestampMs now);

  /// Replaces how a source is read (tests): name -> query function.
  void set_query_override(QueryFn query);

  [[nodiscard]] std::vector<RuleStatus> status() const;
  /// Per-series state of one rule (model, expectation, state) from its last evaluation.
  [[nodiscard]] std::vector<SeriesStatus> series_status(const std::string& rule) const;
  /// The chart of one series (labels_hash of its source labels) of the named rule; waits up to 2 s for a
  /// running evaluation of that rule to finish, then gives up (nullopt).
  [[nodiscard]] std::optional<SeriesChart> chart(const std::string& rule, std::uint64_t series_hash) const;
  /// Every forecast rule's paths at future timestamps (R:yhat_path, _lower, _upper) as of each rule's last
  /// successful evaluation, for remote read and the query API. Never waits for a running evaluation
  /// (that evaluation may be querying the Prometheus whose remote read calls this).
  [[nodiscard]] std::vector<Series> forecast_paths() const;
  /// The samples currently exported on /metrics by the rules (name as __name__), for the query API.
  [[nodiscard]] std::vector<Series> current_outputs() const;
  /// `/api/v1/rules`-style JSON of status().
  [[nodiscard]] std::string status_json() const;

  /// Waits for the remote-write and notification queues to drain (shutdown, tests).
  bool flush(std::chrono::milliseconds timeout);

  /// Stops every loop and sender. Idempotent; the destructor calls it.
  void stop();

  struct Impl;

 private:
  explicit RuleEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace promcast::rules
