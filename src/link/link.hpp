// A WAN link emulator, because this machine has no netem: a TCP proxy on its own io_context
// thread that adds one-way delay and jitter in each direction, limits bandwidth, and can cut
// every connection (and refuse new ones) for a while. `hookbench link` runs one alone; `run` and
// `sweep` put one between the producer and the consumer (--rtt, --jitter, --bandwidth).
//
// Per direction of a connection, a chunk read at time a (after it has crossed the bandwidth
// limit: departure d = max(previous departure on the route's direction, a) + bytes*8/rate) is
// written at max(previous release, d + delay + jitter sample): bytes are never reordered. The
// first bytes of a new connection leave no earlier than one round trip after it was accepted,
// as TCP's handshake would have held them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/parse.hpp"

namespace hookbench {

struct link_direction {
  nanos delay = 0;      // one-way
  nanos jitter = 0;     // each chunk: + a uniform sample in [-jitter, +jitter] (never below 0)
  double rate_bps = 0;  // bandwidth in bits/s (0 = unlimited), shared by a route's connections
};

struct link_config {
  link_direction forward;   // from the connecting side to the target (requests)
  link_direction backward;  // from the target back (responses)
  // Bytes a connection may hold per direction; above it the link stops reading that side
  // (TCP's own flow control then slows the sender), so memory stays bounded.
  std::size_t buffer_limit = 4 << 20;
  bool handshake = true;  // hold a new connection's first bytes for one round trip
  // Run the link's thread at real-time priority (SCHED_FIFO 1) where the system allows it, as
  // netem runs in the kernel ahead of every task: on a busy machine an ordinary thread wakes
  // for a chunk's release milliseconds late (the scheduler's slice), a delay that is not the
  // link's. Falls back to normal scheduling silently; stats() says which it got.
  bool realtime = true;
  std::uint64_t seed = 1;  // of the jitter samples
  // A connection with no byte in either direction for this long is closed (0: never). Longer
  // than any quiet spell a run has: a stream's heartbeat (15 s) or a long-poll's wait.
  nanos idle_timeout = 600 * kNanosPerSecond;
  // Open connections at most, over every route; past it a new one is reset at once. Fits a
  // 10 000-subscriber run (a connection per subscriber, and four per webhook subscriber).
  std::size_t max_connections = 50'000;
  // The round trip the link adds to an exchange: forward + backward delay.
  nanos round_trip() const { return forward.delay + backward.delay; }
};

class wan_link {
 public:
  explicit wan_link(link_config config);
  ~wan_link();  // stop()
  wan_link(const wan_link&) = delete;
  wan_link& operator=(const wan_link&) = delete;

  // Binds `listen` now (port 0: any free port; throws std::runtime_error naming the address)
  // and returns the route's index. The target may come later (set_target): connections that
  // arrive before it wait, holding what they send. Call before start().
  std::size_t add_route(const host_port& listen, std::optional<host_port> target = {});
  // Thread-safe. Connections waiting for a target connect to it now.
  void set_target(std::size_t route, const host_port& target);
  std::uint16_t port(std::size_t route) const;
  // "127.0.0.1:PORT" with the bound port.
  host_port address(std::size_t route) const;

  void start();  // the accept loops, on the link's own thread
  void stop();   // closes everything and joins the thread (idempotent)

  // Thread-safe. Resets (RST) every open connection and, for `length`, resets each new one as
  // soon as it is accepted; then serves again. cut_at: the same at a now_ns() time.
  void cut(nanos length);
  void cut_at(nanos at, nanos length);

  // Thread-safe: {"config": {...}, "scheduling": "fifo|normal", "cuts": N, "routes": [{"listen",
  // "target", "connections", "refused", "resets", "connect_failures", "bytes_forward",
  // "bytes_backward", "peak_buffered_bytes", "refused_over_cap", "idle_closed"}]}.
  nlohmann::json stats() const;
  const link_config& config() const { return config_; }

  struct impl;

 private:
  link_config config_;
  std::unique_ptr<impl> impl_;
};

// The link's settings as a result records them: {"rtt_ms", "jitter_ms", "bandwidth_bps",
// "delay_forward_ms", "delay_backward_ms"}.
nlohmann::json link_settings_json(const link_config& config);

}  // namespace hookbench
