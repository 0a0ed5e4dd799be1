// ClientConfig to HttpOptions (auth, headers, TLS, timeout) and the shared retry policy.
#include "rules/client_auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace promcast::rules {
namespace {

using namespace std::chrono_literals;

std::optional<std::string> header(const HttpOptions& options, std::string_view name) {
  for (const auto& [key, value] : options.headers)
    if (key == name) return value;
  return std::nullopt;
}

std::string temp_file(std::string_view name, std::string_view content) {
  const std::string path = ::testing::TempDir() + std::string(name);
  std::ofstream(path, std::ios::trunc) << content;
  return path;
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(HttpOptionsFor, PlainConfigCarriesTimeoutTlsAndHeaders) {
  ClientConfig client;
  client.timeout = 1234ms;
  client.tls.server_name = "mimir.internal";
  client.headers = {{"X-Scope-OrgID", "team-a"}};
  const auto options = http_options_for(client);
  ASSERT_TRUE(options.has_value());
  EXPECT_EQ(options->timeout, 1234ms);
  EXPECT_EQ(options->tls.server_name, "mimir.internal");
  EXPECT_EQ(header(*options, "X-Scope-OrgID"), "team-a");
  EXPECT_FALSE(header(*options, "Authorization").has_value());
}

TEST(HttpOptionsFor, BasicAuthInlineAndFromAPasswordFile) {
  ClientConfig client;
  client.basic_auth = std::make_pair(std::string("Aladdin"), std::string("open sesame"));
  EXPECT_EQ(header(*http_options_for(client), "Authorization"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  client.basic_auth_password_file = temp_file("client_auth_password", "  open sesame\n");
  client.basic_auth->second = "ignored";
  EXPECT_EQ(header(*http_options_for(client), "Authorization"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  std::remove(client.basic_auth_password_file.c_str());
}

TEST(HttpOptionsFor, BearerTokenInlineAndFileReadEachTime) {
  ClientConfig client;
  client.bearer_token = "abc";
  EXPECT_EQ(header(*http_options_for(client), "Authorization"), "Bearer abc");
  client.bearer_token.clear();
  client.bearer_token_file = temp_file("client_auth_token", "one\n");
  EXPECT_EQ(header(*http_options_for(client), "Authorization"), "Bearer one");
  temp_file("client_auth_token", "two");
  EXPECT_EQ(header(*http_options_for(client), "Authorization"), "Bearer two");
  std::remove(client.bearer_token_file.c_str());
  const auto missing = http_options_for(client);
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error().message, ::testing::HasSubstr("client_auth_token"));
}

TEST(HttpOptionsFor, ConflictingAuthIsAnError) {
  ClientConfig both;
  both.basic_auth = std::make_pair(std::string("u"), std::string("p"));
  both.bearer_token = "t";
  EXPECT_FALSE(http_options_for(both).has_value());
  ClientConfig with_header;
  with_header.bearer_token = "t";
  with_header.headers = {{"authorization", "Bearer other"}};
  EXPECT_FALSE(http_options_for(with_header).has_value());
  ClientConfig header_only;
  header_only.headers = {{"Authorization", "Bearer mine"}};
  EXPECT_EQ(header(*http_options_for(header_only), "Authorization"), "Bearer mine");
}

TEST(RetryPolicy, OnlyServerErrorsAndTooManyRequests) {
  for (int status : {500, 502, 503, 504, 599, 429}) EXPECT_TRUE(is_retryable_status(status)) << status;
  for (int status : {200, 204, 301, 400, 401, 403, 404, 409, 413, 422, 600}) {
    EXPECT_FALSE(is_retryable_status(status)) << status;
  }
}

TEST(RetryPolicy, BackoffDoublesUpToTheCap) {
  ClientConfig client;
  client.min_backoff = 500ms;
  client.max_backoff = 3000ms;
  EXPECT_EQ(backoff_delay(client, 0), 500ms);
  EXPECT_EQ(backoff_delay(client, 1), 1000ms);
  EXPECT_EQ(backoff_delay(client, 2), 2000ms);
  EXPECT_EQ(backoff_delay(client, 3), 3000ms);
  EXPECT_EQ(backoff_delay(client, 1000), 3000ms);
}

}  // namespace
}  // namespace promcast::rules
