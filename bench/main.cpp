// hookbench_micro: Google Benchmark's main plus hookbench's environment (git revision, compiler,
// flags, CPU model, kernel) and the load average at the start in the JSON "context", so a saved
// result says what produced it and whether the machine was busy (scripts/micro.sh adds the end).
#include <benchmark/benchmark.h>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "measure/environment.hpp"

int main(int argc, char** argv) {
  // A peer closing mid-write must be an error code, not a dead process (cpp-httplib writes
  // without MSG_NOSIGNAL).
  std::signal(SIGPIPE, SIG_IGN);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // The 1-minute load average, as /proc/loadavg writes it ("" where it cannot be read).
  std::string load;
  std::ifstream("/proc/loadavg") >> load;
  benchmark::AddCustomContext("hookbench_load_average_start", load);
  const nlohmann::json environment = hookbench::describe_environment();
  for (const auto& [key, value] : environment.items()) {
    benchmark::AddCustomContext("hookbench_" + key,
                                value.is_string() ? value.get<std::string>() : value.dump());
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
