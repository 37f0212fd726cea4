// Accounts for every (event, subscriber) pair on the consumer: first delivery with its latency,
// duplicates (dedup by event id) and out-of-order arrivals, for the events of the measured window.
// Storage is allocated once, when the window is given, and is proportional to its events: an
// event id never drives an allocation, so a forged id cannot exhaust memory.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <limits>
#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "core/event.hpp"
#include "measure/trace.hpp"

namespace hookbench {

class delivery_tracker {
 public:
  explicit delivery_tracker(std::size_t subscribers);

  // Before any record(): the window's sequence numbers [first, last] (first > last: empty window)
  // and seq_limit, the highest sequence number the producer can generate in this run. Allocates
  // all storage (8 bytes per window event per subscriber). Throws std::logic_error if called
  // twice, std::invalid_argument if a non-empty window starts at 0 or ends past seq_limit.
  void set_window(seq_t first, seq_t last, seq_t seq_limit);
  // Before set_window(): also keep, per first delivery, when it was received, and the receive
  // time of every duplicate of a window event (another 8 bytes per window event per subscriber),
  // for the fault metrics (measure/fault_metrics.hpp).
  void keep_receive_times() { keep_times_ = true; }
  // Producer clock = local clock + offset (0 on one host); applied to received_ns in record().
  void set_clock_offset(nanos offset) { offset_ = offset; }

  enum class outcome {
    first,           // first delivery of a window event to this subscriber: stored
    duplicate,       // a window event this subscriber already had: counted
    outside_window,  // a valid id outside the window (warm-up, drain-time load): counted only
    out_of_range,    // id 0 or above seq_limit: the producer never made it; counted only
    before_window,   // recorded before set_window(): counted only
  };
  // `received_ns`: local time the consumer had the event parsed. Latency = received_ns + offset -
  // e.created_ns, stored as it is even when negative (clocks of two hosts), and counted then.
  // Throws std::out_of_range for a subscriber index >= subscribers().
  outcome record(std::size_t subscriber, const event_stamp& e, nanos received_ns);
  // The latency record() would store for `e` received at `received_ns`.
  nanos latency(const event_stamp& e, nanos received_ns) const;
  // webhook-batch: one batch's trip, from when the producer let it go to `received_ns` (the
  // receiver knows the window and the cap: trip = latency of the opener less the window, or of
  // the last event when the cap closed the batch). Kept per window opener, the least over the
  // subscribers: the trip to the first subscriber, the batch's counterpart of the earliest
  // delivery. Openers outside the window, and calls before it is known, are ignored.
  void record_batch_trip(seq_t opener, nanos trip_ns);

  bool window_known() const { return window_known_; }
  seq_t seq_limit() const { return seq_limit_; }                 // 0 until the window is known
  std::uint64_t expected() const;                                // window events x subscribers
  std::uint64_t delivered() const { return window_delivered_; }  // distinct pairs in window
  bool complete() const { return window_known_ && delivered() == expected(); }

  struct totals {
    std::uint64_t delivered = 0, duplicates = 0, reordered = 0, negative_latencies = 0;
    std::vector<nanos> latencies;  // one per first delivery in the window
  };
  totals window_totals() const;

  // Each window event's fan-out as the consumer saw it, from its subscribers' latencies (one
  // creation time, so their differences are receive-time differences): the earliest delivery's
  // latency (the trip to the first subscriber, generator lag included), and for events that
  // reached all N >= 2 subscribers, the mean spacing (last - first) / (N - 1): the service time
  // per delivery of the pipeline that carried them. What the model's fan-out term is fed.
  struct fan_out_totals {
    std::vector<nanos> first_latencies;  // one per event delivered to at least one subscriber
    std::uint64_t spread_events = 0;     // events delivered to all N >= 2 subscribers
    double spacing_mean_ns = 0;          // over those events; 0 when there are none
    std::vector<nanos> batch_trips;      // record_batch_trip(): one per window opener
  };
  fan_out_totals fan_out() const;

  std::size_t subscribers() const { return subscribers_; }
  std::uint64_t received_total() const { return received_total_; }  // every record() call
  std::uint64_t outside_window() const { return outside_window_; }
  std::uint64_t out_of_range() const { return out_of_range_; }
  std::uint64_t before_window() const { return before_window_; }
  // Local receive time of the latest first delivery of a window event (0 if none).
  nanos last_delivery_ns() const { return last_delivery_ns_; }
  // Storage per subscriber once the window is known: one latency slot per window event.
  std::size_t bytes_per_subscriber() const { return window_events_ * sizeof(nanos); }

  // With keep_receive_times(): slot i of subscriber k is window event first_seq() + i.
  // latency_at() is kNoDelivery for a pair never delivered; received_at() is local time.
  static constexpr std::int64_t kNoDelivery = std::numeric_limits<std::int64_t>::min();
  bool keeps_receive_times() const { return keep_times_; }
  seq_t first_seq() const { return first_; }
  std::size_t window_events() const { return window_events_; }
  nanos latency_at(std::size_t k, std::size_t i) const { return slots_[k * window_events_ + i]; }
  nanos received_at(std::size_t k, std::size_t i) const {
    return received_[k * window_events_ + i];
  }
  const std::vector<nanos>& duplicate_times() const { return duplicate_times_; }
  nanos clock_offset() const { return offset_; }

  // The window's latency slots and batch trips as a file, so that the consumers of several hosts
  // can be merged into one tracker (hookbench hosts merge): a header ("HBSLOTS1", then
  // subscribers, first, last, seq_limit, and whether trips follow, as little-endian 64-bit
  // integers), subscribers x window events slots, then window events trips; int64 nanoseconds,
  // little-endian, INT64_MIN for "none". Only once the window is known.
  struct slots_header {
    std::uint64_t subscribers = 0;
    seq_t first = 0, last = 0, seq_limit = 0;
    bool trips = false;
  };
  void save_slots(std::ostream& out) const;
  // Reads a header; throws std::runtime_error naming what is wrong with it.
  static slots_header read_slots_header(std::istream& in);
  // After read_slots_header(in) gave `h`: copies the file's slots into subscribers [offset,
  // offset + h.subscribers) and keeps the least batch trip per opener. This tracker's window
  // must be the file's. Duplicates and reordering are not in the file: the hosts' reports have
  // them. Throws std::runtime_error (a window that differs, a short file, too few subscribers).
  void absorb_slots(std::istream& in, const slots_header& h, std::size_t offset);

  // Records every first delivery (and every delivery it cannot deduplicate: outside the window
  // or before it is known) into `trace` (tracing only; nullptr = off).
  void set_trace(trace_recorder* trace) { trace_ = trace; }

 private:
  // Marks a slot not yet delivered. No latency can take it: latencies saturate one above it.
  static constexpr nanos kEmpty = std::numeric_limits<nanos>::min();

  std::size_t subscribers_;
  bool window_known_ = false;
  seq_t first_ = 1, last_ = 0, seq_limit_ = 0;
  std::size_t window_events_ = 0;
  std::vector<nanos> slots_;        // [subscriber * window_events_ + (seq - first_)]
  std::vector<nanos> batch_trips_;  // [seq - first_]: least trip of a batch it opened (lazily)
  std::vector<seq_t> max_seq_;      // per subscriber: highest valid id seen since set_window()
  bool keep_times_ = false;
  std::vector<nanos> received_;         // parallel to slots_ (keep_receive_times)
  std::vector<nanos> duplicate_times_;  // (keep_receive_times)
  nanos offset_ = 0;
  std::uint64_t window_delivered_ = 0, duplicates_ = 0, reordered_ = 0, negative_ = 0;
  std::uint64_t received_total_ = 0, outside_window_ = 0, out_of_range_ = 0, before_window_ = 0;
  nanos last_delivery_ns_ = 0;
  trace_recorder* trace_ = nullptr;
};

// The consumer report's "fan_out": {"events", "first_latency_us": {count, mean, p50, p90},
// "spread_events", "spacing_us" (null without an event delivered to all N >= 2),
// "batch_trip_us": {count, mean, p50, p90} (count 0 but for webhook-batch)}.
nlohmann::json fan_out_json(const delivery_tracker& tracker);

}  // namespace hookbench
