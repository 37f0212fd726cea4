// A prediction for any point from a calibration alone: every mode's latency (mean, p50, p99,
// each with an interval), its requests and bytes on the wire, CPU, connections and memory.
// The mean comes from the closed forms (model/model.hpp); the quantiles from the simulation
// (model/simulate.hpp), which adds the queueing they leave out. An interval spans the machine's
// uncertainty (the calibration's measured constants scaled by kMachineFactor either way) and,
// when the point says how many events a measurement would average, that measurement's own
// sampling spread: it is where a measurement of the point should fall, and `hookbench validate`
// counts how often one does.
#pragma once

#include <cstdint>
#include <string>

#include "model/calibration.hpp"

namespace hookbench {

// How far one machine's constants (G, D, c, and the base latency) may sit from a calibration's:
// a factor either way, or the calibration's own spread when that is larger.
inline constexpr double kMachineFactor = 2.0;

struct point_input {
  std::string mode;
  bool constant_arrivals = false;
  double rate = 1;         // lambda, events/s
  double subscribers = 1;  // N
  double interval_s = 1;   // T (pull modes)
  double rtt_s = 0;        // the network's round trip beyond loopback's
  double payload_bytes = 256;
  double backoff = 2, max_interval_s = 0;         // poll-adaptive
  double wait_s = 30;                             // long-poll
  double batch_window_s = 0.05, batch_max = 100;  // webhook-batch
  double webhook_concurrency = 4;                 // connections per subscriber at most
  // Producer io threads sharing the fan-out (one core each): a projection's capacity. The
  // harness has one; more divide c among them.
  double cores = 1;
  // Events a measurement of the point averages over (its window x rate): widens the intervals
  // by that measurement's sampling spread; 0 = the machine's uncertainty alone.
  double events = 0;
  // The measurement's warm-up and window (0: the steady state): a short run starts with no
  // webhook connection open, and the simulation plays as many runs as it takes.
  double warmup_s = 0, window_s = 0;
  double poll_limit = 1000;  // events per poll answer at most
  std::uint64_t seed = 1;
  std::size_t sim_events = 4000;         // the simulation's length
  std::size_t sim_max_work = 4'000'000;  // and its bound on event x subscriber steps
  bool latency = true;                   // false: the costs alone (no simulation; latency left 0)
  // A saturated point's latencies are infinite; false keeps the pull modes' (whose wait does
  // not grow with the producer's load in the model), for a search over T.
  bool unbounded_when_saturated = true;
};

struct estimate {
  double value = 0, lo = 0, hi = 0;
};

struct forecast {
  std::string mode;
  estimate mean_us, p50_us, p99_us;  // infinite when saturated
  double requests_per_s = 0;
  double bytes_per_s = 0;
  double producer_cores = 0, consumer_cores = 0;
  double connections = 0;
  double producer_memory_bytes = 0;
  double io_utilization = 0;  // of the producer's delivering io thread (push), or its CPU (pull)
  bool saturated = false;
  std::string saturated_reason;
};

forecast predict(const calibration& cal, const point_input& in);

// Whether a point lies inside the range that validation backs (calibration::validated), and if
// not which bound it passes: "" inside, otherwise e.g. "N = 2000 > 10000 measured".
std::string projection_reason(const calibration& cal, const point_input& in);

}  // namespace hookbench
