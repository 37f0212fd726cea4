// CPU and memory accounting of the calling process (getrusage, /proc/self/statm).
#pragma once

#include <cstdint>

namespace boost::asio {
class io_context;
}

namespace hookbench {

struct cpu_sample {
  double user_s = 0;
  double sys_s = 0;
  double total() const { return user_s + sys_s; }
};

cpu_sample process_cpu();
// Runs `ioc` for `d` with nothing to do but its own timers and returns the cores the process
// used meanwhile (its idle baseline: samplers, timers, the fixed cost per second of being up).
double measure_idle_cores(boost::asio::io_context& ioc, std::int64_t d_ns);
// Resident set size now, in bytes.
std::int64_t current_rss_bytes();
// Raise RLIMIT_NOFILE to the hard limit: a side may hold thousands of sockets.
void raise_fd_limit();

}  // namespace hookbench
