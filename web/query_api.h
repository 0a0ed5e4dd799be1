#pragma once
// A read-only Prometheus-compatible HTTP query API over promcast's own series (the rules' forecast paths at
// future timestamps and their current outputs), for a Grafana Prometheus data source pointed straight at
// promcast. Routes (GET, or POST with an application/x-www-form-urlencoded body, like Grafana sends):
//   /api/v1/query        query, time                  -> vector (or scalar for a number literal / `1+1`)
//   /api/v1/query_range  query, start, end, step      -> matrix (at most 11,000 points per series)
//   /api/v1/labels       match[], start, end          -> label names
//   /api/v1/label/<name>/values  match[], start, end  -> label values
//   /api/v1/series       match[] (required), start, end -> label sets
//   /api/v1/metadata, /api/v1/status/buildinfo, /api/v1/query_exemplars -> Grafana's probes (empty answers)
// Times are Unix seconds with decimals or RFC 3339; step is seconds or a Prometheus duration. A query must
// be a series selector (web/selector.h); evaluation uses Prometheus' 5-minute lookback (the latest sample at
// or before each step, at most 5 minutes old). Errors use Prometheus' shape and status 400:
// {"status":"error","errorType":"bad_data","error":"..."}.
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "exporter/http_server.h"
#include "rules/series.h"

namespace promcast::web {

/// Every series the API may return (called once per request; must be thread-safe).
using SeriesSource = std::function<std::vector<rules::Series>()>;
/// The current time in ms (a parameter so tests can fix it).
using Clock = std::function<rules::TimestampMs()>;

/// Request parameters in order, from the query string and a form-encoded body (names may repeat: match[]).
using Params = std::vector<std::pair<std::string, std::string>>;
Params request_params(const exporter::HttpRequest& request);

/// Unix seconds with decimals ("1700000000.5") or RFC 3339 ("2023-11-14T22:13:20.5Z", "...+01:00") to ms.
std::optional<rules::TimestampMs> parse_time(std::string_view text);

class QueryApi {
 public:
  QueryApi(SeriesSource source, Clock clock, std::string version);
  /// The response for the routes above; nullopt for any other path.
  [[nodiscard]] std::optional<exporter::HttpResponse> handle(const exporter::HttpRequest& request) const;

 private:
  SeriesSource source_;
  Clock clock_;
  std::string version_;
};

}  // namespace promcast::web
