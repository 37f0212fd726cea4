// Percentile extraction for latency samples.
#include "measure/latency.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

namespace hookbench {

std::size_t nearest_rank(double q, std::size_t n) {
  if (n == 0) return 0;
  constexpr std::uint64_t kUnits = 1'000'000'000;  // q is read in units of 1e-9
  if (!(q > 0)) return 1;                          // also catches NaN
  if (q >= 1) return n;
  const auto units = static_cast<std::uint64_t>(std::llround(q * static_cast<double>(kUnits)));
  // ceil(units * n / kUnits) without overflow: with n = a kUnits + b, it is
  // units a + ceil(units b / kUnits), where units b < 1e18 fits in 64 bits.
  const std::uint64_t a = n / kUnits, b = n % kUnits;
  const auto rank = static_cast<std::size_t>(units * a + (units * b + kUnits - 1) / kUnits);
  return std::clamp<std::size_t>(rank, 1, n);
}

nanos percentile_sorted(const std::vector<nanos>& sorted, double q) {
  if (sorted.empty()) return 0;
  return sorted[nearest_rank(q, sorted.size()) - 1];
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
  s.sd_us = sample_sd(samples) / 1e3;
  s.mean_ci95_us = mean_ci95(s.mean_us, s.sd_us, samples.size());
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
    // Samples at or beyond the nearest-rank value: n - rank + 1. (n (1 - q) undercounts by up to
    // one and flagged e.g. p90 of 100 samples, which has 11 at or beyond.)
    const std::size_t n = samples.size();
    if (n - nearest_rank(q, n) + 1 < kMinTailSamples) s.low_sample.emplace_back(name);
  }
  s.quantiles.reserve(cdf_quantiles().size());
  for (double q : cdf_quantiles())
    s.quantiles.emplace_back(q, to_us(percentile_sorted(samples, q)));
  return s;
}

void to_json(nlohmann::json& j, const latency_summary& s) {
  j = nlohmann::json{{"count", s.count},  {"mean", s.mean_us}, {"min", s.min_us},
                     {"p50", s.p50_us},   {"p90", s.p90_us},   {"p99", s.p99_us},
                     {"p999", s.p999_us}, {"max", s.max_us},   {"low_sample", s.low_sample}};
  // Unmeasurable below two samples: null, not a 0 that reads as "no spread".
  j["sd"] = s.count >= 2 ? nlohmann::json(s.sd_us) : nlohmann::json(nullptr);
  j["mean_ci95"] = s.mean_ci95_us ? nlohmann::json::array({s.mean_ci95_us->lo, s.mean_ci95_us->hi})
                                  : nlohmann::json(nullptr);
  // [[q, value_us], ...]: pairs rather than an object keyed by q, so q stays a number.
  auto& q = j["quantiles"] = nlohmann::json::array();
  for (const auto& [p, v] : s.quantiles) q.push_back({p, v});
}

}  // namespace hookbench
