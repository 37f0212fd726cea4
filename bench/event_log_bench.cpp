// The producer's event log: appending a new event in the steady state (the log is full, so
// every append also evicts the oldest) and a poll's read of the K events after a cursor.
//
//   log_append/payload:256      event_log::append with the producer's default retention
//   log_read_after/events:K     event_log::read_after(last - K): what one poll costs the log
#include <benchmark/benchmark.h>

#include <string>

#include "producer/event_log.hpp"

namespace {

using namespace hookbench;

constexpr std::size_t kRetention = 100'000;  // producer_config's default
constexpr std::size_t kPollLimit = 1000;     // the consumer's default poll limit

void fill(event_log& log, std::size_t n, std::size_t payload_bytes) {
  for (std::size_t i = 0; i < n; ++i) {
    log.append(static_cast<nanos>(i), make_payload(payload_bytes, log.last_seq() + 1));
  }
}

void log_append(benchmark::State& state) {
  const auto payload_bytes = static_cast<std::size_t>(state.range(0));
  event_log log(kRetention);
  fill(log, kRetention, payload_bytes);
  const std::string payload = make_payload(payload_bytes, 7);
  const seq_t first = log.last_seq() + 1;
  nanos t = 0;
  for (auto _ : state) {
    // The copy is part of the cost: the generator hands the log a freshly made string.
    const event& e = log.append(++t, payload);
    benchmark::DoNotOptimize(&e);
  }
  if (log.last_seq() != first - 1 + static_cast<seq_t>(state.iterations()) ||
      log.size() != kRetention) {
    state.SkipWithError("event_log lost or kept the wrong number of events");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * payload_bytes));
}
BENCHMARK(log_append)->ArgName("payload")->Arg(256);

void log_read_after(benchmark::State& state) {
  const auto k = static_cast<std::size_t>(state.range(0));
  event_log log(kRetention);
  fill(log, kRetention, 256);
  const seq_t after = log.last_seq() - k;
  for (auto _ : state) {
    auto r = log.read_after(after, kPollLimit);
    if (r.status != event_log::read_status::ok || r.events.size() != k ||
        r.next != (k ? log.last_seq() : after)) {
      state.SkipWithError("read_after returned the wrong events");
      break;
    }
    benchmark::DoNotOptimize(r.events.data());
  }
  state.SetItemsProcessed(state.iterations());  // reads (polls); the events are range(0) each
}
BENCHMARK(log_read_after)->ArgName("events")->Arg(0)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);

}  // namespace
