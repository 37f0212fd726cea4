// TEMPORARY (replaced by the measure branch).
#include "measure/stats.hpp"
#include <cmath>
namespace hookbench {
std::optional<ci_interval> mean_ci95(double mean, double sd, std::size_t n) {
  if (n < 2) return std::nullopt;
  const double h = 1.96 * sd / std::sqrt(static_cast<double>(n));
  return ci_interval{mean - h, mean + h};
}
std::optional<ci_interval> wilson_ci95(std::uint64_t k, std::uint64_t n) {
  if (n == 0) return std::nullopt;
  const double z = 1.959963984540054, nn = static_cast<double>(n), p = static_cast<double>(k) / nn;
  const double c = (p + z * z / (2 * nn)) / (1 + z * z / nn);
  const double h = z / (1 + z * z / nn) * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn));
  return ci_interval{std::max(0.0, c - h), std::min(1.0, c + h)};
}
}  // namespace hookbench
