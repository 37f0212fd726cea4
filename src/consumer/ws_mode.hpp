// WebSocket: each subscriber holds one WebSocket (GET /ws upgraded) and records the event in
// each text message as it is parsed. When the connection ends it reconnects at once (after a
// short pause if connecting fails), asking for ?after= the last id it had, so nothing is missed.
#pragma once

#include <memory>
#include <string>

#include "consumer/stream_set.hpp"
#include "http/websocket.hpp"

namespace hookbench {

namespace detail {
// No client_connection: its WebSocket, once open.
struct ws_reader : stream_subscriber {
  std::shared_ptr<http::ws_connection> ws;
};
}  // namespace detail

class ws_mode : public stream_set<detail::ws_reader> {
 public:
  explicit ws_mode(mode_context& ctx);
  ~ws_mode() override;
  void stop() override;  // closes the WebSockets too

 private:
  void connect(detail::ws_reader& s) override;
  void on_message(detail::ws_reader& s, const std::string& m);
};

}  // namespace hookbench
