// WebSocket: GET /ws?after=SEQ upgrades, then each event is one text message (the event JSON,
// whose "id" is its sequence number). A reconnecting client resumes by asking for ?after= the
// last id it had; a cursor that fell out of retention first gets {"gap":{"from":A,"to":B}}.
// Heartbeats are {"heartbeat":true} messages.
#pragma once

#include "producer/stream_endpoint.hpp"

namespace hookbench {

class ws_endpoint : public stream_endpoint {
 public:
  using stream_endpoint::stream_endpoint;
  std::string_view name() const override { return "websockets"; }
  bool handle(http::request& req, http::reply_fn& reply) override;

 protected:
  std::string frame(const event& e, std::size_t& event_bytes) const override;
  std::size_t transport_overhead(std::size_t message_bytes) const override;
  std::string heartbeat() const override { return "{\"heartbeat\":true}"; }
};

}  // namespace hookbench
