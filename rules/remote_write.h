#pragma once
// Prometheus remote write 1.0 (protobuf WriteRequest, snappy block compression,
// Content-Encoding: snappy, X-Prometheus-Remote-Write-Version: 0.1.0) to Prometheus'
// receiver, VictoriaMetrics, Mimir or Thanos Receive. One sender thread per target drains a
// bounded queue in batches; 5xx, 429 and connection errors are retried with backoff (the batch
// stays at the head of the queue), 4xx drops the batch (counted). When the queue is full the
// oldest samples are dropped and counted. Thread-safe: append() is called from rule evaluations.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rules/rule_config.h"
#include "rules/series.h"

namespace prometheus {
class Registry;
}

namespace promcast::rules {

struct Sample {
  Labels labels;  ///< including __name__
  TimestampMs timestamp = 0;
  double value = 0;
};

/// Encodes samples as a snappy-compressed remote write 1.0 WriteRequest (series grouped by labels,
/// samples in time order per series). Exposed for tests.
std::string encode_write_request(const std::vector<Sample>& samples);

/// Decodes a snappy-compressed WriteRequest back (tests and remote read share the protobuf types).
std::expected<std::vector<Sample>, Error> decode_write_request(std::string_view body);

class RemoteWriter {
 public:
  /// Starts the sender thread. registry receives promcast_remote_write_samples_total{remote_name},
  /// _failed_total, _dropped_total, _retries_total and promcast_remote_write_queue_samples; may be null.
  RemoteWriter(RemoteWriteConfig config, prometheus::Registry* registry);
  /// Tries to send what is queued until `drain_timeout` passes, then stops the thread.
  ~RemoteWriter();
  RemoteWriter(const RemoteWriter&) = delete;
  RemoteWriter& operator=(const RemoteWriter&) = delete;

  /// Queues samples (never blocks on the network); drops the oldest when over capacity.
  void append(std::vector<Sample> samples);

  /// Blocks until the queue is empty or `timeout` passes; true when empty (tests, shutdown).
  bool flush(std::chrono::milliseconds timeout);

  [[nodiscard]] const RemoteWriteConfig& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace promcast::rules
