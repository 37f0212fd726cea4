// The round trip a link adds, measured the way a client sees it: GET /control/ping one after
// another on one keep-alive connection (the first, which pays for connecting, left out).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/parse.hpp"
#include "http/tls.hpp"

namespace hookbench {

// `count` round trips in ns. Throws std::runtime_error naming the failure.
std::vector<nanos> ping_round_trips(const host_port& target, const std::string& token,
                                    const http::tls_context& tls, std::size_t count);

// {"count", "min", "p50", "max"} in microseconds.
nlohmann::json round_trip_summary(std::vector<nanos> samples);

}  // namespace hookbench
