// Helpers shared by the loopback microbenchmarks (see support.hpp).
#include "support.hpp"

#include <chrono>

namespace hookbench::bench {

boost::system::error_code round_trip(net::io_context& ioc, http::client_connection& conn,
                                     http::client_request req, http::client_response& out) {
  boost::system::error_code result = net::error::timed_out;
  bool done = false;
  conn.async_send(std::move(req), [&](boost::system::error_code ec, http::client_response&& r) {
    result = ec;
    out = std::move(r);
    done = true;
  });
  // run_for returns as soon as the exchange has no work left; the connection's own timeout
  // (5 s) fires well before this bound, so `done` is always set unless the loop is broken.
  ioc.restart();
  ioc.run_for(std::chrono::nanoseconds(kRequestTimeout + kNanosPerSecond));
  return done ? result : boost::system::error_code(net::error::timed_out);
}

http::client_request get_request(std::string target) {
  http::client_request req;
  req.method = "GET";
  req.target = std::move(target);
  return req;
}

bool retry_until(const std::function<bool()>& attempt, nanos timeout) {
  const nanos deadline = now_ns() + timeout;
  while (true) {
    if (attempt()) return true;
    if (now_ns() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void ping_round_trips(benchmark::State& state, http::server_options server,
                      http::client_options client) {
  static const std::string kPingBody = "{\"ok\":true}";
  constexpr int kWarmup = 20;
  const bool tls = server.tls && client.tls;
  io_thread server_thread;
  http::server srv(server_thread.ioc(), host_port{"127.0.0.1", 0}, std::move(server),
                   [](http::request&&, http::reply_fn reply) {
                     reply({200, kPingBody});
                   });
  srv.start();  // listening on return; its accepts run on server_thread
  server_thread.start();
  scope_exit stop([&] { server_thread.stop(); });

  net::io_context ioc;
  client.timeout = kRequestTimeout;
  const bool keep_alive = client.keep_alive;
  http::client_connection conn(ioc, host_port{"127.0.0.1", srv.port()}, client);
  auto exchange = [&](http::client_response& r) {
    return round_trip(ioc, conn, get_request("/ping"), r);
  };
  for (int i = 0; i < kWarmup; ++i) {
    http::client_response r;
    if (auto ec = exchange(r); ec || r.status != 200) {
      return state.SkipWithError(failure("warm-up", ec, r).c_str());
    }
  }
  const auto opened_before = conn.connections_opened();
  const auto handshakes_before = conn.tls_handshakes();
  std::size_t bytes = 0;
  for (auto _ : state) {
    http::client_response r;
    auto ec = exchange(r);
    if (ec || r.status != 200 || r.body != kPingBody) {
      state.SkipWithError(failure("GET /ping", ec, r).c_str());
      break;
    }
    bytes += r.bytes_sent + r.bytes_received;  // TLS records when encrypted
  }
  // The point of each variant is its connection policy: prove that it held.
  const auto opened = conn.connections_opened() - opened_before;
  const auto handshakes = conn.tls_handshakes() - handshakes_before;
  const auto expected = keep_alive ? 0 : static_cast<std::uint64_t>(state.iterations());
  if (!state.error_occurred() && (opened != expected || handshakes != (tls ? expected : 0))) {
    state.SkipWithError(("opened " + std::to_string(opened) + " connections with " +
                         std::to_string(handshakes) + " handshakes, expected " +
                         std::to_string(expected))
                            .c_str());
  }
  state.counters["wire_bytes_per_exchange"] = benchmark::Counter(
      static_cast<double>(bytes) /
      static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1)));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

std::string failure(const std::string& what, const boost::system::error_code& ec,
                    const http::client_response& r) {
  if (ec) return what + ": " + http::describe(ec);
  return what + ": HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200);
}

}  // namespace hookbench::bench
