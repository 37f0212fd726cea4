// What injected faults did to delivery, from the consumer's own records (the tracker's first
// deliveries with their receive times, and its duplicates): per fault, what was lost, duplicated
// and late, and how long the consumer took to catch up; for the run, a recovery timeline.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "core/fault.hpp"
#include "measure/delivery_tracker.hpp"
#include "measure/window.hpp"

namespace hookbench {

// Width of the recovery timeline's buckets (doubled until the run fits in kMaxTimelineBuckets).
constexpr nanos kTimelineBucket = 100 * kNanosPerMilli;
constexpr std::size_t kMaxTimelineBuckets = 1200;

// `tracker` must keep receive times (delivery_tracker::keep_receive_times); `window` is on the
// local clock; fault times count from window.start_ns. Creation times are the tracker's
// (received - latency), so an event never delivered has none: it is placed by its sequence
// number between the events around it whose creation time is known (ids follow creation order).
//
// {"expected", "delivered", "lost", "duplicates",
//  "per_fault": [{"spec", "kind", "at_s", "for_s",
//                 "lost": pairs never delivered, of events created from the last event known
//                         before AT to the first known at or after AT+FOR (both excluded),
//                 "duplicates": duplicates received from AT on,
//                 "delivered_after_start": first deliveries received from AT on,
//                 "delay_us": {"count", "p99", "max"} of the events created from AT on,
//                 "catch_up_s": AT+FOR -> every pair of an event created before it delivered
//                               (0 if they all were by then; null if some never were),
//                 "catch_up_delivered_s": the same over the pairs that were delivered,
//                 "not_caught_up": pairs created before AT+FOR never delivered}],
//  "timeline": {"bucket_ms", "delivered": [first deliveries per bucket of receive time from the
//               window's start], "max_latency_ms": [per bucket, null when empty]}}
nlohmann::json fault_metrics(const delivery_tracker& tracker, const measurement_window& window,
                             const std::vector<fault_spec>& faults);

}  // namespace hookbench
