// Clock offset estimation (measure/clock_sync) on synthetic ping exchanges whose true offset is
// known: exact recovery at the minimum-round-trip sample, the bound of half that round trip, and
// asymmetric paths that stay within it. Also the test clock shift of core/clock.hpp.
#include "measure/clock_sync.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <vector>

namespace hookbench {
namespace {

constexpr nanos kUs = kNanosPerMicro;

// An exchange sent at local `t0` that takes `out` to reach the producer and `back` to return,
// against a producer clock that reads local + `offset`.
clock_sample exchange(nanos t0, nanos out, nanos back, nanos offset) {
  return {t0, t0 + out + offset, t0 + out + back};
}

TEST(estimate_clock, recovers_known_offset_at_min_rtt_sample) {
  const nanos offset = 5 * kNanosPerSecond + 123;
  std::vector<clock_sample> s = {
      exchange(1'000'000, 300 * kUs, 50 * kUs, offset),   // first exchange: pays the connect
      exchange(2'000'000, 90 * kUs, 30 * kUs, offset),    // asymmetric, rtt 120 us
      exchange(3'000'000, 40 * kUs, 40 * kUs, offset),    // symmetric, rtt 80 us: the best
      exchange(4'000'000, 45 * kUs, 200 * kUs, offset)};  // slow return
  const auto e = estimate_clock(s);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->offset_ns, offset);
  EXPECT_EQ(e->min_rtt_ns, 80 * kUs);
  EXPECT_EQ(e->error_bound_ns, 40 * kUs);
  EXPECT_EQ(e->samples, 4u);
  EXPECT_EQ(e->to_local(offset + 7), 7);
  EXPECT_EQ(e->to_remote(7), offset + 7);
}

TEST(estimate_clock, negative_offset) {
  const nanos offset = -3 * kNanosPerSecond;
  std::vector<clock_sample> s = {exchange(10 * kNanosPerSecond, 25 * kUs, 25 * kUs, offset)};
  const auto e = estimate_clock(s);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->offset_ns, offset);
  EXPECT_EQ(e->error_bound_ns, 25 * kUs);
}

TEST(estimate_clock, bound_is_half_the_min_round_trip_rounded_up) {
  // rtt 101 ns: the midpoint sits 50 ns from t0 and 51 ns from t3; the bound must cover 51.
  std::vector<clock_sample> s = {{1000, 5000, 1101}, {2000, 9000, 2400}};
  const auto e = estimate_clock(s);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->min_rtt_ns, 101);
  EXPECT_EQ(e->error_bound_ns, 51);
  EXPECT_EQ(e->offset_ns, 5000 - 1050);
}

TEST(estimate_clock, one_sided_delay_is_off_by_exactly_the_bound) {
  const nanos offset = 777;
  // All of the round trip on the way out, then all of it on the way back: the two extremes.
  for (const auto& s : {exchange(0, 100 * kUs, 0, offset), exchange(0, 0, 100 * kUs, offset)}) {
    const auto e = estimate_clock(std::vector<clock_sample>{s});
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(std::llabs(e->offset_ns - offset), e->error_bound_ns);
    EXPECT_EQ(e->error_bound_ns, 50 * kUs);
  }
}

TEST(estimate_clock, asymmetric_samples_stay_within_the_bound) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<nanos> delay(0, 2 * kNanosPerMilli);
  std::uniform_int_distribution<nanos> offsets(-10 * kNanosPerSecond, 10 * kNanosPerSecond);
  for (int trial = 0; trial < 1000; ++trial) {
    const nanos offset = offsets(rng);
    std::vector<clock_sample> s;
    for (int i = 0; i < 1 + trial % 21; ++i) {
      s.push_back(exchange(i * kNanosPerMilli * 10, delay(rng), delay(rng), offset));
    }
    const auto e = estimate_clock(s);
    ASSERT_TRUE(e.has_value());
    ASSERT_LE(std::llabs(e->offset_ns - offset), e->error_bound_ns) << "trial " << trial;
    nanos min_rtt = s.front().round_trip();
    for (const auto& x : s) min_rtt = std::min(min_rtt, x.round_trip());
    ASSERT_EQ(e->min_rtt_ns, min_rtt);
    ASSERT_EQ(e->samples, s.size());
  }
}

TEST(estimate_clock, no_usable_sample) {
  EXPECT_FALSE(estimate_clock({}).has_value());
  // A receive before its send cannot happen on one monotonic clock: ignored, not trusted.
  std::vector<clock_sample> bad = {{2000, 5000, 1000}};
  EXPECT_FALSE(estimate_clock(bad).has_value());
  bad.push_back({3000, 9000, 3010});
  const auto e = estimate_clock(bad);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->samples, 1u);
  EXPECT_EQ(e->offset_ns, 9000 - 3005);
}

TEST(estimate_clock, json_in_microseconds) {
  const auto j = to_json(clock_estimate{-2'500'000, 1'500, 3'000, 21});
  EXPECT_EQ(j.at("offset_us"), -2500.0);
  EXPECT_EQ(j.at("error_bound_us"), 1.5);
  EXPECT_EQ(j.at("min_rtt_us"), 3.0);
  EXPECT_EQ(j.at("samples"), 21);
}

// Restores the process's clock shift whatever the test does.
struct shift_guard {
  ~shift_guard() { set_test_clock_shift(0); }
};

TEST(test_clock_shift, shifts_now_and_maps_back_to_steady_clock) {
  shift_guard guard;
  constexpr nanos shift = -5 * kNanosPerSecond;
  set_test_clock_shift(shift);
  EXPECT_EQ(test_clock_shift(), shift);
  const auto before = std::chrono::steady_clock::now();
  const nanos shifted = now_ns();
  const auto after = std::chrono::steady_clock::now();
  // The shifted reading maps back to a steady_clock instant between the two unshifted ones.
  const auto at = steady_time_of(shifted);
  EXPECT_LE(before, at);
  EXPECT_GE(after, at);
  EXPECT_EQ(steady_time_of(1'000'000'000'000).time_since_epoch(),
            std::chrono::nanoseconds(1'000'000'000'000 - shift));
  set_test_clock_shift(0);
  EXPECT_EQ(steady_time_of(123).time_since_epoch(), std::chrono::nanoseconds(123));
}

}  // namespace
}  // namespace hookbench
