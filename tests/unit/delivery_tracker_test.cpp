// Consumer-side accounting (measure/delivery_tracker): first deliveries versus duplicates,
// out-of-order arrivals, ids outside the window or the producer's range, negative latencies
// across clocks, and storage that depends on the window alone.
#include "measure/delivery_tracker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace hookbench {
namespace {

using outcome = delivery_tracker::outcome;

// Event `seq` scheduled at seq ms.
event_stamp stamp(seq_t seq) { return {seq, static_cast<nanos>(seq) * kNanosPerMilli, 16}; }

TEST(delivery_tracker, first_then_duplicate) {
  delivery_tracker t(2);
  t.set_window(1, 10, 10);
  EXPECT_EQ(t.record(0, stamp(1), 5 * kNanosPerMilli), outcome::first);
  EXPECT_EQ(t.record(0, stamp(1), 6 * kNanosPerMilli), outcome::duplicate);
  // The same event to another subscriber is a separate (event, subscriber) pair.
  EXPECT_EQ(t.record(1, stamp(1), 7 * kNanosPerMilli), outcome::first);
  EXPECT_EQ(t.received_total(), 3u);
  EXPECT_EQ(t.delivered(), 2u);
  EXPECT_EQ(t.subscribers(), 2u);
  EXPECT_EQ(t.window_totals().duplicates, 1u);
  EXPECT_THROW(t.record(2, stamp(1), 0), std::out_of_range);
  EXPECT_EQ(t.received_total(), 3u);  // a bad subscriber index is not a receipt
}

TEST(delivery_tracker, fan_out_gives_first_latency_and_spacing_per_event) {
  delivery_tracker t(3);
  t.set_window(1, 3, 3);
  // Event 1 (created at 1 ms): subscribers at +0.2, +0.5, +0.8 ms: first 0.2 ms, spacing 0.3.
  t.record(1, stamp(1), stamp(1).created_ns + 500'000);
  t.record(0, stamp(1), stamp(1).created_ns + 800'000);
  t.record(2, stamp(1), stamp(1).created_ns + 200'000);
  // Event 2: all three at +0.1, +0.1, +0.7 ms: first 0.1 ms, spacing 0.3 ms.
  for (std::size_t k : {0u, 1u}) t.record(k, stamp(2), stamp(2).created_ns + 100'000);
  t.record(2, stamp(2), stamp(2).created_ns + 700'000);
  // Event 3 reached only one subscriber: a first latency, no spacing (the fan-out is partial).
  t.record(1, stamp(3), stamp(3).created_ns + 4'000'000);
  const auto f = t.fan_out();
  ASSERT_EQ(f.first_latencies.size(), 3u);
  EXPECT_EQ(f.first_latencies[0], 200'000);
  EXPECT_EQ(f.first_latencies[1], 100'000);
  EXPECT_EQ(f.first_latencies[2], 4'000'000);
  EXPECT_EQ(f.spread_events, 2u);
  EXPECT_DOUBLE_EQ(f.spacing_mean_ns, 300'000.0);
  // One subscriber: first latencies only, no spacing to measure.
  delivery_tracker one(1);
  one.set_window(1, 2, 2);
  one.record(0, stamp(1), stamp(1).created_ns + 50'000);
  EXPECT_EQ(one.fan_out().first_latencies.size(), 1u);
  EXPECT_EQ(one.fan_out().spread_events, 0u);
  EXPECT_EQ(one.fan_out().spacing_mean_ns, 0.0);
}

TEST(delivery_tracker, keeps_each_batch_openers_least_trip_inside_the_window) {
  delivery_tracker t(2);
  t.record_batch_trip(1, 5);  // before the window is known: ignored
  t.set_window(2, 4, 9);
  t.record_batch_trip(2, 300'000);
  t.record_batch_trip(2, 120'000);  // the other subscriber's copy of the batch arrived sooner
  t.record_batch_trip(2, 900'000);
  t.record_batch_trip(4, 50'000);
  t.record_batch_trip(1, 1);  // warm-up and drain openers are outside the window
  t.record_batch_trip(5, 1);
  const auto f = t.fan_out();
  ASSERT_EQ(f.batch_trips.size(), 2u);
  EXPECT_EQ(f.batch_trips[0], 120'000);
  EXPECT_EQ(f.batch_trips[1], 50'000);
  EXPECT_EQ(t.latency(stamp(3), stamp(3).created_ns + 70), 70);
  // Nothing recorded: an empty list, and a count of 0 in the report.
  delivery_tracker none(1);
  none.set_window(1, 2, 2);
  EXPECT_TRUE(none.fan_out().batch_trips.empty());
  EXPECT_EQ(fan_out_json(none)["batch_trip_us"]["count"], 0);
}

TEST(delivery_tracker, counts_each_outcome_exactly) {
  delivery_tracker t(1);
  // Window 3..7 of a run whose producer can generate 1..9 (warm-up 1..2, drain-time load 8..9).
  t.set_window(3, 7, 9);
  EXPECT_EQ(t.record(0, stamp(1), stamp(1).created_ns), outcome::outside_window);
  EXPECT_EQ(t.record(0, stamp(1), stamp(1).created_ns), outcome::outside_window);  // no dedup
  EXPECT_EQ(t.record(0, stamp(3), stamp(3).created_ns), outcome::first);
  EXPECT_EQ(t.record(0, stamp(8), stamp(8).created_ns), outcome::outside_window);
  EXPECT_EQ(t.record(0, stamp(5), stamp(5).created_ns), outcome::first);  // after 8: reordered
  EXPECT_EQ(t.record(0, stamp(5), stamp(5).created_ns), outcome::duplicate);
  EXPECT_EQ(t.record(0, stamp(0), 0), outcome::out_of_range);
  EXPECT_EQ(t.record(0, stamp(10), 0), outcome::out_of_range);
  EXPECT_EQ(t.record(0, stamp(9), stamp(9).created_ns), outcome::outside_window);
  EXPECT_EQ(t.received_total(), 9u);
  EXPECT_EQ(t.outside_window(), 4u);
  EXPECT_EQ(t.out_of_range(), 2u);
  EXPECT_EQ(t.before_window(), 0u);
  EXPECT_EQ(t.delivered(), 2u);
  const auto totals = t.window_totals();
  EXPECT_EQ(totals.delivered, 2u);
  EXPECT_EQ(totals.duplicates, 1u);
  EXPECT_EQ(totals.reordered, 1u);
  EXPECT_EQ(totals.negative_latencies, 0u);
}

TEST(delivery_tracker, records_before_the_window_are_counted_not_stored) {
  delivery_tracker t(1);
  EXPECT_FALSE(t.window_known());
  EXPECT_EQ(t.expected(), 0u);
  EXPECT_FALSE(t.complete());
  EXPECT_EQ(t.record(0, stamp(1), 0), outcome::before_window);
  EXPECT_EQ(t.record(0, stamp(1'000'000'000'000), 0), outcome::before_window);
  EXPECT_EQ(t.record(0, stamp(0), 0), outcome::out_of_range);  // 0 is never an id
  EXPECT_EQ(t.before_window(), 2u);
  EXPECT_EQ(t.bytes_per_subscriber(), 0u);
  t.set_window(1, 3, 3);
  EXPECT_EQ(t.delivered(), 0u);  // the early receipt of 1 does not count
  EXPECT_EQ(t.record(0, stamp(1), stamp(1).created_ns), outcome::first);
  // A huge id seen before the window must not make every later event look reordered.
  EXPECT_EQ(t.record(0, stamp(2), stamp(2).created_ns), outcome::first);
  EXPECT_EQ(t.window_totals().reordered, 0u);
}

TEST(delivery_tracker, reordered_counts_window_events_that_arrive_after_a_later_id) {
  delivery_tracker t(1);
  t.set_window(2, 5, 9);
  // Arrival order 1 3 2 5 4 3 9 8: 2 and 4 arrive after a later event (8 does too, but is
  // outside the window); 3 arrives twice.
  for (seq_t s : std::initializer_list<seq_t>{1, 3, 2, 5, 4, 3, 9, 8}) {
    t.record(0, stamp(s), stamp(s).created_ns + 10);
  }
  const auto totals = t.window_totals();
  EXPECT_EQ(totals.delivered, 4u);   // 2, 3, 4, 5
  EXPECT_EQ(totals.duplicates, 1u);  // 3 again
  EXPECT_EQ(totals.reordered, 2u);   // 2 and 4
  EXPECT_EQ(t.outside_window(), 3u);
  EXPECT_EQ(t.received_total(), 8u);
  EXPECT_TRUE(t.complete());
}

TEST(delivery_tracker, completes_when_every_pair_is_delivered) {
  delivery_tracker t(2);
  t.set_window(3, 7, 10);
  EXPECT_TRUE(t.window_known());
  EXPECT_EQ(t.expected(), 10u);  // 5 events x 2 subscribers
  for (seq_t s = 1; s <= 10; ++s) t.record(0, stamp(s), stamp(s).created_ns + 100);
  for (seq_t s = 4; s <= 6; ++s) t.record(1, stamp(s), stamp(s).created_ns + 200);
  EXPECT_EQ(t.delivered(), 8u);  // subscriber 0 has 3..7, subscriber 1 has 4..6
  EXPECT_FALSE(t.complete());
  t.record(1, stamp(3), stamp(3).created_ns + 1);
  t.record(1, stamp(7), stamp(7).created_ns + 1);
  EXPECT_EQ(t.delivered(), 10u);
  EXPECT_TRUE(t.complete());
}

TEST(delivery_tracker, window_can_be_set_only_once_and_inside_the_range) {
  delivery_tracker t(1);
  EXPECT_THROW(t.set_window(0, 5, 5), std::invalid_argument);  // ids start at 1
  EXPECT_THROW(t.set_window(1, 6, 5), std::invalid_argument);  // past the producer's last id
  EXPECT_FALSE(t.window_known());
  t.set_window(1, 5, 5);
  EXPECT_THROW(t.set_window(1, 5, 5), std::logic_error);
}

TEST(delivery_tracker, empty_window_expects_nothing) {
  delivery_tracker t(3);
  t.set_window(5, 4, 4);  // first > last: no event was scheduled in the window
  EXPECT_EQ(t.record(0, stamp(1), 0), outcome::outside_window);
  EXPECT_EQ(t.expected(), 0u);
  EXPECT_EQ(t.delivered(), 0u);
  EXPECT_TRUE(t.complete());
  EXPECT_TRUE(t.window_totals().latencies.empty());
  EXPECT_EQ(t.bytes_per_subscriber(), 0u);
}

TEST(delivery_tracker, latencies_only_from_the_window_and_first_delivery) {
  delivery_tracker t(2);
  t.set_window(2, 4, 6);
  // Latency of event s to subscriber k: s * 1000 + k ns (distinct, so we can tell them apart).
  for (std::size_t k = 0; k < 2; ++k) {
    for (seq_t s = 1; s <= 6; ++s) {
      t.record(k, stamp(s), stamp(s).created_ns + static_cast<nanos>(s * 1000 + k));
    }
  }
  // A late duplicate must not replace the first latency.
  t.record(0, stamp(3), stamp(3).created_ns + 999'999);
  auto totals = t.window_totals();
  std::sort(totals.latencies.begin(), totals.latencies.end());
  EXPECT_EQ(totals.latencies, (std::vector<nanos>{2000, 2001, 3000, 3001, 4000, 4001}));
  EXPECT_EQ(totals.delivered, 6u);
}

TEST(delivery_tracker, negative_latencies_are_stored_and_counted_never_clamped) {
  delivery_tracker t(1);
  t.set_window(1, 3, 3);
  t.record(0, stamp(1), stamp(1).created_ns + 42'000);
  t.record(0, stamp(2), stamp(2).created_ns - 5);  // a consumer clock behind the producer's
  // A forged creation time cannot overflow the subtraction or hit the empty-slot marker.
  t.record(0, event_stamp{3, std::numeric_limits<nanos>::max(), 0}, -1);
  auto totals = t.window_totals();
  std::sort(totals.latencies.begin(), totals.latencies.end());
  ASSERT_EQ(totals.latencies.size(), 3u);
  EXPECT_EQ(totals.latencies[1], -5);
  EXPECT_EQ(totals.latencies[2], 42'000);
  EXPECT_LT(totals.latencies[0], -5);
  EXPECT_EQ(totals.negative_latencies, 2u);
  EXPECT_TRUE(t.complete());
}

TEST(delivery_tracker, clock_offset_moves_local_receipts_onto_the_producer_clock) {
  delivery_tracker t(1);
  t.set_window(1, 2, 2);
  // The producer's clock reads 3 ms ahead of ours: local 10 ms is producer 13 ms.
  t.set_clock_offset(3 * kNanosPerMilli);
  t.record(0, event_stamp{1, 12 * kNanosPerMilli, 0}, 10 * kNanosPerMilli);
  t.record(0, event_stamp{2, 14 * kNanosPerMilli, 0}, 10 * kNanosPerMilli);
  auto totals = t.window_totals();
  EXPECT_EQ(totals.latencies, (std::vector<nanos>{1 * kNanosPerMilli, -1 * kNanosPerMilli}));
  EXPECT_EQ(totals.negative_latencies, 1u);
  // The drain time is measured on the local clock, without the offset.
  EXPECT_EQ(t.last_delivery_ns(), 10 * kNanosPerMilli);
}

TEST(delivery_tracker, last_delivery_is_the_latest_first_window_delivery) {
  delivery_tracker t(1);
  EXPECT_EQ(t.last_delivery_ns(), 0);
  t.set_window(2, 3, 4);
  t.record(0, stamp(2), 500);
  t.record(0, stamp(3), 300);  // received earlier than the previous one (clock of another thread)
  t.record(0, stamp(2), 900);  // duplicate: not a first delivery
  t.record(0, stamp(4), 950);  // outside the window
  EXPECT_EQ(t.last_delivery_ns(), 500);
}

TEST(delivery_tracker, storage_is_eight_bytes_per_window_event_per_subscriber) {
  delivery_tracker t(4);
  EXPECT_EQ(t.bytes_per_subscriber(), 0u);
  // Warm-up of 50 000 events, then a window of 100 000: memory follows the window alone.
  t.set_window(50'001, 150'000, 200'000);
  EXPECT_EQ(t.bytes_per_subscriber(), 8u * 100'000);
  EXPECT_EQ(t.expected(), 4u * 100'000);
  t.record(0, stamp(150'000), 0);
  t.record(3, stamp(50'001), 0);
  t.record(2, stamp(199'999), 0);
  EXPECT_EQ(t.delivered(), 2u);
  EXPECT_EQ(t.bytes_per_subscriber(), 8u * 100'000);
}

TEST(delivery_tracker, forged_huge_id_is_rejected_without_allocating) {
  delivery_tracker t(2);
  t.set_window(1, 1'000, 1'200);
  const auto bytes = t.bytes_per_subscriber();
  EXPECT_EQ(t.record(1, stamp(1'000'000'000'000), 0), outcome::out_of_range);
  EXPECT_EQ(t.record(0, stamp(std::numeric_limits<seq_t>::max()), 0), outcome::out_of_range);
  EXPECT_EQ(t.record(0, stamp(1'201), 0), outcome::out_of_range);
  EXPECT_EQ(t.bytes_per_subscriber(), bytes);
  EXPECT_EQ(t.out_of_range(), 3u);
  EXPECT_EQ(t.delivered(), 0u);
  // Nor does it disturb the accounting of real events after it.
  EXPECT_EQ(t.record(1, stamp(5), stamp(5).created_ns), outcome::first);
  EXPECT_EQ(t.record(1, stamp(6), stamp(6).created_ns), outcome::first);
  EXPECT_EQ(t.window_totals().reordered, 0u);
}

// Two hosts' trackers, saved and absorbed into one over all their subscribers: the merged
// fan-out is the one a single tracker over the same deliveries gives (an event's first delivery
// on one host, its last on the other), and every sample is there.
TEST(delivery_tracker, slots_of_two_hosts_merge_into_the_one_tracker_of_all_subscribers) {
  delivery_tracker a(2), b(1), whole(3);
  for (auto* t : {&a, &b, &whole}) t->set_window(1, 3, 5);
  // Event 1: +0.2 and +0.5 ms on host a, +0.8 on host b. Event 2: host b only, +0.1 ms.
  a.record(0, stamp(1), stamp(1).created_ns + 200'000);
  a.record(1, stamp(1), stamp(1).created_ns + 500'000);
  b.record(0, stamp(1), stamp(1).created_ns + 800'000);
  b.record(0, stamp(2), stamp(2).created_ns + 100'000);
  whole.record(0, stamp(1), stamp(1).created_ns + 200'000);
  whole.record(1, stamp(1), stamp(1).created_ns + 500'000);
  whole.record(2, stamp(1), stamp(1).created_ns + 800'000);
  whole.record(2, stamp(2), stamp(2).created_ns + 100'000);
  a.record_batch_trip(1, 40'000);
  b.record_batch_trip(1, 30'000);
  b.record_batch_trip(3, 70'000);

  delivery_tracker merged(3);
  merged.set_window(1, 3, 5);
  std::size_t offset = 0;
  for (const auto* t : {&a, &b}) {
    std::stringstream file;
    t->save_slots(file);
    const auto h = delivery_tracker::read_slots_header(file);
    EXPECT_EQ(h.subscribers, t->subscribers());
    merged.absorb_slots(file, h, offset);
    offset += h.subscribers;
  }
  EXPECT_EQ(merged.delivered(), 4u);
  EXPECT_EQ(merged.expected(), 9u);
  auto got = merged.window_totals().latencies, want = whole.window_totals().latencies;
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  const auto f = merged.fan_out(), g = whole.fan_out();
  EXPECT_EQ(f.first_latencies, g.first_latencies);
  EXPECT_EQ(f.spread_events, 1u);
  EXPECT_DOUBLE_EQ(f.spacing_mean_ns, 300'000.0);
  // The least trip per opener over the hosts.
  EXPECT_EQ(f.batch_trips, (std::vector<nanos>{30'000, 70'000}));
}

TEST(delivery_tracker, a_slots_file_for_another_window_or_cut_short_is_refused) {
  delivery_tracker a(1);
  a.set_window(1, 3, 5);
  std::stringstream file;
  a.save_slots(file);
  const std::string bytes = file.str();

  delivery_tracker other(1);
  other.set_window(2, 4, 5);
  std::stringstream in(bytes);
  auto h = delivery_tracker::read_slots_header(in);
  EXPECT_THROW(other.absorb_slots(in, h, 0), std::runtime_error);

  delivery_tracker small(1);
  small.set_window(1, 3, 5);
  std::stringstream in2(bytes);
  h = delivery_tracker::read_slots_header(in2);
  EXPECT_THROW(small.absorb_slots(in2, h, 1), std::runtime_error);  // no room at offset 1

  std::stringstream cut(bytes.substr(0, bytes.size() - 4));
  h = delivery_tracker::read_slots_header(cut);
  delivery_tracker c(1);
  c.set_window(1, 3, 5);
  EXPECT_THROW(c.absorb_slots(cut, h, 0), std::runtime_error);

  std::stringstream junk("not a slots file at all");
  EXPECT_THROW(delivery_tracker::read_slots_header(junk), std::runtime_error);
}

}  // namespace
}  // namespace hookbench
