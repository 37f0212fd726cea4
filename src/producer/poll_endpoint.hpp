// GET /events?after=SEQ&limit=N: the events after a cursor, {"events":[...],"next":SEQ}. The
// endpoint of every pull mode; a cursor that fell out of retention gets 410 with the oldest seq.
// Every answer carries ETag "<newest seq>"; If-None-Match with it and nothing after the cursor
// is answered 304 Not Modified with no body.
#pragma once

#include "producer/delivery.hpp"

namespace hookbench {

struct poll_options {
  std::size_t default_limit = 1000;
  std::size_t max_limit = 10'000;
};

class poll_endpoint : public producer_delivery {
 public:
  poll_endpoint(delivery_context ctx, poll_options options);
  std::string_view name() const override { return "polls"; }
  bool handle(http::request& req, http::reply_fn& reply) override;
  void observe(const http::exchange& x) override;
  traffic_counter bytes() const override;
  nlohmann::json report() const override;

 private:
  http::response answer(const http::request& req);

  delivery_context ctx_;
  poll_options options_;
  traffic_counter polls_;  // GET /events received in the window
  std::uint64_t empty_ = 0, not_modified_ = 0, expired_cursors_ = 0;
  std::uint64_t events_ = 0, event_bytes_ = 0;  // events and their bytes in window polls
};

}  // namespace hookbench
