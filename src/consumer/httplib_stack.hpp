// The poll and webhook modes on cpp-httplib's blocking client and server (--consumer-stack
// httplib|httplib-nodelay): the code many users write, measured beside hookbench's Beast stack
// with the same schedule, routes, status codes and accounting as poll_mode and webhook_mode.
// The library's threads take each timestamp when they have parsed a body and hand the record to
// the consumer's io thread (net::post), which alone touches the tracker, trace and counters.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "consumer/delivery_mode.hpp"
#include "consumer/webhook_receiver.hpp"
#include "consumer/webhook_signatures.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace hookbench {

// What sets the two cpp-httplib stacks apart (the values and their reasons: httplib_stack.cpp).
struct httplib_settings {
  bool tcp_nodelay = false;              // client and server sockets
  std::size_t keep_alive_max_count = 5;  // requests a server connection serves before closing
  std::size_t server_threads = 8;        // the receiver's pool: one thread per open connection
};
httplib_settings httplib_settings_for(std::string_view stack, std::size_t subscribers);

class httplib_poll_mode : public delivery_mode {
 public:
  explicit httplib_poll_mode(mode_context& ctx);
  ~httplib_poll_mode() override;
  void setup() override {}
  void start() override;
  void stop() override;  // joins every poller within one request timeout
  traffic_by_kind requests() const override;
  traffic_counter bytes() const override { return traffic_; }
  nlohmann::json stats() const override;

 private:
  struct poller;
  struct poll_record;
  void run(poller& p);  // a poller's thread
  // One blocking exchange, recorded; false once stopping. `more`: poll again at once.
  bool exchange(poller& p, nanos scheduled_ns, bool follow_up, std::uint64_t missed, bool& more);
  bool sleep_until(nanos t);  // false when woken by stop()
  bool stopping();
  void apply(const poll_record& r);  // on the io thread

  mode_context& ctx_;
  const httplib_settings settings_;
  nanos base_ns_ = 0;
  nanos late_threshold_ = 0;
  std::mutex mutex_;  // guards stopping_ (the pollers sleep on wake_)
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<std::unique_ptr<poller>> pollers_;

  // The io thread's, as in poll_mode.
  traffic_counter traffic_;  // polls started inside the window
  std::uint64_t empty_ = 0, late_ = 0, missed_ = 0, failed_ = 0, follow_ups_ = 0;
  std::uint64_t expired_cursors_ = 0, expired_events_ = 0, polls_total_ = 0;
};

class httplib_webhook_mode : public delivery_mode {
 public:
  explicit httplib_webhook_mode(mode_context& ctx);
  ~httplib_webhook_mode() override;
  void setup() override;
  void start() override {}
  void stop() override;  // closes the receiver (unless lingering): close()
  std::uint16_t receiver_port() const override { return port_; }
  traffic_by_kind requests() const override { return {}; }  // it only answers
  traffic_counter bytes() const override { return traffic_; }
  nlohmann::json stats() const override;
  const webhook_signatures& signatures() const { return signatures_; }

 private:
  void close();  // joins the listener and the pool's threads
  void handle(const httplib::Request& req, httplib::Response& res);            // the pool's threads
  void record(std::size_t subscriber, const event_stamp& e, nanos parsed_ns);  // io thread

  mode_context& ctx_;
  const httplib_settings settings_;
  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
  std::uint16_t port_ = 0;
  webhook_signatures signatures_;  // thread-safe: the pool's threads verify

  // The io thread's, as in webhook_mode (one event per POST: received counts both).
  traffic_counter traffic_;  // requests received inside the window
  receiver_counts counts_;
};

namespace detail {
// Bytes of one message as cpp-httplib 0.11 puts it on the wire: request or status line, one
// "Name: value\r\n" per header, the blank line, the body. Reconstructed from the message the
// library hands its logger (it exposes no socket counts); exact for messages whose sender writes
// one space after each colon and no chunked framing, as Beast and cpp-httplib do.
std::size_t httplib_request_bytes(const httplib::Request& req);
std::size_t httplib_response_bytes(const httplib::Response& res);
}  // namespace detail

}  // namespace hookbench
