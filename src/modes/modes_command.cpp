// `hookbench modes`: the delivery modes, one line each or as their descriptors in JSON.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "core/cli.hpp"
#include "modes/mode.hpp"

namespace hookbench {

int modes_main(int argc, char** argv) {
  bool as_json = false;
  option_parser p("hookbench modes",
                  "Lists the delivery modes that `run`, `sweep` and `client` accept.");
  p.add_switch("--json",
               "one JSON array of the modes' descriptors, in order: name, summary,\n"
               "                            family, pull, producer_side, receiver, design_gap,\n"
               "                            knobs, request_kinds, reference, model_claim,\n"
               "                            variation_of, palette, stacks (docs/RESULTS.md)",
               [&] { as_json = true; });
  if (!p.parse(argc, argv)) return 0;
  if (as_json) {
    std::cout << modes_json().dump() << "\n";
    return 0;
  }
  for (const auto& m : delivery_modes()) {
    std::cout << std::left << std::setw(18) << m.name << (m.pull ? "pull  " : "push  ") << m.summary
              << "\n";
  }
  return 0;
}

}  // namespace hookbench
