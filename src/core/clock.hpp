// The one place that owns time. Latencies are differences of CLOCK_MONOTONIC readings, which
// on one host are comparable across processes (the producer stamps, the consumer subtracts);
// across hosts the consumer converts with a measured offset (measure/clock_sync.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>

namespace hookbench {

using nanos = std::int64_t;

constexpr nanos kNanosPerMicro = 1'000;
constexpr nanos kNanosPerMilli = 1'000'000;
constexpr nanos kNanosPerSecond = 1'000'000'000;

namespace detail {
// Testing only (serve --test-clock-shift): makes this process's clock read CLOCK_MONOTONIC + shift,
// so that one host can stand in for two whose clocks differ. 0 in every real run.
inline std::atomic<std::int64_t> clock_shift_ns{0};
}  // namespace detail

// Shifts every now_ns() of this process (testing). Call before any time is taken.
inline void set_test_clock_shift(nanos shift) noexcept {
  detail::clock_shift_ns.store(shift, std::memory_order_relaxed);
}
inline nanos test_clock_shift() noexcept {
  return detail::clock_shift_ns.load(std::memory_order_relaxed);
}

// Monotonic time in nanoseconds, system-wide on Linux (plus the test shift, normally 0).
inline nanos now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<nanos>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec + test_clock_shift();
}

// The steady_clock time point of a now_ns() time, for arming timers at absolute times.
// libstdc++'s steady_clock is CLOCK_MONOTONIC, so only the test shift has to be taken off.
inline std::chrono::steady_clock::time_point steady_time_of(nanos t) noexcept {
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(t - test_clock_shift()));
}

// Wall-clock Unix seconds: what a webhook-timestamp header carries. Never used for a latency.
inline std::int64_t unix_seconds() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec);
}

inline double to_us(nanos ns) noexcept { return static_cast<double>(ns) / 1e3; }
inline double to_ms(nanos ns) noexcept { return static_cast<double>(ns) / 1e6; }
inline double to_s(nanos ns) noexcept { return static_cast<double>(ns) / 1e9; }

}  // namespace hookbench
