#pragma once
// How one request to a configured endpoint is made: HttpOptions (timeout, TLS, headers,
// Authorization) from a ClientConfig, and the retry policy every rules client shares (remote
// write, the notifier, the query client): retry 5xx, 429 and connection errors with exponential
// backoff, never other 4xx (the request itself is wrong; sending it again cannot help).
#include <chrono>
#include <expected>
#include <string>

#include "common/error.h"
#include "common/http_client.h"
#include "rules/rule_config.h"

namespace promcast::rules {

/// Options for one request: client.timeout, client.tls, client.headers (e.g. X-Scope-OrgID) and
/// an Authorization header from basic auth (password inline or from basic_auth_password_file) or a
/// bearer token (inline or bearer_token_file). Files are read at each call, so rotated secrets
/// work without a reload; surrounding whitespace in them is ignored, as Prometheus does. An
/// unreadable file, or both basic auth and a bearer token, or an Authorization header next to
/// either, is an error.
std::expected<HttpOptions, Error> http_options_for(const ClientConfig& client);

/// Whether a response status is worth retrying: 5xx and 429 (Too Many Requests).
bool is_retryable_status(int status);

/// The wait before retry number `attempt` (0 = first retry): min_backoff * 2^attempt, capped at
/// max_backoff.
std::chrono::milliseconds backoff_delay(const ClientConfig& client, int attempt);

/// RFC 4648 base64 with padding (for basic auth; exposed for tests).
std::string base64_encode(std::string_view data);

}  // namespace promcast::rules
