// Consumer-side accounting (measure/delivery_tracker): first deliveries versus duplicates,
// out-of-order arrivals, and counting inside the measured window whether the window becomes
// known before or after the deliveries.
#include "measure/delivery_tracker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <stdexcept>

namespace hookbench {
namespace {

using outcome = delivery_tracker::outcome;

// Event `seq` scheduled at seq ms.
event_stamp stamp(seq_t seq) { return {seq, static_cast<nanos>(seq) * kNanosPerMilli, 16}; }

TEST(delivery_tracker, first_then_duplicate) {
  delivery_tracker t(2);
  EXPECT_EQ(t.record(0, stamp(1), 5 * kNanosPerMilli), outcome::first);
  EXPECT_EQ(t.record(0, stamp(1), 6 * kNanosPerMilli), outcome::duplicate);
  // The same event to another subscriber is a separate (event, subscriber) pair.
  EXPECT_EQ(t.record(1, stamp(1), 7 * kNanosPerMilli), outcome::first);
  EXPECT_EQ(t.received_total(), 3u);
  EXPECT_EQ(t.subscribers(), 2u);
  EXPECT_THROW(t.record(2, stamp(1), 0), std::out_of_range);
}

TEST(delivery_tracker, window_set_after_deliveries) {
  delivery_tracker t(2);
  for (seq_t s = 1; s <= 10; ++s) t.record(0, stamp(s), stamp(s).created_ns + 100);
  for (seq_t s = 4; s <= 6; ++s) t.record(1, stamp(s), stamp(s).created_ns + 200);
  EXPECT_FALSE(t.window_known());
  EXPECT_EQ(t.expected(), 0u);
  EXPECT_FALSE(t.complete());
  t.set_window(3, 7);
  EXPECT_TRUE(t.window_known());
  EXPECT_EQ(t.expected(), 10u);  // 5 events x 2 subscribers
  EXPECT_EQ(t.delivered(), 8u);  // subscriber 0 has 3..7, subscriber 1 has 4..6
  EXPECT_FALSE(t.complete());
  t.record(1, stamp(3), stamp(3).created_ns + 1);
  t.record(1, stamp(7), stamp(7).created_ns + 1);
  EXPECT_EQ(t.delivered(), 10u);
  EXPECT_TRUE(t.complete());
}

TEST(delivery_tracker, window_set_before_deliveries) {
  delivery_tracker t(1);
  t.set_window(2, 4);
  EXPECT_EQ(t.expected(), 3u);
  EXPECT_EQ(t.delivered(), 0u);
  t.record(0, stamp(1), stamp(1).created_ns);  // before the window: not counted
  t.record(0, stamp(5), stamp(5).created_ns);  // after the window: not counted
  EXPECT_EQ(t.delivered(), 0u);
  t.record(0, stamp(2), stamp(2).created_ns);
  t.record(0, stamp(3), stamp(3).created_ns);
  t.record(0, stamp(3), stamp(3).created_ns);  // duplicate: counted once
  EXPECT_EQ(t.delivered(), 2u);
  EXPECT_FALSE(t.complete());
  t.record(0, stamp(4), stamp(4).created_ns);
  EXPECT_TRUE(t.complete());
}

TEST(delivery_tracker, window_can_be_set_only_once) {
  delivery_tracker t(1);
  t.set_window(1, 5);
  EXPECT_THROW(t.set_window(1, 5), std::logic_error);
}

TEST(delivery_tracker, empty_window_expects_nothing) {
  delivery_tracker t(3);
  t.record(0, stamp(1), 0);
  t.set_window(5, 4);  // first > last: no event was scheduled in the window
  EXPECT_EQ(t.expected(), 0u);
  EXPECT_EQ(t.delivered(), 0u);
  EXPECT_TRUE(t.complete());
  EXPECT_TRUE(t.window_totals().latencies.empty());
}

TEST(delivery_tracker, reordered_and_duplicates_counted_inside_the_window_only) {
  delivery_tracker t(1);
  // Arrival order 1 3 2 5 4 3 9 8: 2, 4 and 8 arrive after a later event; 3 arrives twice.
  for (seq_t s : std::initializer_list<seq_t>{1, 3, 2, 5, 4, 3, 9, 8}) {
    t.record(0, stamp(s), stamp(s).created_ns + 10);
  }
  t.set_window(2, 5);
  const auto totals = t.window_totals();
  EXPECT_EQ(totals.delivered, 4u);   // 2, 3, 4, 5
  EXPECT_EQ(totals.duplicates, 1u);  // 3 again
  EXPECT_EQ(totals.reordered, 2u);   // 2 and 4; 8 is outside the window
  EXPECT_EQ(t.received_total(), 8u);
}

TEST(delivery_tracker, latencies_only_from_the_window_and_first_delivery) {
  delivery_tracker t(2);
  // Latency of event s to subscriber k: s * 1000 + k ns (distinct, so we can tell them apart).
  for (std::size_t k = 0; k < 2; ++k) {
    for (seq_t s = 1; s <= 6; ++s) {
      t.record(k, stamp(s), stamp(s).created_ns + static_cast<nanos>(s * 1000 + k));
    }
  }
  // A late duplicate must not replace the first latency.
  t.record(0, stamp(3), stamp(3).created_ns + 999'999);
  t.set_window(2, 4);
  auto totals = t.window_totals();
  std::sort(totals.latencies.begin(), totals.latencies.end());
  EXPECT_EQ(totals.latencies, (std::vector<nanos>{2000, 2001, 3000, 3001, 4000, 4001}));
  EXPECT_EQ(totals.delivered, 6u);
}

TEST(delivery_tracker, latency_is_received_minus_scheduled_and_never_negative) {
  delivery_tracker t(1);
  t.record(0, stamp(1), stamp(1).created_ns + 42'000);
  t.record(0, stamp(2), stamp(2).created_ns - 5);  // cannot happen on one clock; clamped
  t.set_window(1, 2);
  auto totals = t.window_totals();
  std::sort(totals.latencies.begin(), totals.latencies.end());
  EXPECT_EQ(totals.latencies, (std::vector<nanos>{0, 42'000}));
}

TEST(delivery_tracker, large_sequence_numbers) {
  delivery_tracker t(1);
  t.record(0, stamp(100'000), 0);
  t.record(0, stamp(1), 0);
  t.set_window(1, 100'000);
  EXPECT_EQ(t.delivered(), 2u);
  EXPECT_EQ(t.expected(), 100'000u);
}

}  // namespace
}  // namespace hookbench
