// The backends file: every key decoded, the defaults, and the errors (with positions) for the mistakes
// that would otherwise surface only as failed requests at run time.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/rule_loader.h"

namespace promcast::rules {
namespace {

using namespace std::chrono_literals;

TEST(Backends, DecodesEveryKey) {
  auto b = parse_backends(R"(
sources:
  - name: prometheus
    url: http://127.0.0.1:9090
    basic_auth: {username: u, password: p}
    tls_config: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem, server_name: prom, insecure_skip_verify: true}
    headers: {X-Scope-OrgID: team-a}
    timeout: 10s
    max_retries: 5
    min_backoff: 100ms
    max_backoff: 2s
    max_series: 500
    max_samples: 1000000
    max_points_per_query: 5000
  - name: vm
    url: http://127.0.0.1:8428/select/0/prometheus
    bearer_token_file: secrets/token
remote_write:
  - name: prom
    url: http://127.0.0.1:9090/api/v1/write
    bearer_token: secret
    queue_capacity: 5000
    max_samples_per_send: 500
    batch_send_deadline: 1s
    future_window: 10m
alertmanagers:
  - url: http://127.0.0.1:9093
    basic_auth: {username: am, password_file: secrets/am}
external_labels: {cluster: eu-1}
resend_delay: 2m
notification_queue_capacity: 100
)",
                          "b.yml");
  ASSERT_TRUE(b.has_value()) << b.error()[0].to_string();
  ASSERT_EQ(b->sources.size(), 2u);
  const SourceConfig& s = b->sources[0];
  EXPECT_EQ(s.name, "prometheus");
  EXPECT_EQ(s.url, "http://127.0.0.1:9090");
  ASSERT_TRUE(s.client.basic_auth.has_value());
  EXPECT_EQ(s.client.basic_auth->first, "u");
  EXPECT_EQ(s.client.basic_auth->second, "p");
  EXPECT_EQ(s.client.tls.ca_file, "ca.pem");
  EXPECT_EQ(s.client.tls.cert_file, "c.pem");
  EXPECT_EQ(s.client.tls.key_file, "k.pem");
  EXPECT_EQ(s.client.tls.server_name, "prom");
  EXPECT_TRUE(s.client.tls.insecure_skip_verify);
  EXPECT_EQ(s.client.headers, (HttpHeaders{{"X-Scope-OrgID", "team-a"}}));
  EXPECT_EQ(s.client.timeout, 10s);
  EXPECT_EQ(s.client.max_retries, 5);
  EXPECT_EQ(s.client.min_backoff, 100ms);
  EXPECT_EQ(s.client.max_backoff, 2s);
  EXPECT_EQ(s.max_series, 500u);
  EXPECT_EQ(s.max_samples, 1000000u);
  EXPECT_EQ(s.max_points_per_query, 5000u);
  EXPECT_EQ(b->sources[1].name, "vm");
  EXPECT_EQ(b->sources[1].client.bearer_token_file, "secrets/token");
  EXPECT_EQ(b->sources[1].max_series, 10000u);  // default
  EXPECT_EQ(b->sources[1].client.timeout, 30s);
  ASSERT_EQ(b->remote_write.size(), 1u);
  const RemoteWriteConfig& w = b->remote_write[0];
  EXPECT_EQ(w.name, "prom");
  EXPECT_EQ(w.client.bearer_token, "secret");
  EXPECT_EQ(w.queue_capacity, 5000u);
  EXPECT_EQ(w.max_samples_per_send, 500u);
  EXPECT_EQ(w.batch_send_deadline, 1s);
  EXPECT_EQ(w.future_window, 10min);
  ASSERT_EQ(b->alertmanagers.size(), 1u);
  EXPECT_EQ(b->alertmanagers[0].url, "http://127.0.0.1:9093");
  EXPECT_EQ(b->alertmanagers[0].client.basic_auth_password_file, "secrets/am");
  EXPECT_EQ(b->external_labels, (Labels{{"cluster", "eu-1"}}));
  EXPECT_EQ(b->resend_delay, 2min);
  EXPECT_EQ(b->notification_queue_capacity, 100u);
}

TEST(Backends, Defaults) {
  auto b = parse_backends(
      "sources: [{url: 'http://localhost:9090'}]\nremote_write: [{url: "
      "'http://localhost:9090/api/v1/write'}]\n",
      "b.yml");
  ASSERT_TRUE(b.has_value()) << b.error()[0].to_string();
  EXPECT_EQ(b->sources[0].name, "default");
  EXPECT_EQ(b->remote_write[0].name, "http://localhost:9090/api/v1/write");
  EXPECT_EQ(b->remote_write[0].queue_capacity, 100000u);
  EXPECT_EQ(b->remote_write[0].future_window, 0ms);
  EXPECT_EQ(b->resend_delay, 1min);
  EXPECT_EQ(b->notification_queue_capacity, 10000u);
  EXPECT_TRUE(b->alertmanagers.empty());
}

struct ErrorCase {
  std::string yaml;
  std::vector<std::string> errors;
};

TEST(Backends, ErrorsWithPositions) {
  const ErrorCase cases[] = {
      {"", {"b.yml: backends file is empty (expected at least sources: [{url: ...}])"}},
      {"alertmanagers: []\n", {"b.yml:1:1: backends file: missing required key \"sources\""}},
      {"sources: []\n", {"b.yml:1:10: sources: expected at least one source"}},
      {"sources:\n  - url: ftp://x\n    timout: 5s\n  - url: http://h:9090\n",
       {"b.yml:2:10: url: " + parse_http_url("ftp://x").error().message +
            " (expected http://host:port/path or https://...)",
        "b.yml:3:5: unknown key \"timout\" in source (did you mean timeout? expected one of name, "
        "max_series, "
        "max_samples, max_points_per_query, basic_auth, bearer_token, bearer_token_file, tls_config, "
        "headers, "
        "timeout, max_retries, min_backoff, max_backoff, url)",
        "b.yml:4:5: source: name is required when there are several sources"}},
      {"sources:\n  - name: a\n  - {name: a, url: 'http://h'}\n",
       {"b.yml:2:5: source: missing required key \"url\"", "b.yml:3:5: source: name \"a\" is used twice"}},
      {"sources:\n  - url: http://h\n    basic_auth: {password: p, password_file: f}\n    bearer_token: t\n"
       "    tls_config: {cert_file: c}\n    headers: {Authorization: x}\n    min_backoff: 1m\n",
       {"b.yml:2:5: source: give at most one of basic_auth, bearer_token and bearer_token_file",
        "b.yml:2:5: source: min_backoff is greater than max_backoff",
        "b.yml:3:17: basic_auth: missing required key \"username\"",
        "b.yml:3:17: basic_auth: give password or password_file, not both",
        "b.yml:5:17: tls_config: cert_file and key_file go together (a client certificate needs its key)",
        "b.yml:6:15: headers: Authorization is set by basic_auth, bearer_token or bearer_token_file"}},
      {"sources: [{url: 'http://h'}]\nremote_write:\n  - {url: 'http://h/w', queue_capacity: 10, "
       "max_samples_per_send: "
       "20}\n  - {url: 'http://h/w', future_window: 1x}\nresend_delay: 0s\nexternal_labels: {9x: y}\n"
       "notification_queue_capacity: 0\n",
       {"b.yml:3:5: remote_write target: max_samples_per_send is greater than queue_capacity",
        "b.yml:4:40: future_window: invalid duration \"1x\": unknown unit \"x\" (expected one of y, w, d, h, "
        "m, s, "
        "ms)",
        "b.yml:5:15: resend_delay: must be greater than 0",
        "b.yml:6:19: external_labels: invalid label name \"9x\" (expected [a-zA-Z_][a-zA-Z0-9_]*)",
        "b.yml:7:30: notification_queue_capacity: expected an integer >= 1, got 0"}},
  };
  for (const auto& c : cases) {
    auto b = parse_backends(c.yaml, "b.yml");
    std::vector<std::string> got;
    if (!b)
      for (const auto& e : b.error()) got.push_back(e.to_string());
    EXPECT_EQ(got, c.errors) << c.yaml;
  }
}

TEST(Backends, LoadReportsUnreadableFiles) {
  auto b = load_backends(::testing::TempDir() + "no_such_backends.yml");
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error()[0].message, "cannot open backends file");
}

}  // namespace
}  // namespace promcast::rules
