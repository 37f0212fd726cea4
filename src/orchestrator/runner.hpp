// One run: the configuration of `hookbench run` and the function that carries it out (spawn
// both sides, wait for readiness, warm up, measure, drain, collect, assemble the result).
// `run` and `sweep` both call run_once().
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "consumer/consumer_config.hpp"
#include "core/cli.hpp"
#include "core/clock.hpp"
#include "core/fault.hpp"
#include "modes/mode.hpp"
#include "modes/tuning.hpp"
#include "producer/generator.hpp"
#include "producer/producer.hpp"
#include "producer/webhook_dispatcher.hpp"

namespace hookbench {

struct run_config {
  std::string mode = delivery_modes().front().name;
  std::string consumer_stack = "beast";  // --consumer-stack (modes/mode.hpp)
  // --rate, --arrivals, --seed, --payload, --warmup, --duration, --timer: the producer's schedule
  generator_config generation;
  nanos interval = 100 * kNanosPerMilli;
  std::size_t subscribers = 1;
  nanos drain = 5 * kNanosPerSecond;
  std::vector<int> pin;
  std::string out;
  std::uint16_t port = 0;
  std::size_t retention = 100'000;
  // --webhook-connection, --webhook-concurrency, --retry..., --signature/--unsigned (given to
  // both children: serve signs, client verifies)
  dispatcher_options webhooks;
  std::size_t poll_limit = 1000;
  mode_tuning tuning;
  nanos stream_lifetime = 0;  // --stream-lifetime: the producer closes each stream this often
  nanos ready_timeout = 30 * kNanosPerSecond;
  bool quiet = false;
  std::string trace;  // --trace FILE: record the run's timeline (measure/trace.hpp)
  double attack = 0;  // --attack F: a third party POSTs F x rate bad deliveries (attacker.hpp)
  bool tls = false;   // --tls: HTTPS with a CA and certificate generated for the run
  std::vector<fault_spec> faults;  // --fault KIND:AT:FOR[:PARAM] (core/fault.hpp)
  // --fsync: the producer keeps its log in a file with this policy ("": only for a restart)
  std::string fsync;
  // --rtt, --jitter, --bandwidth: an emulated WAN link between the sides (link/link.hpp), also
  // put in (with no delay) when a link-cut fault is asked for.
  nanos rtt = 0;
  nanos jitter = 0;
  double bandwidth_bps = 0;  // 0 = unlimited

  bool uses_link() const;

  nlohmann::json to_json(bool pull) const;
};

// A run failure to report in one line (the children's own stderr has already said more).
struct run_failure : std::runtime_error {
  int code;
  explicit run_failure(const std::string& what, int c = kExitFailure)
      : std::runtime_error(what), code(c) {}
};

// The drain after the window, the one rule of `run` and `sweep`: as asked, but where a design holds
// events by up to `longest_gap` (T for polling, mode_tuning::longest_gap) at least twice that
// + 0.5 s, since the window's last events are fetched or sent up to that long after its end.
nanos effective_drain(nanos drain, nanos longest_gap);

// With faults, a run must not cut recovery short: the drain is at least, for every fault, the
// part of it (with a receiver-slow delay or a receiver-429 Retry-After) that falls after the
// window's end + kFaultRecoveryMargin, or + `recovery` when that is longer (a webhook sender's
// first retry and its breaker's cool-down: retry_recovery). A run that recovers drains no longer
// than it needs.
constexpr nanos kFaultRecoveryMargin = 5 * kNanosPerSecond;
nanos fault_drain(nanos drain, const std::vector<fault_spec>& faults, nanos duration,
                  nanos recovery = 0);
// How long after a fault's end a webhook sender under `retry` may take to try again: the
// policy's delays at the most jitter, summed until they outlast the longest fault (an event
// that failed at its start is tried again after it), plus the breaker's cool-down, scaled,
// + 1 s, at most kMaxRetryWait; 0 for pull modes and --retry none. Deliveries whose next attempt
// still falls later are reported as waiting (pending_retry), not given up.
constexpr nanos kMaxRetryWait = 60 * kNanosPerSecond;
nanos retry_recovery(const retry_options& retry, std::string_view mode,
                     const std::vector<fault_spec>& faults);

// The drain of a run with this configuration: effective_drain, then fault_drain with the
// retries' recovery (what the result's config.drain_s says).
nanos run_drain(const run_config& cfg);

// What every producer and consumer of a run with this configuration is given, wherever they
// run: the schedule, retention, webhook and stream settings, the holding caps made room for
// `subscribers` in all (over every consumer host), and the consumer's mode, its subscribers,
// drain and knobs. `run` adds its loopback address, TLS files, faults and scratch paths; the
// multi-host plan (`hookbench hosts plan`) its listen address.
producer_config base_producer_config(const run_config& cfg, std::size_t subscribers);
consumer_config base_consumer_config(const run_config& cfg);

// Throws usage_error for a fault this run cannot carry out (the kind needs a mode, a stack or a
// part that the run lacks).
void check_fault_support(const run_config& cfg);

// Every option of `hookbench run`, and its checks of them together (hosts plan reads run.json
// with them).
void add_run_command_options(option_parser& p, run_config& cfg);
void check_run_command(const option_parser& p, const run_config& cfg);

// Adds --rtt, --jitter and --bandwidth (run and sweep).
void add_link_options(option_parser& p, run_config& cfg);

// Carries out one run and returns its validated result JSON. Throws run_failure.
nlohmann::json run_once(const run_config& cfg);

}  // namespace hookbench
