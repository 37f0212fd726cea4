// The process's limit on open files, raised once at start: a side may hold thousands of sockets
// (a subscriber's connections, a receiver's accepted ones), far past the usual soft limit of 1024.
// A connection cap above that limit would only turn into accept errors, so caps are clamped.
#pragma once

#include <cstddef>
#include <string>

namespace hookbench {

// Raises RLIMIT_NOFILE's soft limit to the hard one; leaves it as it is when that fails.
void raise_fd_limit();

// Descriptors kept out of a connection cap: log and state files, the listening socket, timers,
// outgoing connections opened while the cap is full.
inline constexpr std::size_t kFdReserve = 256;

// `wanted` connections, or RLIMIT_NOFILE's soft limit less kFdReserve when that is lower (at
// least 1); when lowered, `note` gets one line saying so (no newline).
std::size_t clamp_to_fd_limit(std::size_t wanted, std::string& note);
// What a side may open of its own towards others (webhook connections): RLIMIT_NOFILE's soft
// limit less kFdReserve and 1024 kept for connections it accepts (half of the room on a small
// limit); SIZE_MAX without a limit.
std::size_t outgoing_fd_budget();

}  // namespace hookbench
