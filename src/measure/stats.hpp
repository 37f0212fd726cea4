// Confidence intervals for the numbers a run reports: the mean latency (Student's t) and a
// fraction such as empty polls (Wilson score). Quantiles come from Boost.Math, never from tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/clock.hpp"

namespace hookbench {

struct ci_interval {
  double lo = 0, hi = 0;
};

// 95% CI of a mean from n samples with sample standard deviation sd: mean ± t(0.975, n-1)·sd/√n.
// nullopt when n < 2 (no spread to judge from) or when mean or sd is not finite or sd < 0.
std::optional<ci_interval> mean_ci95(double mean, double sd, std::size_t n);

// 95% Wilson score interval for k successes in n trials, within [0, 1]. Unlike mean ± z·se it
// stays meaningful at k = 0 and k = n, where a run's empty-poll fraction often sits.
// nullopt when n == 0 or k > n.
std::optional<ci_interval> wilson_ci95(std::uint64_t k, std::uint64_t n);

// Sample standard deviation (n - 1 in the denominator) in nanoseconds; 0 for fewer than 2 samples.
double sample_sd(const std::vector<nanos>& samples);

// The quantiles behind the intervals, exposed so tests can pin them to known values.
double student_t_975(std::size_t degrees_of_freedom);  // degrees_of_freedom >= 1
double normal_z_975();

}  // namespace hookbench
