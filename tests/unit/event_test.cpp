// The event wire format (core/event): what the producer encodes the consumer parses back exactly,
// and malformed bodies are rejected with an error string instead of throwing or guessing.
#include "core/event.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hookbench {
namespace {

TEST(make_payload, exact_size_deterministic_and_json_safe) {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{256}, std::size_t{70'000}}) {
    const std::string p = make_payload(n, 7);
    EXPECT_EQ(p.size(), n);
    EXPECT_EQ(p, make_payload(n, 7));
    EXPECT_EQ(p.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789"), std::string::npos);
  }
  EXPECT_NE(make_payload(16, 1), make_payload(16, 2));  // payloads differ between events
}

TEST(event_json, encode_parse_round_trip) {
  const event e{42, 1'234'567'890'123, make_payload(100, 42)};
  const std::string text = event_json(e);
  EXPECT_EQ(text, "{\"id\":42,\"t\":1234567890123,\"payload\":\"" + e.payload + "\"}");
  std::string error;
  auto stamp = parse_event_json(text, error);
  ASSERT_TRUE(stamp) << error;
  EXPECT_EQ(stamp->seq, 42u);
  EXPECT_EQ(stamp->created_ns, 1'234'567'890'123);
  EXPECT_EQ(stamp->payload_bytes, 100u);
}

TEST(event_json, append_builds_on_existing_text) {
  std::string out = "prefix:";
  append_event_json(out, event{1, 2, "p"});
  EXPECT_EQ(out, "prefix:{\"id\":1,\"t\":2,\"payload\":\"p\"}");
}

TEST(event_json, malformed_bodies_rejected_with_a_reason) {
  const char* bad[] = {
      "",                                          // empty
      "not json",                                  // not JSON
      "{\"id\":1,\"t\":2,\"payload\":\"x\"",       // truncated
      "[1,2,3]",                                   // not an object
      "{\"t\":2,\"payload\":\"x\"}",               // id missing
      "{\"id\":1,\"payload\":\"x\"}",              // t missing
      "{\"id\":1,\"t\":2}",                        // payload missing
      "{\"id\":-1,\"t\":2,\"payload\":\"x\"}",     // negative id
      "{\"id\":1.5,\"t\":2,\"payload\":\"x\"}",    // fractional id
      "{\"id\":\"1\",\"t\":2,\"payload\":\"x\"}",  // id as string
      "{\"id\":1,\"t\":\"2\",\"payload\":\"x\"}",  // t as string
      "{\"id\":1,\"t\":2,\"payload\":7}",          // payload not a string
  };
  for (const char* body : bad) {
    std::string error;
    EXPECT_FALSE(parse_event_json(body, error)) << "accepted: " << body;
    EXPECT_FALSE(error.empty()) << "no reason for: " << body;
  }
}

TEST(batch_json, round_trip_with_cursor) {
  std::vector<event> store{{5, 100, "aa"}, {6, 200, "bbb"}, {7, 300, ""}};
  std::vector<const event*> events;
  for (const auto& e : store) events.push_back(&e);
  const std::string text = batch_json(events, 7);
  std::string error;
  auto batch = parse_batch_json(text, error);
  ASSERT_TRUE(batch) << error;
  EXPECT_EQ(batch->next, 7u);
  ASSERT_EQ(batch->events.size(), 3u);
  for (std::size_t i = 0; i < store.size(); ++i) {
    EXPECT_EQ(batch->events[i].seq, store[i].seq);
    EXPECT_EQ(batch->events[i].created_ns, store[i].created_ns);
    EXPECT_EQ(batch->events[i].payload_bytes, store[i].payload.size());
  }
}

TEST(batch_json, empty_batch_keeps_the_cursor) {
  const std::string text = batch_json({}, 12);
  EXPECT_EQ(text, "{\"events\":[],\"next\":12}");
  std::string error;
  auto batch = parse_batch_json(text, error);
  ASSERT_TRUE(batch) << error;
  EXPECT_TRUE(batch->events.empty());
  EXPECT_EQ(batch->next, 12u);
}

TEST(batch_json, malformed_batches_rejected_with_a_reason) {
  const char* bad[] = {
      "garbage",
      "[]",
      "{\"next\":1}",                    // events missing
      "{\"events\":[]}",                 // next missing
      "{\"events\":{},\"next\":1}",      // events not an array
      "{\"events\":[],\"next\":-1}",     // negative cursor
      "{\"events\":[],\"next\":\"1\"}",  // cursor as string
      "{\"events\":[{\"id\":1,\"t\":1,\"payload\":\"x\"},{\"id\":2}],\"next\":2}",  // one bad event
      "{\"events\":[7],\"next\":1}",  // event not an object
  };
  for (const char* body : bad) {
    std::string error;
    EXPECT_FALSE(parse_batch_json(body, error)) << "accepted: " << body;
    EXPECT_FALSE(error.empty()) << "no reason for: " << body;
  }
}

}  // namespace
}  // namespace hookbench
