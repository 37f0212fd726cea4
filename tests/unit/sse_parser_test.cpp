// The text/event-stream parser of the SSE reader (consumer/sse_mode.hpp) against the WHATWG
// event stream rules: any line ending, multi-line data, comments, retry, ids that persist, and
// bytes split anywhere.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "consumer/sse_mode.hpp"

namespace hookbench {
namespace {

struct collected {
  std::vector<sse_parser::message> messages;
  std::vector<std::string> comments;
  std::vector<std::uint64_t> retries;
};

collected parse(const std::vector<std::string>& pieces) {
  sse_parser p;
  collected c;
  for (const auto& piece : pieces) {
    p.feed(
        piece, [&](const sse_parser::message& m) { c.messages.push_back(m); },
        [&](std::string_view text) { c.comments.emplace_back(text); },
        [&](std::uint64_t ms) { c.retries.push_back(ms); });
  }
  return c;
}

TEST(sse_parser, one_message_per_blank_line_with_id_and_data) {
  const auto c = parse({"retry: 1000\n\nid: 7\ndata: {\"id\":7}\n\n: heartbeat\n\n"});
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0].id, "7");
  EXPECT_EQ(c.messages[0].data, "{\"id\":7}");
  EXPECT_EQ(c.retries, std::vector<std::uint64_t>{1000});
  EXPECT_EQ(c.comments, std::vector<std::string>{" heartbeat"});
}

TEST(sse_parser, every_line_ending_and_any_split) {
  const std::string stream = "id: 1\r\ndata: a\r\n\r\nid: 2\rdata: b\r\rid: 3\ndata: c\n\n";
  // The same bytes fed whole, and one byte at a time, give the same three messages.
  std::vector<std::string> bytes;
  for (char ch : stream) bytes.emplace_back(1, ch);
  for (const auto& pieces : {std::vector<std::string>{stream}, bytes}) {
    const auto c = parse(pieces);
    ASSERT_EQ(c.messages.size(), 3u);
    EXPECT_EQ(c.messages[1].id, "2");
    EXPECT_EQ(c.messages[2].data, "c");
  }
}

TEST(sse_parser, multi_line_data_event_names_and_persisting_ids) {
  const auto c = parse({"event: gap\ndata: x\ndata:y\n\n", "data: z\n\n"});
  ASSERT_EQ(c.messages.size(), 2u);
  EXPECT_EQ(c.messages[0].event, "gap");
  EXPECT_EQ(c.messages[0].data, "x\ny");  // one space after the colon is dropped, no more
  EXPECT_EQ(c.messages[1].event, "");     // an event name lasts one message
  const auto ids = parse({"id: 4\ndata: a\n\ndata: b\n\n"});
  EXPECT_EQ(ids.messages[1].id, "4");  // the last event id lasts until changed
}

TEST(sse_parser, blocks_without_data_and_bad_retry_dispatch_nothing) {
  const auto c = parse({"id: 9\n\nretry: soon\n\nevent: x\n\n"});
  EXPECT_TRUE(c.messages.empty());
  EXPECT_TRUE(c.retries.empty());
}

}  // namespace
}  // namespace hookbench
