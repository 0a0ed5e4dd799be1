#include "web/remote_read.h"

#include <snappy.h>

#include "rules/proto/remote.pb.h"

namespace promcast::web {
namespace {

exporter::HttpResponse bad_request(std::string message) {
  exporter::HttpResponse r;
  r.status = 400;
  r.body = std::move(message) + "\n";
  return r;
}

std::expected<MatchType, std::string> match_type(prompb::LabelMatcher::Type type) {
  switch (type) {
    case prompb::LabelMatcher::EQ:
      return MatchType::Equal;
    case prompb::LabelMatcher::NEQ:
      return MatchType::NotEqual;
    case prompb::LabelMatcher::RE:
      return MatchType::Regex;
    case prompb::LabelMatcher::NRE:
      return MatchType::NotRegex;
    default:
      return std::unexpected("unknown label matcher type " + std::to_string(static_cast<int>(type)));
  }
}

}  // namespace

std::vector<std::vector<rules::Series>> answer_read(const std::vector<ReadQuery>& queries,
                                                    const std::vector<rules::Series>& all) {
  std::vector<std::vector<rules::Series>> out;
  out.reserve(queries.size());
  for (const auto& q : queries) out.push_back(select_series(all, q.matchers, q.start_ms, q.end_ms));
  return out;
}

std::expected<std::vector<ReadQuery>, std::string> decode_read_request(std::string_view body) {
  std::string raw;
  if (!snappy::IsValidCompressedBuffer(body.data(), body.size()) ||
      !snappy::Uncompress(body.data(), body.size(), &raw))
    return std::unexpected("remote read body is not snappy block-compressed data");
  prompb::ReadRequest request;
  if (!request.ParseFromString(raw)) return std::unexpected("remote read body is not a protobuf ReadRequest");
  std::vector<ReadQuery> out;
  for (const auto& q : request.queries()) {
    ReadQuery query;
    query.start_ms = q.start_timestamp_ms();
    query.end_ms = q.end_timestamp_ms();
    for (const auto& m : q.matchers()) {
      auto type = match_type(m.type());
      if (!type) return std::unexpected(type.error());
      auto matcher = LabelMatcher::make(*type, m.name(), m.value());
      if (!matcher) return std::unexpected(matcher.error());
      query.matchers.push_back(std::move(*matcher));
    }
    out.push_back(std::move(query));
  }
  return out;
}

std::string encode_read_response(const std::vector<std::vector<rules::Series>>& results) {
  prompb::ReadResponse response;
  for (const auto& result : results) {
    auto* r = response.add_results();
    for (const auto& s : result) {
      auto* ts = r->add_timeseries();
      for (const auto& [name, value] : s.labels) {
        auto* l = ts->add_labels();
        l->set_name(name);
        l->set_value(value);
      }
      for (std::size_t i = 0; i < s.timestamps.size() && i < s.values.size(); ++i) {
        auto* sample = ts->add_samples();
        sample->set_timestamp(s.timestamps[i]);
        sample->set_value(s.values[i]);
      }
    }
  }
  std::string raw, compressed;
  response.SerializeToString(&raw);
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return compressed;
}

exporter::HttpResponse handle_remote_read(const exporter::HttpRequest& request,
                                          const std::vector<rules::Series>& all) {
  if (request.method != "POST") {
    exporter::HttpResponse r;
    r.status = 405;
    r.body = "remote read takes POST\n";
    r.allow = "POST";
    return r;
  }
  auto queries = decode_read_request(request.body);
  if (!queries) return bad_request(queries.error());
  exporter::HttpResponse r;
  r.content_type = "application/x-protobuf";
  r.content_encoding = "snappy";
  r.body = encode_read_response(answer_read(*queries, all));
  return r;
}

}  // namespace promcast::web
