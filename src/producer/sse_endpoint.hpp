// Server-sent events: GET /stream?after=SEQ answers text/event-stream and keeps the connection,
// one message per event ("id: SEQ" and "data: <event JSON>"). A reconnecting reader's
// Last-Event-ID (or ?after; without either, from now) resumes exactly after what it had; a
// cursor that fell out of retention first gets an "event: gap" naming the lost range. A
// "retry:" hint opens every stream and comment lines are the heartbeats.
#pragma once

#include "producer/stream_endpoint.hpp"

namespace hookbench {

class sse_endpoint : public stream_endpoint {
 public:
  using stream_endpoint::stream_endpoint;
  std::string_view name() const override { return "streams"; }
  bool handle(http::request& req, http::reply_fn& reply) override;

 protected:
  std::string frame(const event& e, std::size_t& event_bytes) const override;
  std::size_t transport_overhead(std::size_t message_bytes) const override;
  std::string heartbeat() const override { return ": heartbeat\n\n"; }
};

}  // namespace hookbench
