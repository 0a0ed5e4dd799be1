#pragma once
// The engine's side of --storage.path: fitted models kept in one file, DIR/models.snapshot (format and
// atomic replacement: model_snapshot.h), so that a restart resumes evaluation instead of refitting.
//
// - Start-up reads the file. A missing file is normal (info log); an unreadable, old-version, corrupt or
//   truncated one is a warning naming the file and the reason, and every series is fitted. Never throws.
// - Each rule's evaluator is handed the stored models of its fingerprint when it is created (at start-up
//   and for new or changed rules after a reload), see RuleEvaluator::restore_models.
// - After an evaluation that fitted, the rule's export replaces its entry; the file is rewritten when
//   an entry changed and at shutdown. A failed write is logged and counted; evaluation goes on.
//
// Threads: group threads call update() and write_if_changed() concurrently; every call is thread-safe.
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "rules/model_snapshot.h"
#include "rules/rule_evaluator.h"

namespace promcast::rules {

class ModelStore {
 public:
  /// Creates `dir` if needed and reads DIR/models.snapshot. Registers its self-metrics in `registry`.
  ModelStore(const std::string& dir, prometheus::Registry& registry);

  [[nodiscard]] const std::string& path() const { return path_; }

  /// Hands `evaluator` the stored models of its fingerprint; returns how many it took.
  std::size_t restore(RuleEvaluator& evaluator);
  /// Takes the evaluator's current models as its fingerprint's entry (call under the rule's evaluation
  /// lock, after an evaluation that fitted).
  void update(const RuleEvaluator& evaluator);
  /// Forgets the entries of fingerprints no rule has any more (after a reload).
  void retain(const std::vector<std::string>& fingerprints);
  /// Writes the file if an entry changed since the last write.
  void write_if_changed();
  /// Writes the file (shutdown).
  void write();

 private:
  void write_locked();

  std::string path_;
  std::mutex mutex_;
  std::map<std::string, RuleModelSnapshot> rules_;  // by fingerprint
  bool changed_ = false;
  prometheus::Counter* writes_ = nullptr;
  prometheus::Counter* write_failures_ = nullptr;
  prometheus::Counter* read_failures_ = nullptr;
};

}  // namespace promcast::rules
