// A discrete-event simulation of one delivery design, for what the closed forms of
// model/model.hpp leave out: the latency distribution (p50, p99) under queueing. One io thread
// writes each event's (or batch's) N deliveries one after another at c each; long-poll
// subscribers re-park a round trip after each answer and expire after the wait; an adaptive
// poller walks its intervals; bursts of fan-outs queue behind each other. Seeded and
// deterministic: the same input gives the same samples. Where both apply it reproduces the
// analytical model's mean (tests/unit/simulate_test.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hookbench {

enum class sim_design { poll, poll_adaptive, long_poll, stream, webhook, webhook_batch };

struct sim_input {
  sim_design design = sim_design::webhook;
  bool constant_arrivals = false;  // false: Poisson
  double rate = 1;                 // lambda, events/s
  double subscribers = 1;          // N
  double interval_s = 0;           // T (poll, poll-adaptive)
  double backoff = 2;              // poll-adaptive
  double max_interval_s = 0;       // poll-adaptive cap (0 = 8T)
  double wait_s = 30;              // long-poll: a parked request's longest wait
  double round_trip_s = 0;         // long-poll: answer -> next request parked
  double batch_window_s = 0;       // webhook-batch: W
  double batch_max = 0;            // webhook-batch: events per POST at most (0 = no cap)
  double delivery_cost_s = 0;      // c: the io thread's time per delivery
  // webhook designs: a subscriber's connections, opened as needed up to `concurrency` (0 = no
  // limit, none opened); a new one pays a handshake first, and each POST holds its connection
  // for the round trip.
  double concurrency = 0;
  double handshake_s = 0;
  double post_round_trip_s = 0;
  // One delivery to one subscriber with nothing queued: its quantiles at 0, 0.01, ..., 1 (101
  // values, sampled by inverse CDF), or, when empty, the constant base_s.
  std::vector<double> base_quantiles_s;
  double base_s = 0;
  std::uint64_t seed = 1;
  std::size_t events = 4000;      // events simulated per replication (after the warm-up)
  std::size_t warmup_events = 0;  // not recorded, before them (0: a tenth of `events`)
  std::size_t replications = 1;   // independent runs (seed + k) pooled: a short run, repeated
  // Bound on event x followed-subscriber steps (at most 2000 subscribers are followed, each
  // standing for N/2000 alike): fewer events past it, never fewer than 200.
  std::size_t max_work = 4'000'000;
};

struct sim_output {
  std::vector<double> samples_s;  // latencies of (a stride of) every delivery, sorted
  double mean_s = 0;
  double sd_s = 0;
  double utilization = 0;           // of the io thread: deliveries x c per second
  bool saturated = false;           // utilization >= 1: the queue grows without bound
  double quantile(double q) const;  // of samples_s (0 when empty)
};

sim_output simulate(const sim_input& in);

}  // namespace hookbench
