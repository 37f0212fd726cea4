// Event JSON on the wire: encoding one event (every webhook body) and a poll batch, and the
// consumer's parse of both, at several payload sizes and batch sizes. Real hookbench code.
//
//   json_event_encode/payload:N   event_json(): one webhook body, built once per event
//   json_event_parse/payload:N    parse_event_json(): the receiver's work per webhook
//   json_batch_encode/events:K    batch_json(): a poll response with K events of 256 B
//   json_batch_parse/events:K     parse_batch_json(): the poller's work per response
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/event.hpp"

namespace {

using namespace hookbench;

constexpr std::size_t kBatchPayload = 256;

event sample_event(seq_t seq, std::size_t payload_bytes) {
  return event{seq, 1'234'567'890'123 + static_cast<nanos>(seq), make_payload(payload_bytes, seq)};
}

std::vector<event> sample_events(std::size_t k) {
  std::vector<event> events;
  events.reserve(k);
  for (std::size_t i = 0; i < k; ++i) events.push_back(sample_event(1000 + i, kBatchPayload));
  return events;
}

void json_event_encode(benchmark::State& state) {
  const auto e = sample_event(42, static_cast<std::size_t>(state.range(0)));
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string body = event_json(e);
    benchmark::DoNotOptimize(body.data());
    bytes += body.size();
  }
  // The encoder is hand-written: check once that what it produced is what the parser accepts.
  std::string error;
  auto back = parse_event_json(event_json(e), error);
  if (!back || back->seq != e.seq || back->payload_bytes != e.payload.size()) {
    state.SkipWithError(("encoded event does not parse back: " + error).c_str());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(json_event_encode)->ArgName("payload")->RangeMultiplier(4)->Range(64, 16384);

void json_event_parse(benchmark::State& state) {
  const auto e = sample_event(42, static_cast<std::size_t>(state.range(0)));
  const std::string body = event_json(e);
  std::string error;
  for (auto _ : state) {
    auto stamp = parse_event_json(body, error);
    if (!stamp || stamp->seq != e.seq || stamp->payload_bytes != e.payload.size()) {
      state.SkipWithError(("parse_event_json failed: " + error).c_str());
      break;
    }
    benchmark::DoNotOptimize(stamp);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(json_event_parse)->ArgName("payload")->RangeMultiplier(4)->Range(64, 16384);

void json_batch_encode(benchmark::State& state) {
  const auto k = static_cast<std::size_t>(state.range(0));
  const auto events = sample_events(k);
  std::vector<const event*> refs;
  for (const auto& e : events) refs.push_back(&e);
  const seq_t next = events.back().seq;
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string body = batch_json(refs, next);
    benchmark::DoNotOptimize(body.data());
    bytes += body.size();
  }
  std::string error;
  auto back = parse_batch_json(batch_json(refs, next), error);
  if (!back || back->events.size() != k || back->next != next) {
    state.SkipWithError(("encoded batch does not parse back: " + error).c_str());
  }
  // Items are events, so items/s compares directly with json_event_encode.
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(json_batch_encode)->ArgName("events")->Arg(1)->Arg(10)->Arg(100)->Arg(1000);

void json_batch_parse(benchmark::State& state) {
  const auto k = static_cast<std::size_t>(state.range(0));
  const auto events = sample_events(k);
  std::vector<const event*> refs;
  for (const auto& e : events) refs.push_back(&e);
  const std::string body = batch_json(refs, events.back().seq);
  std::string error;
  for (auto _ : state) {
    auto batch = parse_batch_json(body, error);
    if (!batch || batch->events.size() != k || batch->events.back().seq != events.back().seq) {
      state.SkipWithError(("parse_batch_json failed: " + error).c_str());
      break;
    }
    benchmark::DoNotOptimize(batch);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(json_batch_parse)->ArgName("events")->Arg(1)->Arg(10)->Arg(100)->Arg(1000);

}  // namespace
