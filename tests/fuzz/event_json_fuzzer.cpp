// Fuzzes the event parsers of core/event.hpp: one event (a webhook POST, an SSE or WebSocket
// message), a batch (a poll answer, a webhook-batch POST), a webhook receiver's body and a 410
// answer. Wire data never throws; an event that parses encodes back to the same stamp.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/event.hpp"

namespace {

using namespace hookbench;

void check(bool ok) {
  if (!ok) std::abort();
}

void check_round_trip(const event_stamp& s) {
  const std::string back = event_json(event{s.seq, s.created_ns, make_payload(s.payload_bytes, 1)});
  std::string error;
  const auto again = parse_event_json(back, error);
  check(again && error.empty() && again->seq == s.seq && again->created_ns == s.created_ns &&
        again->payload_bytes == s.payload_bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string error;
  if (auto one = parse_event_json(in, error)) {
    check(error.empty());
    if (one->payload_bytes < 4096) check_round_trip(*one);
  } else {
    check(!error.empty());
  }
  error.clear();
  if (auto batch = parse_batch_json(in, error)) {
    check(error.empty());
  } else {
    check(!error.empty());
  }
  error.clear();
  const auto stamps = parse_delivery_json(in, error);
  check(stamps.empty() != error.empty());
  (void)oldest_retained(in, 41);
  return 0;
}
