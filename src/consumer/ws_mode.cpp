// The WebSocket readers.
#include "consumer/ws_mode.hpp"

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <iostream>

namespace hookbench {

namespace {
// A connect that failed is tried again after this pause, not in a tight loop.
constexpr nanos kRetryPause = 100 * kNanosPerMilli;
}  // namespace

struct ws_mode::subscriber {
  std::size_t id = 0;
  seq_t cursor = 0;
  bool connected_once = false;
  std::shared_ptr<http::ws_connection> ws;
  std::unique_ptr<boost::asio::steady_timer> pause;
};

ws_mode::ws_mode(mode_context& ctx) : ctx_(ctx) {}
ws_mode::~ws_mode() { stop(); }

void ws_mode::start() {
  for (std::size_t k = 0; k < ctx_.config.subscribers; ++k) {
    auto s = std::make_unique<subscriber>();
    s->id = k;
    s->pause = std::make_unique<boost::asio::steady_timer>(ctx_.ioc);
    subs_.push_back(std::move(s));
  }
  for (auto& s : subs_) connect(*s);
}

void ws_mode::stop() {
  stopped_ = true;
  for (auto& s : subs_) {
    s->pause->cancel();
    if (s->ws) s->ws->close();
  }
}

void ws_mode::connect(subscriber& s) {
  if (s.connected_once) ++reconnects_;
  s.connected_once = true;
  if (ctx_.window.contains(now_ns())) connects_.add(0, 0);
  auto opened = std::make_shared<bool>(false);
  http::ws_handlers h;
  h.on_open = [&s, opened](std::shared_ptr<http::ws_connection> ws) {
    *opened = true;
    s.ws = std::move(ws);
  };
  h.on_message = [this, &s](std::string m) { on_message(s, m); };
  h.on_close = [this, &s, opened] {
    s.ws.reset();
    if (stopped_) return;
    if (!*opened && ctx_.window.contains(now_ns())) ++failed_;
    // A connection the producer ended: back at once. A connect that failed: after a pause.
    s.pause->expires_after(std::chrono::nanoseconds(*opened ? 0 : kRetryPause));
    s.pause->async_wait([this, &s](const boost::system::error_code& ec) {
      if (!ec && !stopped_) connect(s);
    });
  };
  http::ws_connect(ctx_.ioc, ctx_.config.producer.address, "/ws?after=" + std::to_string(s.cursor),
                   ctx_.config.auth(), std::move(h), ctx_.config.request_timeout,
                   ctx_.config.tls_client);
}

void ws_mode::on_message(subscriber& s, const std::string& m) {
  const nanos parsed = now_ns();
  if (ctx_.window.contains(parsed)) {
    bytes_.bytes_received += m.size() + (m.size() < 126 ? 2 : m.size() <= 65535 ? 4 : 10);
  }
  if (m.starts_with("{\"heartbeat\"")) {
    ++heartbeats_;
    return;
  }
  if (m.starts_with("{\"gap\"")) {
    ++gaps_;
    std::cerr << "hookbench client: websocket " << s.id << " fell out of retention: " << m << "\n";
    return;
  }
  std::string error;
  auto stamp = parse_event_json(m, error);
  if (!stamp) {
    ++malformed_;
    return;
  }
  ++messages_;
  s.cursor = std::max(s.cursor, stamp->seq);
  ctx_.tracker.record(s.id, *stamp, parsed);
}

traffic_by_kind ws_mode::requests() const {
  if (connects_.requests == 0) return {};
  return {{"ws_connect", connects_}};
}

nlohmann::json ws_mode::stats() const {
  return {{"messages", messages_}, {"heartbeats", heartbeats_}, {"reconnects", reconnects_},
          {"gaps", gaps_},         {"failed", failed_},         {"malformed", malformed_}};
}

}  // namespace hookbench
