#include "rules/client_auth.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string_view>

namespace promcast::rules {
namespace {

Error error_of(std::string message) { return Error{std::move(message), "", 0, 0}; }

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

std::expected<std::string, Error> read_secret(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(error_of(fmt::format("cannot read {} {}", what, path)));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return std::unexpected(error_of(fmt::format("cannot read {} {}", what, path)));
  return std::string(trim(content.str()));
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string base64_encode(std::string_view data) {
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(data[i]) << 16) |
                   (static_cast<unsigned char>(data[i + 1]) << 8) | static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (const auto rest = data.size() - i; rest > 0) {
    unsigned n = static_cast<unsigned char>(data[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::expected<HttpOptions, Error> http_options_for(const ClientConfig& client) {
  HttpOptions options;
  options.timeout = client.timeout;
  options.tls = client.tls;
  options.headers = client.headers;

  const bool basic = client.basic_auth.has_value() || !client.basic_auth_password_file.empty();
  const bool bearer = !client.bearer_token.empty() || !client.bearer_token_file.empty();
  if (basic && bearer) {
    return std::unexpected(
        error_of("at most one of basic_auth and bearer_token/bearer_token_file may be set"));
  }
  if (!basic && !bearer) return options;
  for (const auto& [name, value] : client.headers) {
    if (equals_ignore_case(name, "Authorization")) {
      return std::unexpected(
          error_of("an Authorization header cannot be set together with basic_auth or a bearer token"));
    }
  }

  if (basic) {
    std::string username = client.basic_auth ? client.basic_auth->first : std::string();
    std::string password = client.basic_auth ? client.basic_auth->second : std::string();
    if (!client.basic_auth_password_file.empty()) {
      auto secret = read_secret(client.basic_auth_password_file, "basic_auth password_file");
      if (!secret) return std::unexpected(secret.error());
      password = std::move(*secret);
    }
    options.headers.emplace_back("Authorization", "Basic " + base64_encode(username + ":" + password));
  } else {
    std::string token = client.bearer_token;
    if (!client.bearer_token_file.empty()) {
      auto secret = read_secret(client.bearer_token_file, "bearer_token_file");
      if (!secret) return std::unexpected(secret.error());
      token = std::move(*secret);
    }
    options.headers.emplace_back("Authorization", "Bearer " + token);
  }
  return options;
}

bool is_retryable_status(int status) { return status == 429 || (status >= 500 && status <= 599); }

std::chrono::milliseconds backoff_delay(const ClientConfig& client, int attempt) {
  const auto cap = std::max(client.max_backoff, client.min_backoff);
  auto delay = std::max(client.min_backoff, std::chrono::milliseconds(1));
  for (int i = 0; i < attempt && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

}  // namespace promcast::rules
