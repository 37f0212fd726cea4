// hookbench: polling or webhooks, measured. Dispatches to the subcommands.
#include <iostream>
#include <string_view>

#include "commands.hpp"
#include "core/fd_limit.hpp"
#include "core/parse.hpp"

namespace {

constexpr const char* kUsage =
    "usage: hookbench COMMAND [options]\n"
    "\n"
    "Delivers the same events by polling and by webhooks between two real processes over real\n"
    "HTTP, and measures latency, requests, bytes and CPU.\n"
    "\n"
    "commands:\n"
    "  run       start producer and consumer on loopback, measure one mode, print and save the "
    "result\n"
    "  sweep     run a scenario's points (bench/scenarios/*.json) into a runs.csv and run JSONs\n"
    "  serve     the producer alone (event generator, event log, HTTP API, webhook dispatcher)\n"
    "  client    the consumer alone (pollers or a webhook receiver) against a producer URL\n"
    "  link      a WAN link emulator: a TCP proxy adding delay, jitter, a bandwidth limit, cuts\n"
    "  compare   print saved results side by side\n"
    "  model-check  how well the model fits saved sweeps, point by point over their repeats\n"
    "  modes     list the delivery modes (--json for scripts and tests)\n"
    "  hosts     plan and merge one run across hosts (deploy/hookbench.yml runs them)\n"
    "  advise    which design for your rate, subscribers, RTT and latency budget, predicted\n"
    "  calibrate measure this machine's constants for the model (about 2 minutes)\n"
    "  validate  predict saved sweeps' points from a calibration alone, and count the hits\n"
    "  project   carry a calibration to a million subscribers: cores, requests, Gbit/s\n"
    "\n"
    "`hookbench COMMAND --help` describes each command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace hookbench;
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  std::string_view cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (cmd == "--version") {
    std::cout << "hookbench 0.1.0\n";
    return 0;
  }
  raise_fd_limit();
  try {
    if (cmd == "run") return run_main(argc - 2, argv + 2);
    if (cmd == "sweep") return sweep_main(argc - 2, argv + 2);
    if (cmd == "serve") return serve_main(argc - 2, argv + 2);
    if (cmd == "client") return client_main(argc - 2, argv + 2);
    if (cmd == "compare") return compare_main(argc - 2, argv + 2);
    if (cmd == "modes") return modes_main(argc - 2, argv + 2);
    if (cmd == "link") return link_main(argc - 2, argv + 2);
    if (cmd == "model-check") return model_check_main(argc - 2, argv + 2);
    if (cmd == "hosts") return hosts_main(argc - 2, argv + 2);
    if (cmd == "advise") return advise_main(argc - 2, argv + 2);
    if (cmd == "calibrate") return calibrate_main(argc - 2, argv + 2);
    if (cmd == "validate") return validate_main(argc - 2, argv + 2);
    if (cmd == "project") return project_main(argc - 2, argv + 2);
    std::cerr << "hookbench: unknown command '" << cmd << "' (see hookbench --help)\n";
    return kExitUsage;
  } catch (const usage_error& e) {
    std::cerr << "hookbench " << cmd << ": " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "hookbench " << cmd << ": " << e.what() << "\n";
    return kExitFailure;
  }
}
