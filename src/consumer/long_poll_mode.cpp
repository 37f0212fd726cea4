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

long_poll_mode::long_poll_mode(mode_context& ctx)
    : subscriber_set(ctx, "long_poll", on_stop::close_connections), answers_(ctx, "long-poll") {}
long_poll_mode::~long_poll_mode() { stop(); }

void long_poll_mode::start() {
  // A request may park for the whole wait before its answer starts.
  make_subscribers(
      producer_connection(ctx_.config, ctx_.config.tuning.wait + ctx_.config.request_timeout));
  for (auto& s : subs_) send(*s);
}

void long_poll_mode::send(subscriber& s) {
  const nanos now = now_ns();
  const bool counted = ctx_.window.contains(now);
  ++polls_total_;
  http::client_request req = events_request(s.cursor);
  req.target += "&wait=" + std::to_string(ctx_.config.tuning.wait / kNanosPerMilli);
  s.conn->async_send(std::move(req), [this, &s, counted, now](boost::system::error_code ec,
                                                              http::client_response&& r) {
    on_response(s, counted, now, ec, std::move(r));
  });
}

void long_poll_mode::on_response(subscriber& s, bool counted, nanos sent_ns,
                                 boost::system::error_code ec, http::client_response&& r) {
  if (stopped_) return;
  if (counted) requests_.add(r.bytes_sent, r.bytes_received);
  bool pause = false;
  if (ec) {
    answers_.failed(counted, ec);
    pause = true;
  } else if (r.status == 200) {
    const auto batch = answers_.take_batch(s, counted, sent_ns, r.body);
    if (!batch) {
      pause = true;
    } else if (batch->events.empty() && counted) {
      ++timeouts_;
    }
  } else if (r.status == 410) {
    answers_.expired(s, r.body);
  } else {
    answers_.bad_status(counted, r);
    pause = true;
  }
  if (!pause) return send(s);
  s.timer->expires_after(std::chrono::nanoseconds(kRetryPause));
  s.timer->async_wait([this, &s](const boost::system::error_code& wait_ec) {
    if (!wait_ec && !stopped_) send(s);
  });
}

nlohmann::json long_poll_mode::stats() const {
  // "polls"/"empty_polls" let the result compute the timeout fraction with its interval.
  nlohmann::json j = answers_.to_json();
  j.update(nlohmann::json{{"polls", requests_.requests},
                          {"empty_polls", timeouts_},
                          {"timeouts", timeouts_},
                          {"polls_total", polls_total_},
                          {"wait_ms", to_ms(ctx_.config.tuning.wait)}});
  return j;
}

}  // namespace hookbench
