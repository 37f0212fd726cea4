// What the streaming deliveries (SSE, WebSocket) share: each subscriber holds one connection
// (a reader) and gets one message per event, the backlog after its cursor first, then live
// events. A reader whose unsent backlog passes a bound is cut off (it reconnects and resumes
// from the log); idle readers get heartbeats; readers may be given a lifetime after which they
// are closed (--stream-lifetime: what proxies do to long connections). Each reader holds a
// place under the stream caps (producer/holdings.hpp): past them a new stream gets 429. A
// subclass opens readers on its own route and frames messages its own way.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "producer/delivery.hpp"

namespace hookbench {

struct stream_options {
  nanos heartbeat = 15 * kNanosPerSecond;
  nanos retry = kNanosPerSecond;                   // SSE: the reconnect delay hinted to readers
  nanos lifetime = 0;                              // 0: readers live until they leave
  std::size_t max_queued_bytes = 8 * 1024 * 1024;  // a slower reader is cut off
};

class stream_endpoint : public producer_delivery {
 public:
  stream_endpoint(delivery_context ctx, stream_options options);
  void on_event(const event& e) override;
  std::size_t pending() const override;
  traffic_counter bytes() const override;
  nlohmann::json report() const override;

 protected:
  // One open connection as the hub sees it.
  struct sink {
    std::function<bool(std::string)> write;  // false once it is gone
    std::function<void()> end;
    std::function<std::size_t()> queued_bytes;
  };
  // A place for one more stream of the request's token, or the 429 that refuses it.
  std::optional<http::response> hold(const http::request& req, holdings::holding& held);
  // Registers an open reader and sends it every event after `after`; returns its id. The
  // subclass calls closed(id) when the connection ends; the reader keeps `held` until then.
  std::uint64_t open(sink s, seq_t after, holdings::holding held);
  void closed(std::uint64_t id);
  // Bytes sent outside messages (stream heads, hints, gap notices) for the window.
  void count_extra(std::size_t bytes, bool in_window);
  // The message for one event, with how many of its bytes are the event itself, and what its
  // transport adds around it on the wire.
  virtual std::string frame(const event& e, std::size_t& event_bytes) const = 0;
  virtual std::size_t transport_overhead(std::size_t message_bytes) const = 0;
  virtual std::string heartbeat() const = 0;

  delivery_context ctx_;
  stream_options options_;
  std::uint64_t gaps_ = 0;

 private:
  struct reader {
    sink out;
    nanos opened_ns = 0;
    holdings::holding held;
  };
  bool send(reader& r, const event& e);
  void arm_heartbeat();
  void arm_lifetime();

  std::map<std::uint64_t, reader> readers_;
  std::uint64_t next_id_ = 0;
  boost::asio::steady_timer heartbeat_timer_, lifetime_timer_;
  bool heartbeat_armed_ = false, lifetime_armed_ = false;
  traffic_counter messages_;  // messages carrying window events, with their bytes
  std::uint64_t message_event_bytes_ = 0;
  std::uint64_t extra_bytes_ = 0;
  std::uint64_t opened_ = 0, slow_closed_ = 0, expired_ = 0, heartbeats_ = 0;
  std::size_t readers_max_ = 0;
};

}  // namespace hookbench
