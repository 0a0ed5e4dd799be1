#pragma once
// Summary quantiles computed exactly as client_golang does, so /metrics matches statsd_exporter sample for
// sample: a CKMS targeted-quantile stream (the algorithm of beorn7/perks, including its 500-sample insert
// buffer and its merge/compress details) and client_golang's summary around it (hot/cold observation
// buffers of buf_cap values, age_buckets streams rotated every max_age/age_buckets).
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace promcast::exporter {

/// One targeted quantile: rank error `epsilon` allowed at `quantile`.
struct QuantileTarget {
  double quantile;
  double epsilon;
};

/// CKMS stream for a fixed set of targets. Not thread-safe; `targets` must outlive the stream.
class QuantileStream {
 public:
  explicit QuantileStream(std::span<const QuantileTarget> targets) : targets_(targets) {}

  void insert(double v);
  /// The q-quantile estimate (0 when empty). Not const: like perks, it may merge the insert buffer.
  double query(double q);
  void reset();
  /// Observations since the last reset.
  [[nodiscard]] size_t count() const { return buffer_.size() + static_cast<size_t>(n_); }

 private:
  struct Sample {
    double value;
    double width;
    double delta;
  };
  static constexpr size_t kBufferCap = 500;  // perks' fixed insert buffer

  double invariant(double r) const;
  void flush();
  void sort_buffer();
  void merge_sorted_buffer();
  void compress();
  double query_merged(double q) const;

  std::span<const QuantileTarget> targets_;
  std::vector<Sample> buffer_;
  bool sorted_ = true;
  double n_ = 0;
  std::vector<Sample> samples_;
};

/// Options of one summary vector, defaults already applied (see SummarySpec).
struct SummaryConfig {
  std::vector<QuantileTarget> targets;  // sorted by quantile, unique
  int64_t stream_duration_ns = 0;       // max_age / age_buckets
  uint32_t age_buckets = 5;
  uint32_t buf_cap = 500;
};

/// client_golang's summary. Time is in nanoseconds of any monotonic clock. Not thread-safe.
class SummaryState {
 public:
  SummaryState(const SummaryConfig& config, int64_t now_ns);

  void observe(double v, int64_t now_ns);

  /// Brings the state up to `now_ns` as client_golang's Write does, then fills `quantiles` (one value per
  /// config target, NaN when the head stream is empty) and returns {count, sum}.
  std::pair<uint64_t, double> collect(int64_t now_ns, std::vector<double>& quantiles);

 private:
  void swap_buffers(int64_t now_ns);
  void flush_cold();

  const SummaryConfig* config_;
  std::vector<double> hot_;
  std::vector<double> cold_;
  std::vector<QuantileStream> streams_;
  size_t head_ = 0;
  int64_t head_expiry_ns_;
  int64_t hot_expiry_ns_;
  uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace promcast::exporter
