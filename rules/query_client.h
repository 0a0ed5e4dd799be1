#pragma once
// A client for the Prometheus HTTP query API (/api/v1/query_range, /api/v1/query) that works the same
// against Prometheus, VictoriaMetrics, Thanos Query and Mimir. Responses are parsed with simdjson.
// Thread-safe: evaluations of different rules call it concurrently.
#include <chrono>
#include <cstddef>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "rules/rule_config.h"
#include "rules/series.h"

namespace prometheus {
class Registry;
}

namespace promcast::rules {

struct RangeQuery {
  std::string expr;
  TimestampMs start = 0;  ///< inclusive; the client aligns start and end down to a multiple of step
  TimestampMs end = 0;    ///< inclusive
  Duration step{};
  std::size_t max_series = 0;   ///< 0 = the source's limit; more is an error
  std::size_t max_samples = 0;  ///< 0 = the source's limit; more is an error
  std::string rule_name;        ///< for error messages ("rule X: 12000 series, more than max_series ...")
};

class QueryClient {
 public:
  /// `registry` receives promcast_query_duration_seconds{source} (histogram) and
  /// promcast_query_failures_total{source}; may be null in tests.
  QueryClient(SourceConfig config, prometheus::Registry* registry);
  ~QueryClient();
  QueryClient(const QueryClient&) = delete;
  QueryClient& operator=(const QueryClient&) = delete;

  /// query_range between start and end (both aligned down to step so query caches hit). Reads of
  /// more than max_points_per_query points per series are split into aligned chunks and joined.
  /// Retries 5xx, 429 and connection errors with exponential backoff (ClientConfig), never 4xx.
  /// NaN values come back as NaN samples; stale markers and gaps as missing timestamps (Prometheus
  /// leaves such steps out of query_range answers); series are sorted by labels.
  std::expected<std::vector<Series>, Error> query_range(const RangeQuery& query) const;

  [[nodiscard]] const SourceConfig& config() const { return config_; }

 private:
  SourceConfig config_;
  struct Metrics;
  std::unique_ptr<Metrics> metrics_;
};

/// Parses a /api/v1/query_range (matrix) or /api/v1/query (vector) response body. API errors
/// ("status":"error") become an Error carrying errorType and error. Exposed for tests and the fuzzer.
std::expected<std::vector<Series>, Error> parse_query_response(std::string_view body);

}  // namespace promcast::rules
