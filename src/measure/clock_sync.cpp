// NTP-style offset estimation from the minimum-round-trip ping exchange.
#include "measure/clock_sync.hpp"

namespace hookbench {

std::optional<clock_estimate> estimate_clock(std::span<const clock_sample> samples) {
  const clock_sample* best = nullptr;
  std::size_t usable = 0;
  for (const auto& s : samples) {
    if (s.round_trip() < 0) continue;
    ++usable;
    if (!best || s.round_trip() < best->round_trip()) best = &s;
  }
  if (!best) return std::nullopt;
  const nanos rtt = best->round_trip();
  // The producer read its clock at some local time in [t0, t3]; the midpoint is off by at most
  // half the round trip. Rounded up so that the bound holds for odd round trips too.
  const nanos midpoint = best->sent_ns + rtt / 2;
  return clock_estimate{best->remote_ns - midpoint, rtt - rtt / 2, rtt, usable};
}

nlohmann::json to_json(const clock_estimate& e) {
  return {{"offset_us", to_us(e.offset_ns)},
          {"error_bound_us", to_us(e.error_bound_ns)},
          {"min_rtt_us", to_us(e.min_rtt_ns)},
          {"samples", e.samples}};
}

}  // namespace hookbench
