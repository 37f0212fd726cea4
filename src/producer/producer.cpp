// Producer routes and its measurements.
#include "producer/producer.hpp"

#include <boost/asio/post.hpp>
#include <chrono>

#include "measure/latency.hpp"

namespace hookbench {
namespace {

constexpr nanos kSamplePeriod = 100 * kNanosPerMilli;

}  // namespace

nlohmann::json producer_config::to_json() const {
  return {{"listen", listen.to_string()},
          {"rate", generation.rate},
          {"arrivals", to_string(generation.arrivals)},
          {"seed", generation.seed},
          {"payload_bytes", generation.payload_bytes},
          {"warmup_s", to_s(generation.warmup)},
          {"duration_s", to_s(generation.duration)},
          {"tail_s", to_s(generation.tail)},
          {"timer", generation.spin > 0 ? "spin" : "sleep"},
          {"retention", retention},
          {"webhook_connection", to_string(webhooks.connections)},
          {"webhook_concurrency", webhooks.concurrency},
          {"webhook_signature", security::to_string(webhooks.signature)},
          {"webhook_timeout_s", to_s(webhooks.timeout)},
          {"webhook_retry", webhooks.retry.to_json()},
          {"stream_heartbeat_s", to_s(streams.heartbeat)},
          {"stream_lifetime_s", to_s(streams.lifetime)},
          // The tokens themselves stay out of results.
          {"auth",
           {{"api_tokens", access.tokens.empty() ? 1 : access.tokens.size()},
            {"allow_hosts", access.allow_hosts},
            {"max_subscriptions", access.max_subscriptions}}},
          {"tls", !tls_cert.empty()}};
}

producer::producer(boost::asio::io_context& ioc, producer_config config)
    : ioc_(ioc),
      config_(std::move(config)),
      access_(config_.access),
      log_(config_.retention),
      generator_(ioc, config_.generation, log_,
                 [this](const event& e) {
                   if (trace_) trace_->created(e.created_ns, e.seq);
                   for (auto& d : deliveries_) d->on_event(e);
                 }),
      server_(
          ioc, config_.listen,
          http::server_options{
              .body_limit = config_.body_limit,
              .server_name = "hookbench-producer",
              .tls = config_.tls_cert.empty()
                         ? nullptr
                         : http::make_server_tls(config_.tls_cert, config_.tls_key),
              .request_timeout = config_.request_timeout,
              .max_connections = config_.max_connections},
          [this](http::request&& req, http::reply_fn reply) {
            handle(std::move(req), std::move(reply));
          },
          [this](const http::exchange& x) { observe(x); }),
      sampler_(ioc),
      window_timer_(ioc) {
  if (!config_.trace_path.empty()) {
    trace_ = std::make_unique<trace_recorder>(generator_.window());
  }
  if (!config_.tls_ca.empty()) config_.webhooks.tls = http::make_client_tls(config_.tls_ca);
  const delivery_context ctx{ioc_,         log_,    generator_.window(), generator_.plan(),
                             trace_.get(), &access_};
  deliveries_.push_back(std::make_unique<poll_endpoint>(ctx, config_.polls));
  deliveries_.push_back(std::make_unique<webhook_dispatcher>(ctx, config_.webhooks));
  deliveries_.push_back(std::make_unique<sse_endpoint>(ctx, config_.streams));
  deliveries_.push_back(std::make_unique<ws_endpoint>(ctx, config_.streams));
}

void producer::start() {
  server_.start();
  rss_max_ = current_rss_bytes();
  arm_sampler();
  if (config_.autostart) start_generation();
}

void producer::measure_idle(nanos d) { idle_cores_ = measure_idle_cores(ioc_, d); }

bool producer::start_generation() {
  if (generator_.started()) return false;
  generator_.start(now_ns());
  arm_window_timer(generator_.window().start_ns);
  return true;
}

// CPU and RSS are read by timers at the window's edges, so the CPU window is the event window.
void producer::arm_window_timer(nanos at) {
  window_timer_.expires_at(steady_time_of(at));
  window_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (!cpu_.started()) {
      cpu_.start();
      rss_start_ = current_rss_bytes();
      arm_window_timer(generator_.window().end_ns);
    } else {
      cpu_.end();
      rss_end_ = current_rss_bytes();
      // What the window left behind: deliveries not finished.
      queue_depth_end_ = 0;
      for (const auto& d : deliveries_) queue_depth_end_ += d->pending();
      queue_depth_taken_ = true;
    }
  });
}

void producer::arm_sampler() {
  sampler_.expires_after(std::chrono::nanoseconds(kSamplePeriod));
  sampler_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    rss_max_ = std::max(rss_max_, current_rss_bytes());
    arm_sampler();
  });
}

void producer::observe(const http::exchange& x) {
  if (x.status >= 400) ++rejected_[x.status];
  for (auto& d : deliveries_) d->observe(x);
}

void producer::handle(http::request&& req, http::reply_fn reply) {
  const std::string path = req.path();
  auto method_is = [&](const char* m) { return req.method == m; };
  auto wrong_method = [&](const char* allowed) {
    return http::method_not_allowed(req.method, path, allowed);
  };
  if (auto refused = access_.check(req)) return reply(std::move(*refused));
  for (auto& d : deliveries_) {
    if (d->handle(req, reply)) return;
  }
  if (path == "/control/ping") {
    return reply({200, "{\"now_ns\":" + std::to_string(now_ns()) + "}"});
  }
  if (path == "/control/start") {
    if (!method_is("POST")) return reply(wrong_method("POST"));
    if (!start_generation()) return reply(http::json_error(409, "generation already started"));
    return reply(handle_window());
  }
  if (path == "/control/window") return reply(handle_window());
  if (path == "/control/report") {
    if (trace_ && !trace_->write(config_.trace_path, "producer")) {
      return reply(http::json_error(500, "cannot write the trace part " + config_.trace_path));
    }
    return reply({200, report().dump()});
  }
  if (path == "/control/shutdown") {
    if (!method_is("POST")) return reply(wrong_method("POST"));
    reply({200, "{\"shutdown\":true}"});
    if (on_shutdown) boost::asio::post(ioc_, on_shutdown);
    return;
  }
  reply(http::json_error(404, "no route for " + req.method + " " + path));
}

http::response producer::handle_window() {
  const auto& w = generator_.window();
  nlohmann::json j{
      {"started", generator_.started()}, {"finished", generator_.finished()}, {"now_ns", now_ns()}};
  const auto& plan = generator_.plan();
  j["planned"] = {{"first_seq", plan.window_first},
                  {"last_seq", plan.window_last},
                  {"seq_limit", plan.limit},
                  {"warmup_s", to_s(config_.generation.warmup)},
                  {"duration_s", to_s(config_.generation.duration)},
                  {"tail_s", to_s(config_.generation.tail)}};
  if (generator_.started()) {
    j["t0_ns"] = generator_.t0();
    j["window_start_ns"] = w.start_ns;
    j["window_end_ns"] = w.end_ns;
  }
  if (generator_.finished()) {
    j["first_seq"] = generator_.window_first();
    j["last_seq"] = generator_.window_last();
    j["produced"] = generator_.window_events();
  }
  return {200, j.dump()};
}

nlohmann::json producer::report() {
  auto lag = summarize_latency(generator_.window_lag());
  const bool cpu_measured = cpu_.measured();
  const nlohmann::json cpu =
      cpu_measured ? nlohmann::json(cpu_.seconds()) : nlohmann::json(nullptr);
  nlohmann::json rejected = nlohmann::json::object();
  for (auto [status, n] : rejected_) rejected[std::to_string(status)] = n;
  traffic_by_kind requests;
  traffic_counter bytes;
  for (const auto& d : deliveries_) {
    for (const auto& [kind, t] : d->requests()) {
      auto& sum = requests[kind];
      sum.requests += t.requests;
      sum.bytes_sent += t.bytes_sent;
      sum.bytes_received += t.bytes_received;
    }
    const auto b = d->bytes();
    bytes.bytes_sent += b.bytes_sent;
    bytes.bytes_received += b.bytes_received;
  }
  nlohmann::json j = {
      {"role", "producer"},
      {"config", config_.to_json()},
      {"finished", generator_.finished()},
      {"produced", generator_.window_events()},
      {"first_seq", generator_.window_first()},
      {"last_seq", generator_.window_last()},
      {"generated_total", generator_.total_events()},
      {"planned_first_seq", generator_.plan().window_first},
      {"planned_last_seq", generator_.plan().window_last},
      {"seq_limit", generator_.plan().limit},
      {"generated_after_window",
       generator_.total_events() -
           std::min<std::uint64_t>(generator_.total_events(), generator_.window_last())},
      {"generator_lag_us", lag},
      {"requests", to_json(requests)},
      {"bytes", {{"sent", bytes.bytes_sent}, {"received", bytes.bytes_received}}},
      {"rejected", rejected},
      // Hostile or broken clients the HTTP server turned away (http/server.hpp).
      {"refused_connections", server_.refused_connections()},
      {"timed_out_requests", server_.timed_out_requests()},
      {"cpu_s", cpu},
      {"cpu_measured", cpu_measured},
      {"cpu_idle_cores", idle_cores_ >= 0 ? nlohmann::json(idle_cores_) : nlohmann::json(nullptr)},
      {"queue_depth_end",
       queue_depth_taken_ ? nlohmann::json(queue_depth_end_) : nlohmann::json(nullptr)},
      {"rss_bytes", {{"window_start", rss_start_}, {"window_end", rss_end_}, {"max", rss_max_}}},
      // Whole run: handshakes of clients of this API (the webhook POSTs' are in "webhooks").
      {"tls_handshakes", server_.tls_handshakes()},
      {"tls_handshake_failures", server_.tls_handshake_failures()},
  };
  for (const auto& d : deliveries_) j[std::string(d->name())] = d->report();
  return j;
}

}  // namespace hookbench
