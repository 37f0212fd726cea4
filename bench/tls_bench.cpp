// What TLS adds to one HTTP exchange on 127.0.0.1: hookbench's own client and server (Asio +
// Beast), plain against TLS 1.3 with the run's certificates (EC P-256, from security/tls).
//
//   tls_roundtrip/keepalive_plain|keepalive_tls
//       GET /ping on one kept-alive connection: the per-request cost of encrypting records
//   tls_roundtrip/new_connection_plain|new_connection_tls
//       connect, (handshake,) GET /ping, close: tls - plain is the cost of one full handshake
//       (ECDHE + ECDSA P-256 verify of the chain and the address), what a webhook pays per POST
//       with --webhook-connection new
// Each variant checks its connection policy and its handshake count.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "http/server.hpp"
#include "http/tls.hpp"
#include "security/tls.hpp"
#include "support.hpp"

namespace {

using namespace hookbench;
namespace bench = hookbench::bench;

constexpr int kWarmup = 20;
const std::string kPingBody = "{\"ok\":true}";

// The certificates, made once for the whole executable and removed at exit.
struct run_certificates {
  run_certificates()
      : dir(security::make_temp_dir("hookbench-bench-tls-")),
        files(security::generate_run_certificates(dir)) {}
  ~run_certificates() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string dir;
  security::tls_files files;
};

const security::tls_files& certificates() {
  static run_certificates certs;
  return certs.files;
}

void tls_roundtrip(benchmark::State& state, bool tls, bool keep_alive) {
  http::server_options server_options;
  http::client_options options;
  try {
    if (tls) {
      server_options.tls = http::make_server_tls(certificates().cert_file, certificates().key_file);
      options.tls = http::make_client_tls(certificates().ca_file);
    }
  } catch (const std::exception& e) {
    return state.SkipWithError(e.what());
  }
  bench::io_thread server_thread;
  http::server srv(server_thread.ioc(), host_port{"127.0.0.1", 0}, server_options,
                   [](http::request&&, http::reply_fn reply) {
                     reply({200, kPingBody});
                   });
  srv.start();
  server_thread.start();
  bench::scope_exit stop([&] { server_thread.stop(); });

  bench::net::io_context ioc;
  options.keep_alive = keep_alive;
  options.timeout = bench::kRequestTimeout;
  http::client_connection conn(ioc, host_port{"127.0.0.1", srv.port()}, options);
  auto exchange = [&](http::client_response& r) {
    return bench::round_trip(ioc, conn, bench::get_request("/ping"), r);
  };
  for (int i = 0; i < kWarmup; ++i) {
    http::client_response r;
    if (auto ec = exchange(r); ec || r.status != 200) {
      return state.SkipWithError(bench::failure("warm-up", ec, r).c_str());
    }
  }
  const auto opened_before = conn.connections_opened();
  const auto handshakes_before = conn.tls_handshakes();
  std::size_t bytes = 0;
  for (auto _ : state) {
    http::client_response r;
    auto ec = exchange(r);
    if (ec || r.status != 200 || r.body != kPingBody) {
      state.SkipWithError(bench::failure("GET /ping", ec, r).c_str());
      break;
    }
    bytes += r.bytes_sent + r.bytes_received;  // TLS records when encrypted
  }
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
BENCHMARK_CAPTURE(tls_roundtrip, keepalive_plain, false, true)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(tls_roundtrip, keepalive_tls, true, true)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(tls_roundtrip, new_connection_plain, false, false)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(tls_roundtrip, new_connection_tls, true, false)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
