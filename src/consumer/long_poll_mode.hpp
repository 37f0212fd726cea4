// Long polling: N subscribers, each on its own keep-alive connection, keep one
// GET /events?after=SEQ&wait=MS parked at the producer at all times. An answer with events is
// recorded and the next request leaves at once; a timeout (an empty list after --wait) is
// counted, and the next request leaves at once too.
#pragma once

#include <memory>
#include <vector>

#include "consumer/delivery_mode.hpp"
#include "http/client.hpp"

namespace hookbench {

class long_poll_mode : public delivery_mode {
 public:
  explicit long_poll_mode(mode_context& ctx);
  ~long_poll_mode() override;
  void setup() override {}
  void start() override;
  void stop() override;
  traffic_by_kind requests() const override;
  traffic_counter bytes() const override { return traffic_; }
  nlohmann::json stats() const override;

 private:
  struct subscriber;
  void send(subscriber& s);
  void on_response(subscriber& s, bool counted, nanos sent_ns, boost::system::error_code ec,
                   http::client_response&& r);

  mode_context& ctx_;
  bool stopped_ = false;
  std::vector<std::unique_ptr<subscriber>> subs_;
  traffic_counter traffic_;  // long-polls sent inside the window
  std::uint64_t timeouts_ = 0, failed_ = 0, expired_cursors_ = 0, expired_events_ = 0;
  std::uint64_t polls_total_ = 0;
};

}  // namespace hookbench
