// The capacity search behind `hookbench sweep --find-max-rate`: the highest event rate a mode
// sustains on this machine, found by doubling from the scenario's top rate until a run fails the
// bound, then bisecting (geometrically) between the last rate that held and the first that did not,
// then confirming: the found rate is run again (3 times by default) and must hold every time, and
// the step above is run again and must fail at least once; a rate that does not confirm moves the
// answer one step down (or up). Each rate's confirmation runs happen once, so the answer held in
// all of its confirmation runs and the step above failed in one of its own: a monotone answer.
// A rate is sustained when its run is not saturated (result.hpp's rules), loses nothing, and keeps
// p99 latency within the bound (for pull modes T + the bound: a poll waits up to T by design). The
// answer is a figure for this machine and this load, to be quoted with its bound and environment,
// not a constant of the mode.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "orchestrator/scenario.hpp"

namespace hookbench {

struct capacity_options {
  double p99_bound_us = 10'000;
  double window_s = 2;      // each probe's measured window
  double max_rate = 1e6;    // never probe above this
  double min_rate = 1;      // nor below this
  int bisect_steps = 5;     // after bracketing: the answer is within (hi/lo)^(1/2^5) of the edge
  int confirm_repeats = 3;  // runs again at the answer and at the step above (0: no confirmation)
  int confirm_moves = 4;    // at most this many steps down or up while confirming
};

// The search's outcome, apart from the runs that fed it.
struct rate_search {
  std::optional<double> max_sustained;        // held in every one of its runs
  std::optional<double> first_not_sustained;  // the step above: failed in at least one run
  bool confirmed = false;  // both of the above were checked with the confirmation repeats
  int moves = 0;           // steps the confirmation moved the answer (down or up)
};

// The search logic: `sustains(rate)` runs one probe and says whether it held (it is called
// several times at one rate while confirming). Pure apart from `sustains`, so it is tested with a
// fake. `start_rate` is where the bracketing starts. search_max_rate is the two phases in turn:
// bracket_max_rate (double or halve, then bisect; one run per rate) and confirm_max_rate (the
// repeats at the answer and at the step above, moving the answer while they disagree).
rate_search bracket_max_rate(double start_rate, const capacity_options& options,
                             const std::function<bool(double)>& sustains);
rate_search confirm_max_rate(const rate_search& found, const capacity_options& options,
                             const std::function<bool(double)>& sustains);
rate_search search_max_rate(double start_rate, const capacity_options& options,
                            const std::function<bool(double)>& sustains);

// Rounded to 3 significant digits, so that the reported rates read as what was run.
double round_rate(double rate);

// The search's own fields of max_rate.json: "max_sustained_rate", "first_not_sustained" (null
// when none) and "confirmation" {"repeats", "confirmed", "moves", "rule"}.
nlohmann::json search_fields(const rate_search& found, const capacity_options& options);

// Searches `mode` at the scenario's first interval (pull modes), subscriber count and payload.
// `say` gets one line per probe. Returns {"mode", "interval_ms", "subscribers", "payload_bytes",
// "p99_bound_us", "window_s", "max_sustained_rate" (null if none held), "first_not_sustained",
// "confirmation": {"repeats", "confirmed", "moves", "rule"}, "environment" (revision, build, CPU,
// kernel, as in a run's result, plus "pinning" and the load average at the start and end),
// "tried": [{"rate", "phase" ("search" or "confirm"), "sustained", ...}]}.
// Throws run_failure when interrupted.
nlohmann::json find_max_rate(const scenario& s, const std::string& mode,
                             const capacity_options& options,
                             const std::function<void(const std::string&)>& say);

}  // namespace hookbench
