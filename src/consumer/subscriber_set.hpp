// What the consumer's own pull and stream strategies (poll, long-poll, SSE, WebSocket) share:
// N subscribers, each with its id, its cursor, a timer and (but for WebSocket) its own keep-alive
// connection to the producer, made at start and stopped together; and the count of the requests
// of the strategy's one kind. A strategy keeps only its schedule and what its answers mean.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consumer/delivery_mode.hpp"
#include "core/event.hpp"
#include "http/client.hpp"

namespace hookbench {

// A strategy's subscriber derives from this (its own fields beside).
struct subscriber_base {
  std::size_t id = 0;
  seq_t cursor = 0;                                  // last event seen
  std::unique_ptr<http::client_connection> conn;     // null for a strategy without one
  std::unique_ptr<boost::asio::steady_timer> timer;  // the strategy's schedule or pause
};

// What stop() does to the connections besides cancelling every timer.
enum class on_stop {
  close_connections,  // an exchange in flight is aborted
  keep_connections,   // an exchange in flight still ends on its own
};

// A kept-alive connection to the producer (over its TLS, if any), `timeout` per request.
inline http::client_options producer_connection(const consumer_config& cfg, nanos timeout) {
  http::client_options co;
  co.tls = cfg.tls_client;
  co.keep_alive = true;
  co.timeout = timeout;
  return co;
}

// `Subscriber` derives from subscriber_base and is complete where the strategy's class is
// defined (its header, in detail): clang instantiates this class's virtual members there.
template <class Subscriber>
class subscriber_set : public delivery_mode {
 public:
  void setup() override {}
  void stop() override {
    stopped_ = true;
    for (auto& s : subs_) {
      s->timer->cancel();
      if (on_stop_ == on_stop::close_connections && s->conn) s->conn->close();
    }
  }
  traffic_by_kind requests() const override {
    if (requests_.requests == 0) return {};
    return {{std::string(request_kind_), requests_}};
  }

 protected:
  // `request_kind`: the name its requests are reported under (a literal).
  subscriber_set(mode_context& ctx, std::string_view request_kind, on_stop stopping)
      : ctx_(ctx), request_kind_(request_kind), on_stop_(stopping) {}

  // ctx.config.subscribers of them, ids 0..N-1, each with a timer and, given `connection`, its
  // own connection to the producer.
  void make_subscribers(const std::optional<http::client_options>& connection) {
    for (std::size_t k = 0; k < ctx_.config.subscribers; ++k) {
      auto s = std::make_unique<Subscriber>();
      s->id = k;
      if (connection) {
        s->conn = std::make_unique<http::client_connection>(ctx_.ioc, ctx_.config.producer.address,
                                                            *connection);
      }
      s->timer = std::make_unique<boost::asio::steady_timer>(ctx_.ioc);
      subs_.push_back(std::move(s));
    }
  }

  // GET /events?after=CURSOR&limit=L (the producer URL's own path when it has one), with the
  // token: a pull strategy's request, to which it adds its own parameters and headers.
  http::client_request events_request(seq_t cursor) const {
    http::client_request req;
    req.headers = ctx_.config.auth();
    req.target = ctx_.config.producer.target;
    if (req.target.empty() || req.target == "/") req.target = "/events";
    req.target +=
        "?after=" + std::to_string(cursor) + "&limit=" + std::to_string(ctx_.config.poll_limit);
    return req;
  }

  mode_context& ctx_;
  bool stopped_ = false;
  std::vector<std::unique_ptr<Subscriber>> subs_;
  traffic_counter requests_;  // requests of the strategy's kind started inside the window

 private:
  std::string_view request_kind_;
  on_stop on_stop_;
};

}  // namespace hookbench
