#include "rules/remote_write.h"

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <snappy.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "rules/client_auth.h"
#include "rules/proto/remote.pb.h"

namespace promcast::rules {
namespace {

Error error_of(std::string message) { return Error{std::move(message), "", 0, 0}; }

// How long the destructor keeps trying to deliver what is still queued.
constexpr std::chrono::milliseconds kDrainTimeout{5000};
// A decoded body larger than this is refused instead of allocated (a hostile length prefix).
constexpr std::size_t kMaxDecodedBytes = 256u << 20;

using Clock = std::chrono::steady_clock;

}  // namespace

std::string encode_write_request(const std::vector<Sample>& samples) {
  // Series in order of first appearance; each series' samples sorted by time (stable, so of two
  // samples with one timestamp the later appended wins: receivers reject duplicates).
  std::map<Labels, std::size_t> index;
  std::vector<std::vector<const Sample*>> grouped;
  for (const Sample& sample : samples) {
    const auto [it, inserted] = index.try_emplace(sample.labels, grouped.size());
    if (inserted) grouped.emplace_back();
    grouped[it->second].push_back(&sample);
  }
  std::vector<const Labels*> labels_of(grouped.size());
  for (const auto& [labels, i] : index) labels_of[i] = &labels;

  prompb::WriteRequest request;
  for (std::size_t i = 0; i < grouped.size(); ++i) {
    auto& points = grouped[i];
    std::stable_sort(points.begin(), points.end(),
                     [](const Sample* a, const Sample* b) { return a->timestamp < b->timestamp; });
    prompb::TimeSeries* series = request.add_timeseries();
    for (const auto& [name, value] : *labels_of[i]) {
      prompb::Label* label = series->add_labels();
      label->set_name(name);
      label->set_value(value);
    }
    for (std::size_t j = 0; j < points.size(); ++j) {
      if (j + 1 < points.size() && points[j + 1]->timestamp == points[j]->timestamp) continue;
      prompb::Sample* out = series->add_samples();
      out->set_timestamp(points[j]->timestamp);
      out->set_value(points[j]->value);
    }
  }
  std::string raw;
  request.SerializeToString(&raw);
  std::string compressed;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return compressed;
}

std::expected<std::vector<Sample>, Error> decode_write_request(std::string_view body) {
  std::size_t length = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &length) ||
      !snappy::IsValidCompressedBuffer(body.data(), body.size())) {
    return std::unexpected(error_of("remote write body is not snappy block-compressed data"));
  }
  if (length > kMaxDecodedBytes) {
    return std::unexpected(
        error_of(fmt::format("remote write body decodes to {} bytes (limit {})", length, kMaxDecodedBytes)));
  }
  std::string raw;
  if (!snappy::Uncompress(body.data(), body.size(), &raw)) {
    return std::unexpected(error_of("remote write body: snappy decompression failed"));
  }
  prompb::WriteRequest request;
  if (!request.ParseFromString(raw)) {
    return std::unexpected(error_of("remote write body is not a WriteRequest protobuf"));
  }
  std::vector<Sample> out;
  for (const auto& series : request.timeseries()) {
    Labels labels;
    labels.reserve(static_cast<std::size_t>(series.labels_size()));
    for (const auto& label : series.labels()) labels.emplace_back(label.name(), label.value());
    for (const auto& sample : series.samples())
      out.push_back(Sample{labels, sample.timestamp(), sample.value()});
  }
  return out;
}

// ---- the sender ----

struct RemoteWriter::Impl {
  RemoteWriteConfig config;
  std::string remote_name;

  // Metrics live in the registry (or here when there is none); references stay valid because the
  // registry never removes these families.
  std::vector<std::unique_ptr<prometheus::Counter>> own_counters;
  std::unique_ptr<prometheus::Gauge> own_gauge;
  prometheus::Counter* samples_total = nullptr;
  prometheus::Counter* failed_total = nullptr;
  prometheus::Counter* dropped_total = nullptr;
  prometheus::Counter* retries_total = nullptr;
  prometheus::Gauge* queue_samples = nullptr;

  std::mutex mutex;
  std::condition_variable wake;  // the sender: new samples, flush requests, stop
  std::condition_variable idle;  // flush(): the queue became empty
  std::deque<Sample> queue;
  // The batch being sent is the first `in_flight` samples of `queue` (it stays there until it is
  // delivered, so a retried batch keeps its place). Overflow still drops from the very front; those
  // samples are counted as `evicted` and settled once the send's outcome is known.
  std::size_t in_flight = 0;
  std::size_t evicted = 0;
  Clock::time_point batch_started{};  // when the oldest not yet sent sample was queued
  int flush_waiters = 0;
  bool stopping = false;
  Clock::time_point drain_deadline{};
  std::thread sender;

  Impl(RemoteWriteConfig cfg, prometheus::Registry* registry)
      : config(std::move(cfg)), remote_name(config.name.empty() ? config.url : config.name) {
    config.max_samples_per_send = std::max<std::size_t>(config.max_samples_per_send, 1);
    config.queue_capacity = std::max(config.queue_capacity, config.max_samples_per_send);
    const prometheus::Labels labels{{"remote_name", remote_name}};
    const auto counter = [&](const char* name, const char* help) -> prometheus::Counter* {
      if (registry == nullptr)
        return own_counters.emplace_back(std::make_unique<prometheus::Counter>()).get();
      return &prometheus::BuildCounter().Name(name).Help(help).Register(*registry).Add(labels);
    };
    samples_total = counter("promcast_remote_write_samples_total", "Samples delivered by remote write.");
    failed_total = counter("promcast_remote_write_samples_failed_total",
                           "Samples a remote write receiver refused with a non-retryable status (4xx).");
    dropped_total =
        counter("promcast_remote_write_samples_dropped_total",
                "Samples dropped from a full remote write queue (the oldest first) or at shutdown.");
    retries_total = counter("promcast_remote_write_retries_total",
                            "Remote write sends retried after a 5xx, 429 or connection error.");
    if (registry == nullptr) {
      own_gauge = std::make_unique<prometheus::Gauge>();
      queue_samples = own_gauge.get();
    } else {
      queue_samples = &prometheus::BuildGauge()
                           .Name("promcast_remote_write_queue_samples")
                           .Help("Samples waiting in the remote write queue.")
                           .Register(*registry)
                           .Add(labels);
    }
    sender = std::thread([this] { run(); });
  }

  void append(std::vector<Sample> samples) {
    if (samples.empty()) return;
    {
      std::lock_guard lock(mutex);
      if (queue.empty()) batch_started = Clock::now();
      for (Sample& sample : samples) queue.push_back(std::move(sample));
      std::size_t dropped = 0;
      while (queue.size() > config.queue_capacity) {
        queue.pop_front();
        if (in_flight > 0) {
          --in_flight;
          ++evicted;
        } else {
          ++dropped;
        }
      }
      if (dropped > 0) dropped_total->Increment(static_cast<double>(dropped));
      queue_samples->Set(static_cast<double>(queue.size()));
    }
    wake.notify_all();
  }

  bool flush(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    ++flush_waiters;
    wake.notify_all();
    const bool empty = idle.wait_for(lock, timeout, [&] { return queue.empty(); });
    --flush_waiters;
    return empty;
  }

  // Whether the sender should send now rather than wait for more samples.
  bool batch_ready(Clock::time_point now) const {
    return queue.size() >= config.max_samples_per_send || stopping || flush_waiters > 0 ||
           now >= batch_started + config.batch_send_deadline;
  }

  enum class Outcome { kDelivered, kRefused, kRetry };

  Outcome post(const std::string& body, std::size_t count, Clock::time_point deadline_if_stopping) {
    auto options = http_options_for(config.client);
    if (!options) {
      // A secret file that cannot be read may be in the middle of a rotation: retry.
      spdlog::warn("remote write {}: {}", remote_name, options.error().to_string());
      return Outcome::kRetry;
    }
    options->headers.emplace_back("Content-Type", "application/x-protobuf");
    options->headers.emplace_back("Content-Encoding", "snappy");
    options->headers.emplace_back("X-Prometheus-Remote-Write-Version", "0.1.0");
    if (deadline_if_stopping != Clock::time_point{}) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline_if_stopping - Clock::now());
      options->timeout = std::clamp(left, std::chrono::milliseconds(1), options->timeout);
    }
    const auto response = http_post(config.url, body, *options);
    if (!response) {
      spdlog::warn("remote write {}: {} ({} samples, will retry)", remote_name, response.error().to_string(),
                   count);
      return Outcome::kRetry;
    }
    if (response->status / 100 == 2) return Outcome::kDelivered;
    const std::string_view detail = std::string_view(response->body).substr(0, 512);
    if (is_retryable_status(response->status)) {
      spdlog::warn("remote write {}: HTTP {} ({} samples, will retry): {}", remote_name, response->status,
                   count, detail);
      return Outcome::kRetry;
    }
    spdlog::error("remote write {}: HTTP {} ({} samples dropped): {}", remote_name, response->status, count,
                  detail);
    return Outcome::kRefused;
  }

  void run() {
    std::unique_lock lock(mutex);
    int attempt = 0;  // consecutive failed tries of the batch at the head
    while (true) {
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) break;  // stopping with nothing left
      if (stopping && Clock::now() >= drain_deadline) break;
      if (!batch_ready(Clock::now())) {
        wake.wait_until(lock, batch_started + config.batch_send_deadline,
                        [&] { return batch_ready(Clock::now()); });
        continue;
      }

      in_flight = std::min(queue.size(), config.max_samples_per_send);
      evicted = 0;
      const std::vector<Sample> batch(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(in_flight));
      const Clock::time_point deadline = stopping ? drain_deadline : Clock::time_point{};
      lock.unlock();
      const std::string body = encode_write_request(batch);
      const Outcome outcome = post(body, batch.size(), deadline);
      lock.lock();

      const std::size_t count = batch.size();
      if (outcome == Outcome::kRetry) {
        // The batch stays queued (minus what overflow evicted meanwhile, now lost).
        if (evicted > 0) dropped_total->Increment(static_cast<double>(evicted));
        in_flight = 0;
        evicted = 0;
        retries_total->Increment();
        const auto until = Clock::now() + backoff_delay(config.client, attempt++);
        // Backoff, cut short only when the drain time at shutdown runs out.
        wake.wait_until(lock, until, [&] { return stopping && Clock::now() >= drain_deadline; });
        continue;
      }
      attempt = 0;
      queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(in_flight));
      if (outcome == Outcome::kDelivered) {
        samples_total->Increment(static_cast<double>(count));
      } else {
        failed_total->Increment(static_cast<double>(count));
      }
      in_flight = 0;
      evicted = 0;
      batch_started = Clock::now();
      queue_samples->Set(static_cast<double>(queue.size()));
      if (queue.empty()) idle.notify_all();
    }
    if (!queue.empty()) {
      spdlog::warn("remote write {}: {} samples not delivered at shutdown", remote_name, queue.size());
      dropped_total->Increment(static_cast<double>(queue.size()));
      queue.clear();
      queue_samples->Set(0);
    }
    idle.notify_all();
  }

  void stop() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
      drain_deadline = Clock::now() + kDrainTimeout;
    }
    wake.notify_all();
    if (sender.joinable()) sender.join();
  }
};

RemoteWriter::RemoteWriter(RemoteWriteConfig config, prometheus::Registry* registry)
    : impl_(std::make_unique<Impl>(std::move(config), registry)) {}

RemoteWriter::~RemoteWriter() { impl_->stop(); }

void RemoteWriter::append(std::vector<Sample> samples) { impl_->append(std::move(samples)); }

bool RemoteWriter::flush(std::chrono::milliseconds timeout) { return impl_->flush(timeout); }

const RemoteWriteConfig& RemoteWriter::config() const { return impl_->config; }

}  // namespace promcast::rules
