// Per-subscriber delivery bookkeeping.
#include "measure/delivery_tracker.hpp"

#include <stdexcept>

namespace hookbench {

delivery_tracker::delivery_tracker(std::size_t subscribers) : subs_(subscribers) {}

delivery_tracker::outcome delivery_tracker::record(std::size_t subscriber, const event_stamp& e,
                                                   nanos received_ns) {
  auto& s = subs_.at(subscriber);
  ++received_total_;
  if (e.seq >= s.latency.size()) {
    s.latency.resize(std::max<std::size_t>(e.seq + 1, s.latency.size() * 2), -1);
  }
  if (s.latency[e.seq] != -1) {
    s.duplicates.push_back(e.seq);
    return outcome::duplicate;
  }
  // A clock step cannot happen on CLOCK_MONOTONIC; clamp only to keep -1 as the sentinel.
  s.latency[e.seq] = std::max<nanos>(0, received_ns + clock_offset_ - e.created_ns);
  if (trace_) trace_->delivered(received_ns, e.seq, subscriber, s.latency[e.seq]);
  if (e.seq < s.max_seq) s.reordered.push_back(e.seq);
  s.max_seq = std::max(s.max_seq, e.seq);
  if (in_window(e.seq)) ++window_delivered_;
  return outcome::first;
}

void delivery_tracker::set_clock_offset(nanos offset) { clock_offset_ = offset; }

void delivery_tracker::set_window(seq_t first, seq_t last) {
  if (window_known_) throw std::logic_error("delivery window set twice");
  window_known_ = true;
  first_ = first;
  last_ = last;
  window_delivered_ = 0;
  for (const auto& s : subs_) {
    for (seq_t q = first; q <= last && q < s.latency.size(); ++q) {
      if (s.latency[q] != -1) ++window_delivered_;
    }
  }
}

std::uint64_t delivery_tracker::expected() const {
  if (!window_known_ || last_ < first_) return 0;
  return (last_ - first_ + 1) * subs_.size();
}

delivery_tracker::totals delivery_tracker::window_totals() const {
  totals t;
  t.latencies.reserve(window_delivered_);
  for (const auto& s : subs_) {
    for (seq_t q = first_; q <= last_ && q < s.latency.size(); ++q) {
      if (s.latency[q] != -1) t.latencies.push_back(s.latency[q]);
    }
    for (auto q : s.duplicates) t.duplicates += in_window(q) ? 1 : 0;
    for (auto q : s.reordered) t.reordered += in_window(q) ? 1 : 0;
  }
  t.delivered = t.latencies.size();
  return t;
}

}  // namespace hookbench
