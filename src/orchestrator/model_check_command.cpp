// `hookbench model-check DIR...`: the model against saved sweeps, point by point
// (orchestrator/model_check.hpp). A report, not a test: it exits 0 whatever the fit.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "core/cli.hpp"
#include "core/parse.hpp"
#include "orchestrator/model_check.hpp"

namespace hookbench {
namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: hookbench model-check [--tolerance FRACTION] [--without-fan-out-measures] DIR...\n\n"
    "Recomputes the model of every saved run (DIR/runs/*.json) from the inputs it recorded,\n"
    "groups repeats (runs that differ only in the seed) into points, and prints per mode the\n"
    "fraction of points where the model's mean lies inside the 95% t-interval over the\n"
    "repeats' mean latencies, or within FRACTION (default 0.15) of their mean; then every point\n"
    "that misses, with the size of the miss. Where the model gives no bound (rho >= 1) it\n"
    "agrees when a repeat was flagged saturated. Fault runs are left out. Exits 0 whatever\n"
    "the fit: it is a report.\n\n"
    "  --without-fan-out-measures  recompute every run as one made before the fan-out\n"
    "                              measures (c = net CPU per delivery, D from the round\n"
    "                              trip): how much of the fit the in-run measures carry\n";

int model_check_main(int argc, char** argv) {
  double tolerance = 0.15;
  bool without_measures = false;
  std::vector<std::string> dirs;
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (a == "--without-fan-out-measures") {
      without_measures = true;
      continue;
    }
    if (a == "--tolerance" || a.starts_with("--tolerance=")) {
      std::string_view v;
      if (a == "--tolerance") {
        if (i + 1 >= argc) throw usage_error("--tolerance: needs a value");
        v = argv[++i];
      } else {
        v = a.substr(std::string_view("--tolerance=").size());
      }
      try {
        tolerance = parse_non_negative_double(v);
      } catch (const usage_error& e) {
        throw usage_error(std::string("--tolerance: ") + e.what());
      }
      continue;
    }
    if (a.starts_with("-")) throw usage_error("model-check: unknown option " + std::string(a));
    dirs.emplace_back(a);
  }
  if (dirs.empty()) throw usage_error("model-check: name at least one sweep folder");
  for (const auto& d : dirs) {
    const fs::path dir(d);
    const std::string name = fs::absolute(dir).lexically_normal().filename().string();
    print_model_check(std::cout, name.empty() ? d : name,
                      group_points(read_sweep_runs(dir), without_measures), tolerance);
  }
  return 0;
}

}  // namespace hookbench
