#include "rules/notifier.h"

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

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

nlohmann::json label_set(const Labels& labels) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : labels) out[name] = value;
  return out;
}

std::string alerts_url(std::string_view base) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + "/api/v2/alerts";
}

}  // namespace

std::string alerts_to_json(const std::vector<Alert>& alerts) {
  nlohmann::json body = nlohmann::json::array();
  for (const Alert& alert : alerts) {
    nlohmann::json item;
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
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct Notifier::Impl {
  struct Target {
    AlertmanagerConfig config;
    std::string url;  // <base>/api/v2/alerts
    prometheus::Counter* sent = nullptr;
    prometheus::Counter* errors = nullptr;
  };
  enum class Outcome { kAccepted, kRefused, kRetry };

  std::vector<Target> targets;
  std::size_t capacity;

  std::vector<std::unique_ptr<prometheus::Counter>> own_counters;
  std::vector<std::unique_ptr<prometheus::Gauge>> own_gauges;
  prometheus::Counter* dropped_total = nullptr;
  prometheus::Gauge* queue_length = nullptr;

  std::mutex mutex;
  std::condition_variable wake;
  std::condition_variable idle;
  std::deque<Alert> queue;
  // As in RemoteWriter: the batch being posted is the first `in_flight` alerts of the queue until
  // some Alertmanager takes it; overflow meanwhile evicts from the front and counts in `evicted`.
  std::size_t in_flight = 0;
  std::size_t evicted = 0;
  bool stopping = false;
  Clock::time_point drain_deadline{};
  std::thread sender;

  Impl(std::vector<AlertmanagerConfig> alertmanagers, std::size_t queue_capacity,
       prometheus::Registry* registry)
      : capacity(std::max<std::size_t>(queue_capacity, 1)) {
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
    gauge("promcast_notifications_queue_capacity", "Capacity of the alert queue.")
        ->Set(static_cast<double>(capacity));
    sender = std::thread([this] { run(); });
  }

  void send(std::vector<Alert> alerts) {
    if (alerts.empty() || targets.empty()) return;  // nowhere to send them (as Prometheus without AMs)
    {
      std::lock_guard lock(mutex);
      for (Alert& alert : alerts) queue.push_back(std::move(alert));
      std::size_t dropped = 0;
      while (queue.size() > capacity) {
        queue.pop_front();
        if (in_flight > 0) {
          --in_flight;
          ++evicted;
        } else {
          ++dropped;
        }
      }
      if (dropped > 0) {
        dropped_total->Increment(static_cast<double>(dropped));
        spdlog::warn("notifier: queue full, {} oldest alerts dropped", dropped);
      }
      queue_length->Set(static_cast<double>(queue.size()));
    }
    wake.notify_all();
  }

  bool flush(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return idle.wait_for(lock, timeout, [&] { return queue.empty(); });
  }

  static Outcome post(const Target& target, const std::string& body, std::size_t count,
                      Clock::time_point deadline_if_stopping) {
    auto options = http_options_for(target.config.client);
    if (!options) {
      spdlog::warn("notifier: Alertmanager {}: {}", target.url, options.error().to_string());
      return Outcome::kRetry;  // a secret file in the middle of a rotation
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
      return Outcome::kRetry;
    }
    if (response->status / 100 == 2) return Outcome::kAccepted;
    spdlog::warn("notifier: {} alerts to {}: HTTP {}: {}", count, target.url, response->status,
                 std::string_view(response->body).substr(0, 512));
    return is_retryable_status(response->status) ? Outcome::kRetry : Outcome::kRefused;
  }

  // Posts to every Alertmanager at once (a slow one must not hold back the others).
  std::vector<Outcome> post_to_all(const std::string& body, std::size_t count, Clock::time_point deadline) {
    std::vector<std::future<Outcome>> pending;
    for (std::size_t i = 1; i < targets.size(); ++i) {
      pending.push_back(
          std::async(std::launch::async, [&, i] { return post(targets[i], body, count, deadline); }));
    }
    std::vector<Outcome> outcomes{post(targets[0], body, count, deadline)};
    for (auto& future : pending) outcomes.push_back(future.get());
    return outcomes;
  }

  void run() {
    std::unique_lock lock(mutex);
    int attempt = 0;
    while (true) {
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) break;
      if (stopping && Clock::now() >= drain_deadline) break;

      in_flight = std::min(queue.size(), kMaxBatchSize);
      evicted = 0;
      const std::vector<Alert> batch(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(in_flight));
      const Clock::time_point deadline = stopping ? drain_deadline : Clock::time_point{};
      lock.unlock();
      const std::string body = alerts_to_json(batch);
      const std::vector<Outcome> outcomes = post_to_all(body, batch.size(), deadline);
      lock.lock();

      const auto count = static_cast<double>(batch.size());
      bool accepted = false;
      bool retry = false;
      for (std::size_t i = 0; i < targets.size(); ++i) {
        if (outcomes[i] == Outcome::kAccepted) {
          targets[i].sent->Increment(count);
          accepted = true;
        } else {
          targets[i].errors->Increment(count);
          retry = retry || outcomes[i] == Outcome::kRetry;
        }
      }
      if (!accepted && retry) {
        // Nobody has these alerts yet: keep them at the head and try again after a backoff.
        if (evicted > 0) dropped_total->Increment(static_cast<double>(evicted));
        in_flight = 0;
        evicted = 0;
        const auto until = Clock::now() + backoff_delay(targets.front().config.client, attempt++);
        wake.wait_until(lock, until, [&] { return stopping && Clock::now() >= drain_deadline; });
        continue;
      }
      // Accepted somewhere, or refused (4xx) by every Alertmanager: sending it again cannot help.
      if (!accepted) dropped_total->Increment(count);
      attempt = 0;
      queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(in_flight));
      in_flight = 0;
      evicted = 0;
      queue_length->Set(static_cast<double>(queue.size()));
      if (queue.empty()) idle.notify_all();
    }
    if (!queue.empty()) {
      spdlog::warn("notifier: {} alerts not delivered at shutdown", queue.size());
      dropped_total->Increment(static_cast<double>(queue.size()));
      queue.clear();
      queue_length->Set(0);
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

Notifier::Notifier(std::vector<AlertmanagerConfig> alertmanagers, std::size_t queue_capacity,
                   prometheus::Registry* registry)
    : impl_(std::make_unique<Impl>(std::move(alertmanagers), queue_capacity, registry)) {}

Notifier::~Notifier() { impl_->stop(); }

void Notifier::send(std::vector<Alert> alerts) { impl_->send(std::move(alerts)); }

bool Notifier::flush(std::chrono::milliseconds timeout) { return impl_->flush(timeout); }

}  // namespace promcast::rules
