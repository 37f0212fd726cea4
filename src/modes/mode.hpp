// A delivery mode as data: everything the harness, the results and the scripts need to know of
// a mode, in one descriptor per mode. Nothing above this layer branches on a mode's name: it
// asks the descriptor (paced by T? a receiver? which producer delivery?). `hookbench modes
// --json` publishes the descriptors and a sweep writes them beside runs.csv (modes.json), so
// the scripts read families, colours, order and the model's claims from here too. The
// strategies that carry a mode out are not here: the consumer keeps its name -> strategy map
// (consumer/strategies.cpp), the producer its deliveries (producer/producer.cpp).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/model.hpp"
#include "model/simulate.hpp"

namespace hookbench {

class option_parser;

// The longest an event waits by design before it is fetched or sent (what the drain and the
// saturation rules allow for): nothing, one poll interval T, the adaptive poller's cap, or the
// batch window.
enum class design_gap { none, interval, adaptive_cap, batch_window };

// A design built as a variation of another: the mode it varies and the runs.csv column it is
// meant to save (the report compares the two on it).
struct mode_variation {
  std::string of;
  std::string saves;
};

// How the charts draw it: a matplotlib colour map (a name, or colour stops from light to dark)
// whose shades tell its series apart, and one marker.
struct mode_palette {
  std::vector<std::string> cmap;  // one name ("Blues"), or two or more "#rrggbb" stops
  std::string marker;
};

struct mode_descriptor {
  std::string name;
  std::string summary;
  // What the report groups it with: poll, long-poll, stream, webhook.
  std::string family;
  bool pull = false;  // the consumer's --interval T paces it
  // The producer delivery that serves it: its key in the producer's report.
  std::string producer_side;
  bool receiver = false;  // the consumer runs an HTTP receiver that the producer POSTs to
  design_gap gap = design_gap::none;
  // The mode_tuning knobs it takes, by flag (modes/tuning.hpp): any other is refused.
  std::vector<std::string> knobs;
  // The kinds of request it counts (requests.by_kind in a result).
  std::vector<std::string> request_kinds;
  model_fn model = nullptr;
  // How the simulation (model/simulate.hpp) plays it: the queueing the closed form leaves out.
  sim_design simulation = sim_design::poll;
  // The plain design of its side that the others are compared with ("pull" or "push"); empty
  // for the rest.
  std::string reference;
  // The model's claim in one sentence, after the mode's name in bold ("{s}": a verb's s, left
  // out when modes with the same claim are named together); empty for the two references, which
  // the report's model section describes.
  std::string model_claim;
  std::optional<mode_variation> variation;
  mode_palette palette;
  // The consumer stacks that carry it out (consumer/strategies.cpp); beast carries every mode.
  std::vector<std::string> stacks;

  bool uses_knob(std::string_view flag) const;
  bool carried_by(std::string_view stack) const;
  nlohmann::json to_json() const;
};

// Every mode, in the order the harness lists them and the charts draw them.
const std::vector<mode_descriptor>& delivery_modes();
const mode_descriptor* find_mode(std::string_view name);
// The descriptor of a mode known to exist (checked at parse time); throws std::logic_error.
const mode_descriptor& mode_of(std::string_view name);
std::string mode_names();  // "poll|poll-conditional|..."
// Every descriptor as JSON, in order: what `modes --json` prints and modes.json holds.
nlohmann::json modes_json();

// The consumer's HTTP stacks (--consumer-stack): "beast" (src/http) carries every mode;
// cpp-httplib's blocking client and server, with the library's defaults ("httplib") or with
// TCP_NODELAY and reused connections ("httplib-nodelay"), the modes that name them.
std::string consumer_stack_names();  // "beast|httplib|httplib-nodelay"
bool is_consumer_stack(std::string_view stack);
// Throws usage_error naming the stack and the mode unless the stack carries the mode.
void check_consumer_stack(std::string_view stack, const mode_descriptor& mode);
// Adds --consumer-stack (beast, httplib, httplib-nodelay) to a command's options.
void add_stack_option(option_parser& p, std::string& stack);

}  // namespace hookbench
