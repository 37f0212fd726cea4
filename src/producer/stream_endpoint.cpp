// The readers of a streaming delivery.
#include "producer/stream_endpoint.hpp"

#include <chrono>
#include <vector>

namespace hookbench {

stream_endpoint::stream_endpoint(delivery_context ctx, stream_options options)
    : ctx_(ctx), options_(options), heartbeat_timer_(ctx.ioc), lifetime_timer_(ctx.ioc) {}

std::optional<http::response> stream_endpoint::hold(const http::request& req,
                                                    holdings::holding& held) {
  if (!ctx_.caps) return std::nullopt;
  std::string why;
  held = ctx_.caps->hold(holding_kind::stream, ctx_.owner(req), why);
  if (held) return std::nullopt;
  return http::json_error(429, why);
}

std::uint64_t stream_endpoint::open(sink s, seq_t after, holdings::holding held) {
  const std::uint64_t id = next_id_++;
  reader& r = readers_[id];
  r.out = std::move(s);
  r.opened_ns = now_ns();
  r.held = std::move(held);
  ++opened_;
  readers_max_ = std::max(readers_max_, readers_.size());
  // The backlog, from the log, then live events as they come (on_event).
  for (;;) {
    auto backlog = ctx_.log.read_after(after, 1000);
    if (backlog.events.empty()) break;
    for (const event* e : backlog.events) {
      if (!send(r, *e)) return id;
    }
    after = backlog.next;
  }
  arm_heartbeat();
  arm_lifetime();
  return id;
}

void stream_endpoint::closed(std::uint64_t id) { readers_.erase(id); }

void stream_endpoint::count_extra(std::size_t bytes, bool in_window) {
  if (in_window) extra_bytes_ += bytes;
}

bool stream_endpoint::send(reader& r, const event& e) {
  if (r.out.queued_bytes() > options_.max_queued_bytes) {
    // Too far behind: cut it off. It reconnects and resumes from the log.
    ++slow_closed_;
    r.out.end();
    return false;
  }
  std::size_t event_bytes = 0;
  std::string message = frame(e, event_bytes);
  if (ctx_.counts(e.seq)) {
    messages_.add(message.size() + transport_overhead(message.size()), 0);
    message_event_bytes_ += event_bytes;
  }
  return r.out.write(std::move(message));
}

void stream_endpoint::on_event(const event& e) {
  // A reader may be cut off (and erased by its close) while we go: step ahead first.
  for (auto it = readers_.begin(); it != readers_.end();) {
    auto next = std::next(it);
    send(it->second, e);
    it = next;
  }
}

void stream_endpoint::arm_heartbeat() {
  if (heartbeat_armed_ || readers_.empty()) return;
  heartbeat_armed_ = true;
  heartbeat_timer_.expires_after(std::chrono::nanoseconds(options_.heartbeat));
  heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
    heartbeat_armed_ = false;
    if (ec) return;
    for (auto& [id, r] : readers_) {
      ++heartbeats_;
      r.out.write(heartbeat());
    }
    arm_heartbeat();
  });
}

void stream_endpoint::arm_lifetime() {
  if (lifetime_armed_ || options_.lifetime <= 0 || readers_.empty()) return;
  lifetime_armed_ = true;
  lifetime_timer_.expires_after(std::chrono::nanoseconds(options_.lifetime / 4));
  lifetime_timer_.async_wait([this](const boost::system::error_code& ec) {
    lifetime_armed_ = false;
    if (ec) return;
    const nanos now = now_ns();
    std::vector<std::function<void()>> ending;
    for (auto& [id, r] : readers_) {
      if (now - r.opened_ns >= options_.lifetime) ending.push_back(r.out.end);
    }
    expired_ += ending.size();
    for (auto& end : ending) end();
    arm_lifetime();
  });
}

std::size_t stream_endpoint::pending() const {
  // Readers with messages not yet on the wire: a backlog only when they lag.
  std::size_t lagging = 0;
  for (const auto& [id, r] : readers_) lagging += r.out.queued_bytes() > 0 ? 1 : 0;
  return lagging;
}

traffic_counter stream_endpoint::bytes() const {
  traffic_counter t;
  t.bytes_sent = messages_.bytes_sent + extra_bytes_;
  return t;
}

nlohmann::json stream_endpoint::report() const {
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
