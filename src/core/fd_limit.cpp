// setrlimit(RLIMIT_NOFILE) up to the hard limit, and connection caps clamped to it.
#include "core/fd_limit.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstdint>

namespace hookbench {

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

std::size_t clamp_to_fd_limit(std::size_t wanted, std::string& note) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return wanted;
  const auto limit = static_cast<std::size_t>(rl.rlim_cur);
  const std::size_t room = limit > kFdReserve + 1 ? limit - kFdReserve : 1;
  if (wanted <= room) return wanted;
  note = "--max-connections " + std::to_string(wanted) + " lowered to " + std::to_string(room) +
         ": the open-file limit (RLIMIT_NOFILE) is " + std::to_string(limit) + ", " +
         std::to_string(kFdReserve) + " kept for files and outgoing connections";
  return room;
}

std::size_t outgoing_fd_budget() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return SIZE_MAX;
  const auto limit = static_cast<std::size_t>(rl.rlim_cur);
  const std::size_t room = limit > kFdReserve + 1 ? limit - kFdReserve : 1;
  return room > 2048 ? room - 1024 : std::max<std::size_t>(1, room / 2);
}

}  // namespace hookbench
