// Latency percentiles computed from every sample (no averaging across runs, no sampling).
// A percentile is flagged when fewer than kMinTailSamples samples lie at or beyond it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/clock.hpp"

namespace hookbench {

constexpr std::size_t kMinTailSamples = 10;

struct latency_summary {
  std::size_t count = 0;
  double mean_us = 0, min_us = 0, p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
  std::vector<std::string> low_sample;  // names of percentiles without enough samples
  // (q, value_us) at each cdf_quantiles() q: the CDF for charts; empty without samples.
  std::vector<std::pair<double, double>> quantiles;
};

// The q of latency_summary::quantiles: 0.001, 0.01, 0.02, ..., 0.99, 0.995, 0.999, 1.0 (dense
// enough to draw a CDF, with the tail points a CDF on a log axis needs).
const std::vector<double>& cdf_quantiles();

// Nearest-rank percentile of sorted data: the smallest value with at least q of the samples at
// or below it. q in (0, 1].
nanos percentile_sorted(const std::vector<nanos>& sorted, double q);

// Sorts `samples` in place.
latency_summary summarize_latency(std::vector<nanos>& samples);

void to_json(nlohmann::json& j, const latency_summary& s);

}  // namespace hookbench
