// Accounts for every (event, subscriber) pair on the consumer: first delivery with its latency,
// duplicates (dedup by event id) and out-of-order arrivals. The measured window is given in
// sequence numbers once the producer knows it; everything is then counted inside it.
#pragma once

#include <cstdint>
#include <vector>

#include "core/event.hpp"
#include "measure/trace.hpp"

namespace hookbench {

class delivery_tracker {
 public:
  explicit delivery_tracker(std::size_t subscribers);

  enum class outcome { first, duplicate };
  // `received_ns`: when the consumer had the event parsed. Latency = received - scheduled.
  outcome record(std::size_t subscriber, const event_stamp& e, nanos received_ns);

  // The window [first, last] (empty when first > last). May be called once, any time.
  void set_window(seq_t first, seq_t last);
  bool window_known() const { return window_known_; }
  std::uint64_t expected() const;   // window events x subscribers
  std::uint64_t delivered() const { return window_delivered_; }  // distinct pairs in window
  bool complete() const { return window_known_ && delivered() == expected(); }

  struct totals {
    std::uint64_t delivered = 0, duplicates = 0, reordered = 0;
    std::vector<nanos> latencies;  // one per first delivery in the window
  };
  totals window_totals() const;
  std::size_t subscribers() const { return subs_.size(); }
  std::uint64_t received_total() const { return received_total_; }
  // Records every first delivery into `trace` (tracing only; nullptr = off).
  void set_trace(trace_recorder* trace) { trace_ = trace; }
  // The producer's clock reads local + offset (measured by the consumer, measure/clock_sync):
  // received times are converted to it before subtracting the producer's created time.
  void set_clock_offset(nanos offset);

 private:
  struct per_subscriber {
    std::vector<nanos> latency;  // index seq; -1 = not received
    seq_t max_seq = 0;
    std::vector<seq_t> duplicates, reordered;
  };
  bool in_window(seq_t s) const { return window_known_ && s >= first_ && s <= last_; }

  std::vector<per_subscriber> subs_;
  bool window_known_ = false;
  seq_t first_ = 1, last_ = 0;
  std::uint64_t window_delivered_ = 0;
  std::uint64_t received_total_ = 0;
  trace_recorder* trace_ = nullptr;
  nanos clock_offset_ = 0;
};

}  // namespace hookbench
