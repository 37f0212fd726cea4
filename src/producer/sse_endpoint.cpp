// The server-sent events endpoint.
#include "producer/sse_endpoint.hpp"

#include <chrono>

namespace hookbench {

namespace {

// One message per event. The JSON has no newline, so it is one data line.
std::string message_of(const event& e, std::size_t& event_bytes) {
  std::string out = "id: " + std::to_string(e.seq) + "\ndata: ";
  const std::size_t before = out.size();
  append_event_json(out, e);
  event_bytes = out.size() - before;
  out += "\n\n";
  return out;
}

// What chunked encoding adds around a part of `n` bytes: hex size, CRLF, CRLF.
std::size_t chunk_framing(std::size_t n) {
  std::size_t hex = 1;
  while (n >>= 4) ++hex;
  return hex + 4;
}

}  // namespace

sse_endpoint::sse_endpoint(delivery_context ctx, stream_options options)
    : ctx_(ctx), options_(options), heartbeat_timer_(ctx.ioc), lifetime_timer_(ctx.ioc) {}

bool sse_endpoint::handle(http::request& req, http::reply_fn& reply) {
  if (req.path() != "/stream") return false;
  if (req.method != "GET") {
    auto r = http::json_error(405, req.method + " not allowed on /stream; use GET");
    r.headers.emplace_back("Allow", "GET");
    reply(std::move(r));
    return true;
  }
  // Where to resume: Last-Event-ID (a reconnecting EventSource), else ?after=, else from now.
  const auto& log = ctx_.log;
  std::string cursor = req.header("last-event-id");
  if (cursor.empty()) cursor = req.query("after", std::to_string(log.last_seq()));
  std::uint64_t after = 0;
  if (!try_parse_u64(cursor, after)) {
    reply(http::json_error(400,
                           "the cursor (Last-Event-ID or after) must be a non-negative "
                           "integer, got '" +
                               cursor + "'"));
    return true;
  }
  if (after > log.last_seq()) {
    reply(http::json_error(400, "cursor " + std::to_string(after) +
                                    " is ahead of the newest event " +
                                    std::to_string(log.last_seq())));
    return true;
  }
  http::response head(200);
  head.content_type = "text/event-stream";
  head.headers.emplace_back("Cache-Control", "no-cache");
  head.headers.emplace_back("X-Accel-Buffering", "no");
  auto stream = reply.stream(std::move(head));
  if (!stream->open()) return true;
  const std::uint64_t id = next_id_++;
  reader& r = readers_[id];
  r.stream = stream;
  r.opened_ns = now_ns();
  ++opened_;
  readers_max_ = std::max(readers_max_, readers_.size());
  stream->on_closed([this, id] { readers_.erase(id); });
  std::string hello = "retry: " + std::to_string(options_.retry / kNanosPerMilli) + "\n\n";
  if (after + 1 < log.oldest_seq()) {
    // Fell out of retention: say which events are gone, then go on from the oldest kept.
    ++gaps_;
    hello += "event: gap\ndata: {\"from\":" + std::to_string(after + 1) +
             ",\"to\":" + std::to_string(log.oldest_seq() - 1) + "}\n\n";
    after = log.oldest_seq() - 1;
  }
  if (ctx_.window.contains(req.received_ns)) heads_bytes_ += hello.size();
  stream->write(std::move(hello));
  // The backlog, from the log, then live events as they come (on_event).
  for (;;) {
    auto backlog = log.read_after(after, 1000);
    if (backlog.events.empty()) break;
    for (const event* e : backlog.events) {
      if (!send(r, *e)) return true;
    }
    after = backlog.next;
  }
  arm_heartbeat();
  arm_lifetime();
  return true;
}

bool sse_endpoint::send(reader& r, const event& e) {
  if (r.stream->queued_bytes() > options_.max_queued_bytes) {
    // Too far behind: cut it off. It reconnects with Last-Event-ID and resumes from the log.
    ++slow_closed_;
    r.stream->end();
    return false;
  }
  std::size_t event_bytes = 0;
  std::string message = message_of(e, event_bytes);
  if (ctx_.counts(e.seq)) {
    messages_.add(message.size() + chunk_framing(message.size()), 0);
    message_event_bytes_ += event_bytes;
  }
  return r.stream->write(std::move(message));
}

void sse_endpoint::on_event(const event& e) {
  // A reader may be cut off (and erased by its on_closed) while we go: walk by key.
  for (auto it = readers_.begin(); it != readers_.end();) {
    auto next = std::next(it);
    send(it->second, e);
    it = next;
  }
}

void sse_endpoint::arm_heartbeat() {
  if (heartbeat_armed_ || readers_.empty()) return;
  heartbeat_armed_ = true;
  heartbeat_timer_.expires_after(std::chrono::nanoseconds(options_.heartbeat));
  heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
    heartbeat_armed_ = false;
    if (ec) return;
    for (auto& [id, r] : readers_) {
      ++heartbeats_;
      r.stream->write(": heartbeat\n\n");
    }
    arm_heartbeat();
  });
}

void sse_endpoint::arm_lifetime() {
  if (lifetime_armed_ || options_.lifetime <= 0 || readers_.empty()) return;
  lifetime_armed_ = true;
  lifetime_timer_.expires_after(std::chrono::nanoseconds(options_.lifetime / 4));
  lifetime_timer_.async_wait([this](const boost::system::error_code& ec) {
    lifetime_armed_ = false;
    if (ec) return;
    const nanos now = now_ns();
    std::vector<std::shared_ptr<http::stream_reply>> ending;
    for (auto& [id, r] : readers_) {
      if (now - r.opened_ns >= options_.lifetime) ending.push_back(r.stream);
    }
    expired_ += ending.size();
    for (auto& s : ending) s->end();
    arm_lifetime();
  });
}

std::size_t sse_endpoint::pending() const {
  // Messages written but not yet on the wire, in bytes: a backlog only when readers lag.
  std::size_t queued = 0;
  for (const auto& [id, r] : readers_) queued += r.stream->queued_bytes() > 0 ? 1 : 0;
  return queued;
}

traffic_counter sse_endpoint::bytes() const {
  traffic_counter t;
  t.bytes_sent = messages_.bytes_sent + heads_bytes_;
  return t;
}

nlohmann::json sse_endpoint::report() const {
  return {{"messages", messages_.requests},
          {"message_bytes", messages_.bytes_sent},
          {"streams_opened", opened_},
          {"streams_open", readers_.size()},
          {"streams_max", readers_max_},
          {"gaps", gaps_},
          {"slow_closed", slow_closed_},
          {"lifetime_closed", expired_},
          {"heartbeats", heartbeats_},
          {"wire", wire_json(messages_.requests, messages_.bytes_sent, messages_.requests,
                             message_event_bytes_)}};
}

}  // namespace hookbench
