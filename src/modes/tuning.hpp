// The knobs that some delivery modes take (poll-adaptive's backoff and cap, long-poll's wait,
// webhook-batch's window and size, the webhook receivers' acknowledgement), defined once: their
// flags, defaults, validation, JSON names and how `run` hands them to `client`. A mode names
// the knobs it takes in its descriptor (modes/mode.hpp); any other is refused for it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "model/model.hpp"
#include "modes/mode.hpp"

namespace hookbench {

class option_parser;

struct mode_tuning {
  double backoff = 2;                        // poll-adaptive: interval x this per empty poll
  nanos max_interval = 0;                    // poll-adaptive: the cap (0 = 8T)
  nanos wait = 30 * kNanosPerSecond;         // long-poll: how long a request may park
  nanos batch_window = 50 * kNanosPerMilli;  // webhook-batch: a batch waits at most this
  std::size_t batch_max = 100;               // webhook-batch: events per POST at most
  std::string ack = "empty";  // webhook modes: empty (204) or json (200 {"received":N})

  nanos cap(nanos interval) const { return max_interval > 0 ? max_interval : 8 * interval; }
  // The longest an event can wait by design before it is fetched or sent (the mode's
  // design_gap): T, the adaptive cap, the batch window, or 0.
  nanos longest_gap(const mode_descriptor& mode, nanos interval) const;
  // The options for `hookbench client`, as `run` passes them on: the mode's knobs only.
  std::vector<std::string> to_args(const mode_descriptor& mode) const;
  // Only the knobs `mode` uses, by their JSON names (results, runs.csv, the model).
  nlohmann::json to_json(const mode_descriptor& mode, nanos interval) const;
};

// The model's knobs from a run's "tuning" JSON (mode_tuning::to_json): one reading for results
// and for the sweep's model curves.
void apply_tuning(const nlohmann::json& tuning, model_input& in);
// Adds every knob's flag (--backoff, --max-interval, --wait, --batch-window, --ack,
// --batch-max) to a command's options.
void add_tuning_options(option_parser& p, mode_tuning& t);
// A knob given for a mode that does not take it is a usage_error naming both.
void check_tuning_options(const option_parser& p, const mode_descriptor& mode);

}  // namespace hookbench
