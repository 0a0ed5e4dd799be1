#include "rules/model_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>

namespace promcast::rules {

ModelStore::ModelStore(const std::string& dir, prometheus::Registry& registry)
    : path_((std::filesystem::path(dir) / "models.snapshot").string()) {
  using prometheus::BuildCounter;
  writes_ = &BuildCounter()
                 .Name("promcast_rule_model_snapshot_writes_total")
                 .Help("Model snapshots written to --storage.path.")
                 .Register(registry)
                 .Add({});
  write_failures_ = &BuildCounter()
                         .Name("promcast_rule_model_snapshot_write_failures_total")
                         .Help("Model snapshots that could not be written; evaluation goes on.")
                         .Register(registry)
                         .Add({});
  read_failures_ = &BuildCounter()
                        .Name("promcast_rule_model_snapshot_read_failures_total")
                        .Help("Model snapshots that could not be read at start-up (every series was fitted).")
                        .Register(registry)
                        .Add({});
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);  // a failure shows up as failed writes, counted
  if (!std::filesystem::exists(path_, ec)) {
    spdlog::info("No model snapshot yet, every series will be fitted path={}", path_);
    return;
  }
  auto read = read_model_snapshot(path_);
  if (!read) {
    read_failures_->Increment();
    spdlog::warn("Ignoring the model snapshot, every series will be fitted path={} err=\"{}\"", path_,
                 read.error().message);
    return;
  }
  std::size_t models = 0;
  for (auto& r : *read) {
    models += r.models.size();
    rules_[r.fingerprint] = std::move(r);
  }
  spdlog::info("Model snapshot read path={} rules={} models={}", path_, rules_.size(), models);
}

std::size_t ModelStore::restore(RuleEvaluator& evaluator) {
  const std::string fingerprint = evaluator.model_fingerprint();
  if (fingerprint.empty()) return 0;
  RuleModelSnapshot copy;
  {
    std::lock_guard lock(mutex_);
    auto it = rules_.find(fingerprint);
    if (it == rules_.end()) return 0;
    copy = it->second;
  }
  const std::size_t taken = evaluator.restore_models(std::move(copy));
  spdlog::info("Stored models handed to rule rule={} models={}", evaluator.common().name, taken);
  return taken;
}

void ModelStore::update(const RuleEvaluator& evaluator) {
  RuleModelSnapshot models = evaluator.export_models();
  if (models.fingerprint.empty()) return;
  std::lock_guard lock(mutex_);
  rules_[models.fingerprint] = std::move(models);
  changed_ = true;
}

void ModelStore::retain(const std::vector<std::string>& fingerprints) {
  const std::set<std::string> keep(fingerprints.begin(), fingerprints.end());
  std::lock_guard lock(mutex_);
  changed_ = std::erase_if(rules_, [&](const auto& e) { return !keep.contains(e.first); }) > 0 || changed_;
}

void ModelStore::write_if_changed() {
  std::lock_guard lock(mutex_);
  if (changed_) write_locked();
}

void ModelStore::write() {
  std::lock_guard lock(mutex_);
  write_locked();
}

void ModelStore::write_locked() {
  std::vector<RuleModelSnapshot> rules;
  rules.reserve(rules_.size());
  for (const auto& [fingerprint, r] : rules_) rules.push_back(r);
  // Tried once per change: the next evaluation that fits, or shutdown, tries again (not every interval,
  // which would only repeat the warning).
  changed_ = false;
  if (auto ok = write_model_snapshot(path_, rules); !ok) {
    write_failures_->Increment();
    spdlog::warn("Writing the model snapshot failed path={} err=\"{}\"", path_, ok.error().message);
    return;
  }
  writes_->Increment();
}

}  // namespace promcast::rules
