// The Beast webhook receiver: the faults it carries out, its checks of each POST and its counts
// (its registration, route and shared counts are webhook_receiver.cpp's).
#include "consumer/webhook_mode.hpp"

#include <time.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <limits>
#include <stdexcept>

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
            if (x.status >= 400) ++counts_.rejected[x.status];
            if (ctx_.window.contains(x.received_ns)) traffic_.add(x.bytes_out, x.bytes_in);
          }),
      signatures_(ctx.config.signature),
      rng_(ctx.config.seed) {}

void webhook_mode::setup() {
  if (!ctx_.config.tap_path.empty()) {
    tap_ = unique_fd(open_private_append(ctx_.config.tap_path));
    if (!tap_) {
      throw std::runtime_error("--tap: cannot open " + ctx_.config.tap_path + ": " +
                               std::strerror(errno));
    }
  }
  server_.start();
  register_subscriptions(ctx_.config, server_.port(), batch_, signatures_);
}

void webhook_mode::stop() {
  stopped_ = true;
  for (auto& t : down_timers_) t->cancel();
  // Answers still held by receiver-slow: their events were never acknowledged nor recorded.
  held_at_stop_ += held_.size();
  held_.clear();
  // Lingering (client --linger), the receiver answers on until the process exits; what arrives
  // now is past the report and counts for nothing.
  if (ctx_.config.linger <= 0) server_.stop();
}

// receiver-down: at AT the port and every connection close; at AT+FOR the receiver listens on
// the same port again. The other kinds are looked up per POST (fault_now).
void webhook_mode::on_window() {
  for (const auto& f : ctx_.config.faults) {
    if (f.kind != fault_kind::receiver_down) continue;
    auto arm = [this](nanos at, std::function<void()> fn) {
      auto& t = down_timers_.emplace_back(std::make_unique<boost::asio::steady_timer>(ctx_.ioc));
      t->expires_at(steady_time_of(at));
      t->async_wait([this, fn = std::move(fn)](const boost::system::error_code& ec) {
        if (!ec && !stopped_) fn();
      });
    };
    arm(ctx_.window.start_ns + f.at, [this] { down_closed_ += server_.pause(); });
    arm(ctx_.window.start_ns + f.end(), [this] {
      try {
        server_.resume();
      } catch (const std::exception& e) {
        // Someone took the port meanwhile: the receiver stays down, and says so.
        ++down_refused_resume_;
        std::cerr << "hookbench client: receiver-down: " << e.what() << "\n";
      }
    });
  }
}

const fault_spec* webhook_mode::fault_now(fault_kind kind) const {
  if (!ctx_.window.known()) return nullptr;
  const nanos t = now_ns() - ctx_.window.start_ns;
  for (const auto& f : ctx_.config.faults) {
    if (f.kind == kind && t >= f.at && t < f.end()) return &f;
  }
  return nullptr;
}

void webhook_mode::handle(http::request&& req, http::reply_fn reply) {
  auto route = route_hook(req.path(), req.method, ctx_.config.subscribers);
  if (route.refusal) return reply(std::move(*route.refusal));
  const std::size_t k = route.subscriber;
  // receiver-5xx and -429: the receiver's app is failing, before it looks at the POST (so the
  // webhook-id is not remembered, and a retry of it is not a replay). Nothing is recorded.
  if (const auto* f = fault_now(fault_kind::receiver_5xx);
      f && std::bernoulli_distribution(f->probability)(rng_)) {
    ++answered_503_;
    return reply(http::json_error(503, "receiver-5xx fault"));
  }
  if (const auto* f = fault_now(fault_kind::receiver_429)) {
    ++answered_429_;
    auto r = http::json_error(429, "receiver-429 fault");
    r.headers.emplace_back("Retry-After", std::to_string(f->delay / kNanosPerSecond));
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
  std::vector<event_stamp> stamps = parse_delivery_json(req.body, error);
  if (!error.empty()) {
    ++counts_.malformed;
    return reply(http::json_error(400, error));
  }
  // An id the producer can never generate: the whole POST is refused, counted, and nothing of
  // it is stored or delivered.
  const seq_t limit = ctx_.tracker.seq_limit();
  for (const auto& stamp : stamps) {
    if (stamp.seq == 0 || (ctx_.tracker.window_known() && stamp.seq > limit)) {
      ctx_.tracker.record(k, stamp, now_ns());  // counted there as out of range, never stored
      ++counts_.out_of_range;
      return reply(http::json_error(422, "event id " + std::to_string(stamp.seq) +
                                             " outside the producer's range 1.." +
                                             std::to_string(limit)));
    }
  }
  // receiver-slow: the handler takes D. Its events count as received when the answer goes,
  // since a handler has not finished with an event before then; they are recorded even if the
  // sender gave up waiting meanwhile (the work was done: a retry of it is a duplicate).
  if (const auto* f = fault_now(fault_kind::receiver_slow)) {
    ++slowed_;
    const auto id = next_held_++;
    auto& t = held_[id] = std::make_unique<boost::asio::steady_timer>(ctx_.ioc);
    t->expires_after(std::chrono::nanoseconds(f->delay));
    auto held_req = std::make_shared<http::request>(std::move(req));
    t->async_wait([this, id, k, stamps, held_req, reply](const boost::system::error_code& ec) {
      if (ec || stopped_) return;
      held_.erase(id);  // destroys this timer: nothing below touches it
      accept(k, stamps, *held_req, reply);
    });
    return;
  }
  accept(k, std::move(stamps), req, std::move(reply));
}

void webhook_mode::accept(std::size_t k, std::vector<event_stamp> stamps, const http::request& req,
                          http::reply_fn reply) {
  const nanos at = now_ns();
  for (const auto& stamp : stamps) {
    if (!record(k, stamp, at)) {
      ++counts_.out_of_range;
      return reply(http::json_error(
          422, "event id " + std::to_string(stamp.seq) + " outside the producer's range"));
    }
  }
  ++counts_.received;
  if (batch_ && !stamps.empty()) note_batch_trip(stamps, at);
  if (tap_) tap(req);
  if (ctx_.config.tuning.ack == "json") {
    return reply(http::response(200, "{\"received\":" + std::to_string(stamps.size()) + "}"));
  }
  reply(http::response(204));
}

void webhook_mode::tap(const http::request& req) {
  if (accepted_posts_++ % ctx_.config.tap_every != 0) return;
  // One write per line (O_APPEND): the observer reads it while the run goes on.
  const std::string line = nlohmann::json{{"path", req.target},
                                          {"webhook-id", req.header("webhook-id")},
                                          {"webhook-timestamp", req.header("webhook-timestamp")},
                                          {"webhook-signature", req.header("webhook-signature")},
                                          {"body", req.body}}
                               .dump() +
                           "\n";
  if (write_all(tap_.get(), line)) ++tapped_;
}

void webhook_mode::note_batch_trip(const std::vector<event_stamp>& stamps, nanos at) {
  // The producer lets a batch go when its window ends (W after the opener was published) or when
  // the cap fills it (when its last event was published): the latency of that event, less the
  // window in the first case, is the batch's trip (generator lag included, as an event's).
  const auto& tuning = ctx_.config.tuning;
  const bool full = stamps.size() >= tuning.batch_max;
  const nanos latency = ctx_.tracker.latency(full ? stamps.back() : stamps.front(), at);
  // A forged creation time saturates the latency at either end: no trip in it. (A retried batch's
  // trip includes its retry wait; runs with faults are not judged by the model.)
  if (latency < std::numeric_limits<nanos>::min() / 2 ||
      latency == std::numeric_limits<nanos>::max()) {
    return;
  }
  ctx_.tracker.record_batch_trip(stamps.front().seq,
                                 full ? latency : latency - tuning.batch_window);
}

bool webhook_mode::record(std::size_t k, const event_stamp& stamp, nanos at) {
  if (!counts_.count(ctx_.tracker.record(k, stamp, at))) return false;
  ++events_received_;
  return true;
}

nlohmann::json webhook_mode::stats() const {
  nlohmann::json j = counts_.to_json(signatures_);
  j.update(nlohmann::json{{"events_received", events_received_},
                          {"reject_cpu_us", to_us(reject_cpu_ns_)},
                          {"tapped", tapped_},
                          {"tls_handshakes", server_.tls_handshakes()},
                          {"tls_handshake_failures", server_.tls_handshake_failures()},
                          {"fault_answers",
                           {{"answered_503", answered_503_},
                            {"answered_429", answered_429_},
                            {"slowed", slowed_},
                            {"held_at_stop", held_at_stop_},
                            {"down_closed_connections", down_closed_},
                            {"down_resume_failed", down_refused_resume_}}}});
  return j;
}

}  // namespace hookbench
