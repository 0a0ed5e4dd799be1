// Remote write: the wire format (protobuf field numbers, snappy block format) and the sender's
// behaviour against a fake receiver: batching, overflow, retries, headers and auth.
#include "rules/remote_write.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <snappy.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <future>
#include <limits>

#include "rules/client_auth.h"
#include "tests/rules/fake_http_server.h"
#include "tests/rules/registry_value.h"

namespace promcast::rules {
namespace {

using namespace std::chrono_literals;
using testing::FakeHttpServer;
using testing::FakeResponse;
using testing::RecordedRequest;
using testing::registry_value;

Sample sample(std::string name, std::string job, TimestampMs t, double v) {
  // Written already sorted by label name, as Labels requires.
  return Sample{{{"__name__", std::move(name)}, {"job", std::move(job)}}, t, v};
}

std::vector<Sample> decode_or_die(std::string_view body) {
  auto decoded = decode_write_request(body);
  EXPECT_TRUE(decoded.has_value()) << (decoded ? "" : decoded.error().message);
  return decoded ? *decoded : std::vector<Sample>{};
}

bool same_samples(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].labels != b[i].labels || a[i].timestamp != b[i].timestamp ||
        std::bit_cast<std::uint64_t>(a[i].value) != std::bit_cast<std::uint64_t>(b[i].value)) {
      return false;
    }
  }
  return true;
}

TEST(RemoteWriteEncoding, RoundTripGroupsSeriesAndSortsTime) {
  const std::vector<Sample> in = {sample("up", "b", 3000, 1.5), sample("up", "a", 2000, -2),
                                  sample("up", "b", 1000, std::numeric_limits<double>::quiet_NaN()),
                                  sample("up", "a", 1000, 7), sample("down", "a", 5, 1e300)};
  const auto out = decode_or_die(encode_write_request(in));
  // Series in order of first appearance; each series' samples in time order.
  const std::vector<Sample> expected = {sample("up", "b", 1000, std::numeric_limits<double>::quiet_NaN()),
                                        sample("up", "b", 3000, 1.5), sample("up", "a", 1000, 7),
                                        sample("up", "a", 2000, -2), sample("down", "a", 5, 1e300)};
  EXPECT_TRUE(same_samples(out, expected));
  ASSERT_EQ(out.size(), 5u);
  EXPECT_TRUE(std::isnan(out[0].value));
}

TEST(RemoteWriteEncoding, DuplicateTimestampKeepsTheLastAppended) {
  const auto out = decode_or_die(encode_write_request({sample("x", "j", 10, 1), sample("x", "j", 10, 2)}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].value, 2);
}

TEST(RemoteWriteEncoding, EmptyRequest) { EXPECT_TRUE(decode_or_die(encode_write_request({})).empty()); }

// The protobuf bytes written by hand from Prometheus' field numbers: WriteRequest.timeseries = 1,
// TimeSeries.labels = 1, .samples = 2, Label.name = 1, .value = 2, Sample.value = 1 (double),
// .timestamp = 2 (varint).
TEST(RemoteWriteEncoding, WireBytesMatchPrometheusFieldNumbers) {
  const std::string body = encode_write_request({Sample{{{"__name__", "x"}}, 1000, 1.0}});
  std::string raw;
  ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &raw));
  const std::string label = std::string("\x0a\x08__name__\x12\x01x", 13);
  const std::string value_1 = std::string("\x09\x00\x00\x00\x00\x00\x00\xf0\x3f", 9);
  const std::string sample_bytes = value_1 + std::string("\x10\xe8\x07", 3);
  const std::string series = "\x0a" + std::string(1, static_cast<char>(label.size())) + label + "\x12" +
                             std::string(1, static_cast<char>(sample_bytes.size())) + sample_bytes;
  const std::string expected = "\x0a" + std::string(1, static_cast<char>(series.size())) + series;
  EXPECT_EQ(raw, expected);
}

// Remote write uses snappy's block format (what Go's snappy.Encode writes), not the framed
// stream format that begins with a "sNaPpY" stream identifier chunk.
TEST(RemoteWriteEncoding, SnappyBlockFormatNotFramed) {
  std::vector<Sample> samples;
  for (int i = 0; i < 500; ++i) samples.push_back(sample("requests_total", "api", 1000 * i, i));
  const std::string body = encode_write_request(samples);
  EXPECT_TRUE(snappy::IsValidCompressedBuffer(body.data(), body.size()));
  EXPECT_FALSE(body.starts_with(std::string("\xff\x06\x00\x00sNaPpY", 10)));
  std::size_t length = 0;
  ASSERT_TRUE(snappy::GetUncompressedLength(body.data(), body.size(), &length));
  EXPECT_GT(length, body.size());  // repeated labels compress
  EXPECT_EQ(decode_or_die(body).size(), 500u);
}

TEST(RemoteWriteEncoding, DecodeRejectsGarbage) {
  EXPECT_FALSE(decode_write_request("not snappy at all").has_value());
  std::string not_proto;
  const std::string junk = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";
  snappy::Compress(junk.data(), junk.size(), &not_proto);
  const auto decoded = decode_write_request(not_proto);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_THAT(decoded.error().message, ::testing::HasSubstr("WriteRequest"));
}

// ---- the sender against a fake receiver ----

RemoteWriteConfig config_for(const FakeHttpServer& server) {
  RemoteWriteConfig config;
  config.name = "test";
  config.url = server.url("/api/v1/write");
  config.client.timeout = 5000ms;
  config.client.min_backoff = 10ms;
  config.client.max_backoff = 50ms;
  config.batch_send_deadline = 60s;  // only full batches and flush() send, unless a test says so
  return config;
}

std::vector<Sample> numbered(int from, int to) {
  std::vector<Sample> out;
  for (int i = from; i < to; ++i) out.push_back(sample("seq", "t", 1000 + i, i));
  return out;
}

std::vector<double> values_of(const RecordedRequest& request) {
  std::vector<double> out;
  for (const auto& s : decode_or_die(request.body)) out.push_back(s.value);
  return out;
}

TEST(RemoteWriter, SendsHeadersAuthAndTenant) {
  FakeHttpServer server;
  auto config = config_for(server);
  config.client.basic_auth = std::make_pair(std::string("user"), std::string("pa:ss"));
  config.client.headers = {{"X-Scope-OrgID", "tenant-1"}};
  prometheus::Registry registry;
  RemoteWriter writer(config, &registry);
  writer.append({sample("up", "a", 1000, 1), sample("up", "b", 1000, 0)});
  ASSERT_TRUE(writer.flush(10s));
  ASSERT_EQ(server.requests().size(), 1u);
  const RecordedRequest request = server.requests()[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/api/v1/write");
  EXPECT_EQ(request.header("Content-Type"), "application/x-protobuf");
  EXPECT_EQ(request.header("Content-Encoding"), "snappy");
  EXPECT_EQ(request.header("X-Prometheus-Remote-Write-Version"), "0.1.0");
  EXPECT_THAT(request.header("User-Agent").value_or(""), ::testing::StartsWith("promcast"));
  EXPECT_EQ(request.header("X-Scope-OrgID"), "tenant-1");
  EXPECT_EQ(request.header("Authorization"), "Basic " + base64_encode("user:pa:ss"));
  EXPECT_EQ(decode_or_die(request.body).size(), 2u);
  EXPECT_EQ(registry_value(registry, "promcast_remote_write_samples_total", {{"remote_name", "test"}}), 2.0);
  EXPECT_EQ(registry_value(registry, "promcast_remote_write_queue_samples", {{"remote_name", "test"}}), 0.0);
}

// VictoriaMetrics cluster (vminsert) and Mimir take the write URL as configured, tenant in the path or
// in X-Scope-OrgID: the writer must post to that exact path, query string included.
TEST(RemoteWriter, ClusterUrlLayoutsArePostedAsConfigured) {
  for (const std::string path : {"/insert/42/prometheus/api/v1/write", "/insert/7:3/prometheus/api/v1/write",
                                 "/api/v1/push", "/prometheus/api/v1/write?extra_label=replica%3Da"}) {
    FakeHttpServer server;
    auto config = config_for(server);
    config.url = server.url(path);
    prometheus::Registry registry;
    RemoteWriter writer(config, &registry);
    writer.append({sample("up", "a", 1000, 1)});
    ASSERT_TRUE(writer.flush(10s)) << path;
    ASSERT_EQ(server.requests().size(), 1u) << path;
    EXPECT_EQ(server.requests()[0].target, path);
  }
}

TEST(RemoteWriter, BearerTokenFileIsReadForEachRequest) {
  FakeHttpServer server;
  const std::string token_file = ::testing::TempDir() + "remote_write_token";
  std::ofstream(token_file) << "first-token\n";
  auto config = config_for(server);
  config.client.bearer_token_file = token_file;
  RemoteWriter writer(config, nullptr);
  writer.append(numbered(0, 1));
  ASSERT_TRUE(writer.flush(10s));
  std::ofstream(token_file, std::ios::trunc) << "rotated-token";
  writer.append(numbered(1, 2));
  ASSERT_TRUE(writer.flush(10s));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer first-token");
  EXPECT_EQ(requests[1].header("Authorization"), "Bearer rotated-token");
  std::remove(token_file.c_str());
}

TEST(RemoteWriter, FullBatchesGoAtOnceTheRestOnFlush) {
  FakeHttpServer server;
  auto config = config_for(server);
  config.max_samples_per_send = 10;
  RemoteWriter writer(config, nullptr);
  writer.append(numbered(0, 25));
  ASSERT_TRUE(server.wait_for_requests(2, 10s));
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(server.requests().size(), 2u) << "a partial batch went before its deadline";
  ASSERT_TRUE(writer.flush(10s));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(values_of(requests[0]), (std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(values_of(requests[1]), (std::vector<double>{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
  EXPECT_EQ(values_of(requests[2]), (std::vector<double>{20, 21, 22, 23, 24}));
}

TEST(RemoteWriter, PartialBatchGoesAtTheDeadline) {
  FakeHttpServer server;
  auto config = config_for(server);
  config.batch_send_deadline = 300ms;
  RemoteWriter writer(config, nullptr);
  const auto start = std::chrono::steady_clock::now();
  writer.append(numbered(0, 3));
  ASSERT_TRUE(server.wait_for_requests(1, 10s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  EXPECT_EQ(values_of(server.requests()[0]).size(), 3u);
}

TEST(RemoteWriter, OverflowDropsTheOldestAndCounts) {
  // The receiver holds the first request until released, so the queue fills behind it.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> entered = false;
  FakeHttpServer server([&](const RecordedRequest&) {
    entered = true;
    released.wait();
    return FakeResponse{};
  });
  auto config = config_for(server);
  config.max_samples_per_send = 5;
  config.queue_capacity = 5;
  prometheus::Registry registry;
  RemoteWriter writer(config, &registry);
  writer.append(numbered(0, 5));  // a full batch: sent at once, held by the receiver
  for (int i = 0; i < 500 && !entered; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(entered);
  // 7 more with room for 5: the 5 in flight make room first, then 5 and 6 (the oldest queued) go.
  writer.append(numbered(5, 12));
  EXPECT_EQ(registry_value(registry, "promcast_remote_write_samples_dropped_total"), 2.0);
  EXPECT_EQ(registry_value(registry, "promcast_remote_write_queue_samples"), 5.0);
  release.set_value();
  ASSERT_TRUE(writer.flush(10s));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(values_of(requests[0]), (std::vector<double>{0, 1, 2, 3, 4}));
  EXPECT_EQ(values_of(requests[1]), (std::vector<double>{7, 8, 9, 10, 11}));
  // The batch that was in flight arrived: delivered, not dropped.
  EXPECT_EQ(registry_value(registry, "promcast_remote_write_samples_total"), 10.0);
  EXPECT_EQ(registry_value(registry, "promcast_remote_write_samples_dropped_total"), 2.0);
}

TEST(RemoteWriter, RetriesServerErrorsAndTooManyRequestsThenSucceeds) {
  std::atomic<int> calls = 0;
  FakeHttpServer server([&](const RecordedRequest&) {
    const int n = calls++;
    return FakeResponse{n == 0 ? 500 : n == 1 ? 429 : n == 2 ? 503 : 204, "", "text/plain"};
  });
  prometheus::Registry registry;
  RemoteWriter writer(config_for(server), &registry);
  writer.append(numbered(0, 4));
  ASSERT_TRUE(writer.flush(10s));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  for (const auto& request : requests) EXPECT_EQ(request.body, requests[0].body);  // the same batch again
  EXPECT_EQ(registry_value(registry, "promcast_remote_write_retries_total"), 3.0);
  EXPECT_EQ(registry_value(registry, "promcast_remote_write_samples_total"), 4.0);
  EXPECT_EQ(registry_value(registry, "promcast_remote_write_samples_failed_total"), 0.0);
}

TEST(RemoteWriter, BadRequestDropsTheBatchWithoutRetry) {
  FakeHttpServer server([](const RecordedRequest&) {
    return FakeResponse{400, "out of order sample", "text/plain"};
  });
  prometheus::Registry registry;
  RemoteWriter writer(config_for(server), &registry);
  writer.append(numbered(0, 3));
  ASSERT_TRUE(writer.flush(10s));
  std::this_thread::sleep_for(200ms);  // room for a wrong retry (backoff is 10 ms)
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(registry_value(registry, "promcast_remote_write_samples_failed_total"), 3.0);
  EXPECT_EQ(registry_value(registry, "promcast_remote_write_samples_total"), 0.0);
  EXPECT_EQ(registry_value(registry, "promcast_remote_write_retries_total"), 0.0);
}

TEST(RemoteWriter, ConnectionRefusedIsRetriedUntilTheReceiverIsUp) {
  std::uint16_t port = 0;
  {
    FakeHttpServer probe;  // a port that was free a moment ago, closed again
    port = probe.port();
  }
  RemoteWriteConfig config;
  config.name = "late";
  config.url = "http://127.0.0.1:" + std::to_string(port) + "/api/v1/write";
  config.client.min_backoff = 10ms;
  config.client.max_backoff = 50ms;
  prometheus::Registry registry;
  RemoteWriter writer(config, &registry);
  writer.append(numbered(0, 2));
  EXPECT_FALSE(writer.flush(300ms));
  EXPECT_GE(registry_value(registry, "promcast_remote_write_retries_total").value_or(0), 2.0);
  FakeHttpServer server({}, port);
  ASSERT_TRUE(writer.flush(10s));
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(values_of(server.requests()[0]), (std::vector<double>{0, 1}));
}

TEST(RemoteWriter, DestructorDeliversWhatIsQueued) {
  FakeHttpServer server;
  {
    RemoteWriter writer(config_for(server), nullptr);
    writer.append(numbered(0, 3));
  }
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(values_of(server.requests()[0]).size(), 3u);
}

}  // namespace
}  // namespace promcast::rules
