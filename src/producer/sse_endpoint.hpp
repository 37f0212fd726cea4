// Server-sent events: GET /stream?after=SEQ answers text/event-stream and keeps the connection,
// one message per event ("id: SEQ" and "data: <event JSON>"). A reconnecting reader's
// Last-Event-ID (or ?after) resumes exactly after what it had; a cursor that fell out of
// retention first gets an "event: gap" naming the lost range. A "retry:" hint opens every
// stream, comment heartbeats keep idle ones alive, and a reader whose unsent backlog passes a
// bound is cut off (it reconnects and resumes from the log). Streams may also be given a
// lifetime after which they are closed (--stream-lifetime: what proxies do to long responses).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>

#include "producer/delivery.hpp"

namespace hookbench {

struct stream_options {
  nanos heartbeat = 15 * kNanosPerSecond;
  nanos retry = kNanosPerSecond;                   // the reconnect delay hinted to readers
  nanos lifetime = 0;                              // 0: streams live until the reader leaves
  std::size_t max_queued_bytes = 8 * 1024 * 1024;  // a slower reader is cut off
};

class sse_endpoint : public producer_delivery {
 public:
  sse_endpoint(delivery_context ctx, stream_options options);
  std::string_view name() const override { return "streams"; }
  bool handle(http::request& req, http::reply_fn& reply) override;
  void on_event(const event& e) override;
  std::size_t pending() const override;
  traffic_counter bytes() const override;
  nlohmann::json report() const override;

 private:
  struct reader {
    std::shared_ptr<http::stream_reply> stream;
    nanos opened_ns = 0;
  };
  // Sends one event to one reader; false when the reader had to be cut off.
  bool send(reader& r, const event& e);
  void close(std::uint64_t id, bool slow);
  void arm_heartbeat();
  void arm_lifetime();

  delivery_context ctx_;
  stream_options options_;
  std::map<std::uint64_t, reader> readers_;
  std::uint64_t next_id_ = 0;
  boost::asio::steady_timer heartbeat_timer_, lifetime_timer_;
  bool heartbeat_armed_ = false, lifetime_armed_ = false;
  traffic_counter messages_;  // messages carrying window events, with their bytes
  std::uint64_t message_event_bytes_ = 0;
  std::uint64_t heads_bytes_ = 0;  // stream heads and retry hints in the window
  std::uint64_t opened_ = 0, gaps_ = 0, slow_closed_ = 0, expired_ = 0, heartbeats_ = 0;
  std::size_t readers_max_ = 0;
};

}  // namespace hookbench
