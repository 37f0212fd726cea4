// A sweep scenario (bench/scenarios/*.json): the axes whose cross product `hookbench sweep`
// runs, how long each point measures, and the optional short traced runs. Parsing is strict:
// an unknown or mistyped field is a usage_error naming it. The format is in docs/RESULTS.md.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "orchestrator/runner.hpp"
#include "producer/arrivals.hpp"

namespace hookbench {

// The "trace" block: one short run per mode at this rate (and interval, for poll modes).
struct trace_spec {
  double rate = 5;
  double interval_ms = 200;
  double duration_s = 3;
  std::size_t subscribers = 1;
};

// The "rtt" block: extra points through an emulated WAN link (run --rtt), on a few modes at a
// few rates, so that the round trip becomes an axis without multiplying the whole sweep.
struct rtt_block {
  std::vector<double> rtts_ms;
  std::vector<std::string> modes;
  std::vector<double> rates;
  std::vector<double> intervals_ms;  // pull modes; default: the scenario's
};

struct scenario {
  std::string name;
  std::string description;
  std::vector<std::string> modes;
  std::vector<double> rates;         // events/s
  std::vector<double> intervals_ms;  // poll interval T, pull modes only
  std::vector<std::size_t> subscribers{1};
  std::vector<std::size_t> payload_bytes{256};
  // Each point is repeated with different seeds; its estimate and 95% interval come from the
  // repeats' means (a t-interval over them), so a point needs at least two and three by default.
  int repeats = 3;
  arrival_kind arrivals = arrival_kind::poisson;
  std::uint64_t seed = 1;  // repeat k runs with seed + k
  double warmup_s = 1;
  double drain_s = 5;
  // What each repeat must expect: events lambda d, latency samples (events x subscribers
  // delivered) lambda N d, and, for pull modes, polls N d / T.
  std::uint64_t min_events = 30;
  std::uint64_t min_delivered = 200;
  std::uint64_t min_polls = 50;
  double min_duration_s = 1;  // the window d is clamped to [min, max]
  double max_point_s = 10;
  std::vector<int> pin;  // empty, or {producer core, consumer core}
  mode_tuning tuning;    // "tuning": the knobs of poll-adaptive, long-poll, webhook-batch
  std::optional<trace_spec> trace;
  // "faults": ["none", "receiver-down:1s:2s", "consumer-down:1s:1s,receiver-5xx:2s:1s:0.5"]:
  // each entry a point's faults (comma-separated specs). Receiver faults only reach webhook
  // modes: a point pairing one with another mode is skipped.
  std::vector<std::string> faults{"none"};
  // Set by sweep's --signature / --unsigned, not by the file.
  security::signature_scheme signature = security::signature_scheme::hmac;
  retry_options retry;  // sweep's --retry, --retry-scale, ...
  // "rtt_ms": the round trip of every point's link (0 = loopback, no link); an axis.
  std::vector<double> rtts_ms{0};
  std::optional<rtt_block> rtt;
  // Set by sweep's --jitter / --bandwidth: every point with a link gets them.
  nanos link_jitter = 0;
  double link_bandwidth_bps = 0;
  // "inventory": every point runs across hosts, through the playbook ("playbook", default
  // deploy/hookbench.yml, both relative to where the sweep runs): serve on the inventory's
  // producer, N / hosts subscribers on each of its consumers (N must divide evenly).
  std::string inventory;
  std::string playbook = "deploy/hookbench.yml";
};

// Throws usage_error("FIELD: what is wrong") on anything unexpected.
scenario parse_scenario(const nlohmann::json& j);

// One point of the cross product.
struct sweep_point {
  std::string mode;
  bool pull = true;
  double rate = 0;
  double interval_ms = 0;  // 0 for push modes
  std::size_t subscribers = 1;
  std::size_t payload_bytes = 256;
  int repeat = 0;
  std::uint64_t seed = 1;
  arrival_kind arrivals = arrival_kind::poisson;
  std::string fault = "none";  // one entry of scenario::faults
  double rtt_ms = 0;           // the link's round trip; 0 = loopback

  // Deterministic name of the point, e.g. "poll-r10-T100-N1-p256-k0" (push modes: no T part;
  // a fault adds "-F" and the specs with ':' and ',' as '_': "-Freceiver-down_1s_2s"; through a
  // link: "-R10" before "-k").
  std::string run_id() const;
  // Events per poll interval, lambda T (0 for push modes).
  double lambda_t() const { return pull ? rate * interval_ms / 1e3 : 0; }
};

// Order: repeat, RTT, mode, subscribers, payload, interval (pull modes only), rate; so an
// interrupted sweep has whole curves, and every repeat-0 point comes before any repeat-1 point.
// Each repeat ends with the "rtt" block's points that the cross product does not already hold;
// a block point at a rate of the scenario's shares that rate's seed (the same arrivals).
std::vector<sweep_point> expand_points(const scenario& s);

// The faults of one "faults" entry ("none": no fault). Throws usage_error.
std::vector<fault_spec> parse_fault_list(const std::string& entry);

// How long a point measures. The window d is the shortest that expects min_events events
// (lambda d), min_delivered latency samples (lambda N d) and min_polls polls (N d / T), clamped
// to [min_duration_s, max_point_s]; with faults, at least the last fault's end + 1 s (so that
// recovery is measured in the window). A sparse lambda T is reached with a shorter T, not with a
// window that holds a handful of events: a point that cannot reach the minimums is flagged.
struct point_plan {
  double duration_s = 0;
  double drain_s = 0;              // the scenario's drain, at least 2T + 0.5 s for pull modes
                                   // (and runner.hpp's fault_drain with faults)
  double expected_events = 0;      // lambda d
  double expected_deliveries = 0;  // lambda N d: the latency samples
  double expected_polls = 0;       // N d / T (0 for push modes)
  bool min_reached = true;         // false when max_point_s is too short for the minimums
  std::string note;                // why min_reached is false; empty otherwise
};
point_plan plan_point(const scenario& s, const sweep_point& p);

// The run_once() configuration of a point (quiet; port 0).
run_config make_run_config(const scenario& s, const sweep_point& p, const point_plan& plan);

// Rough wall time of a point (start-up, warm-up, window, drain of the last poll) for progress.
double estimate_point_s(const scenario& s, const sweep_point& p, const point_plan& plan);

// The scenario's traced runs: one per mode at the trace block's rate (and interval); none
// without a "trace" block. Their plan is the trace's own window, never flagged as short.
std::vector<sweep_point> trace_points(const scenario& s);
point_plan trace_plan(const scenario& s, const sweep_point& p);

// The planned wall time of the whole sweep (every point and traced run), from
// estimate_point_s(): what `sweep` announces at its start and `--dry-run` prints.
double planned_sweep_s(const scenario& s);

// Compact number for names and messages: "10", "0.5", "1e-05".
std::string compact_number(double v);

}  // namespace hookbench
