// QueryClient: /api/v1/query_range with aligned, chunked reads, retries and per-rule caps. The JSON
// is parsed by parse_query_response (query_response.cc).
#include "rules/query_client.h"

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <random>
#include <thread>

#include "common/http_client.h"
#include "rules/client_auth.h"

namespace promcast::rules {

struct QueryClient::Metrics {
  prometheus::Histogram* duration = nullptr;  // per HTTP request (each chunk and each attempt)
  prometheus::Counter* failures = nullptr;    // per query_range call that returned an error
};

namespace {

Error error_of(std::string message) {
  Error error;
  error.message = std::move(message);
  return error;
}

TimestampMs floor_to(TimestampMs t, std::int64_t step) {
  const TimestampMs q = t / step;
  return (t % step != 0 && t < 0 ? q - 1 : q) * step;
}

// Prometheus takes times and steps as (fractional) seconds; milliseconds are kept exactly.
std::string seconds_text(std::int64_t ms) {
  if (ms % 1000 == 0) return fmt::format("{}", ms / 1000);
  const char* sign = ms < 0 ? "-" : "";
  const std::int64_t abs = ms < 0 ? -ms : ms;
  return fmt::format("{}{}.{:03}", sign, abs / 1000, abs % 1000);
}

// The shared ClientConfig mapping (auth, secret files re-read, TLS, headers) plus what a query
// answer needs.
std::expected<HttpOptions, Error> http_options(const ClientConfig& client) {
  auto options = http_options_for(client);
  if (!options) return options;
  options->headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  options->headers.emplace_back("Accept", "application/json");
  return options;
}

// Retry-After as delay-seconds (the form Prometheus-compatible servers send); HTTP dates are ignored.
std::optional<std::chrono::milliseconds> retry_after(const HttpResponse& response) {
  const auto header = response.header("Retry-After");
  if (!header) return std::nullopt;
  std::int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(header->data(), header->data() + header->size(), seconds);
  if (ec != std::errc{} || end != header->data() + header->size() || seconds < 0) return std::nullopt;
  return std::chrono::seconds(std::min<std::int64_t>(seconds, 86400));
}

// What one HTTP exchange came to: the series, or an error and whether trying again may help.
struct Attempt {
  std::expected<std::vector<Series>, Error> result;
  bool retriable = false;
  std::optional<std::chrono::milliseconds> retry_after;
};

Attempt attempt_once(const std::string& url, const std::string& form, const HttpOptions& options,
                     prometheus::Histogram* duration) {
  const auto start = std::chrono::steady_clock::now();
  auto response = http_post(url, form, options);
  if (duration != nullptr) {
    duration->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  if (!response) {
    // Transport failures are worth another try, except an answer over the size limit: it would be
    // just as large again.
    const bool oversized = response.error().message.find("response body larger than") != std::string::npos;
    return {std::unexpected(response.error()), !oversized, std::nullopt};
  }
  // Error answers carry Prometheus' {"status":"error","errorType":...,"error":...} when they come
  // from the API itself; a proxy's page is described by its status and first bytes instead.
  auto parsed = parse_query_response(response->body);
  if (response->status == 200) return {std::move(parsed), false, std::nullopt};
  const bool retriable = is_retryable_status(response->status);
  const std::string detail = parsed ? std::string("unexpected success body") : parsed.error().message;
  return {std::unexpected(error_of(fmt::format("HTTP {}: {}", response->status, detail))), retriable,
          retry_after(*response)};
}

}  // namespace

QueryClient::QueryClient(SourceConfig config, prometheus::Registry* registry)
    : config_(std::move(config)), metrics_(std::make_unique<Metrics>()) {
  if (registry == nullptr) return;
  metrics_->duration = &prometheus::BuildHistogram()
                            .Name("promcast_query_duration_seconds")
                            .Help("Duration of HTTP requests to query sources (each chunk and retry).")
                            .Register(*registry)
                            .Add({{"source", config_.name}},
                                 prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                                         0.5, 1, 2.5, 5, 10, 30, 60});
  metrics_->failures = &prometheus::BuildCounter()
                            .Name("promcast_query_failures_total")
                            .Help("Range queries that failed after retries, or exceeded a cap.")
                            .Register(*registry)
                            .Add({{"source", config_.name}});
}

QueryClient::~QueryClient() = default;

std::expected<std::vector<Series>, Error> QueryClient::query_range(const RangeQuery& query) const {
  const std::string who = query.rule_name.empty()
                              ? fmt::format("source {}", config_.name)
                              : fmt::format("rule {} (source {})", query.rule_name, config_.name);
  const auto fail = [&](std::string message) {
    if (metrics_->failures != nullptr) metrics_->failures->Increment();
    return std::unexpected(error_of(fmt::format("{}: {}", who, message)));
  };
  const std::int64_t step = query.step.count();
  if (step <= 0) return fail("query_range needs a positive step");
  if (query.end < query.start) return fail("query_range end is before start");

  const std::size_t max_series = query.max_series != 0 ? query.max_series : config_.max_series;
  const std::size_t max_samples = query.max_samples != 0 ? query.max_samples : config_.max_samples;
  const TimestampMs start = floor_to(query.start, step);
  const TimestampMs end = floor_to(query.end, step);
  const auto points = static_cast<std::size_t>((end - start) / step) + 1;
  if (points > max_samples) {
    return fail(fmt::format("{} points per series is more than max_samples ({})", points, max_samples));
  }
  const auto chunk_points = static_cast<std::int64_t>(std::max<std::size_t>(config_.max_points_per_query, 1));

  std::string_view prefix = config_.url;
  while (prefix.ends_with('/')) prefix.remove_suffix(1);  // "http://prom:9090/" is a common spelling
  const std::string url = fmt::format("{}/api/v1/query_range", prefix);
  std::minstd_rand random(std::random_device{}());
  std::map<Labels, Series> joined;  // ordered by labels: the output order
  std::size_t samples = 0;
  for (TimestampMs chunk_start = start; chunk_start <= end; chunk_start += chunk_points * step) {
    const TimestampMs chunk_end = std::min(end, chunk_start + (chunk_points - 1) * step);
    const std::string form =
        fmt::format("query={}&start={}&end={}&step={}", url_encode(query.expr), seconds_text(chunk_start),
                    seconds_text(chunk_end), seconds_text(step));
    Attempt attempt;
    for (int retry = 0;; ++retry) {
      // Options are rebuilt per attempt: token and password files are re-read each time.
      auto options = http_options(config_.client);
      if (!options) return fail(options.error().message);
      attempt = attempt_once(url, form, *options, metrics_->duration);
      if (attempt.result || !attempt.retriable || retry >= config_.client.max_retries) break;
      // Exponential backoff with "equal jitter": half the delay fixed, half random, so clients that
      // failed together do not retry together.
      const auto cap = std::max(config_.client.max_backoff, config_.client.min_backoff).count();
      const auto base = backoff_delay(config_.client, retry).count();
      auto delay = std::chrono::milliseconds(base / 2 + std::uniform_int_distribution<std::int64_t>(
                                                            0, std::max<std::int64_t>(base / 2, 0))(random));
      if (attempt.retry_after) {
        // Retrying sooner than the server asked is pointless; waiting longer than max_backoff
        // would stall the rule, so that is the end of the retries.
        if (attempt.retry_after->count() > cap) break;
        delay = std::max(delay, *attempt.retry_after);
      }
      std::this_thread::sleep_for(delay);
    }
    if (!attempt.result) {
      return fail(fmt::format("query_range [{}, {}] step {}: {}", seconds_text(chunk_start),
                              seconds_text(chunk_end), seconds_text(step) + "s",
                              attempt.result.error().message));
    }
    for (auto& series : *attempt.result) {
      auto [it, inserted] = joined.try_emplace(series.labels);
      Series& target = it->second;
      if (inserted) target.labels = std::move(series.labels);
      // Chunks do not overlap, but a server may answer beyond the asked end (or repeat a point at
      // the border); only points after the last one kept are appended.
      for (std::size_t i = 0; i < series.timestamps.size(); ++i) {
        if (!target.timestamps.empty() && series.timestamps[i] <= target.timestamps.back()) continue;
        target.timestamps.push_back(series.timestamps[i]);
        target.values.push_back(series.values[i]);
        ++samples;
      }
    }
    if (joined.size() > max_series) {
      return fail(fmt::format("{} series, more than max_series ({})", joined.size(), max_series));
    }
    if (samples > max_samples) {
      return fail(fmt::format("more than max_samples ({}) samples", max_samples));
    }
  }
  std::vector<Series> out;
  out.reserve(joined.size());
  for (auto& [labels, series] : joined) out.push_back(std::move(series));
  return out;
}

}  // namespace promcast::rules
