// Server-sent events: each subscriber holds one GET /stream (text/event-stream) and records the
// event in each message as it is parsed. When a stream ends or fails it reconnects after the
// server's retry hint, sending Last-Event-ID so that it resumes exactly after the last event it
// had; a "gap" event (the cursor fell out of retention) is counted and its events show as lost.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "consumer/delivery_mode.hpp"
#include "consumer/sse_parser.hpp"
#include "http/client.hpp"

namespace hookbench {

class sse_mode : public delivery_mode {
 public:
  explicit sse_mode(mode_context& ctx);
  ~sse_mode() override;
  void setup() override {}
  void start() override;
  void stop() override;
  traffic_by_kind requests() const override;
  traffic_counter bytes() const override { return bytes_; }
  nlohmann::json stats() const override;

 private:
  struct subscriber;
  void connect(subscriber& s);
  void on_message(subscriber& s, const sse_parser::message& m);
  void reconnect_later(subscriber& s);

  mode_context& ctx_;
  bool stopped_ = false;
  std::vector<std::unique_ptr<subscriber>> subs_;
  traffic_counter connects_;  // streams opened in the window
  traffic_counter bytes_;     // stream bytes received in the window (by arrival)
  std::uint64_t messages_ = 0, heartbeats_ = 0, reconnects_ = 0, gaps_ = 0, failed_ = 0;
  std::uint64_t malformed_ = 0;
};

}  // namespace hookbench
