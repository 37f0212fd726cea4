// Shared pieces of the loopback microbenchmarks: an io_context run by a background thread (the
// "other process" of a round trip), a scope guard that stops it before the objects it drives
// are destroyed, and a blocking request driven on the benchmark's own thread.
#pragma once

#include <benchmark/benchmark.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>
#include <functional>
#include <string>
#include <thread>
#include <utility>

#include "core/clock.hpp"
#include "http/client.hpp"
#include "http/server.hpp"

namespace hookbench::bench {

namespace net = boost::asio;

// Bench-side timeouts: generous, because a loaded 2-core machine can stall a thread for tens
// of milliseconds, yet bounded so that a broken server fails the benchmark instead of hanging.
constexpr nanos kRequestTimeout = 5 * kNanosPerSecond;
constexpr nanos kReadyTimeout = 10 * kNanosPerSecond;

// An io_context run by its own thread. Build servers on ioc() before start(); stop() (or the
// destructor) joins the thread, after which the servers may be destroyed safely.
class io_thread {
 public:
  io_thread() : work_(net::make_work_guard(ioc_)) {}
  ~io_thread() { stop(); }
  io_thread(const io_thread&) = delete;
  io_thread& operator=(const io_thread&) = delete;

  net::io_context& ioc() { return ioc_; }
  void start() {
    thread_ = std::thread([this] { ioc_.run(); });
  }
  void stop() {
    work_.reset();
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::thread thread_;
};

// Runs `fn` when the scope ends, on every path (SkipWithError returns included).
template <class F>
class scope_exit {
 public:
  explicit scope_exit(F fn) : fn_(std::move(fn)) {}
  ~scope_exit() { fn_(); }
  scope_exit(const scope_exit&) = delete;
  scope_exit& operator=(const scope_exit&) = delete;

 private:
  F fn_;
};

// Sends one request on `conn`, whose io_context `ioc` is run here on the calling thread until
// the answer (or the connection's own timeout) arrives.
boost::system::error_code round_trip(net::io_context& ioc, http::client_connection& conn,
                                     http::client_request req, http::client_response& out);

http::client_request get_request(std::string target);

// Calls `attempt` every few milliseconds until it returns true or `timeout` passes.
bool retry_until(const std::function<bool()>& attempt, nanos timeout = kReadyTimeout);

// One line for SkipWithError: "what: HTTP 404 {...}" or "what: Connection refused".
std::string failure(const std::string& what, const boost::system::error_code& ec,
                    const http::client_response& r);

// GET /ping round trips from an http::client_connection to an http::server on its own thread,
// with the given options (keep-alive or a new connection per request; TLS when both carry a
// context). Checks that the connection policy held (and, over TLS, one handshake per new
// connection) and reports the wire bytes of one exchange ("wire_bytes_per_exchange").
void ping_round_trips(benchmark::State& state, http::server_options server,
                      http::client_options client);

}  // namespace hookbench::bench
