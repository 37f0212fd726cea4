// Fault and recovery metrics over the tracker's per-delivery records.
#include "measure/fault_metrics.hpp"

#include <algorithm>
#include <optional>

#include "measure/latency.hpp"

namespace hookbench {

namespace {

constexpr nanos kUnknown = delivery_tracker::kNoDelivery;

}  // namespace

nlohmann::json fault_metrics(const delivery_tracker& t, const measurement_window& window,
                             const std::vector<fault_spec>& faults) {
  using json = nlohmann::json;
  const std::size_t n = t.window_events(), subs = t.subscribers();
  // Creation time (local clock) of each window event, from any subscriber that got it.
  std::vector<nanos> created(n, kUnknown);
  std::uint64_t delivered = 0;
  nanos last_received = window.end_ns;
  for (std::size_t k = 0; k < subs; ++k) {
    for (std::size_t i = 0; i < n; ++i) {
      const nanos l = t.latency_at(k, i);
      if (l == kUnknown) continue;
      ++delivered;
      const nanos r = t.received_at(k, i);
      created[i] = r - l;
      last_received = std::max(last_received, r);
    }
  }
  const std::uint64_t expected = t.expected();
  json out = {{"expected", expected},
              {"delivered", delivered},
              {"lost", expected - std::min(expected, delivered)},
              {"duplicates", t.duplicate_times().size()},
              {"per_fault", json::array()}};

  for (const auto& f : faults) {
    const nanos start = window.start_ns + f.at, end = window.start_ns + f.end();
    // lo: last event known created before AT; hi: first known created at or after the end.
    std::optional<std::size_t> lo;
    std::size_t hi = n;
    for (std::size_t i = 0; i < n; ++i) {
      if (created[i] == kUnknown) continue;
      if (created[i] < start) lo = i;
      if (created[i] >= end && hi == n) hi = i;
    }
    std::uint64_t lost = 0, not_caught_up = 0, after_start = 0;
    std::vector<nanos> delays;
    nanos caught_up_at = end;
    for (std::size_t k = 0; k < subs; ++k) {
      for (std::size_t i = 0; i < n; ++i) {
        const nanos l = t.latency_at(k, i);
        if (l == kUnknown) {
          if ((!lo || i > *lo) && i < hi) ++lost;
          if (i < hi) ++not_caught_up;
          continue;
        }
        const nanos r = t.received_at(k, i);
        if (r >= start) ++after_start;
        if (created[i] >= start) delays.push_back(l);
        if (created[i] < end) caught_up_at = std::max(caught_up_at, r);
      }
    }
    std::sort(delays.begin(), delays.end());
    json delay = {{"count", delays.size()}, {"p99", nullptr}, {"max", nullptr}};
    if (!delays.empty()) {
      delay["p99"] = to_us(percentile_sorted(delays, 0.99));
      delay["max"] = to_us(delays.back());
    }
    const auto dups = static_cast<std::uint64_t>(
        std::count_if(t.duplicate_times().begin(), t.duplicate_times().end(),
                      [start](nanos r) { return r >= start; }));
    out["per_fault"].push_back(
        {{"spec", f.to_string()},
         {"kind", to_string(f.kind)},
         {"at_s", to_s(f.at)},
         {"for_s", to_s(f.length)},
         {"lost", lost},
         {"duplicates", dups},
         {"delivered_after_start", after_start},
         {"delay_us", delay},
         {"catch_up_s", not_caught_up > 0 ? json(nullptr) : json(to_s(caught_up_at - end))},
         {"catch_up_delivered_s", to_s(caught_up_at - end)},
         {"not_caught_up", not_caught_up}});
  }

  // The recovery timeline: first deliveries per bucket of receive time, and their worst latency.
  nanos bucket = kTimelineBucket;
  const nanos span = std::max<nanos>(last_received - window.start_ns, 0) + 1;
  while (static_cast<std::size_t>((span + bucket - 1) / bucket) > kMaxTimelineBuckets) bucket *= 2;
  const auto buckets = static_cast<std::size_t>((span + bucket - 1) / bucket);
  std::vector<std::uint64_t> count(buckets, 0);
  std::vector<nanos> worst(buckets, kUnknown);
  for (std::size_t k = 0; k < subs; ++k) {
    for (std::size_t i = 0; i < n; ++i) {
      const nanos l = t.latency_at(k, i);
      if (l == kUnknown) continue;
      const nanos r = std::max(t.received_at(k, i) - window.start_ns, nanos{0});
      const auto b = std::min(static_cast<std::size_t>(r / bucket), buckets - 1);
      ++count[b];
      worst[b] = std::max(worst[b], l);
    }
  }
  json worst_ms = json::array();
  for (nanos w : worst) worst_ms.push_back(w == kUnknown ? json(nullptr) : json(to_ms(w)));
  out["timeline"] = {
      {"bucket_ms", to_ms(bucket)}, {"delivered", count}, {"max_latency_ms", worst_ms}};
  return out;
}

}  // namespace hookbench
