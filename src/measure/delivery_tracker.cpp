// Per-subscriber delivery bookkeeping over one dense block of latency slots.
#include "measure/delivery_tracker.hpp"

#include <algorithm>
#include <array>
#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>
#include <string>

#include "measure/latency.hpp"

namespace hookbench {

delivery_tracker::delivery_tracker(std::size_t subscribers)
    : subscribers_(subscribers), max_seq_(subscribers, 0) {}

void delivery_tracker::set_window(seq_t first, seq_t last, seq_t seq_limit) {
  if (window_known_) throw std::logic_error("delivery window set twice");
  if (first <= last && (first == 0 || last > seq_limit)) {
    throw std::invalid_argument("delivery window " + std::to_string(first) + ".." +
                                std::to_string(last) + " is not inside the producer's range 1.." +
                                std::to_string(seq_limit));
  }
  window_events_ = first <= last ? static_cast<std::size_t>(last - first + 1) : 0;
  slots_.assign(window_events_ * subscribers_, kEmpty);
  if (keep_times_) received_.assign(slots_.size(), 0);
  window_known_ = true;
  first_ = first;
  last_ = last;
  seq_limit_ = seq_limit;
}

nanos delivery_tracker::latency(const event_stamp& e, nanos received_ns) const {
  // created_ns comes off the wire: compute in 128 bits and saturate rather than overflow on a
  // forged value. The lower bound keeps the empty-slot marker out of reach; a real latency is
  // nowhere near either bound, so this is not a clamp of negative latencies.
  __extension__ using wide = __int128;
  const wide l = wide{received_ns} + offset_ - e.created_ns;
  return static_cast<nanos>(
      std::clamp<wide>(l, wide{kEmpty} + 1, wide{std::numeric_limits<nanos>::max()}));
}

delivery_tracker::outcome delivery_tracker::record(std::size_t subscriber, const event_stamp& e,
                                                   nanos received_ns) {
  if (subscriber >= subscribers_) {
    throw std::out_of_range("delivery_tracker: no subscriber " + std::to_string(subscriber));
  }
  ++received_total_;
  if (e.seq == 0 || (window_known_ && e.seq > seq_limit_)) {
    ++out_of_range_;
    return outcome::out_of_range;
  }
  if (!window_known_) {
    ++before_window_;
    if (trace_) trace_->delivered(received_ns, e.seq, subscriber, latency(e, received_ns));
    return outcome::before_window;
  }
  seq_t& max_seq = max_seq_[subscriber];
  const bool late = e.seq < max_seq;
  max_seq = std::max(max_seq, e.seq);
  if (e.seq < first_ || e.seq > last_) {
    ++outside_window_;
    if (trace_) trace_->delivered(received_ns, e.seq, subscriber, latency(e, received_ns));
    return outcome::outside_window;
  }
  nanos& slot = slots_[subscriber * window_events_ + static_cast<std::size_t>(e.seq - first_)];
  if (slot != kEmpty) {
    if (keep_times_) duplicate_times_.push_back(received_ns);
    ++duplicates_;
    return outcome::duplicate;
  }
  slot = latency(e, received_ns);
  if (keep_times_) received_[static_cast<std::size_t>(&slot - slots_.data())] = received_ns;
  ++window_delivered_;
  if (slot < 0) ++negative_;
  if (late) ++reordered_;
  last_delivery_ns_ = std::max(last_delivery_ns_, received_ns);
  if (trace_) trace_->delivered(received_ns, e.seq, subscriber, slot);
  return outcome::first;
}

void delivery_tracker::record_batch_trip(seq_t opener, nanos trip_ns) {
  if (!window_known_ || opener < first_ || opener > last_) return;
  if (batch_trips_.empty()) batch_trips_.assign(window_events_, kEmpty);
  nanos& slot = batch_trips_[static_cast<std::size_t>(opener - first_)];
  slot = slot == kEmpty ? trip_ns : std::min(slot, trip_ns);
}

std::uint64_t delivery_tracker::expected() const {
  if (!window_known_) return 0;
  return static_cast<std::uint64_t>(window_events_) * subscribers_;
}

delivery_tracker::totals delivery_tracker::window_totals() const {
  totals t;
  t.latencies.reserve(window_delivered_);
  for (nanos l : slots_) {
    if (l != kEmpty) t.latencies.push_back(l);
  }
  t.delivered = t.latencies.size();
  t.duplicates = duplicates_;
  t.reordered = reordered_;
  t.negative_latencies = negative_;
  return t;
}

delivery_tracker::fan_out_totals delivery_tracker::fan_out() const {
  fan_out_totals t;
  double spacing_sum = 0;
  for (std::size_t i = 0; i < window_events_; ++i) {
    nanos lo = 0, hi = 0;
    std::size_t got = 0;
    for (std::size_t k = 0; k < subscribers_; ++k) {
      const nanos l = slots_[k * window_events_ + i];
      if (l == kEmpty) continue;
      lo = got == 0 ? l : std::min(lo, l);
      hi = got == 0 ? l : std::max(hi, l);
      ++got;
    }
    if (got == 0) continue;
    t.first_latencies.push_back(lo);
    if (subscribers_ >= 2 && got == subscribers_) {
      spacing_sum += static_cast<double>(hi - lo) / static_cast<double>(subscribers_ - 1);
      ++t.spread_events;
    }
  }
  if (t.spread_events > 0) t.spacing_mean_ns = spacing_sum / static_cast<double>(t.spread_events);
  for (nanos trip : batch_trips_) {
    if (trip != kEmpty) t.batch_trips.push_back(trip);
  }
  return t;
}

namespace {

constexpr char kSlotsMagic[8] = {'H', 'B', 'S', 'L', 'O', 'T', 'S', '1'};

void put_u64(std::ostream& out, std::uint64_t v) {
  std::array<char, 8> b{};
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out.write(b.data(), b.size());
}

std::uint64_t get_u64(std::istream& in) {
  std::array<unsigned char, 8> b{};
  if (!in.read(reinterpret_cast<char*>(b.data()), b.size())) {
    throw std::runtime_error("slots file: ends early");
  }
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < b.size(); ++i) v |= std::uint64_t{b[i]} << (8 * i);
  return v;
}

void put_nanos(std::ostream& out, const std::vector<nanos>& values) {
  for (nanos v : values) put_u64(out, static_cast<std::uint64_t>(v));
}

}  // namespace

void delivery_tracker::save_slots(std::ostream& out) const {
  if (!window_known_) throw std::logic_error("save_slots: the window is not known");
  out.write(kSlotsMagic, sizeof kSlotsMagic);
  put_u64(out, subscribers_);
  put_u64(out, first_);
  put_u64(out, last_);
  put_u64(out, seq_limit_);
  put_u64(out, batch_trips_.empty() ? 0 : 1);
  put_nanos(out, slots_);
  put_nanos(out, batch_trips_);
}

delivery_tracker::slots_header delivery_tracker::read_slots_header(std::istream& in) {
  char magic[sizeof kSlotsMagic] = {};
  if (!in.read(magic, sizeof magic) || !std::equal(magic, magic + sizeof magic, kSlotsMagic)) {
    throw std::runtime_error("not a hookbench slots file (no HBSLOTS1 header)");
  }
  slots_header h;
  h.subscribers = get_u64(in);
  h.first = get_u64(in);
  h.last = get_u64(in);
  h.seq_limit = get_u64(in);
  h.trips = get_u64(in) != 0;
  if (h.subscribers == 0 || h.subscribers > 10'000'000 ||
      (h.first <= h.last && h.last - h.first > 100'000'000)) {
    throw std::runtime_error("slots file: implausible header (" + std::to_string(h.subscribers) +
                             " subscribers, events " + std::to_string(h.first) + ".." +
                             std::to_string(h.last) + ")");
  }
  return h;
}

void delivery_tracker::absorb_slots(std::istream& in, const slots_header& h, std::size_t offset) {
  if (!window_known_ || h.first != first_ || h.last != last_ || h.seq_limit != seq_limit_) {
    throw std::runtime_error("slots file: window " + std::to_string(h.first) + ".." +
                             std::to_string(h.last) + " is not the merged run's " +
                             std::to_string(first_) + ".." + std::to_string(last_));
  }
  if (offset + h.subscribers > subscribers_) {
    throw std::runtime_error("slots file: more subscribers than the merged run has");
  }
  for (std::size_t k = 0; k < h.subscribers; ++k) {
    for (std::size_t i = 0; i < window_events_; ++i) {
      const auto l = static_cast<nanos>(get_u64(in));
      nanos& slot = slots_[(offset + k) * window_events_ + i];
      if (slot != kEmpty) throw std::runtime_error("slots file: a subscriber given twice");
      slot = l;
      if (l == kEmpty) continue;
      ++window_delivered_;
      if (l < 0) ++negative_;
    }
  }
  if (!h.trips) return;
  if (batch_trips_.empty()) batch_trips_.assign(window_events_, kEmpty);
  for (std::size_t i = 0; i < window_events_; ++i) {
    const auto trip = static_cast<nanos>(get_u64(in));
    if (trip == kEmpty) continue;
    nanos& slot = batch_trips_[i];
    slot = slot == kEmpty ? trip : std::min(slot, trip);
  }
}

nlohmann::json fan_out_json(const delivery_tracker& tracker) {
  auto f = tracker.fan_out();
  const latency_summary first = summarize_latency(f.first_latencies);
  const latency_summary trip = summarize_latency(f.batch_trips);
  return {{"events", first.count},
          {"first_latency_us",
           {{"count", first.count},
            {"mean", first.mean_us},
            {"p50", first.p50_us},
            {"p90", first.p90_us}}},
          {"spread_events", f.spread_events},
          {"spacing_us",
           f.spread_events > 0 ? nlohmann::json(f.spacing_mean_ns / 1e3) : nlohmann::json(nullptr)},
          {"batch_trip_us",
           {{"count", trip.count},
            {"mean", trip.mean_us},
            {"p50", trip.p50_us},
            {"p90", trip.p90_us}}}};
}

}  // namespace hookbench
