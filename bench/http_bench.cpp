// One HTTP round trip on 127.0.0.1 for each client/server pair, keep-alive vs a new TCP
// connection per request. The server runs on its own thread, like the other process would.
//
//   http_beast_roundtrip/keepalive|new_connection
//       hookbench's http::client_connection -> http::server (Asio + Beast, the harness's own)
//   http_httplib_roundtrip/keepalive|new_connection
//       cpp-httplib Client -> Server: the simple blocking code a user would write (reference)
// Both answer GET /ping with the same small JSON body.
#include <benchmark/benchmark.h>
#include <httplib.h>

#include <string>
#include <thread>

#include "http/server.hpp"
#include "support.hpp"

namespace {

using namespace hookbench;
namespace bench = hookbench::bench;

constexpr int kWarmup = 20;
const std::string kPingBody = "{\"ok\":true}";

void http_beast_roundtrip(benchmark::State& state, bool keep_alive) {
  http::client_options options;
  options.keep_alive = keep_alive;
  bench::ping_round_trips(state, {}, options);
}
BENCHMARK_CAPTURE(http_beast_roundtrip, keepalive, true)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(http_beast_roundtrip, new_connection, false)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

void http_httplib_roundtrip(benchmark::State& state, bool keep_alive) {
  httplib::Server srv;
  // Debian's defaults (Nagle on, 5 requests per keep-alive connection) turn a loopback round
  // trip into a ~40 ms delayed-ACK stall; a user tuning for latency sets these.
  srv.set_tcp_nodelay(true);
  srv.set_keep_alive_max_count(1'000'000);
  srv.set_keep_alive_timeout(30);
  srv.new_task_queue = [] { return new httplib::ThreadPool(4); };
  srv.Get("/ping", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kPingBody, "application/json");
  });
  const int port = srv.bind_to_any_port("127.0.0.1");
  if (port <= 0) return state.SkipWithError("cpp-httplib: cannot bind 127.0.0.1:0");
  std::thread server_thread([&] { srv.listen_after_bind(); });
  bench::scope_exit stop([&] {
    srv.stop();
    server_thread.join();
  });
  if (!bench::retry_until([&] { return srv.is_running(); })) {
    return state.SkipWithError("cpp-httplib server did not start");
  }

  httplib::Client cli("127.0.0.1", port);
  cli.set_keep_alive(keep_alive);
  cli.set_tcp_nodelay(true);
  // Compression would make this a gzip benchmark; Beast's side sends the body as is.
  cli.set_decompress(false);
  cli.set_connection_timeout(std::chrono::nanoseconds(bench::kRequestTimeout));
  cli.set_read_timeout(std::chrono::nanoseconds(bench::kRequestTimeout));
  auto describe = [](const httplib::Result& res) {
    return res ? "HTTP " + std::to_string(res->status) : httplib::to_string(res.error());
  };
  for (int i = 0; i < kWarmup; ++i) {
    auto res = cli.Get("/ping");
    if (!res || res->status != 200) {
      return state.SkipWithError(("warm-up: " + describe(res)).c_str());
    }
  }
  for (auto _ : state) {
    auto res = cli.Get("/ping");
    if (!res || res->status != 200 || res->body != kPingBody) {
      state.SkipWithError(("GET /ping: " + describe(res)).c_str());
      break;
    }
    benchmark::DoNotOptimize(res->body.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(http_httplib_roundtrip, keepalive, true)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(http_httplib_roundtrip, new_connection, false)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
