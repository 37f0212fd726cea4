// The long-polling subscribers.
#include "consumer/long_poll_mode.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <iostream>

namespace hookbench {

namespace {
// After a failed request, wait this long before the next: a producer that refuses connections
// must not be hammered in a tight loop.
constexpr nanos kRetryPause = 100 * kNanosPerMilli;
}  // namespace

struct long_poll_mode::subscriber {
  std::size_t id = 0;
  seq_t cursor = 0;
  std::unique_ptr<http::client_connection> conn;
  std::unique_ptr<boost::asio::steady_timer> pause;
};

long_poll_mode::long_poll_mode(mode_context& ctx) : ctx_(ctx) {}
long_poll_mode::~long_poll_mode() { stop(); }

void long_poll_mode::start() {
  const auto& cfg = ctx_.config;
  http::client_options co;
  co.tls = cfg.tls_client;
  co.keep_alive = true;
  // A request may park for the whole wait before its answer starts.
  co.timeout = cfg.tuning.wait + cfg.request_timeout;
  for (std::size_t k = 0; k < cfg.subscribers; ++k) {
    auto s = std::make_unique<subscriber>();
    s->id = k;
    s->conn = std::make_unique<http::client_connection>(ctx_.ioc, cfg.producer.address, co);
    s->pause = std::make_unique<boost::asio::steady_timer>(ctx_.ioc);
    subs_.push_back(std::move(s));
  }
  for (auto& s : subs_) send(*s);
}

void long_poll_mode::stop() {
  stopped_ = true;
  for (auto& s : subs_) {
    s->pause->cancel();
    s->conn->close();
  }
}

void long_poll_mode::send(subscriber& s) {
  const nanos now = now_ns();
  const bool counted = ctx_.window.contains(now);
  ++polls_total_;
  http::client_request req;
  req.headers = ctx_.config.auth();
  req.target = ctx_.config.producer.target;
  if (req.target.empty() || req.target == "/") req.target = "/events";
  req.target += "?after=" + std::to_string(s.cursor) +
                "&limit=" + std::to_string(ctx_.config.poll_limit) +
                "&wait=" + std::to_string(ctx_.config.tuning.wait / kNanosPerMilli);
  s.conn->async_send(std::move(req), [this, &s, counted, now](boost::system::error_code ec,
                                                              http::client_response&& r) {
    on_response(s, counted, now, ec, std::move(r));
  });
}

void long_poll_mode::on_response(subscriber& s, bool counted, nanos sent_ns,
                                 boost::system::error_code ec, http::client_response&& r) {
  if (stopped_) return;
  if (counted) traffic_.add(r.bytes_sent, r.bytes_received);
  bool pause = false;
  if (ec) {
    if (counted) ++failed_;
    if (failed_ == 1) {
      std::cerr << "hookbench client: long-poll failed: " << http::describe(ec)
                << " (counted; further failures are counted silently)\n";
    }
    pause = true;
  } else if (r.status == 200) {
    std::string error;
    auto batch = parse_batch_json(r.body, error);
    const nanos parsed = now_ns();
    if (!batch) {
      if (counted) ++failed_;
      std::cerr << "hookbench client: bad long-poll response: " << error << "\n";
      pause = true;
    } else {
      if (ctx_.trace) ctx_.trace->poll(sent_ns, parsed, s.id, batch->events.size());
      for (const auto& e : batch->events) ctx_.tracker.record(s.id, e, parsed);
      if (batch->events.empty() && counted) ++timeouts_;
      s.cursor = std::max(s.cursor, batch->next);
    }
  } else if (r.status == 410) {
    // Fell out of retention: the missed events are lost (and reported), resume at the oldest.
    const seq_t oldest = oldest_retained(r.body, s.cursor);
    ++expired_cursors_;
    expired_events_ += oldest - 1 - s.cursor;
    s.cursor = oldest - 1;
  } else {
    if (counted) ++failed_;
    std::cerr << "hookbench client: long-poll answered HTTP " << r.status << ": " << r.body << "\n";
    pause = true;
  }
  if (!pause) return send(s);
  s.pause->expires_after(std::chrono::nanoseconds(kRetryPause));
  s.pause->async_wait([this, &s](const boost::system::error_code& wait_ec) {
    if (!wait_ec && !stopped_) send(s);
  });
}

traffic_by_kind long_poll_mode::requests() const {
  if (traffic_.requests == 0) return {};
  return {{"long_poll", traffic_}};
}

nlohmann::json long_poll_mode::stats() const {
  // "polls"/"empty_polls" let the result compute the timeout fraction with its interval.
  return {{"polls", traffic_.requests},
          {"empty_polls", timeouts_},
          {"timeouts", timeouts_},
          {"failed", failed_},
          {"expired_cursors", expired_cursors_},
          {"expired_events", expired_events_},
          {"polls_total", polls_total_},
          {"wait_ms", to_ms(ctx_.config.tuning.wait)}};
}

}  // namespace hookbench
