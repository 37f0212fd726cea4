// The sending engine: events published to every subscriber's queue (or its open batch), each queue
// drained by a bounded pool of HTTP client connections, every POST signed; a failure is retried
// under the retry policy or held by the circuit breaker, and what cannot be delivered is a counted
// dead letter. The subscriptions are webhook_subscriptions.cpp's, the state file
// webhook_state.cpp's.
#include "producer/webhook_dispatcher.hpp"

#include <boost/asio/steady_timer.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/enum_names.hpp"
#include "core/fd_limit.hpp"
#include "measure/latency.hpp"
#include "producer/webhook_subscriber.hpp"
#include "security/signing.hpp"

namespace hookbench {

namespace {

constexpr auto kConnectionPolicies = make_enum_names<connection_policy>(
    {{connection_policy::keepalive, "keepalive"}, {connection_policy::fresh, "new"}});

}  // namespace

connection_policy parse_connection_policy(std::string_view text) {
  return kConnectionPolicies.parse(text);
}

std::string to_string(connection_policy policy) {
  return std::string(kConnectionPolicies.name(policy));
}

webhook_dispatcher::webhook_dispatcher(delivery_context ctx, dispatcher_options options)
    : ctx_(ctx), options_(options), fd_budget_(outgoing_fd_budget()) {
  if (options_.signature == security::signature_scheme::ed25519) {
    ed25519_ = security::ed25519_signer::generate();
  }
  load_owner_key();
  if (!options_.state_path.empty()) {
    state_timer_ = std::make_unique<boost::asio::steady_timer>(ctx_.ioc);
    restore_state();
  }
}

webhook_dispatcher::~webhook_dispatcher() {
  if (!options_.state_path.empty()) save_state();
}

void webhook_dispatcher::sign(subscriber& s, http::client_request& req, seq_t first, seq_t last,
                              std::int64_t ts) {
  if (options_.signature == security::signature_scheme::none) return;
  const nanos started = now_ns();
  // The subscription is in the id, which is signed: a copy replayed to another subscriber of
  // the same producer (ed25519: one key for all) names the wrong one and is refused.
  std::string id = "msg_" + std::to_string(s.id) + "_" + std::to_string(first);
  if (s.batch.window > 0) id += "-" + std::to_string(last);
  std::string signature =
      s.hmac ? s.hmac->sign(id, ts, req.body) : ed25519_->sign(id, ts, req.body);
  req.headers.emplace_back("webhook-id", std::move(id));
  req.headers.emplace_back("webhook-timestamp", std::to_string(ts));
  req.headers.emplace_back("webhook-signature", std::move(signature));
  ++stats_.signed_posts;
  stats_.signing_ns += now_ns() - started;
}

void webhook_dispatcher::publish(const event& e) {
  if (subs_.empty()) return;
  // Encoded once, shared by every subscriber's queue.
  auto body = std::make_shared<const std::string>(event_json(e));
  for (auto& [id, s] : subs_) {
    if (s->active) publish_to(*s, e, body);
  }
}

void webhook_dispatcher::publish_to(subscriber& s, const event& e,
                                    const std::shared_ptr<const std::string>& body) {
  s.last_published = std::max(s.last_published, e.seq);
  if (s.batch.window > 0) {
    if (s.open_events > 0) s.open_batch += ',';
    s.open_batch += *body;
    if (s.open_events++ == 0) {
      s.open_first = e.seq;
      s.batch_timer->expires_after(std::chrono::nanoseconds(s.batch.window));
      // A wait that had already fired when the cap flushed its batch still runs: it flushes
      // only the batch it was set for (opened by this event), never the next one early.
      s.batch_timer->async_wait(
          [this, sub = &s, opener = e.seq](const boost::system::error_code& ec) {
            if (!ec && sub->open_events > 0 && sub->open_first == opener) flush(*sub);
          });
    }
    s.open_last = e.seq;
    s.open_event_bytes += body->size();
    if (s.open_events >= s.batch.max) flush(s);
    return;
  }
  delivery d;
  d.seq = d.last = e.seq;
  d.body = body;
  d.event_bytes = body->size();
  enqueue(s, std::move(d));
}

void webhook_dispatcher::flush(subscriber& s) {
  s.batch_timer->cancel();
  auto body = std::make_shared<std::string>();
  body->reserve(s.open_batch.size() + 48);
  *body += "{\"events\":[";
  *body += s.open_batch;
  *body += "],\"next\":" + std::to_string(s.open_last) + "}";
  delivery d;
  d.seq = s.open_first;
  d.last = s.open_last;
  d.body = std::move(body);
  d.events = s.open_events;
  d.event_bytes = s.open_event_bytes;
  s.open_batch.clear();
  s.open_events = s.open_event_bytes = 0;
  enqueue(s, std::move(d));
}

void webhook_dispatcher::enqueue(subscriber& s, delivery d) {
  // Past the subscriber's queue, or its token's or the process's share of queued deliveries
  // (refused and counted by the caps), the delivery is a dead letter; it was never outstanding.
  if (s.queue.size() + s.retries.size() >= options_.queue_limit ||
      (ctx_.caps && !ctx_.caps->take(holding_kind::webhook_delivery, s.owner).empty())) {
    ++stats_.queue_overflow;
    if (ctx_.counts(d.seq)) ++stats_.failed_window;
    dead_letter(s, d, "queue-full");
    return;
  }
  s.outstanding.insert(d.seq);
  s.queue.push_back(std::move(d));
  mark_dirty();
  pump(s);
}

void webhook_dispatcher::arm_wake(subscriber& s, nanos at) {
  if (s.wake_at != 0 && s.wake_at <= at) return;  // an earlier wake-up will look again
  s.wake_at = at;
  s.wake->expires_at(steady_time_of(at));
  s.wake->async_wait([this, sub = &s](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed or cancelled (the dispatcher may be gone then)
    sub->wake_at = 0;
    pump(*sub);
  });
}

void webhook_dispatcher::pump(subscriber& s) {
  if (!s.active) return;
  using circuit = subscriber::circuit;
  const nanos now = now_ns();
  // Due retries go ahead of fresh deliveries, earliest due first.
  if (!s.retries.empty() && s.retries.begin()->first <= now) {
    auto end = s.retries.upper_bound(now);
    std::vector<delivery> due;
    for (auto it = s.retries.begin(); it != end; ++it) due.push_back(std::move(it->second));
    s.retries.erase(s.retries.begin(), end);
    for (auto it = due.rbegin(); it != due.rend(); ++it) s.queue.push_front(std::move(*it));
  }
  if (now < s.hold_until) return arm_wake(s, s.hold_until);
  // The cool-down is over: the next delivery due (never a retry before its time) is the probe.
  if (s.state == circuit::open) s.state = circuit::half_open;
  const std::size_t concurrency = concurrency_limit();
  const std::size_t limit =
      s.state == circuit::half_open || options_.retry.ordered ? 1 : concurrency;
  while (!s.queue.empty() && s.in_flight < limit) {
    // In order, the head's retry holds back everything behind it.
    if (options_.retry.ordered && !s.retries.empty()) break;
    http::client_connection* idle = nullptr;
    for (auto& c : s.pool) {
      if (!c->busy()) {
        idle = c.get();
        break;
      }
    }
    if (!idle) {
      if (s.pool.size() >= concurrency) break;
      http::client_options co;
      co.keep_alive = options_.connections == connection_policy::keepalive;
      co.timeout = options_.timeout;
      co.body_limit = 64 * 1024;
      if (s.url.tls) co.tls = options_.tls;
      if (ctx_.access) {
        // The address connected to, not the name registered, is what must pass (a name may be
        // rebound to loopback or a metadata address after it was checked).
        co.check_address = [access = ctx_.access, sub = &s](const boost::asio::ip::address& a) {
          return access->check_address(a, sub->url.address.host, sub->peer);
        };
      }
      s.pool.push_back(std::make_unique<http::client_connection>(ctx_.ioc, s.url.address, co));
      idle = s.pool.back().get();
    }
    delivery d = std::move(s.queue.front());
    s.queue.pop_front();
    if (s.state == circuit::half_open) {
      s.probe_in_flight = true;
      ++stats_.circuit_probes;
    }
    send(s, std::move(d), *idle);
  }
  if (!s.retries.empty()) arm_wake(s, s.retries.begin()->first);
}

std::size_t webhook_dispatcher::concurrency_limit() {
  const std::size_t fair = fd_budget_ / std::max<std::size_t>(1, subs_.size());
  const std::size_t limit = std::clamp<std::size_t>(fair, 1, options_.concurrency);
  if (limit < options_.concurrency && (lowest_concurrency_ == 0 || limit < lowest_concurrency_)) {
    if (lowest_concurrency_ == 0) {
      std::cerr << "hookbench serve: webhook concurrency lowered below " << options_.concurrency
                << " per subscriber (to " << limit << " at " << subs_.size()
                << " subscribers; never below 1): every subscriber's connections together must "
                   "stay inside the open-file limit ("
                << fd_budget_
                << " descriptors for webhook connections); the report's "
                   "concurrency_lowered_to has the least\n";
    }
    lowest_concurrency_ = limit;
  }
  return limit;
}

void webhook_dispatcher::send(subscriber& s, delivery d, http::client_connection& c) {
  http::client_request req;
  req.method = "POST";
  req.target = s.url.target;
  req.body = *d.body;
  const nanos started = now_ns();
  const bool retry = d.attempts++ > 0;
  if (!retry) d.first_attempt = started;
  // A retry's timestamp is always newer than its previous attempt's: a receiver's replay check
  // tells it from a replay by that (it runs ahead of the clock only when retries come faster
  // than one a second).
  const std::int64_t ts =
      std::max(retry ? std::max(unix_seconds(), d.last_ts + 1) : unix_seconds(), ts_floor_);
  d.last_ts = ts;
  max_ts_ = std::max(max_ts_, ts);
  sign(s, req, d.seq, d.last, ts);
  if (ctx_.trace) ctx_.trace->webhook_post(started, d.seq, s.id);
  const bool counted = ctx_.counts(d.seq);
  ++stats_.posts_total;
  if (retry) ++stats_.retry_total;
  ++s.in_flight;
  const std::uint64_t opened_before = c.connections_opened();
  const std::uint64_t handshakes_before = c.tls_handshakes();
  const std::uint64_t resends_before = c.stale_resends();
  const std::size_t body_bytes = req.body.size();
  c.async_send(std::move(req), [this, &s, &c, d = std::move(d), counted, retry, opened_before,
                                handshakes_before, resends_before, started, body_bytes](
                                   boost::system::error_code ec, http::client_response&& r) {
    --s.in_flight;
    stats_.connections_opened += c.connections_opened() - opened_before;
    stats_.reconnects += c.stale_resends() - resends_before;
    stats_.tls_handshakes += c.tls_handshakes() - handshakes_before;
    if (counted) {
      stats_.window.add(r.bytes_sent, r.bytes_received);
      if (retry) stats_.retry_window.add(r.bytes_sent, r.bytes_received);
      if (r.bytes_sent > 0) {
        stats_.window_body_bytes += body_bytes;
        stats_.window_events += d.events;
        stats_.window_event_bytes += d.event_bytes;
      }
    }
    if (!s.active && ec == boost::asio::error::operation_aborted) {
      // Its subscription ended and closed the connection under it: not the receiver's failure.
      if (s.gone) {
        dead_letter(s, d, "gone");
      } else {
        stats_.cancelled += d.events;
      }
    } else if (!ec && r.status >= 200 && r.status < 300) {
      if (counted) {
        round_trips_.push_back(now_ns() - started);
        // The first subscriber's POST leaves first: its round trip has no sibling
        // ahead.
        if (s.id == 0) first_round_trips_.push_back(round_trips_.back());
      }
      on_success(s, d);
    } else {
      on_failure(s, d, ec, r);
    }
    if (!s.active) return free_if_done(s);
    pump(s);
    arm_idle_sweep();
  });
}

void webhook_dispatcher::on_success(subscriber& s, const delivery& d) {
  ++stats_.delivered_total;
  ++stats_.succeeded_on_attempt[d.attempts];
  s.consecutive_failures = 0;
  s.probe_in_flight = false;
  if (s.state != subscriber::circuit::closed) {
    s.state = subscriber::circuit::closed;
    ++stats_.circuit_closed;
  }
  if (d.attempts > 1) {
    ++stats_.recovered;
    if (ctx_.counts(d.seq)) recovery_.push_back(now_ns() - d.first_attempt);
  }
  resolve(s, d.seq);
}

void webhook_dispatcher::on_failure(subscriber& s, delivery d, const boost::system::error_code& ec,
                                    const http::client_response& r) {
  const bool counted = ctx_.counts(d.seq);
  if (counted) ++stats_.failed_window;
  if (ec == boost::asio::error::timed_out || http::describe(ec) == "timed out") {
    ++stats_.timeouts;
  } else if (ec) {
    ++stats_.errors;
  } else {
    ++stats_.non_2xx;
  }
  if (d.attempts == 1) ++stats_.first_attempt_failures;
  const std::string why = !r.refusal.empty() ? r.refusal
                          : ec               ? http::describe(ec)
                                             : "HTTP " + std::to_string(r.status);
  const bool tail = d.seq > ctx_.plan.window_last;
  ++(tail ? stats_.failure_reasons_after_window : stats_.failure_reasons)[why];
  // Tail load (after the window) meets a receiver that already finished: not news.
  if (counted && !first_failure_logged_) {
    first_failure_logged_ = true;
    std::cerr << "hookbench serve: webhook delivery to " << s.url.to_string() << " failed: " << why
              << " (counted and retried under --retry " << to_string(options_.retry.policy.kind)
              << "; further failures are counted silently)\n";
  }
  if (!s.active) {  // ended while this was in flight
    if (s.gone) {
      dead_letter(s, d, "gone");
    } else {
      stats_.cancelled += d.events;
    }
    return;
  }
  if (!r.refusal.empty()) {
    // Refused before anything was sent (an address the rules forbid, a target that would break
    // the request): trying again would meet the same rule.
    dead_letter(s, d, "refused-" + r.refusal.substr(0, r.refusal.find(':')));
    return;
  }
  if (!ec && r.status == 410) {
    ++stats_.gone_410;
    dead_letter(s, d, "gone");
    end_gone(s);
    return;
  }
  const nanos now = now_ns();
  using circuit = subscriber::circuit;
  ++s.consecutive_failures;
  const bool probe_failed = s.state == circuit::half_open && s.probe_in_flight;
  s.probe_in_flight = false;
  if (options_.retry.breaker.threshold > 0 &&
      (probe_failed || (s.state == circuit::closed &&
                        s.consecutive_failures >= options_.retry.breaker.threshold))) {
    s.state = circuit::open;
    s.hold_until =
        std::max(s.hold_until, now + options_.retry.policy.scaled(options_.retry.breaker.cooldown));
    ++stats_.circuit_opened;
  }
  auto delay = options_.retry.policy.next_delay(d.attempts, rng_);
  if (!delay) {
    dead_letter(s, d, "exhausted");
    return;
  }
  if (!ec && (r.status == 429 || r.status == 503)) {
    // The receiver's own demand, in its own seconds: never scaled.
    bool clamped = false;
    if (auto after = bounded_retry_after(r.header("retry-after"), unix_seconds(),
                                         options_.retry.retry_after_max, clamped)) {
      ++stats_.retry_after_honoured;
      if (clamped) ++stats_.retry_after_clamped;
      delay = std::max(*delay, *after);
      s.hold_until = std::max(s.hold_until, now + *after);
    }
  }
  s.retries.emplace(now + *delay, std::move(d));
}

void webhook_dispatcher::dead_letter(subscriber& s, const delivery& d, const std::string& reason) {
  stats_.dead_letters[reason] += d.events;
  if (ctx_.counts(d.seq)) stats_.dead_letters_window += d.events;
  if (stats_.dead_letter_seqs.size() < 10) stats_.dead_letter_seqs.push_back(d.seq);
  resolve(s, d.seq);
}

void webhook_dispatcher::end_gone(subscriber& s) {
  s.gone = true;
  for (const auto& d : s.queue) dead_letter(s, d, "gone");
  for (const auto& [due, d] : s.retries) dead_letter(s, d, "gone");
  if (s.open_events > 0) {
    delivery open;
    open.seq = s.open_first;
    open.events = s.open_events;
    dead_letter(s, open, "gone");
  }
  forget_pending(s);
  std::cerr << "hookbench serve: " << s.url.to_string() << " answered 410 Gone: subscription "
            << s.id << " ended\n";
  retire(s);
  save_state();
}

void webhook_dispatcher::resolve(subscriber& s, seq_t first) {
  if (auto it = s.outstanding.find(first); it != s.outstanding.end()) {
    s.outstanding.erase(it);
    if (ctx_.caps) ctx_.caps->give_back(holding_kind::webhook_delivery, s.owner);
  }
  mark_dirty();
}

std::size_t webhook_dispatcher::pending() const {
  std::size_t n = 0;
  for (const auto& [id, s] : subs_)
    n += s->queue.size() + s->retries.size() + s->open_events + s->in_flight;
  return n;
}

dispatcher_stats webhook_dispatcher::stats() const { return stats_; }

traffic_by_kind webhook_dispatcher::requests() const {
  if (stats_.window.requests == 0) return {};
  return {{"webhook_post", stats_.window}};
}

nlohmann::json webhook_dispatcher::report() const {
  const auto& d = stats_;
  auto rtts = round_trips_;  // summarize_latency sorts
  auto first = first_round_trips_;
  auto recovery = recovery_;
  std::uint64_t dead = 0;
  // Every reason, zeros included: exhausted, gone, queue-full, evicted, and refused-RULE for a
  // connection the target rules refused (loopback, unspecified, link-local, metadata, host) or
  // a target the client would not write (target).
  nlohmann::json by_reason{{"exhausted", 0},          {"gone", 0},
                           {"queue-full", 0},         {"evicted", 0},
                           {"refused-loopback", 0},   {"refused-unspecified", 0},
                           {"refused-link-local", 0}, {"refused-metadata", 0},
                           {"refused-host", 0},       {"refused-target", 0}};
  for (const auto& [reason, n] : d.dead_letters) {
    by_reason[reason] = n;
    dead += n;
  }
  std::size_t pending_retry = 0;           // deliveries, window or not
  std::uint64_t pending_retry_window = 0;  // window events in them
  for (const auto& [id, s] : subs_) {
    pending_retry += s->retries.size();
    for (const auto& [due, waiting] : s->retries) {
      if (ctx_.counts(waiting.seq)) pending_retry_window += waiting.events;
    }
  }
  nlohmann::json attempts = nlohmann::json::object();
  for (auto [n, count] : d.succeeded_on_attempt) attempts[std::to_string(n)] = count;
  nlohmann::json retry = options_.retry.policy.to_json();
  retry.update(nlohmann::json{
      {"ordered", options_.retry.ordered},
      // Retry-After is the receiver's explicit demand, in its own seconds: honoured unscaled.
      {"retry_after_scaled", false},
      {"circuit_breaker", to_string(options_.retry.breaker)},
      {"retry_requests", d.retry_window.requests},
      {"retry_bytes", d.retry_window.bytes_sent + d.retry_window.bytes_received},
      {"retry_requests_total", d.retry_total},
      {"dead_letters", dead},
      {"dead_letters_window", d.dead_letters_window},
      {"dead_letters_by_reason", by_reason},
      {"dead_letter_first_seqs", d.dead_letter_seqs},
      {"gone_410", d.gone_410},
      {"retry_after_honoured", d.retry_after_honoured},
      // Of which asked for more than --retry-after-max: held that long only.
      {"retry_after_clamped", d.retry_after_clamped},
      {"circuit_opened", d.circuit_opened},
      {"circuit_closed", d.circuit_closed},
      {"circuit_probes", d.circuit_probes},
      {"first_attempt_failures", d.first_attempt_failures},
      {"recovered", d.recovered},
      {"succeeded_on_attempt", attempts},
      // Deliveries waiting for a retry when this report was taken: pending, not lost.
      {"pending_retry", pending_retry},
      {"pending_retry_window", pending_retry_window},
      {"recovery_us", summarize_latency(recovery)}});
  return {{"subscribers", subscribers()},
          {"posts", d.window.requests},
          {"failed", d.failed_window},
          {"bytes_sent", d.window.bytes_sent},
          {"bytes_received", d.window.bytes_received},
          {"body_bytes", d.window_body_bytes},
          {"round_trip_us", summarize_latency(rtts)},
          {"first_round_trip_us", summarize_latency(first)},
          {"posts_total", d.posts_total},
          {"delivered_total", d.delivered_total},
          {"non_2xx", d.non_2xx},
          {"timeouts", d.timeouts},
          {"errors", d.errors},
          {"queue_overflow", d.queue_overflow},
          {"connections_opened", d.connections_opened},
          {"concurrency_lowered_to",
           lowest_concurrency_ > 0 ? nlohmann::json(lowest_concurrency_) : nlohmann::json(nullptr)},
          {"reconnects", d.reconnects},
          {"failure_reasons", d.failure_reasons},
          {"failure_reasons_after_window", d.failure_reasons_after_window},
          {"subscriptions_deleted", d.deleted},
          {"cancelled", d.cancelled},
          {"signature", security::to_string(options_.signature)},
          {"signed_posts", d.signed_posts},
          {"signing_us_per_post",
           d.signed_posts > 0 ? to_us(d.signing_ns) / static_cast<double>(d.signed_posts) : 0.0},
          {"tls_handshakes", d.tls_handshakes},
          {"pending", pending()},
          {"retry", retry},
          {"restored_subscriptions", d.restored_subscriptions},
          {"requeued_after_restart", d.requeued_after_restart},
          {"state_errors", state_errors_},
          {"events", d.window_events},
          {"wire", wire_json(d.window.requests, d.window.bytes_sent + d.window.bytes_received,
                             d.window_events, d.window_event_bytes)}};
}

}  // namespace hookbench
