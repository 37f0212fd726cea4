// The consumer on cpp-httplib (--consumer-stack httplib|httplib-nodelay) end to end through
// `hookbench run`: polling and webhooks deliver every event to every subscriber exactly once,
// the requests are counted by kind and the result names the stack; a stack that does not serve
// the mode, or does not exist, is refused with one line and exit code 2.
#include <gtest/gtest.h>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

using nlohmann::json;

struct stack_case {
  const char* stack;
  const char* mode;
};

class consumer_stack : public ::testing::TestWithParam<stack_case> {};

TEST_P(consumer_stack, delivers_every_event_exactly_once) {
  const auto [stack, mode] = GetParam();
  std::vector<std::string> args = {
      "--mode", mode,         "--consumer-stack", stack,      "--rate", "150",     "--subscribers",
      "2",      "--duration", "1500ms",           "--warmup", "300ms",  "--drain", "2s"};
  const bool poll = std::string_view(mode) == "poll";
  if (poll) args.insert(args.end(), {"--interval", "50ms"});
  const auto r = hookbench_run(args);
  ASSERT_TRUE(r.exit.exited) << "run did not finish; stderr:\n" << r.err;
  ASSERT_EQ(r.exit.code, 0) << r.err;
  ASSERT_TRUE(r.result.is_object()) << "no result file; stderr:\n" << r.err;
  EXPECT_TRUE(correctness_warnings(r.err).empty()) << r.err;

  const auto& m = r.metrics();
  EXPECT_GT(m.at("produced").get<std::uint64_t>(), 0u);
  EXPECT_EQ(m.at("expected").get<std::uint64_t>(), 2 * m.at("produced").get<std::uint64_t>());
  EXPECT_EQ(m.at("delivered"), m.at("expected"));
  EXPECT_EQ(m.at("lost"), 0);
  EXPECT_EQ(m.at("duplicates"), 0);
  EXPECT_EQ(m.at("latency_us").at("count"), m.at("delivered"));
  EXPECT_EQ(m.at("requests").at("failed"), 0);
  EXPECT_TRUE(m.at("drained").get<bool>());

  const auto& by_kind = m.at("requests").at("by_kind");
  const auto& consumer = r.result.at("sides").at("consumer");
  if (poll) {
    // 2 pollers x 1.5 s / 50 ms = 60 scheduled polls in the window, from the consumer's side:
    // sent, or skipped (counted as missed) when a stall outlasted a whole interval.
    ASSERT_TRUE(by_kind.contains("poll")) << by_kind.dump();
    EXPECT_NEAR(
        by_kind.at("poll").get<double>() + consumer.at("traffic").at("missed_polls").get<double>(),
        60, 4);
    ASSERT_TRUE(consumer.at("requests").contains("poll")) << consumer.at("requests").dump();
  } else {
    ASSERT_TRUE(by_kind.contains("webhook_post")) << by_kind.dump();
    EXPECT_NEAR(by_kind.at("webhook_post").get<double>(), m.at("expected").get<double>(),
                0.01 * m.at("expected").get<double>() + 2);
    EXPECT_EQ(consumer.at("traffic").at("rejected"), json::object());
  }
  // cpp-httplib gives no socket counts: both directions are reconstructed from its messages.
  EXPECT_GT(consumer.at("bytes").at("sent").get<double>(), 0);
  EXPECT_GT(consumer.at("bytes").at("received").get<double>(), 0);
  EXPECT_EQ(r.result.at("config").at("consumer_stack"), stack);
  EXPECT_EQ(consumer.at("config").at("stack"), stack);
  EXPECT_NE(r.out.find(stack), std::string::npos) << "the table's header names the stack:\n"
                                                  << r.out;
}

INSTANTIATE_TEST_SUITE_P(stacks, consumer_stack,
                         ::testing::Values(stack_case{"httplib", "poll"},
                                           stack_case{"httplib", "webhook"},
                                           stack_case{"httplib-nodelay", "poll"},
                                           stack_case{"httplib-nodelay", "webhook"}),
                         [](const auto& p) {
                           std::string name = std::string(p.param.stack) + "_" + p.param.mode;
                           for (auto& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

// The cpp-httplib receivers answer as webhook_mode's does (routes, statuses, counts; checked on
// all three stacks), keep serving, and the run still delivers every real event. Producer and
// consumer run by hand, as in forged_id_test, so the test can reach the receiver's port, and
// unsigned (--signature none) as there: signed_webhook_test.cpp checks the 401s of both stacks.
class receiver_answers : public ::testing::TestWithParam<const char*> {};

TEST_P(receiver_answers, as_webhook_mode_does) {
  const std::string stack = GetParam();
  process producer({"serve", "--listen", "127.0.0.1:0", "--rate", "64", "--arrivals", "constant",
                    "--warmup", "250ms", "--duration", "1s", "--tail", "1s", "--signature", "none",
                    "--quiet"});
  const auto ready = json_line(producer, "ready", milliseconds(10'000));
  ASSERT_TRUE(ready) << producer.err();
  const auto port = ready->at("port").get<std::uint16_t>();
  process consumer({"client", "--producer", "http://127.0.0.1:" + std::to_string(port), "--mode",
                    "webhook", "--consumer-stack", stack, "--subscribers", "2", "--drain", "3s",
                    "--start-timeout", "20s", "--signature", "none"});
  const auto c_ready = json_line(consumer, "ready", milliseconds(10'000));
  ASSERT_TRUE(c_ready) << consumer.err();
  const auto receiver = c_ready->at("receiver_port").get<std::uint16_t>();
  ASSERT_GT(receiver, 0);

  auto status = [&](const std::string& method, const std::string& path, const std::string& body) {
    return raw_http_status("127.0.0.1", receiver, method, path, body);
  };
  EXPECT_EQ(status("POST", "/hook/0", R"({"id":1000000000000,"t":1,"payload":"x"})"), 422u);
  EXPECT_EQ(status("POST", "/hook/1", R"({"id":0,"t":1,"payload":"x"})"), 422u);
  EXPECT_EQ(status("POST", "/hook/0", "not json"), 400u);
  EXPECT_EQ(status("POST", "/elsewhere", "{}"), 404u);
  EXPECT_EQ(status("POST", "/hook/2", "{}"), 404u);  // subscribers 0 and 1 only
  const auto get = raw_exchange("127.0.0.1", receiver,
                                "GET /hook/0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(get.status, 405u);
  EXPECT_NE(get.headers.find("Allow: POST"), std::string::npos) << get.headers;

  ASSERT_EQ(raw_http_status("127.0.0.1", port, "POST", "/control/start", ""), 200u);
  const auto report = json_line(consumer, "report", milliseconds(20'000));
  ASSERT_TRUE(report) << consumer.err();
  const auto& r = report->at("report");
  // Constant 64/s: seqs 17..80 are the window's 64 events, to each of 2 subscribers.
  EXPECT_EQ(r.at("expected"), 128);
  EXPECT_EQ(r.at("delivered"), 128);
  EXPECT_EQ(r.at("lost"), 0);
  EXPECT_EQ(r.at("duplicates"), 0);
  EXPECT_EQ(r.at("out_of_range"), 2);
  const auto& traffic = r.at("traffic");
  EXPECT_EQ(traffic.at("out_of_range"), 2);
  EXPECT_EQ(traffic.at("malformed"), 1);
  EXPECT_EQ(traffic.at("rejected"), (json{{"400", 1}, {"404", 2}, {"405", 1}, {"422", 2}}));
  EXPECT_EQ(r.at("config").at("stack"), stack);
  raw_http_status("127.0.0.1", port, "POST", "/control/shutdown", "");
  EXPECT_TRUE(producer.wait(milliseconds(10'000)).exited);
  EXPECT_TRUE(consumer.wait(milliseconds(10'000)).exited);
}

INSTANTIATE_TEST_SUITE_P(stacks, receiver_answers,
                         ::testing::Values("beast", "httplib", "httplib-nodelay"),
                         [](const auto& p) {
                           std::string name = p.param;
                           for (auto& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

// A refusal: exit code 2 and one line on stderr naming what was refused.
void expect_refused(const run_output& r, const std::vector<std::string>& named) {
  ASSERT_TRUE(r.exit.exited);
  EXPECT_EQ(r.exit.code, 2) << r.err;
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
  for (const auto& word : named) EXPECT_NE(r.err.find(word), std::string::npos) << r.err;
}

TEST(consumer_stack_usage, an_unknown_stack_is_refused) {
  expect_refused(run_hookbench({"run", "--mode", "webhook", "--consumer-stack", "libcurl"},
                               milliseconds(10'000)),
                 {"--consumer-stack", "libcurl"});
  expect_refused(run_hookbench({"client", "--producer", "http://127.0.0.1:9", "--consumer-stack",
                                "httplib-fast"},
                               milliseconds(10'000)),
                 {"--consumer-stack", "httplib-fast"});
}

TEST(consumer_stack_usage, modes_without_an_httplib_strategy_are_refused) {
  // Only poll and webhook have one; every other mode the binary lists must be refused by both
  // commands, naming the stack and the mode (tests/unit covers the rule with a mode of its own).
  const auto listed = run_hookbench({"modes", "--json"}, milliseconds(10'000));
  ASSERT_EQ(listed.exit.code, 0) << listed.err;
  for (const auto& m : json::parse(listed.out)) {
    const auto name = m.at("name").get<std::string>();
    if (name == "poll" || name == "webhook") continue;
    expect_refused(
        run_hookbench({"run", "--mode", name, "--consumer-stack", "httplib"}, milliseconds(10'000)),
        {"--consumer-stack httplib", "--mode " + name});
    expect_refused(run_hookbench({"client", "--producer", "http://127.0.0.1:9", "--mode", name,
                                  "--consumer-stack", "httplib-nodelay"},
                                 milliseconds(10'000)),
                   {"--consumer-stack httplib-nodelay", "--mode " + name});
  }
  // A mode that does not exist is refused whatever the stack.
  expect_refused(run_hookbench({"run", "--mode", "long-poll", "--consumer-stack", "httplib"},
                               milliseconds(10'000)),
                 {"--mode", "long-poll"});
}

}  // namespace
}  // namespace hookbench_test
