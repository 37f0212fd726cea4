// A forged webhook delivery whose event id the producer can never generate (10^12, and 0) is
// answered 422, counted, and never stored: the consumer allocates nothing for it, and the run
// still delivers every real event exactly once. Producer and consumer run by hand, as a user
// deploys them, so the test can reach the receiver's port. Both run --signature none: a signed
// receiver would refuse these POSTs for their missing signature first (signed_webhook_test.cpp),
// and this test is about the range check beneath it.
#include <gtest/gtest.h>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

unsigned http_status(std::uint16_t port, const std::string& method, const std::string& path,
                     const std::string& body) {
  return raw_http_status("127.0.0.1", port, method, path, body);
}

TEST(forged_id, is_rejected_and_the_run_still_delivers_every_real_event) {
  process producer({"serve", "--listen", "127.0.0.1:0", "--rate", "64", "--arrivals", "constant",
                    "--warmup", "250ms", "--duration", "1s", "--tail", "1s", "--signature", "none",
                    "--quiet"});
  const auto ready = json_line(producer, "ready", milliseconds(10'000));
  ASSERT_TRUE(ready) << producer.err();
  const auto port = ready->at("port").get<std::uint16_t>();
  process consumer({"client", "--producer", "http://127.0.0.1:" + std::to_string(port), "--mode",
                    "webhook", "--subscribers", "2", "--drain", "3s", "--start-timeout", "20s",
                    "--signature", "none"});
  const auto c_ready = json_line(consumer, "ready", milliseconds(10'000));
  ASSERT_TRUE(c_ready) << consumer.err();
  const auto receiver = c_ready->at("receiver_port").get<std::uint16_t>();
  ASSERT_GT(receiver, 0);

  // A third party POSTs made-up events: an id far beyond anything this run generates, and 0.
  const std::string payload(64, 'x');
  EXPECT_EQ(http_status(receiver, "POST", "/hook/0",
                        R"({"id":1000000000000,"t":1,"payload":")" + payload + "\"}"),
            422u);
  EXPECT_EQ(http_status(receiver, "POST", "/hook/1", R"({"id":0,"t":1,"payload":"x"})"), 422u);
  // The receiver keeps serving: start the run and take its report.
  ASSERT_EQ(http_status(port, "POST", "/control/start", ""), 200u);
  const auto report = json_line(consumer, "report", milliseconds(20'000));
  ASSERT_TRUE(report) << consumer.err();
  const auto& r = report->at("report");
  // Constant 64/s: seqs 17..80 are the window's 64 events, to each of 2 subscribers.
  EXPECT_EQ(r.at("expected"), 128);
  EXPECT_EQ(r.at("delivered"), 128);
  EXPECT_EQ(r.at("lost"), 0);
  EXPECT_EQ(r.at("duplicates"), 0);
  EXPECT_EQ(r.at("out_of_range"), 2);
  EXPECT_EQ(r.at("traffic").at("out_of_range"), 2);
  // Storage stayed the window's: 8 bytes per window event per subscriber, nothing for 10^12.
  EXPECT_EQ(r.at("tracker_bytes_per_subscriber"), 64 * 8);
  http_status(port, "POST", "/control/shutdown", "");
  EXPECT_TRUE(producer.wait(milliseconds(10'000)).exited);
  EXPECT_TRUE(consumer.wait(milliseconds(10'000)).exited);
}

}  // namespace
}  // namespace hookbench_test
