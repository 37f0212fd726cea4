// What the stream strategies (SSE, WebSocket) share beyond subscriber_set: every subscriber holds
// one stream open, reopened after a pause when it ends, and the strategy counts the messages it
// reads (stream_counts) and their bytes. A strategy keeps how it opens a stream and what its
// messages mean.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "consumer/subscriber_set.hpp"

namespace hookbench {

// A stream strategy's subscriber derives from this. Its timer is the pause before a reconnect.
struct stream_subscriber : subscriber_base {
  bool connected_once = false;
};

// What the stream strategies count of the messages they read.
struct stream_counts {
  std::uint64_t messages = 0, heartbeats = 0, reconnects = 0, gaps = 0, failed = 0;
  std::uint64_t malformed = 0;

  nlohmann::json to_json() const {
    return {{"messages", messages}, {"heartbeats", heartbeats}, {"reconnects", reconnects},
            {"gaps", gaps},         {"failed", failed},         {"malformed", malformed}};
  }
};

// Its requests are the streams opened in the window.
template <class Subscriber>
class stream_set : public subscriber_set<Subscriber> {
 public:
  void start() override {
    this->make_subscribers(connection_);
    for (auto& s : this->subs_) connect(*s);
  }
  traffic_counter bytes() const override { return bytes_; }
  nlohmann::json stats() const override { return counts_.to_json(); }

 protected:
  // `connection`: each subscriber's own connection to the producer, if the strategy uses one.
  stream_set(mode_context& ctx, std::string_view request_kind,
             std::optional<http::client_options> connection)
      : subscriber_set<Subscriber>(ctx, request_kind, on_stop::close_connections),
        connection_(std::move(connection)) {}

  // Opens the subscriber's stream (again, after it ended).
  virtual void connect(Subscriber& s) = 0;

  // Counts a stream being opened: a reconnect after the first, a request in the window.
  // Returns whether it is a reconnect.
  bool count_open(Subscriber& s) {
    const bool again = s.connected_once;
    if (again) ++counts_.reconnects;
    s.connected_once = true;
    if (this->ctx_.window.contains(now_ns())) this->requests_.add(0, 0);
    return again;
  }

  // connect(s) after `pause`, unless stopped meanwhile.
  void reconnect_after(Subscriber& s, nanos pause) {
    s.timer->expires_after(std::chrono::nanoseconds(pause));
    s.timer->async_wait([this, &s](const boost::system::error_code& ec) {
      if (!ec && !this->stopped_) connect(s);
    });
  }

  traffic_counter bytes_;  // what the streams brought in the window
  stream_counts counts_;

 private:
  std::optional<http::client_options> connection_;
};

}  // namespace hookbench
