#pragma once
// Prometheus remote read (POST /api/v1/read) over promcast's series, so a Prometheus configured with
//   remote_read: [{url: http://promcast:9102/api/v1/read, read_recent: true}]
// returns the rules' forecast paths at future timestamps (R:yhat_path, R:yhat_path_lower/_upper) and
// their current outputs through its ordinary query_range: the forecast cone in any Grafana panel.
//
// Wire format: a snappy-compressed (block format) protobuf ReadRequest; promcast answers the SAMPLES
// response type only (one snappy-compressed ReadResponse, Content-Type application/x-protobuf,
// Content-Encoding snappy), which Prometheus accepts whatever it lists in accepted_response_types.
// Each query's label matchers (EQ, NEQ, RE, NRE with Prometheus' anchoring) and [start, end] select the
// series and samples (web/selector.h). Errors: 400 with a plain-text message, like Prometheus.
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/http_server.h"
#include "rules/series.h"
#include "web/selector.h"

namespace promcast::web {

/// One query of a ReadRequest, decoded.
struct ReadQuery {
  rules::TimestampMs start_ms = 0, end_ms = 0;
  Matchers matchers;
};

/// The results of each query, in order: the matching series with their samples in the query's range.
std::vector<std::vector<rules::Series>> answer_read(const std::vector<ReadQuery>& queries,
                                                    const std::vector<rules::Series>& all);

/// A snappy-compressed protobuf ReadRequest to its queries; an error names what is wrong (not snappy, not
/// a ReadRequest, an unknown matcher type, a regex that does not compile).
std::expected<std::vector<ReadQuery>, std::string> decode_read_request(std::string_view body);

/// The results as a snappy-compressed protobuf ReadResponse (one QueryResult per query, in order).
std::string encode_read_response(const std::vector<std::vector<rules::Series>>& results);

/// The whole endpoint: decodes the request, answers it from `all`, encodes the response.
exporter::HttpResponse handle_remote_read(const exporter::HttpRequest& request,
                                          const std::vector<rules::Series>& all);

}  // namespace promcast::web
