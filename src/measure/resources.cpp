// Process resource readings.
#include "measure/resources.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>

#include "core/clock.hpp"

namespace hookbench {

cpu_sample process_cpu() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return {secs(ru.ru_utime), secs(ru.ru_stime)};
}

double measure_idle_cores(boost::asio::io_context& ioc, std::int64_t d_ns) {
  const cpu_sample before = process_cpu();
  const nanos t0 = now_ns();
  // A timer keeps the context running for the whole stretch even when nothing else is queued.
  boost::asio::steady_timer until(ioc, std::chrono::nanoseconds(d_ns));
  bool over = false;
  until.async_wait([&](const boost::system::error_code&) { over = true; });
  while (!over && !ioc.stopped()) ioc.run_one_for(std::chrono::nanoseconds(d_ns));
  if (ioc.stopped()) ioc.restart();
  const double elapsed = to_s(now_ns() - t0);
  return elapsed > 0 ? (process_cpu().total() - before.total()) / elapsed : 0.0;
}

std::int64_t current_rss_bytes() {
  long pages_total = 0, pages_resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  int n = std::fscanf(f, "%ld %ld", &pages_total, &pages_resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<std::int64_t>(pages_resident) * sysconf(_SC_PAGESIZE);
}

}  // namespace hookbench
