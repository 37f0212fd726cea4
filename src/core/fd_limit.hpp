// The process's limit on open files, raised once at start: a side may hold thousands of sockets
// (a subscriber's connections, a receiver's accepted ones), far past the usual soft limit of 1024.
#pragma once

namespace hookbench {

// Raises RLIMIT_NOFILE's soft limit to the hard one; leaves it as it is when that fails.
void raise_fd_limit();

}  // namespace hookbench
