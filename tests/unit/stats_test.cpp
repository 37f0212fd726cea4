// Confidence intervals (measure/stats) against values computed independently: closed forms of
// Student's t for 1 and 2 degrees of freedom, published t quantiles, and Wilson intervals worked
// out from the formula with Python's statistics.NormalDist; plus the inputs that have no answer.
#include "measure/stats.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

namespace hookbench {
namespace {

TEST(stats, student_t_quantiles_match_known_values) {
  // df = 1 is the Cauchy distribution: t = tan(pi (p - 1/2)).
  EXPECT_NEAR(student_t_975(1), std::tan(std::numbers::pi * 0.475), 1e-9);
  // df = 2 has t = (2p - 1) / sqrt(2 p (1 - p)).
  EXPECT_NEAR(student_t_975(2), 0.95 / std::sqrt(2 * 0.975 * 0.025), 1e-9);
  EXPECT_NEAR(student_t_975(4), 2.776445, 1e-6);
  EXPECT_NEAR(student_t_975(9), 2.262157, 1e-6);
  EXPECT_NEAR(student_t_975(29), 2.045230, 1e-6);
  EXPECT_NEAR(student_t_975(1'000'000), 1.959966, 1e-6);  // tends to the normal z
  EXPECT_THROW(student_t_975(0), std::invalid_argument);
}

TEST(stats, normal_z_matches_known_value) { EXPECT_NEAR(normal_z_975(), 1.959963985, 1e-9); }

TEST(stats, mean_ci95_is_mean_plus_minus_t_se) {
  // mean 10, sd 2, n 5: half-width 2.7764451 * 2 / sqrt(5) = 2.4833280.
  const auto ci = mean_ci95(10, 2, 5);
  ASSERT_TRUE(ci);
  EXPECT_NEAR(ci->lo, 7.516672, 1e-6);
  EXPECT_NEAR(ci->hi, 12.483328, 1e-6);
  // n = 10, sd 3, mean -1 (latencies across clocks can be negative): 2.2621572 * 3 / sqrt(10).
  const auto neg = mean_ci95(-1, 3, 10);
  ASSERT_TRUE(neg);
  EXPECT_NEAR(neg->lo, -1 - 2.146071, 1e-6);
  EXPECT_NEAR(neg->hi, -1 + 2.146071, 1e-6);
  // No spread: the interval is the mean itself.
  const auto flat = mean_ci95(4, 0, 3);
  ASSERT_TRUE(flat);
  EXPECT_DOUBLE_EQ(flat->lo, 4);
  EXPECT_DOUBLE_EQ(flat->hi, 4);
}

TEST(stats, mean_ci95_has_no_answer_for_bad_inputs) {
  EXPECT_FALSE(mean_ci95(1, 0, 0));
  EXPECT_FALSE(mean_ci95(1, 0, 1));  // one sample has no spread to judge from
  EXPECT_FALSE(mean_ci95(1, -1, 10));
  EXPECT_FALSE(mean_ci95(std::numeric_limits<double>::quiet_NaN(), 1, 10));
  EXPECT_FALSE(mean_ci95(1, std::numeric_limits<double>::infinity(), 10));
}

TEST(stats, wilson_matches_known_values) {
  struct known {
    std::uint64_t k, n;
    double lo, hi;
  };
  for (const auto& c : {known{0, 10, 0.0, 0.2775328}, known{5, 10, 0.2365931, 0.7634069},
                        known{98, 100, 0.9299882, 0.9944980}, known{10, 10, 0.7224672, 1.0},
                        known{1, 1, 0.2065493, 1.0}}) {
    const auto ci = wilson_ci95(c.k, c.n);
    ASSERT_TRUE(ci) << c.k << "/" << c.n;
    EXPECT_NEAR(ci->lo, c.lo, 1e-7) << c.k << "/" << c.n;
    EXPECT_NEAR(ci->hi, c.hi, 1e-7) << c.k << "/" << c.n;
  }
  // The ends stay inside [0, 1] exactly, not a rounding error beyond them.
  EXPECT_EQ(wilson_ci95(0, 10)->lo, 0.0);
  EXPECT_EQ(wilson_ci95(10, 10)->hi, 1.0);
  EXPECT_GE(wilson_ci95(0, 1'000'000)->lo, 0.0);
}

TEST(stats, wilson_is_symmetric_and_has_no_answer_without_trials) {
  const auto a = wilson_ci95(3, 20), b = wilson_ci95(17, 20);
  ASSERT_TRUE(a && b);
  EXPECT_NEAR(a->lo, 1 - b->hi, 1e-12);
  EXPECT_NEAR(a->hi, 1 - b->lo, 1e-12);
  EXPECT_FALSE(wilson_ci95(0, 0));
  EXPECT_FALSE(wilson_ci95(11, 10));
}

TEST(stats, sample_sd_uses_n_minus_one) {
  EXPECT_DOUBLE_EQ(sample_sd({}), 0);
  EXPECT_DOUBLE_EQ(sample_sd({7}), 0);
  // 2 4 4 4 5 5 7 9: sum of squared deviations 32, over 7.
  EXPECT_NEAR(sample_sd({2, 4, 4, 4, 5, 5, 7, 9}), std::sqrt(32.0 / 7.0), 1e-12);
  // Large values with a small spread: no loss of digits.
  EXPECT_NEAR(sample_sd({1'000'000'001, 1'000'000'003}), std::sqrt(2.0), 1e-9);
  EXPECT_NEAR(sample_sd({-3, 3}), std::sqrt(18.0), 1e-12);
}

}  // namespace
}  // namespace hookbench
