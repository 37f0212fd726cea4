// Injected faults, end to end through `hookbench run`: the receiver down, answering 503 or 429,
// answering slowly, and the consumer process stopped (SIGSTOP) for a while. Constant arrivals at
// 64/s make the events around each fault countable; every assertion is on counts from both
// sides, timing only within wide bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

using nlohmann::json;

std::vector<std::string> schedule(std::vector<std::string> more) {
  std::vector<std::string> a = {"--arrivals", "constant",   "--rate", "64",      "--warmup",
                                "250ms",      "--duration", "3s",     "--drain", "1s"};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

const json& faults_of(const run_result& r) {
  EXPECT_TRUE(r.exit.exited) << r.err;
  EXPECT_EQ(r.exit.code, 0) << r.err;
  EXPECT_TRUE(r.result.is_object()) << r.err;
  return r.metrics().at("faults");
}

// A webhook POST that failed was not recorded, and a recorded one did not fail: without retries
// every failed POST of a window event is a lost delivery. With the dispatcher's retries (the
// "retry" block), a delivery is lost only when every attempt failed: its dead letters.
void expect_webhook_accounting(const run_result& r) {
  const auto& m = r.metrics();
  const auto& f = m.at("faults");
  const auto lost = m.at("lost").get<std::uint64_t>();
  if (f.contains("retry") && f.at("retry").value("policy", "none") != "none") {
    EXPECT_EQ(lost, f.at("retry").value("dead_letters", std::uint64_t{0})) << f.dump();
  } else {
    EXPECT_EQ(lost, f.at("sender").at("failed").get<std::uint64_t>()) << f.dump();
  }
  EXPECT_EQ(f.at("lost"), m.at("lost"));
  EXPECT_EQ(f.at("duplicates"), m.at("duplicates"));
  // The timeline holds every first delivery.
  std::uint64_t sum = 0;
  for (const auto& n : f.at("timeline").at("delivered")) sum += n.get<std::uint64_t>();
  EXPECT_EQ(sum, m.at("delivered").get<std::uint64_t>());
}

TEST(faults, receiver_down_closes_the_port_and_loses_exactly_the_failed_posts) {
  const auto r =
      hookbench_run(schedule({"--mode", "webhook", "--retry", "none", "--circuit-breaker", "off",
                              "--fault", "receiver-down:1s:1s"}),
                    milliseconds(60'000));
  const auto& f = faults_of(r);
  ASSERT_FALSE(HasFailure());
  expect_webhook_accounting(r);
  const auto& pf = f.at("per_fault").at(0);
  EXPECT_EQ(pf.at("kind"), "receiver-down");
  // The keep-alive connections the dispatcher held were closed at AT.
  EXPECT_GE(f.at("receiver").at("down_closed_connections").get<int>(), 1) << f.dump();
  EXPECT_EQ(f.at("receiver").at("down_resume_failed"), 0);
  // Delivery resumed on the same port after the outage: events after it arrived.
  EXPECT_GE(pf.at("delivered_after_start").get<int>(), 60) << pf.dump();
  if (!f.contains("retry") || f.at("retry").value("policy", "none") == "none") {
    // No retries: the outage's 64 events (1 s at 64/s) are gone, give or take the edges (the
    // receiver's own timers close and reopen it: under load either can be tens of ms late).
    EXPECT_NEAR(pf.at("lost").get<double>(), 64, 10) << pf.dump();
    EXPECT_EQ(pf.at("lost"), f.at("lost"));
    EXPECT_TRUE(pf.at("catch_up_s").is_null());
    EXPECT_NE(r.err.find("LOST"), std::string::npos) << r.err;
  }
}

TEST(faults, receiver_down_with_scaled_standard_retries_loses_nothing) {
  // The Standard Webhooks schedule at 1/100: the first retry 50 ms after a failure, the breaker's
  // cool-down 50 ms. Every event of the outage arrives after it, once at least.
  const auto r =
      hookbench_run(schedule({"--mode", "webhook", "--retry", "standard", "--retry-scale", "0.01",
                              "--fault", "receiver-down:1s:1s"}),
                    milliseconds(60'000));
  const auto& f = faults_of(r);
  ASSERT_FALSE(HasFailure());
  expect_webhook_accounting(r);
  EXPECT_EQ(r.metrics().at("lost"), 0) << f.dump();
  const auto& pf = f.at("per_fault").at(0);
  EXPECT_EQ(pf.at("lost"), 0);
  ASSERT_FALSE(pf.at("catch_up_s").is_null()) << pf.dump();
  // Caught up after the outage, within the schedule's reach (wide bound).
  EXPECT_GE(pf.at("catch_up_s").get<double>(), 0.0);
  EXPECT_LT(pf.at("catch_up_s").get<double>(), 5.0);
  const auto& retry = f.at("retry");
  EXPECT_EQ(retry.at("policy"), "standard");
  EXPECT_EQ(retry.at("time_scale"), 0.01);
  EXPECT_EQ(retry.at("scaled"), true);
  EXPECT_GT(retry.at("retry_requests").get<int>(), 0);
  EXPECT_EQ(retry.at("dead_letters"), 0);
  // Every window event that failed in the outage came back; none waits for a retry (tail
  // events after the window may: the receiver is gone by then).
  EXPECT_EQ(retry.at("pending_retry_window"), 0);
}

TEST(faults, receiver_5xx_with_retries_loses_nothing_and_counts_the_retries) {
  const auto r =
      hookbench_run(schedule({"--mode", "webhook", "--retry", "standard", "--retry-scale", "0.01",
                              "--circuit-breaker", "off", "--fault", "receiver-5xx:1s:1s:1"}),
                    milliseconds(60'000));
  const auto& f = faults_of(r);
  ASSERT_FALSE(HasFailure());
  expect_webhook_accounting(r);
  EXPECT_EQ(r.metrics().at("lost"), 0) << f.dump();
  const auto answered = f.at("receiver").at("answered_503").get<std::uint64_t>();
  EXPECT_GE(answered, 60u);
  // Each 503 was one failed attempt, and each failed attempt of a window event was retried.
  EXPECT_EQ(f.at("sender").at("non_2xx").get<std::uint64_t>(), answered);
  EXPECT_GE(f.at("retry").at("retry_requests").get<std::uint64_t>(), answered - 2);
  EXPECT_EQ(f.at("retry").at("dead_letters"), 0);
}

TEST(faults, receiver_5xx_with_probability_one_answers_503_and_records_nothing) {
  // No retries and no breaker: every POST of the second meets the fault.
  const auto r =
      hookbench_run(schedule({"--mode", "webhook", "--retry", "none", "--circuit-breaker", "off",
                              "--fault", "receiver-5xx:1s:1s:1"}),
                    milliseconds(60'000));
  const auto& f = faults_of(r);
  ASSERT_FALSE(HasFailure());
  expect_webhook_accounting(r);
  const auto answered = f.at("receiver").at("answered_503").get<std::uint64_t>();
  // Every POST that arrived in the second answered 503: 64 events (give or take the edges,
  // which the receiver's clock and the POSTs' latency place), the sender saw each as such.
  EXPECT_NEAR(static_cast<double>(answered), 64, 6);
  EXPECT_EQ(f.at("sender").at("non_2xx").get<std::uint64_t>(), answered);
  EXPECT_EQ(r.result.at("sides").at("consumer").at("traffic").at("rejected").value("503", 0),
            answered);
}

TEST(faults, receiver_429_answers_with_retry_after_in_whole_seconds) {
  // Raw: a real serve (no retries, no breaker: it sends every event once, so every POST meets
  // the fault) and client; the test's own POST during the fault gets the 429. The
  // warm-up gives the consumer time to learn the window (it polls the producer every 20 ms),
  // which fault times count from.
  // The window (2.5 s) ends half a second before the fault (3 s from its start): the last
  // window event meets the fault however late its POST.
  process producer({"serve", "--listen", "127.0.0.1:0", "--rate", "64", "--arrivals", "constant",
                    "--warmup", "500ms", "--duration", "2500ms", "--tail", "1s", "--retry", "none",
                    "--circuit-breaker", "off", "--quiet"});
  const auto ready = json_line(producer, "ready", milliseconds(10'000));
  ASSERT_TRUE(ready) << producer.err();
  const auto port = ready->at("port").get<std::uint16_t>();
  process consumer({"client", "--producer", "http://127.0.0.1:" + std::to_string(port), "--mode",
                    "webhook", "--drain", "1s", "--fault", "receiver-429:0s:3s:2s"});
  const auto c_ready = json_line(consumer, "ready", milliseconds(10'000));
  ASSERT_TRUE(c_ready) << consumer.err();
  const auto receiver = c_ready->at("receiver_port").get<std::uint16_t>();
  ASSERT_EQ(raw_http_status("127.0.0.1", port, "POST", "/control/start", ""), 200u);
  std::this_thread::sleep_for(milliseconds(800));  // inside the window, and the fault
  const std::string body = R"({"id":20,"t":1,"payload":"x"})";
  const auto reply =
      raw_exchange("127.0.0.1", receiver,
                   "POST /hook/0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
                   "application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(reply.status, 429u) << reply.raw;
  EXPECT_NE(reply.raw.find("\r\nRetry-After: 2\r\n"), std::string::npos) << reply.headers;
  const auto report = json_line(consumer, "report", milliseconds(20'000));
  ASSERT_TRUE(report) << consumer.err();
  const auto& rep = report->at("report");
  // Nothing was recorded: every window event was answered 429 (ours too).
  EXPECT_EQ(rep.at("delivered"), 0);
  EXPECT_EQ(rep.at("lost"), rep.at("expected"));
  EXPECT_GE(rep.at("traffic").at("fault_answers").at("answered_429").get<int>(), 160 - 2);
  EXPECT_EQ(rep.at("faults").at("per_fault").at(0).at("lost"), rep.at("expected"));
}

TEST(faults, receiver_slow_delays_answers_and_counts_events_when_answered) {
  const auto r =
      hookbench_run(schedule({"--mode", "webhook", "--fault", "receiver-slow:1s:500ms:300ms"}),
                    milliseconds(60'000));
  const auto& f = faults_of(r);
  ASSERT_FALSE(HasFailure());
  expect_webhook_accounting(r);
  // 300 ms is far below the sender's 5 s timeout: nothing fails, nothing is lost.
  EXPECT_EQ(r.metrics().at("lost"), 0);
  const auto slowed = f.at("receiver").at("slowed").get<int>();
  // The dispatcher's 4 connections are each held 300 ms: about 8 POSTs arrive in the 500 ms
  // (the rest queue at the sender, and their wait shows in the delay below).
  EXPECT_GE(slowed, 4);
  EXPECT_LE(slowed, 16);
  const auto& pf = f.at("per_fault").at(0);
  // A held answer counts when sent: the worst delay is at least the 300 ms.
  EXPECT_GE(pf.at("delay_us").at("max").get<double>(), 300'000) << pf.dump();
  EXPECT_LT(pf.at("delay_us").at("max").get<double>(), 2'000'000) << pf.dump();
  ASSERT_TRUE(pf.at("catch_up_s").is_number()) << pf.dump();
  EXPECT_LT(pf.at("catch_up_s").get<double>(), 1.5);
}

TEST(faults, receiver_slow_past_the_senders_timeout_shows_the_duplicates_of_retries) {
  // Answers held 5.5 s, past the sender's 5 s timeout: each POST held then is sent again (the
  // retries scaled to a hundredth), and the receiver, which counts an event when it answers,
  // gets it twice. The drain waits for those retries instead of ending when every event is in.
  const auto r =
      hookbench_run(schedule({"--mode", "webhook", "--retry", "standard", "--retry-scale", "0.01",
                              "--fault", "receiver-slow:1s:300ms:5500ms"}),
                    milliseconds(90'000));
  const auto& f = faults_of(r);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(r.metrics().at("lost"), 0) << f.dump();
  const auto timeouts = f.at("sender").at("timeouts").get<int>();
  // The dispatcher's 4 connections each had one POST held when the fault began.
  EXPECT_GE(timeouts, 1) << f.dump();
  EXPECT_LE(timeouts, 16) << f.dump();
  // Every POST that timed out was delivered twice: once when retried, once when its held
  // answer went out.
  EXPECT_EQ(r.metrics().at("duplicates").get<int>(), timeouts) << f.dump();
  EXPECT_EQ(f.at("per_fault").at(0).at("duplicates").get<int>(), timeouts) << f.dump();
}

// The consumer stopped for 1 s: a pull consumer asks again from its cursor, a stream resumes.
class consumer_down : public ::testing::TestWithParam<const char*> {};

TEST_P(consumer_down, loses_nothing_and_catches_up_after_the_outage) {
  const std::string mode = GetParam();
  std::vector<std::string> args = {"--mode", mode, "--fault", "consumer-down:1s:1s"};
  if (mode == "poll") args.insert(args.end(), {"--interval", "100ms"});
  const auto r = hookbench_run(schedule(args), milliseconds(60'000));
  const auto& f = faults_of(r);
  ASSERT_FALSE(HasFailure());
  const auto& m = r.metrics();
  EXPECT_EQ(m.at("lost"), 0) << f.dump();
  EXPECT_EQ(m.at("duplicates"), 0);
  EXPECT_EQ(m.at("delivered"), m.at("expected"));
  const auto& pf = f.at("per_fault").at(0);
  EXPECT_EQ(pf.at("lost"), 0);
  // The first event of the outage waited for all of it (wide bounds: a loaded machine).
  EXPECT_GE(pf.at("delay_us").at("max").get<double>(), 800'000) << pf.dump();
  EXPECT_LT(pf.at("delay_us").at("max").get<double>(), 3'000'000) << pf.dump();
  ASSERT_TRUE(pf.at("catch_up_s").is_number()) << pf.dump();
  EXPECT_GT(pf.at("catch_up_s").get<double>(), 0);
  EXPECT_LT(pf.at("catch_up_s").get<double>(), 1.5);
  // Nothing arrived while it was stopped: the timeline (100 ms buckets from the window's start)
  // has at least 7 empty buckets in a row inside 1.0 s .. 2.5 s. SIGCONT is never early; SIGSTOP
  // may come late on a loaded machine, so where the empty run starts is not fixed.
  const auto& tl = f.at("timeline").at("delivered");
  ASSERT_GE(tl.size(), 25u);
  std::size_t longest = 0;
  for (std::size_t b = 10, run = 0; b < 25; ++b) {
    run = tl.at(b) == 0 ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  EXPECT_GE(longest, 7u) << tl.dump();
}

INSTANTIATE_TEST_SUITE_P(pull_and_stream, consumer_down,
                         ::testing::Values("poll", "long-poll", "sse"), [](const auto& p) {
                           std::string n = p.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(faults, receiver_faults_are_refused_for_pull_modes_in_one_line) {
  const auto run = run_hookbench({"run", "--mode", "poll", "--fault", "receiver-down:1s:1s"},
                                 milliseconds(10'000));
  EXPECT_EQ(run.exit.code, 2) << run.err;
  EXPECT_EQ(lines_of(run.err).size(), 1u) << run.err;
  EXPECT_NE(run.err.find("webhook mode"), std::string::npos) << run.err;
  const auto client = run_hookbench({"client", "--producer", "http://127.0.0.1:1", "--mode", "sse",
                                     "--fault", "receiver-5xx:1s:1s"},
                                    milliseconds(10'000));
  EXPECT_EQ(client.exit.code, 2) << client.err;
  EXPECT_EQ(lines_of(client.err).size(), 1u) << client.err;
  const auto kind = run_hookbench({"client", "--producer", "http://127.0.0.1:1", "--mode",
                                   "webhook", "--fault", "consumer-down:1s:1s"},
                                  milliseconds(10'000));
  EXPECT_EQ(kind.exit.code, 2) << kind.err;
  EXPECT_EQ(lines_of(kind.err).size(), 1u) << kind.err;
  const auto stack = run_hookbench(
      {"run", "--mode", "webhook", "--consumer-stack", "httplib", "--fault", "receiver-down:1s:1s"},
      milliseconds(10'000));
  EXPECT_EQ(stack.exit.code, 2) << stack.err;
  EXPECT_EQ(lines_of(stack.err).size(), 1u) << stack.err;
}

}  // namespace
}  // namespace hookbench_test
