// Clock offset between the consumer and the producer, NTP-style, from ping exchanges: the
// consumer sends at t0, the producer reads its clock at t1, the consumer receives at t3. With no
// assumption on where in [t0, t3] the producer read its clock, the offset is t1 - (t0 + t3) / 2
// give or take half the round trip; the sample with the smallest round trip bounds it best.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>

#include "core/clock.hpp"

namespace hookbench {

// One ping exchange: t0 and t3 on the local clock, t1 on the remote one.
struct clock_sample {
  nanos sent_ns = 0;      // t0
  nanos remote_ns = 0;    // t1
  nanos received_ns = 0;  // t3
  nanos round_trip() const { return received_ns - sent_ns; }
};

// remote clock = local clock + offset_ns, within +-error_bound_ns.
struct clock_estimate {
  nanos offset_ns = 0;
  nanos error_bound_ns = 0;
  nanos min_rtt_ns = 0;
  std::size_t samples = 0;

  nanos to_local(nanos remote) const { return remote - offset_ns; }
  nanos to_remote(nanos local) const { return local + offset_ns; }
};

// The estimate from the minimum-round-trip sample; nullopt when there is no usable sample
// (none, or only ones whose receive precedes their send).
std::optional<clock_estimate> estimate_clock(std::span<const clock_sample> samples);

// {"offset_us", "error_bound_us", "min_rtt_us", "samples"}.
nlohmann::json to_json(const clock_estimate& e);

}  // namespace hookbench
