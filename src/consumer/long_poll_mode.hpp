// Long polling: N subscribers, each on its own keep-alive connection, keep one
// GET /events?after=SEQ&wait=MS parked at the producer at all times. An answer with events is
// recorded and the next request leaves at once; a timeout (an empty list after --wait) is
// counted, and the next request leaves at once too.
#pragma once

#include "consumer/pull_answers.hpp"
#include "consumer/subscriber_set.hpp"

namespace hookbench {

class long_poll_mode : public subscriber_set<subscriber_base> {
 public:
  explicit long_poll_mode(mode_context& ctx);
  ~long_poll_mode() override;
  void start() override;
  traffic_counter bytes() const override { return requests_; }
  nlohmann::json stats() const override;

 private:
  using subscriber = subscriber_base;  // its timer: the pause after a failed request
  void send(subscriber& s);
  void on_response(subscriber& s, bool counted, nanos sent_ns, boost::system::error_code ec,
                   http::client_response&& r);

  pull_answers answers_;
  std::uint64_t timeouts_ = 0, polls_total_ = 0;
};

}  // namespace hookbench
