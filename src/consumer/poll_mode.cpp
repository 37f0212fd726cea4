// The polling subscribers.
#include "consumer/poll_mode.hpp"

#include <chrono>
#include <iostream>

namespace hookbench {

poll_mode::poll_mode(mode_context& ctx, poll_flavour flavour)
    : subscriber_set(ctx, "poll", on_stop::keep_connections),
      flavour_(flavour),
      answers_(ctx, "poll") {}
poll_mode::~poll_mode() { stop(); }

void poll_mode::start() {
  const auto& cfg = ctx_.config;
  const nanos interval = cfg.interval;
  late_threshold_ = late_poll_threshold(interval);
  base_ns_ = now_ns() + 10 * kNanosPerMilli;
  make_subscribers(producer_connection(cfg, cfg.request_timeout));
  for (auto& p : subs_) {
    p->phase = static_cast<nanos>(static_cast<long double>(interval) * p->id / cfg.subscribers);
    p->interval = interval;
  }
  for (auto& p : subs_) arm(*p);
}

void poll_mode::arm(poller& p) {
  arm_at(p, base_ns_ + p.phase + static_cast<nanos>(p.slot) * ctx_.config.interval);
}

void poll_mode::arm_at(poller& p, nanos slot_ns) {
  p.timer->expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(slot_ns)));
  p.timer->async_wait([this, &p, slot_ns](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    on_slot(p, slot_ns);
  });
}

void poll_mode::on_slot(poller& p, nanos slot_ns) {
  if (flavour_.adaptive) {
    // One poll at a time: the next slot is set when this one's answer tells the interval.
    ++scheduled_;
    p.slot_ns = slot_ns;
    return send(p, slot_ns, false);
  }
  ++scheduled_;
  // Whole intervals that passed while we were blocked are skipped (and counted), never queued.
  const nanos now = now_ns();
  const nanos interval = ctx_.config.interval;
  ++p.slot;
  if (now - slot_ns >= interval) {
    auto skip = static_cast<std::uint64_t>((now - slot_ns) / interval);
    p.slot += skip;
    if (ctx_.window.contains(now)) missed_ += skip;
  }
  arm(p);
  if (p.conn->busy()) {
    // A second slot came while the poll is still in flight: the older one is dropped.
    if (p.pending_slot_ns != 0 && ctx_.window.contains(now)) ++missed_;
    p.pending_slot_ns = slot_ns;
    return;
  }
  send(p, slot_ns, false);
}

void poll_mode::send(poller& p, nanos scheduled_ns, bool follow_up) {
  const nanos now = now_ns();
  const bool counted = ctx_.window.contains(now);
  if (!follow_up && now - scheduled_ns > late_threshold_ && counted) ++late_;
  if (follow_up && counted) ++follow_ups_;
  ++polls_total_;
  http::client_request req = events_request(p.cursor);
  if (flavour_.conditional && !p.etag.empty()) req.headers.emplace_back("If-None-Match", p.etag);
  if (flavour_.adaptive && counted && !follow_up) interval_sum_ms_ += to_ms(p.interval);
  p.conn->async_send(std::move(req), [this, &p, counted, now](boost::system::error_code ec,
                                                              http::client_response&& r) {
    on_response(p, counted, now, ec, std::move(r));
  });
}

void poll_mode::on_response(poller& p, bool counted, nanos sent_ns, boost::system::error_code ec,
                            http::client_response&& r) {
  if (counted) requests_.add(r.bytes_sent, r.bytes_received);
  bool more = false;
  if (ec) {
    answers_.failed(counted, ec);
  } else if (r.status == 200) {
    if (auto batch = answers_.take_batch(p, counted, sent_ns, r.body)) {
      if (batch->events.empty() && counted) ++empty_;
      more = batch->events.size() >= ctx_.config.poll_limit;
      if (flavour_.conditional) p.etag = r.header("etag");
      adapt(p, !batch->events.empty());
    }
  } else if (r.status == 304 && flavour_.conditional) {
    // Nothing new since the ETag: an empty poll that carried no body.
    if (counted) {
      ++empty_;
      ++not_modified_;
      bytes_saved_ += batch_json({}, p.cursor).size();
    }
    adapt(p, false);
  } else if (r.status == 410) {
    const seq_t first_lost = p.cursor + 1;
    const seq_t oldest = answers_.expired(p, r.body);
    if (answers_.expired_cursors() == 1) {
      std::cerr << "hookbench client: subscriber " << p.id << " fell behind the retention: events "
                << first_lost << ".." << oldest - 1 << " are LOST\n";
    }
    more = true;
  } else {
    answers_.bad_status(counted, r);
  }
  if (stopped_) return;
  if (more) return send(p, now_ns(), true);
  if (flavour_.adaptive) {
    // The next slot counts from this one's, never from the answer: the schedule stays open-loop
    // (a slow answer makes the next poll late, counted, rather than shifting every later one).
    return arm_at(p, std::max(p.slot_ns + p.interval, now_ns()));
  }
  if (p.pending_slot_ns != 0) {
    const nanos slot = p.pending_slot_ns;
    p.pending_slot_ns = 0;
    send(p, slot, false);
  }
}

void poll_mode::adapt(poller& p, bool had_events) {
  if (!flavour_.adaptive) return;
  const nanos cap = ctx_.config.tuning.cap(ctx_.config.interval);
  p.interval = had_events ? ctx_.config.interval
                          : std::min(cap, static_cast<nanos>(static_cast<double>(p.interval) *
                                                             ctx_.config.tuning.backoff));
}

nlohmann::json poll_mode::stats() const {
  nlohmann::json flavour = nlohmann::json::object();
  if (flavour_.conditional) {
    flavour = {{"not_modified", not_modified_}, {"body_bytes_saved", bytes_saved_}};
  }
  if (flavour_.adaptive) {
    const auto n = requests_.requests - follow_ups_;
    flavour = {{"mean_interval_ms", n > 0
                                        ? nlohmann::json(static_cast<double>(interval_sum_ms_ / n))
                                        : nlohmann::json(nullptr)}};
  }
  nlohmann::json j = answers_.to_json();
  j.update(nlohmann::json{{"polls", requests_.requests},
                          {"flavour", flavour},
                          {"empty_polls", empty_},
                          {"late_polls", late_},
                          {"missed_polls", missed_},
                          {"follow_up_polls", follow_ups_},
                          {"polls_total", polls_total_},
                          {"late_threshold_ms", to_ms(late_threshold_)}});
  return j;
}

}  // namespace hookbench
