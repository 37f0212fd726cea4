// Arrival schedules (producer/arrivals): the Poisson schedule has the statistics of a Poisson
// process for a fixed seed, is reproducible from its seed, and the constant schedule is exact.
//
// Tolerances are five standard errors of each estimator over n = 100,000 events, so a correct
// generator fails with probability ~1e-6 per check (and the seed is fixed, so it never flakes).
#include "producer/arrivals.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/parse.hpp"
#include "producer/generator.hpp"

namespace hookbench {
namespace {

constexpr std::size_t kEvents = 100'000;
constexpr double kRate = 1'000;  // events per second: mean gap 1 ms

std::vector<nanos> offsets(arrival_kind kind, double rate, std::uint64_t seed, std::size_t n) {
  arrival_schedule s(kind, rate, seed);
  std::vector<nanos> out(n);
  for (auto& t : out) t = s.next_offset();
  return out;
}

std::vector<double> gaps_s(const std::vector<nanos>& t) {
  std::vector<double> g;
  g.reserve(t.size());
  nanos prev = 0;  // the first gap is measured from the schedule's start
  for (nanos x : t) {
    g.push_back(to_s(x - prev));
    prev = x;
  }
  return g;
}

struct moments {
  double mean = 0, variance = 0;
};
moments moments_of(const std::vector<double>& v) {
  moments m;
  for (double x : v) m.mean += x;
  m.mean /= static_cast<double>(v.size());
  for (double x : v) m.variance += (x - m.mean) * (x - m.mean);
  m.variance /= static_cast<double>(v.size() - 1);
  return m;
}

TEST(arrivals, poisson_mean_gap_is_one_over_lambda) {
  const auto g = gaps_s(offsets(arrival_kind::poisson, kRate, 42, kEvents));
  const auto m = moments_of(g);
  // Exponential gaps: sd = mean, so the mean of n gaps has relative standard error 1/sqrt(n).
  const double rel_se = 1.0 / std::sqrt(static_cast<double>(kEvents));
  EXPECT_NEAR(m.mean * kRate, 1.0, 5 * rel_se) << "mean gap " << m.mean << " s";
}

TEST(arrivals, poisson_gap_dispersion_is_one) {
  const auto g = gaps_s(offsets(arrival_kind::poisson, kRate, 42, kEvents));
  const auto m = moments_of(g);
  // variance / mean^2 = 1 for exponential gaps (0 for constant, > 1 for bursty). The sample
  // variance of exponential data has relative standard error sqrt((mu4/sigma^4 - 1)/n) =
  // sqrt(8/n); the squared mean adds 2/sqrt(n). Adding both in quadrature, ignoring their
  // positive correlation (which only shrinks the error), bounds it by sqrt(12/n) = 0.011.
  const double se = std::sqrt(12.0 / static_cast<double>(kEvents));
  const double cv2 = m.variance / (m.mean * m.mean);
  EXPECT_NEAR(cv2, 1.0, 5 * se) << "variance/mean^2 of gaps";
}

TEST(arrivals, poisson_gaps_are_memoryless) {
  const auto g = gaps_s(offsets(arrival_kind::poisson, kRate, 7, kEvents));
  // P(gap > 1/lambda) = e^-1 for exponential gaps; a uniform or normal gap with the same mean
  // and variance would give a different fraction. Binomial standard error sqrt(p(1-p)/n).
  std::size_t longer = 0;
  for (double x : g) longer += x > 1.0 / kRate ? 1 : 0;
  const double p = std::exp(-1.0);
  const double se = std::sqrt(p * (1 - p) / static_cast<double>(kEvents));
  EXPECT_NEAR(static_cast<double>(longer) / static_cast<double>(kEvents), p, 5 * se);
}

TEST(arrivals, poisson_counts_per_window_have_index_of_dispersion_one) {
  const auto t = offsets(arrival_kind::poisson, kRate, 42, kEvents);
  // Windows of 10 ms (10 expected events each) over the whole schedule except the last, partial,
  // window. For Poisson counts variance / mean = 1; its estimate over k windows has standard
  // error ~ sqrt(2 / (k - 1)) ~ 0.014 at k ~ 10,000.
  const nanos window = 10 * kNanosPerMilli;
  const auto k = static_cast<std::size_t>(t.back() / window);
  ASSERT_GT(k, 9'000u);
  std::vector<double> counts(k, 0.0);
  for (nanos x : t) {
    const auto w = static_cast<std::size_t>(x / window);
    if (w < k) counts[w] += 1;
  }
  const auto m = moments_of(counts);
  EXPECT_NEAR(m.mean, kRate * to_s(window), 5 * std::sqrt(m.mean / static_cast<double>(k)));
  const double se = std::sqrt(2.0 / static_cast<double>(k - 1));
  EXPECT_NEAR(m.variance / m.mean, 1.0, 5 * se) << "index of dispersion of counts";
}

TEST(arrivals, same_seed_same_schedule_different_seed_different) {
  const auto a = offsets(arrival_kind::poisson, kRate, 1, 1'000);
  const auto b = offsets(arrival_kind::poisson, kRate, 1, 1'000);
  const auto c = offsets(arrival_kind::poisson, kRate, 2, 1'000);
  EXPECT_EQ(a, b);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < a.size(); ++i) differ += a[i] != c[i] ? 1 : 0;
  EXPECT_GT(differ, 990u) << "seed 2 repeats seed 1's schedule";
}

TEST(arrivals, poisson_offsets_never_decrease) {
  const auto t = offsets(arrival_kind::poisson, 1e6, 3, kEvents);  // 1 us gaps: rounding matters
  EXPECT_GE(t.front(), 0);
  for (std::size_t i = 1; i < t.size(); ++i) {
    ASSERT_GE(t[i], t[i - 1]) << "at event " << i;
  }
}

TEST(arrivals, constant_is_exactly_i_over_lambda) {
  const auto t = offsets(arrival_kind::constant, kRate, 99, 10'000);
  for (std::size_t i = 0; i < t.size(); ++i) {
    ASSERT_EQ(t[i], static_cast<nanos>(i) * kNanosPerMilli) << "event " << i;
  }
  // A rate that does not divide a second: the i-th offset is i/lambda rounded, never drifting.
  const auto u = offsets(arrival_kind::constant, 3, 0, 301);
  EXPECT_EQ(u[0], 0);
  EXPECT_EQ(u[1], 333'333'333);
  EXPECT_EQ(u[2], 666'666'667);
  EXPECT_EQ(u[3], kNanosPerSecond);
  EXPECT_EQ(u[300], 100 * kNanosPerSecond);
  for (std::size_t i = 1; i < u.size(); ++i) ASSERT_GE(u[i], u[i - 1]);
}

TEST(arrivals, constant_ignores_the_seed) {
  EXPECT_EQ(offsets(arrival_kind::constant, 250, 1, 100),
            offsets(arrival_kind::constant, 250, 2, 100));
}

TEST(arrivals, kind_names_parse_and_print) {
  EXPECT_EQ(parse_arrival_kind("poisson"), arrival_kind::poisson);
  EXPECT_EQ(parse_arrival_kind("constant"), arrival_kind::constant);
  EXPECT_EQ(to_string(arrival_kind::poisson), "poisson");
  EXPECT_EQ(to_string(arrival_kind::constant), "constant");
  EXPECT_THROW(parse_arrival_kind("bursty"), usage_error);
  EXPECT_THROW(parse_arrival_kind("Poisson"), usage_error);
}

TEST(planned_sequence, window_counts_are_unbiased_over_seeds) {
  // The window's events are planned from the schedule alone; over many seeds their count must
  // average lambda * d (a Poisson count). 500 fixed seeds at 1/s over 6 s: standard error
  // sqrt(6 / 500) = 0.11, so +-0.5 is over 4 standard errors and, the seeds being fixed, never
  // flakes.
  double sum = 0;
  for (std::uint64_t seed = 1; seed <= 500; ++seed) {
    generator_config c;
    c.rate = 1;
    c.seed = seed;
    c.warmup = kNanosPerSecond / 2;
    c.duration = 6 * kNanosPerSecond;
    c.tail = kNanosPerSecond;
    const auto p = plan_sequence(c);
    ASSERT_LE(p.window_last, p.limit);
    ASSERT_GE(p.window_first, 1u);
    sum += static_cast<double>(p.window_events());
  }
  EXPECT_NEAR(sum / 500, 6.0, 0.5);
}

TEST(planned_sequence, constant_arrivals_give_exact_seqs) {
  // 64/s from offset 0: 16 warm-up events (seqs 1..16), 128 in a 2 s window, 32 in a 0.5 s tail.
  generator_config c;
  c.arrivals = arrival_kind::constant;
  c.rate = 64;
  c.warmup = kNanosPerSecond / 4;
  c.duration = 2 * kNanosPerSecond;
  c.tail = kNanosPerSecond / 2;
  const auto p = plan_sequence(c);
  EXPECT_EQ(p.window_first, 17u);
  EXPECT_EQ(p.window_last, 144u);
  EXPECT_EQ(p.window_events(), 128u);
  EXPECT_EQ(p.limit, 176u);
  c.tail = 0;
  EXPECT_EQ(plan_sequence(c).limit, 144u);
}

}  // namespace
}  // namespace hookbench
