// Poisson and constant-rate schedules.
#include "producer/arrivals.hpp"

#include <cmath>

#include "core/enum_names.hpp"

namespace hookbench {

namespace {

constexpr auto kArrivalKinds = make_enum_names<arrival_kind>(
    {{arrival_kind::poisson, "poisson"}, {arrival_kind::constant, "constant"}});

}  // namespace

arrival_kind parse_arrival_kind(std::string_view text) { return kArrivalKinds.parse(text); }

std::string to_string(arrival_kind kind) { return std::string(kArrivalKinds.name(kind)); }

arrival_schedule::arrival_schedule(arrival_kind kind, double rate_per_s, std::uint64_t seed)
    : kind_(kind), rate_(rate_per_s), rng_(seed), gap_s_(rate_per_s) {}

nanos arrival_schedule::next_offset() {
  if (kind_ == arrival_kind::constant) {
    auto t = static_cast<long double>(index_++) / rate_;
    return static_cast<nanos>(std::llround(t * 1e9L));
  }
  elapsed_s_ += gap_s_(rng_);
  return static_cast<nanos>(std::llround(elapsed_s_ * 1e9L));
}

}  // namespace hookbench
