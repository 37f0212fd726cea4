// Open-loop arrival schedules. Every scheduled time is an offset from the start, computed from
// the schedule alone, so a late tick never shifts later events (no coordinated omission).
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "core/clock.hpp"

namespace hookbench {

enum class arrival_kind { poisson, constant };
arrival_kind parse_arrival_kind(std::string_view text);  // throws usage_error
std::string to_string(arrival_kind kind);

class arrival_schedule {
 public:
  arrival_schedule(arrival_kind kind, double rate_per_s, std::uint64_t seed);
  // Offset of the next event from the schedule's start, strictly non-decreasing.
  nanos next_offset();

 private:
  arrival_kind kind_;
  double rate_;
  std::mt19937_64 rng_;
  std::exponential_distribution<double> gap_s_;
  long double elapsed_s_ = 0;  // Poisson: running sum of gaps in seconds
  std::uint64_t index_ = 0;    // constant: the i-th event is at i / rate
};

}  // namespace hookbench
