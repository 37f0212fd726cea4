// Reports the git revision the binary was built from, compiler, build flags, CPU model, kernel
// and core count.
#include "measure/environment.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "git_revision.hpp"  // generated at build time (cmake/GitRevision.cmake)

#ifndef HOOKBENCH_BUILD_TYPE
#define HOOKBENCH_BUILD_TYPE "unknown"
#endif
#ifndef HOOKBENCH_CXX_FLAGS
#define HOOKBENCH_CXX_FLAGS ""
#endif

namespace hookbench {
namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

}  // namespace

nlohmann::json describe_environment() {
  utsname u{};
  uname(&u);
  return {
      // The revision the binary was built from and whether its tree was modified then.
      {"git_revision", HOOKBENCH_GIT_REVISION},
      {"git_dirty", HOOKBENCH_GIT_DIRTY},
      {"compiler", std::string("g++ ") + __VERSION__},
      {"build_type", HOOKBENCH_BUILD_TYPE},
      {"cxx_flags", HOOKBENCH_CXX_FLAGS},
      {"cpu_model", cpu_model()},
      {"cores", sysconf(_SC_NPROCESSORS_ONLN)},
      {"kernel", std::string(u.sysname) + " " + u.release},
      {"hostname", u.nodename},
  };
}

}  // namespace hookbench
