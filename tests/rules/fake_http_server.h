#pragma once
// A fake HTTP/1.1 server on 127.0.0.1 for client tests: it serves connections one at a time on a
// thread of its own, hands each request (method, target, headers, body) to a handler and records
// it, so tests check what the client sent (form fields, auth headers) and script what it gets back
// (statuses, Retry-After, truncated or malformed bodies).
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace promcast::testing {

struct FakeRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  [[nodiscard]] std::string header(std::string_view name) const {
    for (const auto& [key, value] : headers)
      if (key == name) return value;
    return "";
  }
  /// Fields of an application/x-www-form-urlencoded body (percent-decoded, '+' as space).
  [[nodiscard]] std::map<std::string, std::string> form() const {
    std::map<std::string, std::string> out;
    std::size_t pos = 0;
    while (pos <= body.size()) {
      auto end = body.find('&', pos);
      if (end == std::string::npos) end = body.size();
      const std::string pair = body.substr(pos, end - pos);
      const auto eq = pair.find('=');
      if (eq != std::string::npos) out[decode(pair.substr(0, eq))] = decode(pair.substr(eq + 1));
      pos = end + 1;
    }
    return out;
  }
  static std::string decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '%' && i + 2 < text.size()) {
        out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += text[i] == '+' ? ' ' : text[i];
      }
    }
    return out;
  }
};

struct FakeResponse {
  FakeResponse() = default;
  FakeResponse(int status_, std::string body_, std::vector<std::pair<std::string, std::string>> headers_ = {})
      : status(status_), body(std::move(body_)), headers(std::move(headers_)) {}
  /// Exactly these bytes on the wire.
  static FakeResponse raw_bytes(std::string bytes) {
    FakeResponse out;
    out.raw = std::move(bytes);
    return out;
  }

  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// Sent instead of a well-formed response when not empty (e.g. a header promising more bytes).
  std::string raw;
  /// Wait this long before answering (a slow server).
  std::chrono::milliseconds delay{0};
};

class FakeHttpServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;

  explicit FakeHttpServer(Handler handler) : handler_(std::move(handler)) {
    namespace asio = boost::asio;
    acceptor_.open(asio::ip::tcp::v4());
    acceptor_.bind(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeHttpServer() {
    stop_ = true;
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket wake(ioc_);
    wake.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::vector<FakeRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void serve() {
    namespace asio = boost::asio;
    while (true) {
      boost::system::error_code ec;
      asio::ip::tcp::socket socket(ioc_);
      acceptor_.accept(socket, ec);
      if (stop_) return;
      if (ec) continue;
      asio::streambuf buffer;
      const std::size_t header_size = asio::read_until(socket, buffer, "\r\n\r\n", ec);
      if (ec) continue;
      std::string data(asio::buffers_begin(buffer.data()), asio::buffers_end(buffer.data()));
      FakeRequest request = parse_head(data.substr(0, header_size));
      std::string body = data.substr(header_size);
      const std::string length = request.header("content-length");
      const std::size_t want = length.empty() ? 0 : std::stoul(length);
      if (body.size() < want) {
        std::string rest(want - body.size(), '\0');
        asio::read(socket, asio::buffer(rest), ec);
        body += rest;
      }
      request.body = std::move(body);
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      const FakeResponse response = handler_(request);
      if (response.delay.count() > 0) std::this_thread::sleep_for(response.delay);
      std::string out = response.raw;
      if (out.empty()) {
        out = "HTTP/1.1 " + std::to_string(response.status) + " X\r\nContent-Type: application/json\r\n";
        for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
        out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n\r\n" + response.body;
      }
      asio::write(socket, asio::buffer(out), ec);
      socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    }
  }

  static FakeRequest parse_head(const std::string& head) {
    FakeRequest request;
    std::size_t pos = head.find("\r\n");
    const std::string line = head.substr(0, pos);
    const auto sp1 = line.find(' ');
    const auto sp2 = line.find(' ', sp1 + 1);
    request.method = line.substr(0, sp1);
    request.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    while (pos != std::string::npos && pos + 2 < head.size()) {
      const auto next = head.find("\r\n", pos + 2);
      const std::string field = head.substr(pos + 2, next - pos - 2);
      pos = next;
      const auto colon = field.find(':');
      if (colon == std::string::npos) continue;
      std::string name = field.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = field.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      request.headers.emplace_back(std::move(name), std::move(value));
    }
    return request;
  }

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_{ioc_};
  std::uint16_t port_ = 0;
  Handler handler_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<FakeRequest> requests_;
  std::thread thread_;
};

}  // namespace promcast::testing
