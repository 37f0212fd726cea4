// Percentile extraction for latency samples.
#include "measure/latency.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

namespace hookbench {

nanos percentile_sorted(const std::vector<nanos>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

const std::vector<double>& cdf_quantiles() {
  static const std::vector<double> qs = [] {
    std::vector<double> v{0.001};
    // k / 100 rather than a running sum, so each q is the double nearest its decimal.
    for (int k = 1; k <= 99; ++k) v.push_back(k / 100.0);
    v.insert(v.end(), {0.995, 0.999, 1.0});
    return v;
  }();
  return qs;
}

latency_summary summarize_latency(std::vector<nanos>& samples) {
  latency_summary s;
  s.count = samples.size();
  if (samples.empty()) {
    s.low_sample = {"p50", "p90", "p99", "p999", "max"};
    return s;
  }
  std::sort(samples.begin(), samples.end());
  long double sum = std::accumulate(samples.begin(), samples.end(), 0.0L);
  s.mean_us = static_cast<double>(sum / samples.size()) / 1e3;
  s.min_us = to_us(samples.front());
  s.max_us = to_us(samples.back());
  struct named {
    const char* name;
    double q;
    double* out;
  };
  for (auto [name, q, out] : {named{"p50", 0.50, &s.p50_us}, named{"p90", 0.90, &s.p90_us},
                              named{"p99", 0.99, &s.p99_us}, named{"p999", 0.999, &s.p999_us}}) {
    *out = to_us(percentile_sorted(samples, q));
    // Samples at or beyond the nearest-rank value: n - rank + 1 with rank = ceil(q n). (n (1 - q)
    // undercounts by up to one and flagged e.g. p90 of 100 samples, which has 11 at or beyond.)
    const std::size_t n = samples.size();
    const auto rank = std::clamp<std::size_t>(
        static_cast<std::size_t>(std::ceil(q * static_cast<double>(n))), 1, n);
    if (n - rank + 1 < kMinTailSamples) s.low_sample.emplace_back(name);
  }
  s.quantiles.reserve(cdf_quantiles().size());
  for (double q : cdf_quantiles()) s.quantiles.emplace_back(q, to_us(percentile_sorted(samples, q)));
  return s;
}

void to_json(nlohmann::json& j, const latency_summary& s) {
  j = nlohmann::json{{"count", s.count}, {"mean", s.mean_us}, {"min", s.min_us},
                     {"p50", s.p50_us},  {"p90", s.p90_us},   {"p99", s.p99_us},
                     {"p999", s.p999_us}, {"max", s.max_us},  {"low_sample", s.low_sample}};
  // [[q, value_us], ...]: pairs rather than an object keyed by q, so q stays a number.
  auto& q = j["quantiles"] = nlohmann::json::array();
  for (const auto& [p, v] : s.quantiles) q.push_back({p, v});
}

}  // namespace hookbench
