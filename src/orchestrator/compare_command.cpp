// `hookbench compare`: the run table for saved `run --out` results, side by side.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "core/cli.hpp"
#include "orchestrator/result.hpp"

namespace hookbench {

using json = nlohmann::json;

int compare_main(int argc, char** argv) {
  if (argc == 0 || std::string_view(argv[0]) == "--help" || std::string_view(argv[0]) == "-h") {
    std::cout << "usage: hookbench compare RESULT.json [RESULT.json ...]\n\n"
                 "Prints saved `hookbench run --out` results side by side.\n";
    return argc == 0 ? kExitUsage : 0;
  }
  std::vector<json> results;
  for (int i = 0; i < argc; ++i) {
    std::ifstream f(argv[i]);
    if (!f) throw usage_error(std::string("cannot read ") + argv[i]);
    auto j = json::parse(f, nullptr, false);
    if (j.is_discarded()) throw usage_error(std::string(argv[i]) + ": not valid JSON");
    try {
      validate_result(j);
    } catch (const std::exception& e) {
      throw usage_error(std::string(argv[i]) + ": " + e.what());
    }
    results.push_back(std::move(j));
  }
  print_table(std::cout, results);
  return 0;
}

}  // namespace hookbench
