// The event model shared by both sides: a sequence number, the scheduled creation time and an
// opaque payload, and its JSON wire form (one encoder for polls and webhooks alike).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace hookbench {

using seq_t = std::uint64_t;

struct event {
  seq_t seq = 0;         // 1, 2, 3, ... without gaps; also the event id
  nanos created_ns = 0;  // *scheduled* creation time (open loop), CLOCK_MONOTONIC
  std::string payload;
};

// What a consumer needs of an event to account for it; the payload is checked, not kept.
struct event_stamp {
  seq_t seq = 0;
  nanos created_ns = 0;
  std::size_t payload_bytes = 0;
};

// A deterministic payload of exactly `bytes` characters (JSON-safe, no escaping needed).
std::string make_payload(std::size_t bytes, seq_t seq);

// {"id":7,"t":123456789,"payload":"..."}
void append_event_json(std::string& out, const event& e);
std::string event_json(const event& e);

// {"events":[...],"next":SEQ}
std::string batch_json(const std::vector<const event*>& events, seq_t next);

// Parsers return nullopt with `error` set on malformed input (never throw on wire data).
std::optional<event_stamp> parse_event_json(std::string_view body, std::string& error);
struct event_batch {
  std::vector<event_stamp> events;
  seq_t next = 0;
};
std::optional<event_batch> parse_batch_json(std::string_view body, std::string& error);
// A webhook POST body: one event, or a batch {"events":[...],"next":SEQ} (webhook-batch). Empty
// with `error` set when malformed, or when a batch holds no events.
std::vector<event_stamp> parse_delivery_json(std::string_view body, std::string& error);
// The oldest sequence number still retained, from a 410 answer to a poll whose cursor expired
// ({"error":...,"oldest":SEQ}); cursor + 1 when the answer does not say.
seq_t oldest_retained(std::string_view body_410, seq_t cursor);

}  // namespace hookbench
