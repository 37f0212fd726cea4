// What the pull strategies (poll, long-poll) make of an answer to GET /events: a batch's events
// recorded for their subscriber, a 410's expired events counted as lost, and every failure
// counted (in the window) and said on stderr. What comes next (a follow-up, a pause, the next
// slot) is each strategy's own.
#pragma once

#include <boost/system/error_code.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "consumer/delivery_mode.hpp"
#include "consumer/subscriber_set.hpp"
#include "core/event.hpp"
#include "http/client.hpp"

namespace hookbench {

class pull_answers {
 public:
  // `what` names the requests in messages: "poll", "long-poll".
  pull_answers(mode_context& ctx, std::string_view what) : ctx_(ctx), what_(what) {}

  // A request that got no answer; the first failure is said.
  void failed(bool counted, const boost::system::error_code& ec);
  // A 200: its events recorded for `s` as parsed now (and traced with `sent_ns`), the cursor
  // moved past them. nullopt when the body is no batch (a failure, said).
  std::optional<event_batch> take_batch(subscriber_base& s, bool counted, nanos sent_ns,
                                        const std::string& body);
  // A 410: the events after the cursor are gone from the producer's retention. They are lost
  // for this subscriber (the report shows it: expected - delivered): its cursor moves to just
  // before the oldest retained one, which is returned.
  seq_t expired(subscriber_base& s, const std::string& body);
  // Any other answer: a failure, said.
  void bad_status(bool counted, const http::client_response& r);

  std::uint64_t expired_cursors() const { return expired_cursors_; }
  // "failed", "expired_cursors", "expired_events": the strategy's stats add their own.
  nlohmann::json to_json() const {
    return {{"failed", failed_},
            {"expired_cursors", expired_cursors_},
            {"expired_events", expired_events_}};
  }

 private:
  mode_context& ctx_;
  std::string_view what_;
  std::uint64_t failed_ = 0;  // in the window
  std::uint64_t expired_cursors_ = 0, expired_events_ = 0;
};

}  // namespace hookbench
