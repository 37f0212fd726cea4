// The open-loop event generator: wakes on a timer, appends every event whose scheduled time has
// come to the log and hands it to the push paths. Generation lag (actual - scheduled) is kept per
// window event. Load keeps arriving, unmeasured, for `tail` after the window, so that queued work
// drains under the same load it was measured under.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <vector>

#include "measure/window.hpp"
#include "producer/arrivals.hpp"
#include "producer/event_log.hpp"

namespace hookbench {

struct generator_config {
  arrival_kind arrivals = arrival_kind::poisson;
  double rate = 100;  // events per second
  std::uint64_t seed = 1;
  std::size_t payload_bytes = 256;
  nanos warmup = kNanosPerSecond;
  nanos duration = 10 * kNanosPerSecond;
  nanos tail = 5 * kNanosPerSecond;  // unmeasured generation after the window (the drain)
  // > 0: wake this much before each scheduled event and spin the rest (--timer spin), so an
  // event leaves on time instead of one timer wake-up late, at the cost of a busy core.
  nanos spin = 0;
};
// How far ahead of an event `--timer spin` wakes: above this machine's timer wake-up lag.
constexpr nanos kSpinAhead = 300 * kNanosPerMicro;

class option_parser;
// Adds --rate, --arrivals, --seed, --payload, --warmup, --duration and --timer (serve, run).
void add_generation_options(option_parser& p, generator_config& g);

// The sequence numbers a schedule gives, known before it starts: the schedule is a function of
// (kind, rate, seed) alone, so the consumer can size its bookkeeping and reject ids that the
// producer can never generate.
struct planned_sequence {
  seq_t window_first = 1, window_last = 0;  // scheduled inside the window (first > last: none)
  seq_t limit = 0;                          // the last sequence number generated at all
  std::uint64_t window_events() const {
    return window_last >= window_first ? window_last - window_first + 1 : 0;
  }
};
planned_sequence plan_sequence(const generator_config& config);

class generator {
 public:
  using sink_fn = std::function<void(const event&)>;
  generator(boost::asio::io_context& ioc, generator_config config, event_log& log, sink_fn sink);

  // Generates from t0 for warmup + duration + tail; the window is [warmup, warmup + duration).
  void start(nanos t0);
  // A restarted producer: the same schedule from the same t0, whose first `done` events are
  // already in the log (loaded from its file). The events scheduled while the producer was down
  // are generated at once with their scheduled times, so their latency includes the outage.
  void resume(nanos t0, seq_t done);
  // Whether event `seq` of this schedule is created at `created_ns` (a log belongs to it).
  bool follows_schedule(seq_t seq, nanos created_ns) const;
  bool resumed() const { return resumed_at_ > 0; }
  nanos resumed_at() const { return resumed_at_; }
  // Events generated after a resume that were scheduled before it (during the outage).
  std::uint64_t caught_up() const { return caught_up_; }
  // Lag samples cover the events this process generated on time: after a resume, neither the
  // log's nor the caught-up ones.
  std::uint64_t lag_skipped() const { return lag_skipped_; }
  bool started() const { return started_; }
  // Every window event has been generated (generation may go on through the tail).
  bool finished() const { return finished_; }
  const planned_sequence& plan() const { return plan_; }
  const measurement_window& window() const { return window_; }
  nanos t0() const { return t0_; }

  // First and last sequence numbers scheduled inside the window; first > last when none.
  seq_t window_first() const { return window_first_; }
  seq_t window_last() const { return window_last_; }
  std::uint64_t window_events() const {
    return window_last_ >= window_first_ ? window_last_ - window_first_ + 1 : 0;
  }
  std::uint64_t total_events() const { return total_; }
  // Lag of every in-window event, in ns (moved out by the caller when reporting).
  std::vector<nanos>& window_lag() { return lag_; }

 private:
  void begin(nanos t0);
  void arm();
  void on_tick();

  boost::asio::steady_timer timer_;
  generator_config config_;
  event_log& log_;
  sink_fn sink_;
  arrival_schedule schedule_;
  measurement_window window_;
  nanos t0_ = 0;
  nanos next_ns_ = 0;  // scheduled time of the next event
  planned_sequence plan_;
  bool started_ = false, finished_ = false;
  seq_t window_first_ = 1, window_last_ = 0;
  std::uint64_t total_ = 0;
  std::vector<nanos> lag_;
  nanos resumed_at_ = 0;
  std::uint64_t caught_up_ = 0, lag_skipped_ = 0;
};

}  // namespace hookbench
