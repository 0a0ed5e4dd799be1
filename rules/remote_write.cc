#include "rules/remote_write.h"

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <snappy.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "rules/bounded_sender.h"
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
  std::unique_ptr<BoundedSender<Sample>> sender;  // last: its thread uses everything above

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

    BoundedSenderOptions options;
    options.capacity = config.queue_capacity;
    options.max_batch = config.max_samples_per_send;
    options.batch_deadline = config.batch_send_deadline;
    options.drain_timeout = kDrainTimeout;
    options.backoff = config.client;
    BoundedSenderHooks<Sample> hooks;
    hooks.send = [this](const std::vector<Sample>& batch, Clock::time_point deadline) {
      return post(encode_write_request(batch), batch.size(), deadline);
    };
    hooks.settled = [this](std::size_t count, SendOutcome outcome) {
      (outcome == SendOutcome::kDelivered ? samples_total : failed_total)
          ->Increment(static_cast<double>(count));
    };
    hooks.dropped = [this](std::size_t count) {
      spdlog::warn("remote write {}: {} samples dropped (queue full, or undelivered at shutdown)",
                   remote_name, count);
      dropped_total->Increment(static_cast<double>(count));
    };
    hooks.retried = [this] { retries_total->Increment(); };
    hooks.queue_length = [this](std::size_t length) { queue_samples->Set(static_cast<double>(length)); };
    sender = std::make_unique<BoundedSender<Sample>>(options, std::move(hooks));
  }

  SendOutcome post(const std::string& body, std::size_t count, Clock::time_point deadline_if_stopping) {
    auto options = http_options_for(config.client);
    if (!options) {
      // A secret file that cannot be read may be in the middle of a rotation: retry.
      spdlog::warn("remote write {}: {}", remote_name, options.error().to_string());
      return SendOutcome::kRetry;
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
      return SendOutcome::kRetry;
    }
    if (response->status / 100 == 2) return SendOutcome::kDelivered;
    const std::string_view detail = std::string_view(response->body).substr(0, 512);
    if (is_retryable_status(response->status)) {
      spdlog::warn("remote write {}: HTTP {} ({} samples, will retry): {}", remote_name, response->status,
                   count, detail);
      return SendOutcome::kRetry;
    }
    spdlog::error("remote write {}: HTTP {} ({} samples dropped): {}", remote_name, response->status, count,
                  detail);
    return SendOutcome::kRefused;
  }
};

RemoteWriter::RemoteWriter(RemoteWriteConfig config, prometheus::Registry* registry)
    : impl_(std::make_unique<Impl>(std::move(config), registry)) {}

RemoteWriter::~RemoteWriter() = default;

void RemoteWriter::append(std::vector<Sample> samples) { impl_->sender->push(std::move(samples)); }

bool RemoteWriter::flush(std::chrono::milliseconds timeout) { return impl_->sender->flush(timeout); }

const RemoteWriteConfig& RemoteWriter::config() const { return impl_->config; }

}  // namespace promcast::rules
