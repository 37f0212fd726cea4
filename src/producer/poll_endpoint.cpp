// The poll endpoint: plain, conditional and long polls.
#include "producer/poll_endpoint.hpp"

#include <chrono>

namespace hookbench {

poll_endpoint::poll_endpoint(delivery_context ctx, poll_options options)
    : ctx_(ctx), options_(options), deadline_timer_(ctx.ioc) {}

bool poll_endpoint::handle(http::request& req, http::reply_fn& reply) {
  if (req.path() != "/events") return false;
  if (req.method != "GET") {
    reply(http::method_not_allowed(req.method, "/events", "GET"));
  } else if (auto r = answer(req, reply)) {
    reply(std::move(*r));
  }
  return true;
}

void poll_endpoint::observe(const http::exchange& x) {
  if (x.path == "/events" && ctx_.window.contains(x.received_ns)) {
    polls_.add(x.bytes_out, x.bytes_in);
  }
}

std::optional<http::response> poll_endpoint::answer(const http::request& req,
                                                    http::reply_fn& reply) {
  std::uint64_t after = 0, limit = options_.default_limit, wait_ms = 0;
  if (auto a = req.query("after", "0"); !try_parse_u64(a, after)) {
    return http::json_error(400, "after must be a non-negative integer, got '" + a + "'");
  }
  if (auto l = req.query("limit", std::to_string(options_.default_limit));
      !try_parse_u64(l, limit) || limit < 1 || limit > options_.max_limit) {
    return http::json_error(400, "limit must be an integer from 1 to " +
                                     std::to_string(options_.max_limit) + ", got '" + l + "'");
  }
  const auto max_wait_ms = static_cast<std::uint64_t>(options_.max_wait / kNanosPerMilli);
  if (auto w = req.query("wait", "0"); !try_parse_u64(w, wait_ms) || wait_ms > max_wait_ms) {
    return http::json_error(400, "wait must be an integer number of milliseconds from 0 to " +
                                     std::to_string(max_wait_ms) + ", got '" + w + "'");
  }
  const bool in_window = ctx_.window.contains(req.received_ns);
  if (wait_ms > 0) {
    if (in_window) ++long_polls_;
    if (after == ctx_.log.last_seq()) {
      // Nothing to send yet: park until an event or the deadline, whichever comes first.
      holdings::holding held;
      if (ctx_.caps) {
        std::string why;
        held = ctx_.caps->hold(holding_kind::long_poll, ctx_.owner(req), why);
        if (!held) return http::json_error(429, why);
      }
      const std::uint64_t id = next_id_++;
      const nanos deadline = now_ns() + static_cast<nanos>(wait_ms) * kNanosPerMilli;
      parked_.emplace(id, parked{after, static_cast<std::size_t>(limit), in_window, deadline, reply,
                                 std::move(held)});
      deadlines_.emplace(deadline, id);
      parked_max_ = std::max(parked_max_, parked_.size());
      reply.on_peer_closed([this, id] {
        if (auto it = parked_.find(id); it != parked_.end()) {
          deadlines_.erase(std::find_if(deadlines_.lower_bound(it->second.deadline),
                                        deadlines_.end(),
                                        [id](const auto& d) { return d.second == id; }));
          parked_.erase(it);
          ++abandoned_;
        }
      });
      arm_deadline();
      return std::nullopt;
    }
  }
  // The log's head names what any cursor can see: a poller that already had this head and has
  // nothing after its cursor gets 304 and no body (poll-conditional).
  const std::string etag = "\"" + std::to_string(ctx_.log.last_seq()) + "\"";
  if (after == ctx_.log.last_seq() && req.header("if-none-match") == etag) {
    if (in_window) {
      ++empty_;
      ++not_modified_;
    }
    http::response resp(304);
    resp.headers.emplace_back("ETag", etag);
    return resp;
  }
  return events_after(after, static_cast<std::size_t>(limit), in_window);
}

http::response poll_endpoint::events_after(seq_t after, std::size_t limit, bool in_window) {
  const auto& log = ctx_.log;
  auto r = log.read_after(after, limit);
  switch (r.status) {
    case event_log::read_status::expired: {
      ++expired_cursors_;
      auto resp = http::json_error(
          410, "cursor " + std::to_string(after) + " expired: events " + std::to_string(after + 1) +
                   ".." + std::to_string(log.oldest_seq() - 1) + " are no longer retained");
      resp.body.pop_back();
      resp.body += ",\"oldest\":" + std::to_string(log.oldest_seq()) + "}";
      return resp;
    }
    case event_log::read_status::ahead:
      return http::json_error(400, "cursor " + std::to_string(after) +
                                       " is ahead of the newest event " +
                                       std::to_string(log.last_seq()));
    case event_log::read_status::ok:
      break;
  }
  if (in_window && r.events.empty()) ++empty_;
  std::string body = batch_json(r.events, r.next);
  if (in_window && !r.events.empty()) {
    // The events' share of the body, so the rest is known as the per-poll overhead.
    events_ += r.events.size();
    event_bytes_ += body.size() - batch_json({}, r.next).size();
  }
  http::response resp(200, std::move(body));
  resp.headers.emplace_back("ETag", "\"" + std::to_string(log.last_seq()) + "\"");
  return resp;
}

// Every parked request waits on the newest seq, so a new event answers all of them.
void poll_endpoint::on_event(const event&) {
  if (parked_.empty()) return;
  auto woken = std::move(parked_);
  parked_.clear();
  deadlines_.clear();
  for (auto& [id, p] : woken) {
    ++woken_;
    p.reply(events_after(p.after, p.limit, p.in_window));
  }
}

void poll_endpoint::arm_deadline() {
  if (deadlines_.empty()) return;
  const nanos first = deadlines_.begin()->first;
  if (armed_for_ != 0 && armed_for_ <= first) return;  // an earlier wake-up is already set
  armed_for_ = first;
  deadline_timer_.expires_at(steady_time_of(first));
  deadline_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    armed_for_ = 0;
    expire();
  });
}

// A request whose wait has ended gets the empty list, and its client asks again.
void poll_endpoint::expire() {
  const nanos now = now_ns();
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const auto id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = parked_.find(id);
    if (it == parked_.end()) continue;
    auto p = std::move(it->second);
    parked_.erase(it);
    if (p.in_window) ++timeouts_;
    p.reply(events_after(p.after, p.limit, p.in_window));
  }
  arm_deadline();
}

traffic_counter poll_endpoint::bytes() const { return polls_; }

nlohmann::json poll_endpoint::report() const {
  return {{"requests", polls_.requests},
          {"empty", empty_},
          {"not_modified", not_modified_},
          {"long_polls", long_polls_},
          {"long_poll_timeouts", timeouts_},
          {"long_polls_woken", woken_},
          {"long_polls_abandoned", abandoned_},
          {"parked_max", parked_max_},
          {"parked_now", parked_.size()},
          {"events", events_},
          {"event_bytes", event_bytes_},
          {"expired_cursors", expired_cursors_},
          {"bytes_received", polls_.bytes_received},
          {"bytes_sent", polls_.bytes_sent},
          {"wire", wire_json(polls_.requests, polls_.bytes_sent + polls_.bytes_received, events_,
                             event_bytes_)}};
}

}  // namespace hookbench
