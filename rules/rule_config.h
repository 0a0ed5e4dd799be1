#pragma once
// The rule engine's configuration as value types: rule files (groups of forecast and anomaly rules,
// Prometheus rule-file style) and backends (query sources, remote-write targets, Alertmanagers).
// rule_loader.h turns YAML into these; everything downstream reads only these types.
#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/http_client.h"
#include "forecaster/detector_factory.h"
#include "forecaster/sarimax.h"
#include "rules/duration.h"
#include "rules/labels.h"

namespace promcast::rules {

/// Where a rule or group came from, for messages and the status pages.
struct SourcePosition {
  std::string file;
  int line = 0;    ///< 1-based, 0 when unknown
  int column = 0;  ///< 1-based, 0 when unknown
};

// ---- models (every option of `promcast forecast`) ----

struct FourierConfig {
  Duration period{};
  int harmonics = 0;  ///< 0 = chosen by the automatic search (only with order: auto)
};

struct ModelConfig {
  /// `order: auto` (default) runs the automatic search; otherwise `order: [p, d, q]`.
  bool auto_order = true;
  int p = 0, d = 0, q = 0;
  /// `seasonal: {period: 1d, order: auto | [P, D, Q]}`; no period = non-seasonal.
  std::optional<Duration> seasonal_period;
  bool seasonal_auto = true;
  int P = 0, D = 0, Q = 0;
  std::vector<FourierConfig> fourier;
  /// `trend: n|c|t|ct`; only with a fixed order (the search chooses it otherwise).
  std::optional<forecaster::Trend> trend;
};

// ---- rules ----

/// What both rule kinds share.
struct RuleCommon {
  std::string name;  ///< the `forecast:` / `anomaly:` value: a metric name / alert name
  std::string expr;  ///< PromQL, sent as is
  Duration step{};   ///< query_range resolution; default: the group's interval
  Duration history{};  ///< training window; default 7d
  std::string source;  ///< a SourceConfig name; empty = the first source
  Labels labels;       ///< added to every output series (templated values allowed for anomaly rules)
  std::size_t max_series = 0;   ///< 0 = the source's limit
  std::size_t max_samples = 0;  ///< 0 = the source's limit
  SourcePosition position;
  /// The rule's YAML as written (normalized by the loader) plus its group's interval: equal
  /// fingerprints mean an unchanged rule, whose fitted models survive a reload.
  std::string fingerprint;
};

struct ForecastRule {
  RuleCommon common;
  Duration refit{6 * 3600 * 1000};  ///< full re-estimation cadence
  std::vector<Duration> horizons;  ///< each a whole number of steps; 0s = one-step expectation now
  ModelConfig model;
  std::vector<double> intervals{0.8, 0.95};  ///< central interval levels in (0, 1)
};

struct AnomalyRule {
  RuleCommon common;
  /// How often each series' detector is fitted again (the loader turns it into online.refit_every steps;
  /// between fits the kept model judges each new point). zscore has no model.
  Duration refit{6 * 3600 * 1000};
  forecaster::DetectorConfig detector;  ///< every option of `promcast detect` (periods in steps)
  /// The streaming post-processing of `detect --online` (k-of-n lives in detector.residual).
  forecaster::OnlineOptions online;
  /// Periods given as durations in the file, converted to steps by the loader with `step`.
  Duration for_{};  ///< pending this long before firing (0 = fire at once)
  Duration keep_firing_for{};
  /// Raw annotation templates (validated at load): {{ $labels.x }}, {{ $value }}, {{ $expected }},
  /// {{ $lower }}, {{ $upper }}, {{ $score }}.
  std::vector<std::pair<std::string, std::string>> annotations;
};

using Rule = std::variant<ForecastRule, AnomalyRule>;

const RuleCommon& common_of(const Rule& rule);

struct RuleGroup {
  std::string name;
  Duration interval{60 * 1000};  ///< default: --rules.evaluation-interval (1m)
  std::vector<Rule> rules;
  SourcePosition position;
};

/// Every group of every loaded file, in file order; group names are unique per file.
struct RuleSet {
  std::vector<RuleGroup> groups;
};

// ---- backends ----

/// How promcast talks to one HTTP endpoint: auth, TLS, headers, timeout and retries.
struct ClientConfig {
  std::optional<std::pair<std::string, std::string>> basic_auth;  ///< username, password
  std::string basic_auth_password_file;  ///< instead of the password itself
  std::string bearer_token_file;         ///< read at each request (rotated tokens keep working)
  std::string bearer_token;
  TlsOptions tls;
  HttpHeaders headers;  ///< e.g. X-Scope-OrgID for Mimir/Cortex tenants
  Duration timeout{30 * 1000};
  int max_retries = 3;  ///< on 5xx, 429 and connection errors only
  Duration min_backoff{500};
  Duration max_backoff{10 * 1000};
};

/// A Prometheus-compatible query API: Prometheus, VictoriaMetrics (also /select/<t>/prometheus),
/// Thanos Query, Mimir (…/prometheus). `url` is the prefix before /api/v1/.
struct SourceConfig {
  std::string name = "default";
  std::string url;
  ClientConfig client;
  std::size_t max_series = 10000;         ///< per rule; more is an error naming the rule
  std::size_t max_samples = 50'000'000;  ///< per rule and evaluation
  std::size_t max_points_per_query = 11000;  ///< Prometheus' limit per series; longer reads are chunked
};

struct RemoteWriteConfig {
  std::string name;
  std::string url;  ///< the full write URL, e.g. http://prometheus:9090/api/v1/write
  ClientConfig client;
  std::size_t queue_capacity = 100'000;  ///< samples; the oldest are dropped (and counted) beyond it
  std::size_t max_samples_per_send = 2000;
  Duration batch_send_deadline{5 * 1000};
  /// Opt-in: also write the forecast path at its future timestamps, up to this far ahead
  /// (Prometheus and Mimir reject samples more than ~10m ahead; VictoriaMetrics accepts 2 days).
  Duration future_window{0};
};

struct AlertmanagerConfig {
  std::string url;  ///< base URL; alerts go to <url>/api/v2/alerts
  ClientConfig client;
};

struct BackendsConfig {
  std::vector<SourceConfig> sources;
  std::vector<RemoteWriteConfig> remote_write;
  std::vector<AlertmanagerConfig> alertmanagers;
  Labels external_labels;  ///< added to alerts and written series
  Duration resend_delay{60 * 1000};
  std::size_t notification_queue_capacity = 10000;
};

}  // namespace promcast::rules
