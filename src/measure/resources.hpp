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

// The process's CPU over the measured window: read at its start and at its end (both sides
// read it from timers at the window's edges, so the CPU window is the event window).
class cpu_window {
 public:
  void start() {
    start_ = process_cpu();
    started_ = true;
  }
  void end() {
    end_ = process_cpu();
    ended_ = true;
  }
  bool started() const { return started_; }
  bool measured() const { return started_ && ended_; }
  // CPU seconds over the window; meaningful only when measured().
  double seconds() const { return end_.total() - start_.total(); }

 private:
  cpu_sample start_{}, end_{};
  bool started_ = false, ended_ = false;
};
// Runs `ioc` for `d` with nothing to do but its own timers and returns the cores the process
// used meanwhile (its idle baseline: samplers, timers, the fixed cost per second of being up).
double measure_idle_cores(boost::asio::io_context& ioc, std::int64_t d_ns);
// Resident set size now, in bytes.
std::int64_t current_rss_bytes();

}  // namespace hookbench
