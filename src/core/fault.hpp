// A fault to inject into a run: `--fault KIND:AT:FOR[:PARAM]` on `run`, `sweep` and (for the
// kinds the consumer carries out) `client`. AT and FOR are durations from the start of the
// measured window ("receiver-down:1s:2s": down from 1 s into the window, for 2 s). PARAM is the
// kind's own knob, with a default:
//   receiver-down     the webhook receiver closes its port and its connections, then reopens
//   receiver-5xx:P    the receiver answers 503 with probability P (default 1)
//   receiver-429:D    the receiver answers 429 with Retry-After D (whole seconds; default 1s)
//   receiver-slow:D   the receiver answers after D (default 6s: past the sender's 5 s timeout)
//   consumer-down     the consumer process is stopped (SIGSTOP), then continued (SIGCONT)
//   link-cut          the link between the two sides drops every connection and refuses new ones
//   producer-restart  the producer is killed (SIGKILL) at AT and started again after FOR,
//                     resuming from its event log file
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace hookbench {

enum class fault_kind {
  receiver_down,
  receiver_5xx,
  receiver_429,
  receiver_slow,
  consumer_down,
  link_cut,
  producer_restart,
};

struct fault_spec {
  fault_kind kind = fault_kind::receiver_down;
  nanos at = 0;      // from the window's start
  nanos length = 0;  // FOR, > 0
  // receiver-5xx: probability in (0, 1]; receiver-429: Retry-After in ns (whole seconds);
  // receiver-slow: the answer's delay in ns. 0 for the other kinds.
  double probability = 0;
  nanos delay = 0;

  nanos end() const { return at + length; }
  // The spec as given back: "receiver-5xx:1s:2s:0.5".
  std::string to_string() const;
  nlohmann::json to_json() const;
};

std::string to_string(fault_kind kind);
// "receiver-down|receiver-5xx|...".
std::string fault_kind_names();
// Throws usage_error naming the part that is wrong.
fault_spec parse_fault(std::string_view text);
// Kinds the consumer itself carries out (the receiver's): given to `client --fault`.
bool is_receiver_fault(fault_kind kind);
// Faults of the same kind may not overlap: throws usage_error naming both.
void check_faults(const std::vector<fault_spec>& faults);

}  // namespace hookbench
