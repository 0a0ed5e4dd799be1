// Remote read end to end in process: a ReadRequest as Prometheus encodes it (protobuf, snappy) in, the
// ReadResponse decoded back out.
#include "web/remote_read.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include "rules/proto/remote.pb.h"

namespace promcast::web {
namespace {

std::vector<rules::Series> data() {
  std::vector<rules::Series> all(2);
  all[0].labels = {{"__name__", "ingest:yhat_path"}, {"topic", "orders"}};
  all[0].timestamps = {1000, 2000, 3000};
  all[0].values = {1.5, 2.5, 3.5};
  all[1].labels = {{"__name__", "ingest:yhat_path_lower"}, {"level", "0.95"}, {"topic", "orders"}};
  all[1].timestamps = {1000, 2000, 3000};
  all[1].values = {0.5, 1.5, 2.5};
  return all;
}

exporter::HttpRequest post(const prompb::ReadRequest& message) {
  std::string raw, body;
  message.SerializeToString(&raw);
  snappy::Compress(raw.data(), raw.size(), &body);
  exporter::HttpRequest r;
  r.method = "POST";
  r.path = r.target = "/api/v1/read";
  r.body = body;
  return r;
}

void add_matcher(prompb::Query* q, prompb::LabelMatcher::Type type, const std::string& name,
                 const std::string& value) {
  auto* m = q->add_matchers();
  m->set_type(type);
  m->set_name(name);
  m->set_value(value);
}

TEST(RemoteRead, AnswersEachQueryWithSamplesInRange) {
  prompb::ReadRequest request;
  auto* q1 = request.add_queries();
  q1->set_start_timestamp_ms(2000);
  q1->set_end_timestamp_ms(5000);
  add_matcher(q1, prompb::LabelMatcher::RE, "__name__", "ingest:yhat_path.*");
  add_matcher(q1, prompb::LabelMatcher::NEQ, "level", "0.95");
  auto* q2 = request.add_queries();
  q2->set_start_timestamp_ms(0);
  q2->set_end_timestamp_ms(1000);
  add_matcher(q2, prompb::LabelMatcher::EQ, "level", "0.95");
  request.add_accepted_response_types(prompb::ReadRequest::STREAMED_XOR_CHUNKS);
  request.add_accepted_response_types(prompb::ReadRequest::SAMPLES);

  const auto response = handle_remote_read(post(request), data());
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "application/x-protobuf");
  EXPECT_EQ(response.content_encoding, "snappy");
  std::string raw;
  ASSERT_TRUE(snappy::Uncompress(response.body.data(), response.body.size(), &raw));
  prompb::ReadResponse decoded;
  ASSERT_TRUE(decoded.ParseFromString(raw));
  ASSERT_EQ(decoded.results_size(), 2);
  ASSERT_EQ(decoded.results(0).timeseries_size(), 1);
  const auto& ts = decoded.results(0).timeseries(0);
  ASSERT_EQ(ts.labels_size(), 2);
  EXPECT_EQ(ts.labels(0).name(), "__name__");
  EXPECT_EQ(ts.labels(0).value(), "ingest:yhat_path");
  ASSERT_EQ(ts.samples_size(), 2);
  EXPECT_EQ(ts.samples(0).timestamp(), 2000);
  EXPECT_DOUBLE_EQ(ts.samples(1).value(), 3.5);
  ASSERT_EQ(decoded.results(1).timeseries_size(), 1);
  EXPECT_EQ(decoded.results(1).timeseries(0).samples_size(), 1);
  EXPECT_DOUBLE_EQ(decoded.results(1).timeseries(0).samples(0).value(), 0.5);
}

TEST(RemoteRead, RejectsBadBodiesAndMethods) {
  exporter::HttpRequest r;
  r.method = "POST";
  r.body = "not snappy";
  EXPECT_EQ(handle_remote_read(r, data()).status, 400);
  prompb::ReadRequest request;
  auto* q = request.add_queries();
  add_matcher(q, prompb::LabelMatcher::RE, "x", "(");
  const auto bad_regex = handle_remote_read(post(request), data());
  EXPECT_EQ(bad_regex.status, 400);
  EXPECT_NE(bad_regex.body.find("invalid regular expression"), std::string::npos);
  r.method = "GET";
  EXPECT_EQ(handle_remote_read(r, data()).status, 405);
}

}  // namespace
}  // namespace promcast::web
