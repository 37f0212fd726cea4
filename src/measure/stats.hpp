// TEMPORARY (replaced by the measure branch): confidence intervals.
#pragma once
#include <cstdint>
#include <optional>
namespace hookbench {
struct ci_interval {
  double lo = 0, hi = 0;
};
std::optional<ci_interval> mean_ci95(double mean, double sd, std::size_t n);
std::optional<ci_interval> wilson_ci95(std::uint64_t k, std::uint64_t n);
}  // namespace hookbench
