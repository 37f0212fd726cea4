// Latency percentiles (measure/latency): nearest-rank percentiles against data whose answer is
// known, the low-sample flag exactly as documented, and the empty case.
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

TEST(percentile_sorted, matches_integer_nearest_rank_for_every_size) {
  // Exact rank ceil(q n) in integer arithmetic (q in thousandths), against the floating version.
  for (std::size_t n = 1; n <= 5'000; ++n) {
    const auto v = one_to(n);
    for (std::size_t per_mille : {500u, 900u, 990u, 999u}) {
      const std::size_t rank = std::max<std::size_t>(1, (per_mille * n + 999) / 1000);
      ASSERT_EQ(percentile_sorted(v, static_cast<double>(per_mille) / 1000.0),
                static_cast<nanos>(rank))
          << "n=" << n << " q=" << per_mille << "/1000";
    }
  }
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
