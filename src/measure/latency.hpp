// Latency percentiles computed from every sample (no averaging across runs, no sampling).
// A percentile is flagged when fewer than kMinTailSamples samples lie at or beyond it.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "measure/stats.hpp"

namespace hookbench {

constexpr std::size_t kMinTailSamples = 10;

// Samples may be negative: across two hosts a latency is a difference of two clocks, and an
// offset estimate's error can exceed a short one-way delay. They are summarised as they are.
struct latency_summary {
  std::size_t count = 0;
  double mean_us = 0, min_us = 0, p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
  double sd_us = 0;                         // sample standard deviation; 0 below 2 samples
  std::optional<ci_interval> mean_ci95_us;  // 95% CI of the mean; nullopt below 2 samples
  std::vector<std::string> low_sample;      // names of percentiles without enough samples
  // (q, value_us) at each cdf_quantiles() q: the CDF for charts; empty without samples.
  std::vector<std::pair<double, double>> quantiles;
};

// The q of latency_summary::quantiles: 0.001, 0.01, 0.02, ..., 0.99, 0.995, 0.999, 1.0 (dense
// enough to draw a CDF, with the tail points a CDF on a log axis needs).
const std::vector<double>& cdf_quantiles();

// Nearest rank of q among n samples: the smallest k with k / n >= q, clamped to [1, n] (0 when
// n == 0). Exact in integers: q is taken as a whole number of 1e-9 units (every q this project
// uses is one), so ceil(q n) in doubles cannot pick the next rank (0.07 * 100 = 7.000000000000001).
std::size_t nearest_rank(double q, std::size_t n);

// Nearest-rank percentile of sorted data: the smallest value with at least q of the samples at
// or below it. q in (0, 1].
nanos percentile_sorted(const std::vector<nanos>& sorted, double q);

// Sorts `samples` in place.
latency_summary summarize_latency(std::vector<nanos>& samples);

void to_json(nlohmann::json& j, const latency_summary& s);

}  // namespace hookbench
