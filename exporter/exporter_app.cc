#include "exporter/exporter_app.h"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "exporter/exposition.h"
#include "exporter/web_security.h"

namespace promcast::exporter {
namespace {

constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string landing_page(std::string_view telemetry_path, std::string_view version) {
  return fmt::format(
      "<!DOCTYPE html>\n<html>\n<head><title>StatsD Exporter</title></head>\n<body>\n<h1>StatsD Exporter</h1>\n"
      "<p>StatsD to Prometheus exporter (promcast {})</p>\n<ul>\n<li><a href=\"{}\">Metrics</a></li>\n"
      "<li><a href=\"/-/healthy\">Health</a></li>\n<li><a href=\"/-/ready\">Ready</a></li>\n</ul>\n</body>\n</html>\n",
      version, telemetry_path, telemetry_path);
}

HttpResponse text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

void configure_logging(const ExporterFlags& flags) {
  auto logger = spdlog::stderr_logger_mt("promcast");
  if (flags.log_format == LogFormat::Json) {
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","source":"%s:%#","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("time=%Y-%m-%dT%H:%M:%S.%eZ level=%l msg=\"%v\"", spdlog::pattern_time_type::utc);
  }
  spdlog::level::level_enum level = spdlog::level::info;
  if (flags.log_level == "debug") level = spdlog::level::debug;
  else if (flags.log_level == "warn") level = spdlog::level::warn;
  else if (flags.log_level == "error") level = spdlog::level::err;
  logger->set_level(level);
  spdlog::set_default_logger(logger);
}

ExporterApp::ExporterApp(const ExporterFlags& flags, std::string version)
    : flags_(flags),
      self_metrics_(std::make_unique<SelfMetrics>(std::move(version))),
      store_(std::make_unique<MetricStore>(MetricStore::Options{32, flags.max_series})) {}

std::expected<std::unique_ptr<ExporterApp>, std::vector<Error>> ExporterApp::start(const ExporterFlags& flags,
                                                                                   std::string version,
                                                                                   ExporterExtension extension) {
  auto one = [](Error e) { return std::unexpected(std::vector<Error>{std::move(e)}); };
  const std::string version_copy = version;
  std::unique_ptr<ExporterApp> app(new ExporterApp(flags, std::move(version)));
  app->extension_ = std::move(extension);

  std::shared_ptr<const MappingState> state;
  if (!flags.mapping_config.empty()) {
    auto loaded = MappingState::load_file(flags.mapping_config);
    if (!loaded) return std::unexpected(std::move(loaded.error()));
    log_mapping_warnings(**loaded);
    state = *loaded;
  } else {
    state = MappingState::empty();
  }
  app->self_metrics_->set_loaded_mappings(state->config->mappings.size());
  app->self_metrics_->set_initial_load(std::chrono::system_clock::now());
  app->mappings_ = std::make_unique<MappingHolder>(std::move(state));

  if (!flags.dump_fsm.empty()) spdlog::warn("--debug.dump-fsm is not supported by promcast; ignoring");
  std::shared_ptr<WebSecurity> security;
  if (!flags.web_config_file.empty()) {
    // Loaded before any listener opens, so that a bad file fails the start (exit 1) like exporter-toolkit.
    auto loaded = WebSecurity::load(flags.web_config_file);
    if (!loaded) return std::unexpected(std::move(loaded.error()));
    security = std::move(*loaded);
  }
  if (flags.listen_udp.empty() && flags.listen_tcp.empty() && flags.listen_unixgram.empty()) {
    return one(Error{"At least one of UDP/TCP/Unixgram listeners must be specified.", {}, 0, 0});
  }

  if (!flags.relay_address.empty()) {
    if (flags.relay_packet_length < 2) return one(Error{"--statsd.relay.packet-length must be at least 2", {}, 0, 0});
    auto relay = Relay::start(flags.relay_address, static_cast<std::size_t>(flags.relay_packet_length));
    if (!relay) return one(relay.error());
    app->relay_ = std::move(*relay);
    app->self_metrics_->set_relay_counts(flags.relay_address, {});
  }

  ListenerContext context;
  context.options = PipelineOptions::from_flags(flags);
  context.mappings = app->mappings_.get();
  context.store = app->store_.get();
  context.relay = app->relay_.get();
  context.metrics = app->self_metrics_.get();

  if (!flags.listen_udp.empty()) {
    auto udp = UdpListener::start(flags.listen_udp, flags.udp_readers, flags.read_buffer, context);
    if (!udp) return one(udp.error());
    app->udp_ = std::move(*udp);
  }
  if (!flags.listen_tcp.empty()) {
    auto tcp = TcpListener::start(flags.listen_tcp, context);
    if (!tcp) return one(tcp.error());
    app->tcp_ = std::move(*tcp);
  }
  if (!flags.listen_unixgram.empty()) {
    auto unixgram =
        UnixgramListener::start(flags.listen_unixgram, flags.unixsocket_mode, flags.read_buffer, context);
    if (!unixgram) return one(unixgram.error());
    app->unixgram_ = std::move(*unixgram);
  }
  if (flags.web_systemd_socket) return one(Error{"--web.systemd-socket is not supported", {}, 0, 0});
  if (flags.web_listen_addresses.empty()) return one(Error{"no --web.listen-address given", {}, 0, 0});
  ExporterApp* raw = app.get();
  for (const auto& address : flags.web_listen_addresses) {
    auto http = HttpServer::start(address, [raw](const HttpRequest& r) { return raw->handle(r); }, security);
    if (!http) return one(http.error());
    app->http_.push_back(std::move(*http));
  }
  app->housekeeping_thread_ = std::thread([raw] { raw->housekeeping(); });
  spdlog::info("Accepting StatsD Traffic udp={} tcp={} unixgram={}", flags.listen_udp, flags.listen_tcp,
               flags.listen_unixgram);
  for (const auto& address : flags.web_listen_addresses) spdlog::info("Accepting Prometheus Requests addr={}", address);
  (void)version_copy;
  return app;
}

ExporterApp::~ExporterApp() { stop(); }

void ExporterApp::stop() {
  {
    std::lock_guard lock(quit_mutex_);
    if (stopping_) return;
    stopping_ = true;
    quit_ = true;
  }
  quit_cv_.notify_all();
  for (auto& http : http_) http->stop();
  if (udp_) udp_->stop();
  if (tcp_) tcp_->stop();
  if (unixgram_) unixgram_->stop();
  if (housekeeping_thread_.joinable()) housekeeping_thread_.join();
  relay_.reset();  // flushes the last packet
}

void ExporterApp::housekeeping() {
  std::unique_lock lock(quit_mutex_);
  while (!stopping_) {
    quit_cv_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_) break;
    lock.unlock();
    store_->expire(std::chrono::steady_clock::now());  // statsd_exporter's RemoveStaleMetrics ticker
    self_metrics_->fold();
    lock.lock();
  }
}

void log_mapping_warnings(const MappingState& state) {
  for (const auto& w : state.config->warnings)
    spdlog::warn("Deprecated mapping configuration: {}", w.to_string());
}

bool ExporterApp::reload() {
  std::lock_guard lock(reload_mutex_);
  if (flags_.mapping_config.empty()) {
    spdlog::warn("Received reload request but no mapping config to reload");
    return false;
  }
  spdlog::info("Attempting reload of {}", flags_.mapping_config);
  auto loaded = MappingState::load_file(flags_.mapping_config);
  const auto now = std::chrono::system_clock::now();
  if (!loaded) {
    for (const auto& e : loaded.error()) spdlog::error("Error reloading config: {}", e.to_string());
    self_metrics_->record_reload(false, now);
    return false;
  }
  log_mapping_warnings(**loaded);
  const std::size_t count = (*loaded)->config->mappings.size();
  mappings_->set(std::move(*loaded));  // readers pick it up (with a fresh cache) at their next batch
  self_metrics_->set_loaded_mappings(count);
  self_metrics_->record_reload(true, now);
  spdlog::info("Config reloaded successfully");
  return true;
}

bool ExporterApp::reload_all() {
  bool ok = flags_.mapping_config.empty() || reload();
  if (extension_.reload) ok = extension_.reload() && ok;
  return ok;
}

std::string ExporterApp::render_metrics() {
  std::lock_guard lock(render_mutex_);
  self_metrics_->begin_scrape();
  self_metrics_->set_metric_vectors(*store_);
  if (udp_) self_metrics_->set_cache_length(udp_->cache_entries());
  if (relay_) self_metrics_->set_relay_counts(flags_.relay_address, relay_->counts());
  self_text_.clear();
  store_text_.clear();
  self_metrics_->write_text(self_text_);
  write_text_exposition(*store_, store_text_);
  std::string out;
  merge_expositions(self_text_, store_text_, out);
  if (extension_.write_metrics) {
    std::vector<std::string> sections;
    extension_.write_metrics(sections);
    for (const auto& section : sections) {
      std::string merged;
      merge_expositions(out, section, merged);
      out.swap(merged);
    }
  }
  self_metrics_->end_scrape(200);
  return out;
}

HttpResponse ExporterApp::handle(const HttpRequest& request) {
  const std::string& path = request.path;
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post_or_put = request.method == "POST" || request.method == "PUT";
  if (path == flags_.telemetry_path) {
    HttpResponse r;
    r.content_type = std::string(kMetricsContentType);
    r.body = render_metrics();
    if (request.accepts_gzip) {
      // Level 1: Prometheus always asks for gzip, and on large outputs the default level costs more
      // than rendering; the bytes differ from Go's anyway.
      r.body = gzip_compress(r.body, 1);
      r.content_encoding = "gzip";
    }
    return r;
  }
  if (path == "/-/healthy") return get ? text(200, "Statsd Exporter is Healthy.\n") : text(200, "");
  if (path == "/-/ready") return get ? text(200, "Statsd Exporter is Ready.\n") : text(200, "");
  if (path == "/-/reload" || path == "/-/quit") {
    if (!flags_.enable_lifecycle) return text(403, "Lifecycle API is not enabled.");
    if (!post_or_put) {
      HttpResponse r = text(405, "Only POST or PUT requests allowed.");
      r.allow = "POST, PUT";
      return r;
    }
    if (path == "/-/reload") {
      if (extension_.reload) {
        spdlog::info("Received lifecycle api reload, attempting reload");
        return reload_all() ? text(200, "Requesting reload") : text(500, "failed to reload config");
      }
      if (flags_.mapping_config.empty()) {
        spdlog::warn("Received lifecycle api reload but no mapping config to reload");
        return text(200, "Requesting reload");
      }
      spdlog::info("Received lifecycle api reload, attempting reload");
      reload();
      return text(200, "Requesting reload");
    }
    spdlog::info("Received lifecycle api quit, exiting");
    request_quit();
    return text(200, "Requesting termination... Goodbye!");
  }
  if (extension_.handle) {
    if (auto answered = extension_.handle(request)) return std::move(*answered);
  }
  if (path == "/") {
    HttpResponse r = text(200, landing_page(flags_.telemetry_path, "0.1.0"));
    r.content_type = "text/html; charset=UTF-8";
    return r;
  }
  return text(404, "404 page not found\n");
}

bool ExporterApp::wait_for_quit(std::chrono::milliseconds timeout) {
  std::unique_lock lock(quit_mutex_);
  return quit_cv_.wait_for(lock, timeout, [this] { return quit_; });
}

void ExporterApp::request_quit() {
  {
    std::lock_guard lock(quit_mutex_);
    quit_ = true;
  }
  quit_cv_.notify_all();
}

}  // namespace promcast::exporter
