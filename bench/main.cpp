// hookbench_micro: Google Benchmark's main plus hookbench's environment (git revision, compiler,
// flags, CPU model, kernel) in the JSON "context", so a saved result says what produced it.
#include <benchmark/benchmark.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <string>

#include "measure/environment.hpp"

int main(int argc, char** argv) {
  // A peer closing mid-write must be an error code, not a dead process (cpp-httplib writes
  // without MSG_NOSIGNAL).
  std::signal(SIGPIPE, SIG_IGN);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const nlohmann::json environment = hookbench::describe_environment();
  for (const auto& [key, value] : environment.items()) {
    benchmark::AddCustomContext("hookbench_" + key,
                                value.is_string() ? value.get<std::string>() : value.dump());
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
