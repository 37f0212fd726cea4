// Polling: N subscribers, each on its own keep-alive connection, poll GET /events on a fixed
// schedule. Subscriber k polls at phase_k + i*T (phases spread over T); an overrun poll never
// shifts the schedule: the next slot is taken late (counted) or skipped (counted).
// Two flavours share the machinery:
//   poll-conditional: polls carry If-None-Match with the last ETag; nothing new is 304, no body.
//   poll-adaptive:    after an empty poll the next comes interval x backoff later (capped);
//                     a poll that brings events resets the interval to T.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <vector>

#include "consumer/delivery_mode.hpp"
#include "http/client.hpp"

namespace hookbench {

struct poll_flavour {
  bool conditional = false;
  bool adaptive = false;
};

class poll_mode : public delivery_mode {
 public:
  explicit poll_mode(mode_context& ctx, poll_flavour flavour = {});
  ~poll_mode() override;
  void setup() override {}
  void start() override;
  void stop() override;
  traffic_by_kind requests() const override;
  traffic_counter bytes() const override { return traffic_; }
  nlohmann::json stats() const override;

 private:
  struct poller;
  void arm(poller& p);
  void on_slot(poller& p, nanos slot_ns);
  void send(poller& p, nanos scheduled_ns, bool follow_up);
  void on_response(poller& p, bool counted, nanos sent_ns, boost::system::error_code ec,
                   http::client_response&& r);

  void arm_at(poller& p, nanos slot_ns);
  void adapt(poller& p, bool had_events);  // poll-adaptive: the next interval

  mode_context& ctx_;
  poll_flavour flavour_;
  nanos base_ns_ = 0;
  nanos late_threshold_ = 0;
  bool stopped_ = false;
  std::vector<std::unique_ptr<poller>> pollers_;

  traffic_counter traffic_;  // polls started inside the window
  std::uint64_t empty_ = 0, late_ = 0, missed_ = 0, failed_ = 0, follow_ups_ = 0;
  std::uint64_t expired_cursors_ = 0, expired_events_ = 0, scheduled_ = 0;
  std::uint64_t polls_total_ = 0;
  std::uint64_t not_modified_ = 0;   // 304 answers in the window (poll-conditional)
  std::uint64_t bytes_saved_ = 0;    // their bodies' size had they been 200 empty lists
  long double interval_sum_ms_ = 0;  // poll-adaptive: mean interval used in the window
};

}  // namespace hookbench
