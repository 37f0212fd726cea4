// Event streams end to end: a stream the producer cuts (as proxies do) is resumed (SSE with
// Last-Event-ID, WebSocket with ?after=) and misses nothing; a cursor that fell out of retention
// gets a gap event; and a standard EventSource client, not only hookbench's reader, reads the
// stream and resumes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

class stream_modes : public ::testing::TestWithParam<std::string> {};

// SSE resumes with Last-Event-ID, WebSocket with ?after=: either way nothing is missed.
TEST_P(stream_modes, a_cut_stream_resumes_and_misses_nothing) {
  const auto r = hookbench_run({"--mode", GetParam(), "--rate", "400", "--arrivals", "constant",
                                "--subscribers", "2", "--warmup", "250ms", "--duration", "2s",
                                "--stream-lifetime", "400ms", "--drain", "3s"});
  ASSERT_EQ(r.exit.code, 0) << r.err;
  const auto& m = r.metrics();
  EXPECT_EQ(m.at("delivered"), m.at("expected"));
  EXPECT_EQ(m.at("lost"), 0);
  EXPECT_EQ(m.at("duplicates"), 0);
  const auto& reader = r.result.at("sides").at("consumer").at("traffic");
  const auto& streams =
      r.result.at("sides").at("producer").at(GetParam() == "sse" ? "streams" : "websockets");
  EXPECT_GE(streams.at("lifetime_closed").get<int>(), 4) << streams.dump();
  EXPECT_GE(reader.at("reconnects").get<int>(), 4) << reader.dump();
  EXPECT_EQ(reader.at("gaps"), 0);
}

INSTANTIATE_TEST_SUITE_P(resume, stream_modes, ::testing::Values("sse", "websocket"));

// Starts `hookbench serve` generating at once; returns its port (0 on failure).
std::uint16_t start_serve(process& serve) {
  const auto ready = json_line(serve, "ready", milliseconds(10'000));
  return ready ? ready->value("port", std::uint16_t{0}) : 0;
}

TEST(sse, a_cursor_out_of_retention_gets_a_gap_event_first) {
  // Retention 5 at 200 events/s: after half a second, events 1.. are long gone.
  process serve({"serve", "--listen", "127.0.0.1:0", "--rate", "200", "--arrivals", "constant",
                 "--retention", "5", "--warmup", "0s", "--duration", "60s", "--autostart",
                 "--stream-lifetime", "300ms", "--quiet"});
  const auto port = start_serve(serve);
  ASSERT_NE(port, 0) << serve.err();
  std::this_thread::sleep_for(milliseconds(500));
  const auto reply =
      raw_exchange("127.0.0.1", port,
                   "GET /stream HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\nLast-Event-ID: "
                   "0\r\nConnection: close\r\n" +
                       auth_line("/stream") + "\r\n");
  ASSERT_EQ(reply.status, 200u) << reply.raw.substr(0, 300);
  EXPECT_NE(reply.headers.find("text/event-stream"), std::string::npos) << reply.headers;
  const auto retry = reply.body.find("retry: ");
  const auto gap = reply.body.find("event: gap\ndata: {\"from\":1,\"to\":");
  ASSERT_NE(gap, std::string::npos) << reply.body.substr(0, 300);
  EXPECT_LT(retry, gap);
  // After the gap, the stream goes on from the oldest event still kept.
  EXPECT_NE(reply.body.find("id: ", gap), std::string::npos);
}

TEST(sse, a_standard_eventsource_client_reads_and_resumes) {
  const char* node = "/usr/bin/node";
  const std::string module = "/usr/share/nodejs/eventsource";
  if (!std::filesystem::exists(node) || !std::filesystem::exists(module)) {
    GTEST_SKIP() << "node or Debian's node-eventsource missing (scripts/setup.sh installs both)";
  }
  // 50 events/s, streams cut every 300 ms: the reader stops once it has 60 ids and has opened the
  // stream three times (however long node took to start, so however big the first backlog).
  process serve({"serve", "--listen", "127.0.0.1:0", "--rate", "50", "--arrivals", "constant",
                 "--warmup", "0s", "--duration", "60s", "--autostart", "--stream-lifetime", "300ms",
                 "--quiet"});
  const auto port = start_serve(serve);
  ASSERT_NE(port, 0) << serve.err();
  setenv("NODE_PATH", "/usr/share/nodejs", 1);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/stream?after=0";
  process reader(
      raw_command,
      {node, std::string(HOOKBENCH_SOURCE_DIR) + "/tests/integration/js/eventsource_reader.js", url,
       "60", "3", "20000"});
  const auto exit = reader.wait(milliseconds(30'000));
  const std::string out = reader.out();
  ASSERT_EQ(exit.code, 0) << out << reader.err();
  const auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(j.is_object() && j.contains("ids")) << out << reader.err();
  const auto& ids = j.at("ids");
  ASSERT_GE(ids.size(), 60u) << out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(ids[i].get<int>(), static_cast<int>(i) + 1) << "ids in order, none missed or twice";
  }
  EXPECT_GE(j.at("opens").get<int>(), 3) << "the client did not reconnect twice within 20 s";
  EXPECT_EQ(j.at("lastEventId"), std::to_string(ids.size()));
}

}  // namespace
}  // namespace hookbench_test
