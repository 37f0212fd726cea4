// The measured window, in CLOCK_MONOTONIC ns, shared by both sides on one host. Requests, bytes
// and CPU are counted when they start inside it; events count when *scheduled* inside it.
#pragma once

#include <cstdint>

#include "core/clock.hpp"

namespace hookbench {

struct measurement_window {
  nanos start_ns = 0;
  nanos end_ns = 0;
  bool known() const { return end_ns > 0; }
  bool contains(nanos t) const { return known() && t >= start_ns && t < end_ns; }
};

// Requests and bytes seen by one endpoint inside the window.
struct traffic_counter {
  std::uint64_t requests = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  void add(std::uint64_t sent, std::uint64_t received) {
    ++requests;
    bytes_sent += sent;
    bytes_received += received;
  }
};

}  // namespace hookbench
