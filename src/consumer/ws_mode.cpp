// The WebSocket readers.
#include "consumer/ws_mode.hpp"

#include <iostream>

namespace hookbench {

namespace {
// A connect that failed is tried again after this pause, not in a tight loop.
constexpr nanos kRetryPause = 100 * kNanosPerMilli;
// One event per message (serve --payload allows 1 MiB, JSON-escaped); a larger message closes
// the connection with 1009. The same bound as an SSE line.
constexpr std::size_t kMaxEventMessage = 4 * 1024 * 1024;
}  // namespace

ws_mode::ws_mode(mode_context& ctx) : stream_set(ctx, "ws_connect", std::nullopt) {}
ws_mode::~ws_mode() { stop(); }

void ws_mode::stop() {
  stream_set::stop();
  for (auto& s : subs_) {
    if (s->ws) s->ws->close();
  }
}

void ws_mode::connect(detail::ws_reader& s) {
  count_open(s);
  auto opened = std::make_shared<bool>(false);
  http::ws_handlers h;
  h.on_open = [&s, opened](std::shared_ptr<http::ws_connection> ws) {
    *opened = true;
    s.ws = std::move(ws);
  };
  h.on_message = [this, &s](std::string m) { on_message(s, m); };
  h.max_message = kMaxEventMessage;
  h.on_close = [this, &s, opened] {
    s.ws.reset();
    if (stopped_) return;
    if (!*opened && ctx_.window.contains(now_ns())) ++counts_.failed;
    // A connection the producer ended: back at once. A connect that failed: after a pause.
    reconnect_after(s, *opened ? 0 : kRetryPause);
  };
  http::ws_connect(ctx_.ioc, ctx_.config.producer.address, "/ws?after=" + std::to_string(s.cursor),
                   ctx_.config.auth(), std::move(h), ctx_.config.request_timeout,
                   ctx_.config.tls_client);
}

void ws_mode::on_message(detail::ws_reader& s, const std::string& m) {
  const nanos parsed = now_ns();
  if (ctx_.window.contains(parsed)) {
    bytes_.bytes_received += m.size() + (m.size() < 126 ? 2 : m.size() <= 65535 ? 4 : 10);
  }
  if (m.starts_with("{\"heartbeat\"")) {
    ++counts_.heartbeats;
    return;
  }
  if (m.starts_with("{\"gap\"")) {
    ++counts_.gaps;
    std::cerr << "hookbench client: websocket " << s.id << " fell out of retention: " << m << "\n";
    return;
  }
  std::string error;
  auto stamp = parse_event_json(m, error);
  if (!stamp) {
    ++counts_.malformed;
    return;
  }
  ++counts_.messages;
  s.cursor = std::max(s.cursor, stamp->seq);
  ctx_.tracker.record(s.id, *stamp, parsed);
}

}  // namespace hookbench
