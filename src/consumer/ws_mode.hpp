// WebSocket: each subscriber holds one WebSocket (GET /ws upgraded) and records the event in
// each text message as it is parsed. When the connection ends it reconnects at once (after a
// short pause if connecting fails), asking for ?after= the last id it had, so nothing is missed.
#pragma once

#include <memory>
#include <vector>

#include "consumer/delivery_mode.hpp"
#include "http/websocket.hpp"

namespace boost::asio {
class io_context;
}

namespace hookbench {

class ws_mode : public delivery_mode {
 public:
  explicit ws_mode(mode_context& ctx);
  ~ws_mode() override;
  void setup() override {}
  void start() override;
  void stop() override;
  traffic_by_kind requests() const override;
  traffic_counter bytes() const override { return bytes_; }
  nlohmann::json stats() const override;

 private:
  struct subscriber;
  void connect(subscriber& s);
  void on_message(subscriber& s, const std::string& m);

  mode_context& ctx_;
  bool stopped_ = false;
  std::vector<std::unique_ptr<subscriber>> subs_;
  traffic_counter connects_;  // connections opened in the window
  traffic_counter bytes_;     // message bytes received in the window (payload + frame header)
  std::uint64_t messages_ = 0, heartbeats_ = 0, reconnects_ = 0, gaps_ = 0, failed_ = 0;
  std::uint64_t malformed_ = 0;
};

}  // namespace hookbench
