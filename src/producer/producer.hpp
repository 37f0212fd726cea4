// The producer ("the server app"): generator -> event log -> its deliveries (producer/
// delivery.hpp: the poll endpoint, the webhook dispatcher, ...), plus a small /control API the
// orchestrator (or a user) drives. Every route needs a bearer token (producer/access.hpp). Every
// delivery is up in every run, so one `serve` answers a consumer of any mode.
//
//   GET  /events?after=SEQ&limit=N   poll: events after the cursor, {"events":[...],"next":SEQ}
//   POST /subscriptions {"url":...}  register a webhook receiver
//   GET  /subscriptions              this token's subscriptions; DELETE /subscriptions/ID
//   GET  /control/ping               clock and liveness
//   POST /control/start              start generating (warm-up, then the measured window)
//   GET  /control/window             window bounds and, once it ended, its first/last seq
//   GET  /control/report             this side's measurements as JSON
//   POST /control/shutdown           stop serving
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "http/server.hpp"
#include "measure/resources.hpp"
#include "measure/trace.hpp"
#include "producer/delivery.hpp"
#include "producer/event_log.hpp"
#include "producer/generator.hpp"
#include "producer/poll_endpoint.hpp"
#include "producer/sse_endpoint.hpp"
#include "producer/webhook_dispatcher.hpp"
#include "producer/ws_endpoint.hpp"

namespace hookbench {

struct producer_config {
  host_port listen{"127.0.0.1", 8080};
  generator_config generation;
  std::size_t retention = 100'000;  // events kept for pollers
  poll_options polls;
  std::size_t body_limit = 64 * 1024;
  nanos request_timeout = 10 * kNanosPerSecond;  // http::server_options
  std::size_t max_connections = 50'000;
  // A 10 000-subscriber run holds one connection per subscriber from the consumer's address.
  std::size_t max_connections_per_address = 16'384;
  nanos first_request_timeout = 5 * kNanosPerSecond;  // http::server_options
  dispatcher_options webhooks;
  stream_options streams;
  bool autostart = false;
  std::string trace_path;  // --trace: write this side's trace part at /control/report
  access_options access;   // tokens, allowed webhook hosts
  holding_caps caps;       // what a token, and the process, may hold open
  // --tls-cert/--tls-key: serve HTTPS with them. --tls-ca: verify https:// webhook targets.
  std::string tls_cert, tls_key, tls_ca;
  // --state-dir: the event log's file (events.log), the schedule (producer.json) and the
  // dispatcher's state (webhooks.json) live there, so that `serve --resume` carries on.
  std::string state_dir;
  bool resume = false;
  durable_options durability;  // --fsync, --fsync-interval

  // What the producer's report records (tokens left out).
  nlohmann::json to_json() const;
  // The whole config as `serve --config` reads it: keys are serve's flag names, values exact
  // (tokens left out: they go in the environment).
  nlohmann::json to_document() const;
};

class producer {
 public:
  producer(boost::asio::io_context& ioc, producer_config config);
  // Binds and starts serving; throws std::runtime_error naming the address on failure.
  void start();
  std::uint16_t port() const { return server_.port(); }
  // Starts generation now; returns false if already started.
  bool start_generation();
  // Runs the io_context for `d` with nothing to serve (call before announcing readiness) and
  // records the process's idle CPU: timers and samplers, the fixed cost per second of being up.
  void measure_idle(nanos d);
  nlohmann::json report();
  // The tokens in force (generated when not given): the ready line prints them.
  const access_policy& access() const { return access_; }
  // Set by POST /control/shutdown.
  std::function<void()> on_shutdown;

 private:
  void handle(http::request&& req, http::reply_fn reply);
  http::response handle_window();
  void observe(const http::exchange& x);
  void arm_sampler();
  void arm_window_timer(nanos at);
  nlohmann::json state_json() const;  // DIR/producer.json: what a restart needs

  boost::asio::io_context& ioc_;
  producer_config config_;
  access_policy access_;
  std::shared_ptr<holdings> holdings_;  // shared: a connection's holding may outlive the producer
  std::unique_ptr<trace_recorder> trace_;  // only when tracing; outlives its users
  event_log log_;
  generator generator_;
  std::vector<std::unique_ptr<producer_delivery>> deliveries_;
  http::server server_;
  boost::asio::steady_timer sampler_;       // RSS high-water mark
  boost::asio::steady_timer window_timer_;  // CPU at the window's edges
  nanos resume_t0_ = 0;                     // --resume: the schedule's t0 (0: never started)
  std::uint64_t restarts_ = 0;              // how many times this run's producer was restarted
  nanos cpu_from_ = 0, cpu_to_ = 0;         // when the CPU window was read (a restart: partial)
  std::string state_error_;                 // producer.json could not be written

  std::map<unsigned, std::uint64_t> rejected_;  // status >= 400, whole run
  cpu_window cpu_;
  double idle_cores_ = -1;             // < 0: not measured
  std::uint64_t queue_depth_end_ = 0;  // webhook deliveries queued or in flight at window end
  bool queue_depth_taken_ = false;
  std::int64_t rss_idle_ = 0, rss_start_ = 0, rss_end_ = 0, rss_max_ = 0;
};

}  // namespace hookbench
