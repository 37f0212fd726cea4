// The one place that owns time. Latencies are differences of CLOCK_MONOTONIC readings, which
// on one host are comparable across processes (the producer stamps, the consumer subtracts).
#pragma once

#include <cstdint>
#include <ctime>

namespace hookbench {

using nanos = std::int64_t;

constexpr nanos kNanosPerMicro = 1'000;
constexpr nanos kNanosPerMilli = 1'000'000;
constexpr nanos kNanosPerSecond = 1'000'000'000;

// Monotonic time in nanoseconds, system-wide on Linux.
inline nanos now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<nanos>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}

inline double to_us(nanos ns) noexcept { return static_cast<double>(ns) / 1e3; }
inline double to_ms(nanos ns) noexcept { return static_cast<double>(ns) / 1e6; }
inline double to_s(nanos ns) noexcept { return static_cast<double>(ns) / 1e9; }

}  // namespace hookbench
