// Long polling end to end: a parked request is answered when an event arrives (not when its
// wait ends), and a wait that ends with nothing is an empty answer, counted, after which the
// consumer asks again at once.
#include <gtest/gtest.h>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

TEST(long_poll, a_parked_request_is_answered_by_the_event_not_the_wait) {
  // Waits of 5 s: an answer that came from the wait's end would be seconds late. Every latency
  // staying under 1 s (a correctness bound: the exchange itself takes well under 1 ms, a few
  // under ASan, and a stall of the loaded machine a few tens) shows each event woke its parked
  // requests.
  const auto r = hookbench_run({"--mode", "long-poll", "--rate", "20", "--subscribers", "2",
                                "--warmup", "250ms", "--duration", "2s", "--wait", "5s"});
  ASSERT_EQ(r.exit.code, 0) << r.err;
  const auto& m = r.metrics();
  EXPECT_EQ(m.at("lost"), 0);
  EXPECT_EQ(m.at("duplicates"), 0);
  report_timing("long_poll.max_latency_us", m.at("latency_us").at("max").get<double>());
  EXPECT_LT(m.at("latency_us").at("max").get<double>(), 1'000'000) << m.at("latency_us").dump();
  EXPECT_EQ(r.result.at("sides").at("consumer").at("traffic").at("timeouts"), 0);
  EXPECT_GT(m.at("requests").at("by_kind").at("long_poll").get<int>(), 0);
}

TEST(long_poll, waits_that_end_empty_are_counted_and_the_consumer_asks_again) {
  // Constant 2 events/s with 100 ms waits: about four empty answers between events.
  const auto r = hookbench_run({"--mode", "long-poll", "--rate", "2", "--arrivals", "constant",
                                "--subscribers", "1", "--warmup", "250ms", "--duration", "3s",
                                "--wait", "100ms"});
  ASSERT_EQ(r.exit.code, 0) << r.err;
  const auto& m = r.metrics();
  EXPECT_EQ(m.at("lost"), 0);
  const auto& traffic = r.result.at("sides").at("consumer").at("traffic");
  const auto timeouts = traffic.at("timeouts").get<int>();
  EXPECT_GE(timeouts, 15) << traffic.dump();  // 3 s of 100 ms waits, less the answered ones
  EXPECT_LE(timeouts, 30) << traffic.dump();
  // The producer counts a wait by when it arrived, the consumer by when it sent it: one at a
  // window edge can fall inside on one side only.
  EXPECT_NEAR(r.result.at("sides").at("producer").at("polls").at("long_poll_timeouts").get<int>(),
              timeouts, 1);
  EXPECT_EQ(m.at("requests").at("empty_polls"), timeouts);
}

}  // namespace
}  // namespace hookbench_test
