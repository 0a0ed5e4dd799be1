#pragma once
// Sends alerts to every configured Alertmanager through API v2 (POST <url>/api/v2/alerts, a JSON
// array of {labels, annotations, startsAt, endsAt, generatorURL}), like Prometheus' notifier: a
// bounded queue (oldest dropped and counted when full), batches of up to 64 alerts, each batch
// posted to every Alertmanager; a batch that no Alertmanager accepted is retried with backoff until
// one does, so alerts queued while Alertmanager is down arrive once it is back.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "rules/rule_config.h"
#include "rules/series.h"

namespace prometheus {
class Registry;
}

namespace promcast::rules {

struct Alert {
  Labels labels;       ///< alertname, rule labels, series labels, external labels
  Labels annotations;  ///< expanded templates
  TimestampMs starts_at = 0;
  TimestampMs ends_at = 0;  ///< 0 = not set
  std::string generator_url;
};

/// The JSON body Alertmanager's v2 API takes (RFC 3339 times with milliseconds, UTC). Exposed for tests.
std::string alerts_to_json(const std::vector<Alert>& alerts);

class Notifier {
 public:
  /// registry receives promcast_notifications_sent_total{alertmanager}, _errors_total{alertmanager},
  /// promcast_notifications_dropped_total, promcast_notifications_queue_length and
  /// promcast_notifications_queue_capacity; may be null.
  Notifier(std::vector<AlertmanagerConfig> alertmanagers, std::size_t queue_capacity,
           prometheus::Registry* registry);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  /// Queues alerts; never blocks on the network.
  void send(std::vector<Alert> alerts);

  /// Blocks until the queue is empty or `timeout` passes; true when empty.
  bool flush(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace promcast::rules
