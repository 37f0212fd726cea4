// Reads git revision, compiler, build flags, CPU model, kernel and core count.
#include "measure/environment.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#ifndef HOOKBENCH_SOURCE_DIR
#define HOOKBENCH_SOURCE_DIR "."
#endif
#ifndef HOOKBENCH_BUILD_TYPE
#define HOOKBENCH_BUILD_TYPE "unknown"
#endif
#ifndef HOOKBENCH_CXX_FLAGS
#define HOOKBENCH_CXX_FLAGS ""
#endif

namespace hookbench {
namespace {

std::string run_command(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    std::array<char, 256> buf{};
    while (fgets(buf.data(), static_cast<int>(buf.size()), p)) out += buf.data();
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

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
  const std::string src = HOOKBENCH_SOURCE_DIR;
  std::string rev = run_command("git -C '" + src + "' rev-parse --short=12 HEAD 2>/dev/null");
  if (rev.empty()) rev = "unknown";
  bool dirty =
      !run_command("git -C '" + src + "' status --porcelain --untracked-files=no 2>/dev/null")
           .empty();
  return {
      {"git_revision", rev},
      {"git_dirty", dirty},
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
