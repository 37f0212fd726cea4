// The consumer's accounting: recording a delivery in the delivery_tracker (first delivery and
// a duplicate), and the end-of-run latency summary (sort + nearest-rank percentiles).
//
//   tracker_record/first           delivery_tracker::record of a new event id
//   tracker_record/duplicate       the same for an id already seen (dedup path)
//   latency_summarize/samples:N    summarize_latency() of N unsorted samples (copy included)
//   latency_percentile             percentile_sorted() on 100 000 sorted samples
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

#include "measure/delivery_tracker.hpp"
#include "measure/latency.hpp"

namespace {

using namespace hookbench;

// The tracker holds one slot per window event, allocated by set_window(); a window of
// kTrackerSpan events and a fresh tracker when it is used up keep every record() a first
// delivery however many iterations the library asks for.
constexpr seq_t kTrackerSpan = 1 << 20;
constexpr seq_t kDuplicateIds = 1024;

std::unique_ptr<delivery_tracker> fresh_tracker(bool duplicates) {
  auto t = std::make_unique<delivery_tracker>(1);
  const seq_t window = duplicates ? kDuplicateIds : kTrackerSpan;
  t->set_window(1, window, window);
  if (duplicates) {
    for (seq_t s = 1; s <= kDuplicateIds; ++s) t->record(0, event_stamp{s, 0, 256}, 1000);
  }
  return t;
}

void tracker_record(benchmark::State& state, bool duplicates) {
  auto tracker = fresh_tracker(duplicates);
  const auto wanted =
      duplicates ? delivery_tracker::outcome::duplicate : delivery_tracker::outcome::first;
  seq_t n = 0;
  nanos received = 1'000'000;
  for (auto _ : state) {
    if (n == kTrackerSpan) {
      state.PauseTiming();
      tracker = fresh_tracker(duplicates);
      n = 0;
      state.ResumeTiming();
    }
    ++n;
    const seq_t seq = duplicates ? 1 + n % kDuplicateIds : n;
    received += 1000;
    if (tracker->record(0, event_stamp{seq, 0, 256}, received) != wanted) {
      state.SkipWithError("delivery_tracker::record gave the wrong outcome");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(tracker_record, first, false);
BENCHMARK_CAPTURE(tracker_record, duplicate, true);

// Latency-like samples: log-normal around 1 ms with a long tail, fixed seed.
std::vector<nanos> sample_latencies(std::size_t n) {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> dist(13.8, 0.8);  // e^13.8 ns ~ 1 ms
  std::vector<nanos> v(n);
  for (auto& x : v) x = static_cast<nanos>(dist(rng));
  return v;
}

void latency_summarize(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto samples = sample_latencies(n);
  std::vector<nanos> work;
  work.reserve(n);
  for (auto _ : state) {
    // summarize_latency sorts in place: each iteration starts from the unsorted samples (the
    // copy is a few percent of the sort).
    work.assign(samples.begin(), samples.end());
    auto s = summarize_latency(work);
    if (s.count != n || !(s.p50_us <= s.p99_us && s.p99_us <= s.max_us)) {
      state.SkipWithError("summarize_latency returned inconsistent percentiles");
      break;
    }
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(latency_summarize)
    ->ArgName("samples")
    ->Arg(1000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMicrosecond);

void latency_percentile(benchmark::State& state) {
  auto sorted = sample_latencies(100'000);
  std::sort(sorted.begin(), sorted.end());
  double q = 0.5;
  for (auto _ : state) {
    benchmark::DoNotOptimize(q);
    const nanos v = percentile_sorted(sorted, q);
    benchmark::DoNotOptimize(v);
  }
  if (percentile_sorted(sorted, 0.999) < percentile_sorted(sorted, 0.5)) {
    state.SkipWithError("percentile_sorted is not monotonic");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(latency_percentile);

}  // namespace
