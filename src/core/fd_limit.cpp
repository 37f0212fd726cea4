// setrlimit(RLIMIT_NOFILE) up to the hard limit.
#include "core/fd_limit.hpp"

#include <sys/resource.h>

namespace hookbench {

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace hookbench
