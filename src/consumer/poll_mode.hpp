// Polling: N subscribers, each on its own keep-alive connection, poll GET /events on a fixed
// schedule. Subscriber k polls at phase_k + i*T (phases spread over T); an overrun poll never
// shifts the schedule: the next slot is taken late (counted) or skipped (counted).
// Two flavours share the machinery:
//   poll-conditional: polls carry If-None-Match with the last ETag; nothing new is 304, no body.
//   poll-adaptive:    after an empty poll the next comes interval x backoff later (capped);
//                     a poll that brings events resets the interval to T.
#pragma once

#include "consumer/pull_answers.hpp"
#include "consumer/subscriber_set.hpp"

namespace hookbench {

namespace detail {
struct poller : subscriber_base {
  nanos phase = 0;
  std::uint64_t slot = 0;     // index of the next scheduled poll
  std::string etag;           // poll-conditional: of the last 200 answer
  nanos interval = 0;         // poll-adaptive: the current interval
  nanos slot_ns = 0;          // poll-adaptive: the slot of the poll in flight
  nanos pending_slot_ns = 0;  // a slot that came while a poll was in flight (0 = none)
};
}  // namespace detail

struct poll_flavour {
  bool conditional = false;
  bool adaptive = false;
};

class poll_mode : public subscriber_set<detail::poller> {
 public:
  explicit poll_mode(mode_context& ctx, poll_flavour flavour = {});
  ~poll_mode() override;
  void start() override;
  traffic_counter bytes() const override { return requests_; }
  nlohmann::json stats() const override;

 private:
  using poller = detail::poller;
  void arm(poller& p);
  void on_slot(poller& p, nanos slot_ns);
  void send(poller& p, nanos scheduled_ns, bool follow_up);
  void on_response(poller& p, bool counted, nanos sent_ns, boost::system::error_code ec,
                   http::client_response&& r);

  void arm_at(poller& p, nanos slot_ns);
  void adapt(poller& p, bool had_events);  // poll-adaptive: the next interval

  poll_flavour flavour_;
  nanos base_ns_ = 0;
  nanos late_threshold_ = 0;

  pull_answers answers_;
  std::uint64_t empty_ = 0, late_ = 0, missed_ = 0, follow_ups_ = 0, scheduled_ = 0;
  std::uint64_t polls_total_ = 0;
  std::uint64_t not_modified_ = 0;   // 304 answers in the window (poll-conditional)
  std::uint64_t bytes_saved_ = 0;    // their bodies' size had they been 200 empty lists
  long double interval_sum_ms_ = 0;  // poll-adaptive: mean interval used in the window
};

}  // namespace hookbench
