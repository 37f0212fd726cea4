// The webhook receiver and its registration with the producer.
#include "consumer/webhook_mode.hpp"

#include <time.h>

#include <stdexcept>

#include "http/client.hpp"

namespace hookbench {
namespace {

nanos thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<nanos>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}

}  // namespace

webhook_mode::webhook_mode(mode_context& ctx, bool batch)
    : ctx_(ctx),
      batch_(batch),
      server_(
          ctx.ioc, ctx.config.listen,
          http::server_options{.body_limit = 1024 * 1024,
                               .server_name = "hookbench-receiver",
                               .tls = ctx.config.tls_server},
          [this](http::request&& req, http::reply_fn reply) {
            handle(std::move(req), std::move(reply));
          },
          [this](const http::exchange& x) {
            if (x.status >= 400) ++rejected_[x.status];
            if (ctx_.window.contains(x.received_ns)) traffic_.add(x.bytes_out, x.bytes_in);
          }),
      signatures_(ctx.config.signature) {}

void webhook_mode::setup() {
  if (!ctx_.config.tap_path.empty()) {
    tap_ = std::make_unique<std::ofstream>(ctx_.config.tap_path, std::ios::app);
    if (!*tap_) throw std::runtime_error("--tap: cannot open " + ctx_.config.tap_path);
  }
  server_.start();
  const auto& cfg = ctx_.config;
  host_port advertised{cfg.advertise_host.empty() ? cfg.listen.host : cfg.advertise_host,
                       cfg.advertise_port ? cfg.advertise_port : server_.port()};
  if (advertised.host == "0.0.0.0") advertised.host = "127.0.0.1";
  if (advertised.host == "::") advertised.host = "::1";
  for (std::size_t k = 0; k < cfg.subscribers; ++k) {
    http_url url{advertised, "/hook/" + std::to_string(k), cfg.tls_server != nullptr};
    http::client_request req;
    req.method = "POST";
    req.target = "/subscriptions";
    req.headers = cfg.auth();
    nlohmann::json sub{{"url", url.to_string()}};
    if (batch_) {
      sub["batch_window_ms"] = to_ms(cfg.tuning.batch_window);
      sub["batch_max"] = cfg.tuning.batch_max;
    }
    req.body = sub.dump();
    http::client_response res;
    auto ec = http::fetch(cfg.producer.address, req, res, cfg.request_timeout, cfg.tls_client);
    if (ec) {
      throw std::runtime_error("cannot register webhook with producer at " +
                               cfg.producer.address.to_string() + ": " + http::describe(ec));
    }
    if (res.status != 201) {
      throw std::runtime_error("producer refused webhook registration: HTTP " +
                               std::to_string(res.status) + " " + res.body);
    }
    signatures_.add_subscriber(nlohmann::json::parse(res.body, nullptr, false));
  }
}

void webhook_mode::stop() { server_.stop(); }

void webhook_mode::handle(http::request&& req, http::reply_fn reply) {
  const std::string path = req.path();
  constexpr std::string_view prefix = "/hook/";
  if (!path.starts_with(prefix)) return reply(http::json_error(404, "no route for " + path));
  std::size_t k = 0;
  try {
    k = static_cast<std::size_t>(parse_int(std::string_view(path).substr(prefix.size()), 0,
                                           static_cast<std::int64_t>(ctx_.config.subscribers) - 1));
  } catch (const usage_error&) {
    return reply(http::json_error(404, "no subscriber " + path.substr(prefix.size())));
  }
  if (req.method != "POST") {
    auto r = http::json_error(405, "webhooks are delivered with POST");
    r.headers.emplace_back("Allow", "POST");
    return reply(std::move(r));
  }
  // Unsigned, forged, stale or replayed: refused before anything is parsed or recorded.
  const nanos cpu_before = thread_cpu_ns();
  if (auto verdict = signatures_.check(k, req); verdict != security::reject_reason::accepted) {
    reply(signature_rejection(verdict));
    reject_cpu_ns_ += thread_cpu_ns() - cpu_before;
    return;
  }
  std::string error;
  const std::vector<event_stamp> stamps = parse_delivery_json(req.body, error);
  if (!error.empty()) {
    ++malformed_;
    return reply(http::json_error(400, error));
  }
  // An id the producer can never generate: the whole POST is refused, counted, and nothing of
  // it is stored or delivered.
  const seq_t limit = ctx_.tracker.seq_limit();
  for (const auto& stamp : stamps) {
    if (stamp.seq == 0 || (ctx_.tracker.window_known() && stamp.seq > limit)) {
      ctx_.tracker.record(k, stamp, now_ns());  // counted there as out of range, never stored
      ++out_of_range_;
      return reply(http::json_error(422, "event id " + std::to_string(stamp.seq) +
                                             " outside the producer's range 1.." +
                                             std::to_string(limit)));
    }
  }
  const nanos at = now_ns();
  for (const auto& stamp : stamps) {
    if (!record(k, stamp, at)) {
      ++out_of_range_;
      return reply(http::json_error(
          422, "event id " + std::to_string(stamp.seq) + " outside the producer's range"));
    }
  }
  ++received_;
  if (tap_) tap(req);
  if (ctx_.config.tuning.ack == "json") {
    return reply(http::response(200, "{\"received\":" + std::to_string(stamps.size()) + "}"));
  }
  reply(http::response(204));
}

void webhook_mode::tap(const http::request& req) {
  if (accepted_posts_++ % ctx_.config.tap_every != 0) return;
  *tap_ << nlohmann::json{{"path", req.target},
                          {"webhook-id", req.header("webhook-id")},
                          {"webhook-timestamp", req.header("webhook-timestamp")},
                          {"webhook-signature", req.header("webhook-signature")},
                          {"body", req.body}}
               .dump()
        << std::endl;  // flushed: the observer reads it while the run goes on
  ++tapped_;
}

bool webhook_mode::record(std::size_t k, const event_stamp& stamp, nanos at) {
  switch (ctx_.tracker.record(k, stamp, at)) {
    case delivery_tracker::outcome::out_of_range:
      return false;
    case delivery_tracker::outcome::duplicate:
      ++duplicates_;
      break;
    case delivery_tracker::outcome::outside_window:
      ++outside_window_;
      break;
    case delivery_tracker::outcome::before_window:
      ++before_window_;
      break;
    case delivery_tracker::outcome::first:
      break;
  }
  ++events_received_;
  return true;
}

nlohmann::json webhook_mode::stats() const {
  nlohmann::json rejected = nlohmann::json::object();
  for (auto [status, n] : rejected_) rejected[std::to_string(status)] = n;
  return {{"webhooks_received", received_},
          {"events_received", events_received_},
          {"failed", 0},
          {"malformed", malformed_},
          {"out_of_range", out_of_range_},
          {"outside_window", outside_window_},
          {"before_window", before_window_},
          {"duplicates", duplicates_},
          {"rejected", rejected},
          {"signature", security::to_string(signatures_.scheme())},
          {"rejected_by_reason", signatures_.rejected_by_reason()},
          {"reject_cpu_us", to_us(reject_cpu_ns_)},
          {"tapped", tapped_},
          {"tls_handshakes", server_.tls_handshakes()},
          {"tls_handshake_failures", server_.tls_handshake_failures()}};
}

}  // namespace hookbench
