// The capacity search behind `hookbench sweep --find-max-rate`: the highest event rate a mode
// sustains on this machine, found by doubling from the scenario's top rate until a run fails the
// bound, then bisecting (geometrically) between the last rate that held and the first that did not.
// A rate is sustained when its run is not saturated (result.hpp's rules), loses nothing, and keeps
// p99 latency within the bound (for pull modes T + the bound: a poll waits up to T by design). One
// run per probed rate: the answer is a figure for this machine and this load, to be quoted with its
// bound, not a constant of the mode.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "orchestrator/scenario.hpp"

namespace hookbench {

struct capacity_options {
  double p99_bound_us = 10'000;
  double window_s = 2;    // each probe's measured window
  double max_rate = 1e6;  // never probe above this
  double min_rate = 1;    // nor below this
  int bisect_steps = 5;   // after bracketing: the answer is within (hi/lo)^(1/2^5) of the edge
};

// Searches `mode` at the scenario's first interval (pull modes), subscriber count and payload.
// `say` gets one line per probe. Returns {"mode", "interval_ms", "subscribers", "payload_bytes",
// "p99_bound_us", "window_s", "max_sustained_rate" (null if none held), "tried": [...]}.
// Throws run_failure when interrupted.
nlohmann::json find_max_rate(const scenario& s, const std::string& mode,
                             const capacity_options& options,
                             const std::function<void(const std::string&)>& say);

}  // namespace hookbench
