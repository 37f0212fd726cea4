// The poll endpoint.
#include "producer/poll_endpoint.hpp"

namespace hookbench {

poll_endpoint::poll_endpoint(delivery_context ctx, poll_options options)
    : ctx_(ctx), options_(options) {}

bool poll_endpoint::handle(http::request& req, http::reply_fn& reply) {
  if (req.path() != "/events") return false;
  if (req.method != "GET") {
    auto r = http::json_error(405, req.method + " not allowed on /events; use GET");
    r.headers.emplace_back("Allow", "GET");
    reply(std::move(r));
  } else {
    reply(answer(req));
  }
  return true;
}

void poll_endpoint::observe(const http::exchange& x) {
  if (x.path == "/events" && ctx_.window.contains(x.received_ns)) {
    polls_.add(x.bytes_out, x.bytes_in);
  }
}

http::response poll_endpoint::answer(const http::request& req) {
  std::uint64_t after = 0, limit = options_.default_limit;
  if (auto a = req.query("after", "0"); !try_parse_u64(a, after)) {
    return http::json_error(400, "after must be a non-negative integer, got '" + a + "'");
  }
  if (auto l = req.query("limit", std::to_string(options_.default_limit));
      !try_parse_u64(l, limit) || limit < 1 || limit > options_.max_limit) {
    return http::json_error(400, "limit must be an integer from 1 to " +
                                     std::to_string(options_.max_limit) + ", got '" + l + "'");
  }
  const auto& log = ctx_.log;
  auto r = log.read_after(after, limit);
  const bool in_window = ctx_.window.contains(req.received_ns);
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
  // The log's head names what any cursor can see: a poller that already had this head and has
  // nothing after its cursor gets 304 and no body (poll-conditional).
  const std::string etag = "\"" + std::to_string(log.last_seq()) + "\"";
  if (r.events.empty() && req.header("if-none-match") == etag) {
    if (in_window) {
      ++empty_;
      ++not_modified_;
    }
    http::response resp(304);
    resp.headers.emplace_back("ETag", etag);
    return resp;
  }
  if (in_window && r.events.empty()) ++empty_;
  std::string body = batch_json(r.events, r.next);
  if (in_window && !r.events.empty()) {
    // The events' share of the body, so the rest is known as the per-poll overhead.
    events_ += r.events.size();
    event_bytes_ += body.size() - batch_json({}, r.next).size();
  }
  http::response resp(200, std::move(body));
  resp.headers.emplace_back("ETag", etag);
  return resp;
}

traffic_counter poll_endpoint::bytes() const { return polls_; }

nlohmann::json poll_endpoint::report() const {
  return {{"requests", polls_.requests},
          {"empty", empty_},
          {"not_modified", not_modified_},
          {"events", events_},
          {"event_bytes", event_bytes_},
          {"expired_cursors", expired_cursors_},
          {"bytes_received", polls_.bytes_received},
          {"bytes_sent", polls_.bytes_sent},
          {"wire", wire_json(polls_.requests, polls_.bytes_sent + polls_.bytes_received, events_,
                             event_bytes_)}};
}

}  // namespace hookbench
