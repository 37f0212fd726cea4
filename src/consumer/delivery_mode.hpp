// A delivery mode's consumer side: the strategy interface the consumer's shared machinery
// (tracker, window, report) drives, what each strategy gets from it, and the consumer's own
// name -> strategy map (consumer/strategies.cpp). What a mode is (paced by T, a receiver, its
// knobs and model) is its descriptor's (modes/mode.hpp); the producer side is
// producer/delivery.hpp.
#pragma once

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "consumer/consumer_config.hpp"
#include "core/clock.hpp"
#include "measure/delivery_tracker.hpp"
#include "measure/trace.hpp"
#include "measure/traffic.hpp"
#include "measure/window.hpp"
#include "modes/mode.hpp"

namespace hookbench {

// What every mode gets from the consumer.
struct mode_context {
  boost::asio::io_context& ioc;
  const consumer_config& config;
  delivery_tracker& tracker;
  const measurement_window& window;  // known once the producer started
  trace_recorder* trace = nullptr;   // set only when tracing (modes record polls into it)
};

class delivery_mode {
 public:
  virtual ~delivery_mode() = default;
  // Blocking set-up before the run (bind a receiver, register subscriptions). Throws
  // std::runtime_error with a message for the user.
  virtual void setup() = 0;
  // Begin receiving (asynchronously, on ctx.ioc).
  virtual void start() = 0;
  virtual void stop() = 0;
  // The window is known (ctx.window): a mode that carries out faults arms them now.
  virtual void on_window() {}
  // Port of its push receiver (0: it has none).
  virtual std::uint16_t receiver_port() const { return 0; }
  // The requests this side sent in the window, by kind (result totals sum both sides' maps).
  virtual traffic_by_kind requests() const = 0;
  // Bytes this side put on / took off the wire for the window, all its exchanges.
  virtual traffic_counter bytes() const = 0;
  // Mode-specific counters. Poll-like modes report "polls", "empty_polls", "late_polls",
  // "missed_polls"; every mode reports "failed".
  virtual nlohmann::json stats() const = 0;
};

// A poll sent more than this after its slot is late: a tenth of T, but never under 1 ms, the
// timer wake-up jitter of a shared VM (its generator lag reaches 0.2-0.7 ms at p99 on an idle
// 2-core machine), so that a 3 ms interval is judged by the schedule, not by the timer.
inline nanos late_poll_threshold(nanos interval) {
  return std::max<nanos>(interval / 10, kNanosPerMilli);
}

// The mode's strategy on the stack ctx.config names (check_consumer_stack first: throws
// usage_error unless the stack carries the mode).
std::unique_ptr<delivery_mode> make_strategy(const mode_descriptor& mode, mode_context& ctx);

}  // namespace hookbench
