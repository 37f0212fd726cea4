// CPU and memory accounting of the calling process (getrusage, /proc/self/statm).
#pragma once

#include <cstdint>

namespace hookbench {

struct cpu_sample {
  double user_s = 0;
  double sys_s = 0;
  double total() const { return user_s + sys_s; }
};

cpu_sample process_cpu();
// Resident set size now, in bytes.
std::int64_t current_rss_bytes();
// Raise RLIMIT_NOFILE to the hard limit: a side may hold thousands of sockets.
void raise_fd_limit();

}  // namespace hookbench
