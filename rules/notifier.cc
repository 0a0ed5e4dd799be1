#include "rules/notifier.h"

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <future>

#include "common/json.h"
#include "rules/bounded_sender.h"
#include "rules/client_auth.h"

namespace promcast::rules {
namespace {

// Prometheus' notifier batch size: one POST carries at most this many alerts.
constexpr std::size_t kMaxBatchSize = 64;
// How long the destructor keeps trying to deliver what is still queued.
constexpr std::chrono::milliseconds kDrainTimeout{5000};

using Clock = std::chrono::steady_clock;

// RFC 3339 in UTC with milliseconds, e.g. 2026-12-07T01:40:47.123Z (what Go's time.Time marshals
// to, give or take trailing zeros, and what Alertmanager's strfmt.DateTime parses).
std::string rfc3339_ms(TimestampMs ms) {
  const std::int64_t seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  const auto millis = static_cast<int>(ms - seconds * 1000);
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

json::Json label_set(const Labels& labels) {
  json::Json out = json::Json::object();
  for (const auto& [name, value] : labels) out[name] = value;
  return out;
}

std::string alerts_url(std::string_view base) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + "/api/v2/alerts";
}

}  // namespace

std::string alerts_to_json(const std::vector<Alert>& alerts) {
  json::Json body = json::Json::array();
  for (const Alert& alert : alerts) {
    json::Json item;
    item["labels"] = label_set(alert.labels);
    item["annotations"] = label_set(alert.annotations);
    // Unset times are left out: Alertmanager then uses the time of receipt for startsAt and its
    // resolve_timeout for endsAt.
    if (alert.starts_at != 0) item["startsAt"] = rfc3339_ms(alert.starts_at);
    if (alert.ends_at != 0) item["endsAt"] = rfc3339_ms(alert.ends_at);
    // An empty string is not a URI; the schema makes the field optional.
    if (!alert.generator_url.empty()) item["generatorURL"] = alert.generator_url;
    body.push_back(std::move(item));
  }
  // Invalid UTF-8 in a label value (it came from a query answer) is replaced, never thrown.
  return json::dump(body);
}

struct Notifier::Impl {
  struct Target {
    AlertmanagerConfig config;
    std::string url;  // <base>/api/v2/alerts
    prometheus::Counter* sent = nullptr;
    prometheus::Counter* errors = nullptr;
  };

  std::vector<Target> targets;
  std::vector<std::unique_ptr<prometheus::Counter>> own_counters;
  std::vector<std::unique_ptr<prometheus::Gauge>> own_gauges;
  prometheus::Counter* dropped_total = nullptr;
  prometheus::Gauge* queue_length = nullptr;
  std::unique_ptr<BoundedSender<Alert>> sender;  // last: its thread uses everything above

  Impl(std::vector<AlertmanagerConfig> alertmanagers, std::size_t queue_capacity,
       prometheus::Registry* registry) {
    const auto counter_family = [&](const char* name, const char* help) {
      return registry ? &prometheus::BuildCounter().Name(name).Help(help).Register(*registry) : nullptr;
    };
    const auto counter = [&](prometheus::Family<prometheus::Counter>* family,
                             const prometheus::Labels& labels) -> prometheus::Counter* {
      if (family == nullptr) return own_counters.emplace_back(std::make_unique<prometheus::Counter>()).get();
      return &family->Add(labels);
    };
    const auto gauge = [&](const char* name, const char* help) -> prometheus::Gauge* {
      if (registry == nullptr) return own_gauges.emplace_back(std::make_unique<prometheus::Gauge>()).get();
      return &prometheus::BuildGauge().Name(name).Help(help).Register(*registry).Add({});
    };
    auto* sent_family = counter_family("promcast_notifications_sent_total",
                                       "Alerts an Alertmanager accepted (counted per Alertmanager).");
    auto* errors_family =
        counter_family("promcast_notifications_errors_total",
                       "Alerts in POSTs to an Alertmanager that failed (counted per Alertmanager).");
    for (auto& config : alertmanagers) {
      Target target;
      target.url = alerts_url(config.url);
      target.sent = counter(sent_family, {{"alertmanager", target.url}});
      target.errors = counter(errors_family, {{"alertmanager", target.url}});
      target.config = std::move(config);
      targets.push_back(std::move(target));
    }
    dropped_total = counter(counter_family("promcast_notifications_dropped_total",
                                           "Alerts dropped: the oldest of a full queue, refused by every "
                                           "Alertmanager, or left at shutdown."),
                            {});
    queue_length = gauge("promcast_notifications_queue_length", "Alerts waiting to be sent.");
    const std::size_t capacity = std::max<std::size_t>(queue_capacity, 1);
    gauge("promcast_notifications_queue_capacity", "Capacity of the alert queue.")
        ->Set(static_cast<double>(capacity));
    if (targets.empty()) return;  // nowhere to send alerts (as Prometheus without Alertmanagers)

    BoundedSenderOptions options;
    options.capacity = capacity;
    options.max_batch = std::min(kMaxBatchSize, capacity);
    options.drain_timeout = kDrainTimeout;
    options.backoff = targets.front().config.client;
    BoundedSenderHooks<Alert> hooks;
    hooks.send = [this](const std::vector<Alert>& batch, Clock::time_point deadline) {
      return post_to_all(batch, deadline);
    };
    hooks.settled = [this](std::size_t count, SendOutcome outcome) {
      // refused by every Alertmanager: lost
      if (outcome == SendOutcome::kRefused) dropped_total->Increment(static_cast<double>(count));
    };
    hooks.dropped = [this](std::size_t count) {
      spdlog::warn("notifier: {} alerts dropped (queue full, or undelivered at shutdown)", count);
      dropped_total->Increment(static_cast<double>(count));
    };
    hooks.queue_length = [this](std::size_t length) { queue_length->Set(static_cast<double>(length)); };
    sender = std::make_unique<BoundedSender<Alert>>(options, std::move(hooks));
  }

  static SendOutcome post(const Target& target, const std::string& body, std::size_t count,
                          Clock::time_point deadline_if_stopping) {
    auto options = http_options_for(target.config.client);
    if (!options) {
      spdlog::warn("notifier: Alertmanager {}: {}", target.url, options.error().to_string());
      return SendOutcome::kRetry;  // a secret file in the middle of a rotation
    }
    options->headers.emplace_back("Content-Type", "application/json");
    if (deadline_if_stopping != Clock::time_point{}) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline_if_stopping - Clock::now());
      options->timeout = std::clamp(left, std::chrono::milliseconds(1), options->timeout);
    }
    const auto response = http_post(target.url, body, *options);
    if (!response) {
      spdlog::warn("notifier: {} alerts to {}: {}", count, target.url, response.error().to_string());
      return SendOutcome::kRetry;
    }
    if (response->status / 100 == 2) return SendOutcome::kDelivered;
    spdlog::warn("notifier: {} alerts to {}: HTTP {}: {}", count, target.url, response->status,
                 std::string_view(response->body).substr(0, 512));
    return is_retryable_status(response->status) ? SendOutcome::kRetry : SendOutcome::kRefused;
  }

  // Posts to every Alertmanager at once (a slow one must not hold back the others). Delivered when
  // any of them took the batch; retried when none did and one may later.
  SendOutcome post_to_all(const std::vector<Alert>& batch, Clock::time_point deadline) {
    const std::string body = alerts_to_json(batch);
    std::vector<std::future<SendOutcome>> pending;
    for (std::size_t i = 1; i < targets.size(); ++i) {
      pending.push_back(
          std::async(std::launch::async, [&, i] { return post(targets[i], body, batch.size(), deadline); }));
    }
    std::vector<SendOutcome> outcomes{post(targets[0], body, batch.size(), deadline)};
    for (auto& future : pending) outcomes.push_back(future.get());

    const auto count = static_cast<double>(batch.size());
    bool delivered = false;
    bool retry = false;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      if (outcomes[i] == SendOutcome::kDelivered) {
        targets[i].sent->Increment(count);
        delivered = true;
      } else {
        targets[i].errors->Increment(count);
        retry = retry || outcomes[i] == SendOutcome::kRetry;
      }
    }
    if (delivered) return SendOutcome::kDelivered;
    return retry ? SendOutcome::kRetry : SendOutcome::kRefused;
  }
};

Notifier::Notifier(std::vector<AlertmanagerConfig> alertmanagers, std::size_t queue_capacity,
                   prometheus::Registry* registry)
    : impl_(std::make_unique<Impl>(std::move(alertmanagers), queue_capacity, registry)) {}

Notifier::~Notifier() = default;

void Notifier::send(std::vector<Alert> alerts) {
  if (impl_->sender) impl_->sender->push(std::move(alerts));
}

bool Notifier::flush(std::chrono::milliseconds timeout) {
  return impl_->sender ? impl_->sender->flush(timeout) : true;
}

}  // namespace promcast::rules
