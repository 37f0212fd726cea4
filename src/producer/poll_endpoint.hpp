// GET /events?after=SEQ&limit=N: the events after a cursor, {"events":[...],"next":SEQ}. The
// endpoint of every pull mode; a cursor that fell out of retention gets 410 with the oldest seq.
// Every answer carries ETag "<newest seq>"; If-None-Match with it and nothing after the cursor
// is answered 304 Not Modified with no body.
// Long polling: &wait=MS with nothing after the cursor parks the request on the io thread until
// an event arrives (it is answered then, with every event after its cursor) or the wait ends
// (an empty list). A parked request whose client leaves is dropped at once. The parked set has
// no per-request timer: one timer serves the earliest deadline. A token, and the process, may
// hold only so many parked requests (producer/holdings.hpp): past that, 429 and a reason.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <map>
#include <optional>

#include "producer/delivery.hpp"

namespace hookbench {

struct poll_options {
  std::size_t default_limit = 1000;
  std::size_t max_limit = 10'000;
  nanos max_wait = 300 * kNanosPerSecond;  // long-poll: the longest a request may park
};

class poll_endpoint : public producer_delivery {
 public:
  poll_endpoint(delivery_context ctx, poll_options options);
  std::string_view name() const override { return "polls"; }
  bool handle(http::request& req, http::reply_fn& reply) override;
  void on_event(const event& e) override;
  void observe(const http::exchange& x) override;
  traffic_counter bytes() const override;
  nlohmann::json report() const override;

 private:
  // The answer now, or nothing when the request parks (a long-poll with nothing to send).
  std::optional<http::response> answer(const http::request& req, http::reply_fn& reply);
  http::response events_after(seq_t after, std::size_t limit, bool in_window);
  void arm_deadline();
  void expire();

  delivery_context ctx_;
  poll_options options_;

  struct parked {
    seq_t after = 0;
    std::size_t limit = 0;
    bool in_window = false;
    nanos deadline = 0;
    http::responder reply;
    holdings::holding held;  // its place under the caps, given back when it leaves the set
  };
  std::map<std::uint64_t, parked> parked_;         // by id: arrival order
  std::multimap<nanos, std::uint64_t> deadlines_;  // deadline -> id
  std::uint64_t next_id_ = 0;
  boost::asio::steady_timer deadline_timer_;
  nanos armed_for_ = 0;
  std::uint64_t long_polls_ = 0, woken_ = 0, timeouts_ = 0, abandoned_ = 0;
  std::size_t parked_max_ = 0;

  traffic_counter polls_;  // GET /events received in the window
  std::uint64_t empty_ = 0, not_modified_ = 0, expired_cursors_ = 0;
  std::uint64_t events_ = 0, event_bytes_ = 0;  // events and their bytes in window polls
};

}  // namespace hookbench
