#include "exporter/summary_quantiles.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace promcast::exporter {

// NaN sorts last so that the comparison stays a strict weak ordering (Go's sort would not crash on NaN
// either; std::sort could).
static bool value_less(double a, double b) { return a < b || (std::isnan(b) && !std::isnan(a)); }

double QuantileStream::invariant(double r) const {
  double m = std::numeric_limits<double>::max();
  for (const QuantileTarget& t : targets_) {
    const double f = t.quantile * n_ <= r ? (2 * t.epsilon * r) / t.quantile
                                          : (2 * t.epsilon * (n_ - r)) / (1 - t.quantile);
    m = std::min(m, f);
  }
  return m;
}

void QuantileStream::insert(double v) {
  if (buffer_.capacity() == 0) buffer_.reserve(kBufferCap);
  buffer_.push_back({v, 1, 0});
  sorted_ = false;
  if (buffer_.size() == kBufferCap) flush();
}

void QuantileStream::sort_buffer() {
  if (!sorted_) {
    sorted_ = true;
    std::sort(buffer_.begin(), buffer_.end(),
              [](const Sample& a, const Sample& b) { return value_less(a.value, b.value); });
  }
}

void QuantileStream::flush() {
  sort_buffer();
  merge_sorted_buffer();
  buffer_.clear();
}

double QuantileStream::query(double q) {
  if (samples_.empty()) {
    // Before the first merge perks answers from the raw buffer, which is exact for small sample sets.
    if (buffer_.empty()) return 0;
    auto i = static_cast<size_t>(std::ceil(static_cast<double>(buffer_.size()) * q));
    if (i > 0) --i;
    sort_buffer();
    return buffer_[std::min(i, buffer_.size() - 1)].value;
  }
  flush();
  return query_merged(q);
}

void QuantileStream::reset() {
  samples_.clear();
  n_ = 0;
  buffer_.clear();
}

void QuantileStream::merge_sorted_buffer() {
  double r = 0;
  size_t i = 0;
  for (const Sample& sample : buffer_) {
    bool inserted = false;
    for (; i < samples_.size(); ++i) {
      const Sample c = samples_[i];
      if (c.value > sample.value) {
        const double delta = std::max(sample.delta, std::floor(invariant(r)) - 1);
        samples_.insert(samples_.begin() + static_cast<std::ptrdiff_t>(i),
                        {sample.value, sample.width, delta});
        ++i;
        inserted = true;
        break;
      }
      r += c.width;
    }
    if (!inserted) {
      samples_.push_back({sample.value, sample.width, 0});
      ++i;
    }
    n_ += sample.width;
    r += sample.width;
  }
  compress();
}

void QuantileStream::compress() {
  if (samples_.size() < 2) return;
  Sample x = samples_.back();
  size_t xi = samples_.size() - 1;
  double r = n_ - 1 - x.width;
  for (size_t k = samples_.size() - 1; k-- > 0;) {
    const Sample c = samples_[k];
    if (c.width + x.width + x.delta <= invariant(r)) {
      x.width += c.width;
      samples_[xi] = x;
      samples_.erase(samples_.begin() + static_cast<std::ptrdiff_t>(k));
      --xi;
    } else {
      x = c;
      xi = k;
    }
    r -= c.width;
  }
}

double QuantileStream::query_merged(double q) const {
  double t = std::ceil(q * n_);
  t += std::ceil(invariant(t) / 2);
  const Sample* p = &samples_[0];
  double r = 0;
  for (size_t k = 1; k < samples_.size(); ++k) {
    const Sample& c = samples_[k];
    r += p->width;
    if (r + c.width + c.delta > t) return p->value;
    p = &c;
  }
  return p->value;
}

SummaryState::SummaryState(const SummaryConfig& config, int64_t now_ns)
    : config_(&config), head_expiry_ns_(now_ns + config.stream_duration_ns), hot_expiry_ns_(head_expiry_ns_) {
  if (!config.targets.empty()) {
    streams_.reserve(config.age_buckets);
    for (uint32_t i = 0; i < config.age_buckets; ++i) streams_.emplace_back(config.targets);
  }
}

void SummaryState::observe(double v, int64_t now_ns) {
  if (streams_.empty()) {  // client_golang's summary without objectives: just count and sum
    ++count_;
    sum_ += v;
    return;
  }
  if (now_ns > hot_expiry_ns_) {
    swap_buffers(now_ns);
    flush_cold();
  }
  if (hot_.capacity() == 0) hot_.reserve(std::min<uint32_t>(config_->buf_cap, 64));
  hot_.push_back(v);
  if (hot_.size() >= config_->buf_cap) {
    swap_buffers(now_ns);
    flush_cold();
  }
}

void SummaryState::swap_buffers(int64_t now_ns) {
  hot_.swap(cold_);
  // client_golang steps the expiry one stream duration at a time; jump straight to the same result.
  if (now_ns > hot_expiry_ns_) {
    const int64_t d = config_->stream_duration_ns;
    hot_expiry_ns_ += ((now_ns - hot_expiry_ns_ + d - 1) / d) * d;
  }
}

void SummaryState::flush_cold() {
  for (double v : cold_) {
    for (QuantileStream& s : streams_) s.insert(v);
    ++count_;
    sum_ += v;
  }
  cold_.clear();
  // Rotate: every elapsed stream duration resets the oldest stream and makes the next one the head.
  if (hot_expiry_ns_ != head_expiry_ns_) {
    const auto steps =
        static_cast<uint64_t>((hot_expiry_ns_ - head_expiry_ns_) / config_->stream_duration_ns);
    const uint64_t resets = std::min<uint64_t>(steps, streams_.size());
    for (uint64_t i = 0; i < resets; ++i) streams_[(head_ + i) % streams_.size()].reset();
    head_ = static_cast<size_t>((head_ + steps) % streams_.size());
    head_expiry_ns_ = hot_expiry_ns_;
  }
}

std::pair<uint64_t, double> SummaryState::collect(int64_t now_ns, std::vector<double>& quantiles) {
  quantiles.clear();
  if (streams_.empty()) return {count_, sum_};
  swap_buffers(now_ns);
  flush_cold();
  QuantileStream& head = streams_[head_];
  const bool empty = head.count() == 0;
  for (const QuantileTarget& t : config_->targets) {
    quantiles.push_back(empty ? std::numeric_limits<double>::quiet_NaN() : head.query(t.quantile));
  }
  return {count_, sum_};
}

}  // namespace promcast::exporter
