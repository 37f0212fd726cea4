// Latency percentiles (measure/latency): nearest-rank percentiles against data whose answer is
// known and against exact integer ranks for every quantile, the low-sample flag exactly as
// documented, spread and CI of the mean, negative samples, and the empty case.
#include "measure/latency.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace hookbench {
namespace {

std::vector<nanos> one_to(std::size_t n, nanos unit = 1) {
  std::vector<nanos> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<nanos>(i + 1) * unit;
  return v;
}

TEST(percentile_sorted, nearest_rank_on_one_to_thousand) {
  const auto v = one_to(1000);
  EXPECT_EQ(percentile_sorted(v, 0.50), 500);
  EXPECT_EQ(percentile_sorted(v, 0.90), 900);
  EXPECT_EQ(percentile_sorted(v, 0.99), 990);
  EXPECT_EQ(percentile_sorted(v, 0.999), 999);
  EXPECT_EQ(percentile_sorted(v, 1.0), 1000);
  EXPECT_EQ(percentile_sorted(v, 0.0001), 1);  // rank never below 1
}

TEST(percentile_sorted, smallest_value_with_q_of_samples_at_or_below) {
  // Nearest rank: for n = 10, p50 is the 5th value, p90 the 9th, p99 the 10th.
  const std::vector<nanos> v{10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
  EXPECT_EQ(percentile_sorted(v, 0.50), 50);
  EXPECT_EQ(percentile_sorted(v, 0.90), 90);
  EXPECT_EQ(percentile_sorted(v, 0.91), 100);
  EXPECT_EQ(percentile_sorted(v, 0.99), 100);
  EXPECT_EQ(percentile_sorted({7}, 0.5), 7);
  EXPECT_EQ(percentile_sorted({}, 0.5), 0);
}

// Exact nearest rank of q = num / den among n: the smallest k with k / n >= q, i.e.
// ceil(num n / den), at least 1.
std::size_t exact_rank(std::uint64_t num, std::uint64_t den, std::size_t n) {
  return std::max<std::size_t>(1, (num * n + den - 1) / den);
}

struct fraction {
  std::uint64_t num, den;
};

// cdf_quantiles() as the fractions they stand for.
std::vector<fraction> cdf_fractions() {
  std::vector<fraction> f{{1, 1000}};
  for (std::uint64_t k = 1; k <= 99; ++k) f.push_back({k, 100});
  f.insert(f.end(), {{995, 1000}, {999, 1000}, {1, 1}});
  return f;
}

TEST(percentile_sorted, floating_point_ceil_trap) {
  // 0.07 * 100 is 7.000000000000001 in doubles; ceil of it picked the 8th value.
  const auto v = one_to(100);
  EXPECT_EQ(percentile_sorted(v, 0.07), 7);
  EXPECT_EQ(nearest_rank(0.07, 100), 7u);
  EXPECT_EQ(nearest_rank(0.29, 100), 29u);  // 0.29 * 100 = 28.999999999999996 in doubles
  EXPECT_EQ(nearest_rank(0.5, 0), 0u);
  EXPECT_EQ(nearest_rank(0.0, 10), 1u);
  EXPECT_EQ(nearest_rank(-1.0, 10), 1u);
  EXPECT_EQ(nearest_rank(2.0, 10), 10u);
}

TEST(percentile_sorted, matches_integer_nearest_rank_for_every_quantile_and_size) {
  auto fractions = cdf_fractions();
  ASSERT_EQ(fractions.size(), cdf_quantiles().size());
  for (std::size_t i = 0; i < fractions.size(); ++i) {
    ASSERT_EQ(cdf_quantiles()[i],
              static_cast<double>(fractions[i].num) / static_cast<double>(fractions[i].den))
        << i;
  }
  // The summary's named percentiles too.
  fractions.insert(fractions.end(), {{500, 1000}, {900, 1000}, {990, 1000}, {999, 1000}});
  for (std::size_t n = 1; n <= 5'000; ++n) {
    const auto v = one_to(n);
    for (const auto [num, den] : fractions) {
      const double q = static_cast<double>(num) / static_cast<double>(den);
      const std::size_t rank = exact_rank(num, den, n);
      ASSERT_EQ(nearest_rank(q, n), rank) << "n=" << n << " q=" << num << "/" << den;
      ASSERT_EQ(percentile_sorted(v, q), static_cast<nanos>(rank))
          << "n=" << n << " q=" << num << "/" << den;
    }
  }
}

TEST(nearest_rank, exact_for_sizes_beyond_32_bits) {
  const std::size_t n = 10'000'000'007;  // above 2^32 and not a multiple of 1e9
  EXPECT_EQ(nearest_rank(0.999, n), exact_rank(999, 1000, n));
  EXPECT_EQ(nearest_rank(0.07, n), exact_rank(7, 100, n));
  EXPECT_EQ(nearest_rank(0.001, n), exact_rank(1, 1000, n));
}

TEST(summarize_latency, known_data_in_microseconds) {
  auto v = one_to(1000, kNanosPerMicro);  // 1..1000 us
  std::shuffle(v.begin(), v.end(), std::mt19937(5));
  const auto s = summarize_latency(v);
  EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));  // documented: sorts in place
  EXPECT_EQ(s.count, 1000u);
  EXPECT_DOUBLE_EQ(s.p50_us, 500);
  EXPECT_DOUBLE_EQ(s.p90_us, 900);
  EXPECT_DOUBLE_EQ(s.p99_us, 990);
  EXPECT_DOUBLE_EQ(s.p999_us, 999);
  EXPECT_DOUBLE_EQ(s.max_us, 1000);
  EXPECT_DOUBLE_EQ(s.min_us, 1);
  EXPECT_DOUBLE_EQ(s.mean_us, 500.5);
  // p999 = 999 has only 999 and 1000 at or beyond it; p99 = 990 has 11.
  EXPECT_EQ(s.low_sample, std::vector<std::string>{"p999"});
}

TEST(summarize_latency, low_sample_means_fewer_than_ten_samples_at_or_beyond) {
  // The documented rule, in integers: with rank r = ceil(q n), n - r + 1 samples lie at or
  // beyond the percentile; it is flagged when that is below kMinTailSamples.
  for (std::size_t n = 1; n <= 12'000; n += (n < 2'000 ? 1 : 7)) {
    auto v = one_to(n);
    const auto s = summarize_latency(v);
    std::vector<std::string> expected;
    for (auto [name, per_mille] : {std::pair<const char*, std::size_t>{"p50", 500},
                                   {"p90", 900},
                                   {"p99", 990},
                                   {"p999", 999}}) {
      const std::size_t rank = (per_mille * n + 999) / 1000;
      if (n - rank + 1 < kMinTailSamples) expected.emplace_back(name);
    }
    ASSERT_EQ(s.low_sample, expected) << "n=" << n;
  }
}

TEST(summarize_latency, sd_and_mean_ci) {
  // 1..10 us: mean 5.5, sd sqrt(82.5 / 9) = 3.0276504, CI 5.5 +- 2.262157 * sd / sqrt(10).
  auto v = one_to(10, kNanosPerMicro);
  const auto s = summarize_latency(v);
  EXPECT_NEAR(s.sd_us, 3.0276504, 1e-6);
  ASSERT_TRUE(s.mean_ci95_us);
  EXPECT_NEAR(s.mean_ci95_us->lo, 5.5 - 2.1658506, 1e-6);
  EXPECT_NEAR(s.mean_ci95_us->hi, 5.5 + 2.1658506, 1e-6);
  const nlohmann::json j = s;
  EXPECT_NEAR(j.at("sd").get<double>(), 3.0276504, 1e-6);
  ASSERT_TRUE(j.at("mean_ci95").is_array());
  ASSERT_EQ(j.at("mean_ci95").size(), 2u);
  EXPECT_NEAR(j.at("mean_ci95")[0].get<double>(), 5.5 - 2.1658506, 1e-6);
  EXPECT_NEAR(j.at("mean_ci95")[1].get<double>(), 5.5 + 2.1658506, 1e-6);
}

TEST(summarize_latency, negative_samples_are_summarised_as_they_are) {
  // -5 -4 ... 4 us: a consumer clock behind the producer's by more than the one-way delay.
  std::vector<nanos> v;
  for (nanos x = 4; x >= -5; --x) v.push_back(x * kNanosPerMicro);
  const auto s = summarize_latency(v);
  EXPECT_DOUBLE_EQ(s.min_us, -5);
  EXPECT_DOUBLE_EQ(s.max_us, 4);
  EXPECT_DOUBLE_EQ(s.p50_us, -1);  // 5th of 10
  EXPECT_DOUBLE_EQ(s.p90_us, 3);   // 9th of 10
  EXPECT_DOUBLE_EQ(s.mean_us, -0.5);
  EXPECT_NEAR(s.sd_us, 3.0276504, 1e-6);
  ASSERT_TRUE(s.mean_ci95_us);
  EXPECT_NEAR(s.mean_ci95_us->lo, -0.5 - 2.1658506, 1e-6);
  EXPECT_DOUBLE_EQ(s.quantiles.front().second, -5);
}

TEST(summarize_latency, empty_input_flags_everything) {
  std::vector<nanos> none;
  const auto s = summarize_latency(none);
  EXPECT_EQ(s.count, 0u);
  EXPECT_DOUBLE_EQ(s.mean_us, 0);
  EXPECT_DOUBLE_EQ(s.p50_us, 0);
  EXPECT_DOUBLE_EQ(s.max_us, 0);
  EXPECT_EQ(s.low_sample, (std::vector<std::string>{"p50", "p90", "p99", "p999", "max"}));
}

TEST(summarize_latency, single_sample) {
  std::vector<nanos> one{2'500};
  const auto s = summarize_latency(one);
  EXPECT_EQ(s.count, 1u);
  for (double x : {s.p50_us, s.p90_us, s.p99_us, s.p999_us, s.max_us, s.min_us, s.mean_us}) {
    EXPECT_DOUBLE_EQ(x, 2.5);
  }
  EXPECT_EQ(s.low_sample.size(), 4u);  // every percentile, not max
  EXPECT_DOUBLE_EQ(s.sd_us, 0);
  EXPECT_FALSE(s.mean_ci95_us);
  const nlohmann::json j = s;  // unmeasurable from one sample: null, not 0
  EXPECT_TRUE(j.at("sd").is_null());
  EXPECT_TRUE(j.at("mean_ci95").is_null());
}

TEST(summarize_latency, json_carries_every_field) {
  auto v = one_to(100, kNanosPerMicro);
  const nlohmann::json j = summarize_latency(v);
  for (const char* key : {"count", "mean", "min", "p50", "p90", "p99", "p999", "max"}) {
    ASSERT_TRUE(j.contains(key)) << key;
    EXPECT_TRUE(j.at(key).is_number()) << key;
  }
  EXPECT_EQ(j.at("count"), 100);
  EXPECT_DOUBLE_EQ(j.at("p90").get<double>(), 90);
  EXPECT_TRUE(j.at("low_sample").is_array());
}

}  // namespace
}  // namespace hookbench
