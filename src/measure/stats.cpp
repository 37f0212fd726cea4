// Confidence intervals from Boost.Math's Student's t and normal quantiles.
#include "measure/stats.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <stdexcept>

namespace hookbench {

double student_t_975(std::size_t degrees_of_freedom) {
  if (degrees_of_freedom == 0)
    throw std::invalid_argument("student_t_975: zero degrees of freedom");
  const boost::math::students_t dist(static_cast<double>(degrees_of_freedom));
  return boost::math::quantile(dist, 0.975);
}

double normal_z_975() {
  static const double z = boost::math::quantile(boost::math::normal(), 0.975);
  return z;
}

std::optional<ci_interval> mean_ci95(double mean, double sd, std::size_t n) {
  if (n < 2 || !std::isfinite(mean) || !std::isfinite(sd) || sd < 0) return std::nullopt;
  const double half = student_t_975(n - 1) * sd / std::sqrt(static_cast<double>(n));
  return ci_interval{mean - half, mean + half};
}

std::optional<ci_interval> wilson_ci95(std::uint64_t k, std::uint64_t n) {
  if (n == 0 || k > n) return std::nullopt;
  const double z = normal_z_975();
  const double nd = static_cast<double>(n);
  const double p = static_cast<double>(k) / nd;
  const double z2n = z * z / nd;
  const double denom = 1 + z2n;
  const double centre = (p + z2n / 2) / denom;
  const double half = z * std::sqrt(p * (1 - p) / nd + z2n / (4 * nd)) / denom;
  // At k = 0 (or k = n) the bound is exactly 0 (or 1); rounding must not move it off.
  return ci_interval{k == 0 ? 0.0 : std::clamp(centre - half, 0.0, 1.0),
                     k == n ? 1.0 : std::clamp(centre + half, 0.0, 1.0)};
}

double sample_sd(const std::vector<nanos>& samples) {
  const std::size_t n = samples.size();
  if (n < 2) return 0;
  // Two passes in long double: latencies around 1e6 ns with µs spreads would lose digits in the
  // one-pass sum of squares.
  long double sum = 0;
  for (nanos x : samples) sum += static_cast<long double>(x);
  const long double mean = sum / static_cast<long double>(n);
  long double ss = 0;
  for (nanos x : samples) {
    const long double d = static_cast<long double>(x) - mean;
    ss += d * d;
  }
  return static_cast<double>(std::sqrt(ss / static_cast<long double>(n - 1)));
}

}  // namespace hookbench
