// GET /events with If-None-Match, against `hookbench serve` over raw sockets: every answer names
// the log's head in an ETag; the same ETag with nothing after the cursor is 304 Not Modified
// with no body at all; a stale ETag, or new events, get an ordinary 200.
#include <gtest/gtest.h>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

std::string get(const std::string& target, const std::string& if_none_match = {}) {
  std::string raw =
      "GET " + target + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" + auth_line(target);
  if (!if_none_match.empty()) raw += "If-None-Match: " + if_none_match + "\r\n";
  return raw + "\r\n";
}

std::string header_value(const http_reply& r, const std::string& lower_name) {
  std::string h = r.headers;
  for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto at = h.find("\r\n" + lower_name + ":");
  if (at == std::string::npos) return {};
  const auto start = r.headers.find_first_not_of(' ', at + 3 + lower_name.size());
  return r.headers.substr(start, r.headers.find("\r\n", start) - start);
}

TEST(conditional_poll, nothing_new_is_304_with_no_body) {
  // Constant arrivals at 0.2/s: event 1 at once, event 2 five seconds later.
  process serve({"serve", "--listen", "127.0.0.1:0", "--rate", "0.2", "--arrivals", "constant",
                 "--warmup", "0s", "--duration", "60s", "--autostart", "--quiet"});
  const auto ready = json_line(serve, "ready", milliseconds(10'000));
  ASSERT_TRUE(ready) << serve.err();
  const auto port = ready->value("port", std::uint16_t{0});

  const auto first = raw_exchange("127.0.0.1", port, get("/events?after=0"));
  ASSERT_EQ(first.status, 200u) << first.raw;
  const auto batch = nlohmann::json::parse(first.body);
  ASSERT_EQ(batch.at("events").size(), 1u) << first.body;
  const std::string etag = header_value(first, "etag");
  EXPECT_EQ(etag, "\"1\"");

  const std::string after = "/events?after=" + batch.at("next").dump();
  const auto not_modified = raw_exchange("127.0.0.1", port, get(after, etag));
  EXPECT_EQ(not_modified.status, 304u) << not_modified.raw;
  EXPECT_TRUE(not_modified.body.empty()) << "a 304 carried a body: " << not_modified.raw;
  EXPECT_EQ(header_value(not_modified, "etag"), etag);
  const std::string length = header_value(not_modified, "content-length");
  EXPECT_TRUE(length.empty() || length == "0") << not_modified.headers;

  // A stale ETag gets the (empty) list, and an old cursor the events it has not seen.
  const auto stale = raw_exchange("127.0.0.1", port, get(after, "\"0\""));
  EXPECT_EQ(stale.status, 200u) << stale.raw;
  EXPECT_EQ(nlohmann::json::parse(stale.body).at("events").size(), 0u);
  const auto behind = raw_exchange("127.0.0.1", port, get("/events?after=0", etag));
  EXPECT_EQ(behind.status, 200u) << behind.raw;
  EXPECT_EQ(nlohmann::json::parse(behind.body).at("events").size(), 1u);
}

}  // namespace
}  // namespace hookbench_test
