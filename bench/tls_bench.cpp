// What TLS adds to one HTTP exchange on 127.0.0.1: hookbench's own client and server (Asio +
// Beast), plain against TLS 1.3 with the run's certificates (EC P-256, from security/certificates).
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
#include "security/certificates.hpp"
#include "support.hpp"

namespace {

using namespace hookbench;
namespace bench = hookbench::bench;

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
  options.keep_alive = keep_alive;
  bench::ping_round_trips(state, std::move(server_options), std::move(options));
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
