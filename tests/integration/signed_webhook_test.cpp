// Signed webhooks end to end, as Standard Webhooks has them: runs with HMAC and ed25519 signatures
// deliver every event with no rejection, --unsigned sends none, and POSTs to a running receiver
// with a missing, malformed, wrong or stale signature are answered 401, counted under their
// reason and never delivered, on the Beast and cpp-httplib receivers.
#include <gtest/gtest.h>

#include <ctime>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

using nlohmann::json;

json zero_rejections() {
  return {{"missing-header", 0},      {"malformed-timestamp", 0},
          {"timestamp-too-old", 0},   {"timestamp-too-new", 0},
          {"malformed-signature", 0}, {"too-many-signatures", 0},
          {"bad-signature", 0},       {"replay", 0},
          {"replay-memory-full", 0},  {"wrong-subscription", 0}};
}

struct signed_run_case {
  const char* name;
  std::vector<std::string> args;
  const char* signature;
};

class signed_run : public ::testing::TestWithParam<signed_run_case> {};

TEST_P(signed_run, delivers_every_event_with_no_rejection) {
  const auto& c = GetParam();
  std::vector<std::string> args = {"--rate",        "200",   "--arrivals", "constant",
                                   "--subscribers", "2",     "--duration", "1s",
                                   "--warmup",      "250ms", "--drain",    "2s"};
  args.insert(args.end(), c.args.begin(), c.args.end());
  const auto r = hookbench_run(args);
  ASSERT_TRUE(r.exit.exited) << r.err;
  ASSERT_EQ(r.exit.code, 0) << r.err;
  ASSERT_TRUE(r.result.is_object()) << r.err;
  const auto& m = r.metrics();
  // Constant 200/s for 1 s: 200 window events to each of 2 subscribers.
  EXPECT_EQ(m.at("produced"), 200);
  EXPECT_EQ(m.at("expected"), 400);
  EXPECT_EQ(m.at("delivered"), 400);
  EXPECT_EQ(m.at("lost"), 0);
  EXPECT_EQ(m.at("duplicates"), 0);
  EXPECT_EQ(r.result.at("config").at("signature"), c.signature);
  const auto& mode = r.result.at("sides").at("consumer").at("traffic");  // the mode's stats
  EXPECT_EQ(mode.at("signature"), c.signature);
  EXPECT_EQ(mode.at("rejected_by_reason"), zero_rejections());
  EXPECT_EQ(mode.at("rejected"), json::object());
  const auto& hooks = r.result.at("sides").at("producer").at("webhooks");
  EXPECT_EQ(hooks.at("signature"), c.signature);
  if (std::string(c.signature) == "none") {
    EXPECT_EQ(hooks.at("signed_posts"), 0);
  } else {
    // Every POST the producer sent carried a signature (the tail's too).
    EXPECT_EQ(hooks.at("signed_posts"), hooks.at("posts_total"));
    EXPECT_GT(hooks.at("signing_us_per_post").get<double>(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(
    modes, signed_run,
    ::testing::Values(
        signed_run_case{"webhook_hmac", {"--mode", "webhook"}, "hmac"},
        signed_run_case{"batch_hmac", {"--mode", "webhook-batch"}, "hmac"},
        signed_run_case{
            "webhook_ed25519", {"--mode", "webhook", "--signature", "ed25519"}, "ed25519"},
        signed_run_case{
            "batch_ed25519", {"--mode", "webhook-batch", "--signature", "ed25519"}, "ed25519"},
        signed_run_case{
            "httplib_hmac", {"--mode", "webhook", "--consumer-stack", "httplib"}, "hmac"},
        signed_run_case{"webhook_unsigned", {"--mode", "webhook", "--unsigned"}, "none"}),
    [](const auto& p) { return std::string(p.param.name); });

// Hostile POSTs to a signed receiver, on each stack: every one is a 401 naming its reason,
// counted under it, and nothing of it is delivered; the run then delivers every real event.
class signed_receiver : public ::testing::TestWithParam<const char*> {};

TEST_P(signed_receiver, rejects_bad_signatures_by_reason_and_delivers_nothing_of_them) {
  const std::string stack = GetParam();
  process producer({"serve", "--listen", "127.0.0.1:0", "--rate", "64", "--arrivals", "constant",
                    "--warmup", "250ms", "--duration", "1s", "--tail", "1s", "--quiet"});
  const auto ready = json_line(producer, "ready", milliseconds(10'000));
  ASSERT_TRUE(ready) << producer.err();
  const auto port = ready->at("port").get<std::uint16_t>();
  process consumer({"client", "--producer", "http://127.0.0.1:" + std::to_string(port), "--mode",
                    "webhook", "--consumer-stack", stack, "--subscribers", "2", "--drain", "3s",
                    "--start-timeout", "20s"});
  const auto c_ready = json_line(consumer, "ready", milliseconds(10'000));
  ASSERT_TRUE(c_ready) << consumer.err();
  const auto receiver = c_ready->at("receiver_port").get<std::uint16_t>();
  ASSERT_GT(receiver, 0);

  // A real event id of the window (seqs 17..80), so that only the signature stands in the way.
  const std::string body = R"({"id":20,"t":1,"payload":"forged"})";
  const std::string now = std::to_string(std::time(nullptr));
  auto post = [&](const std::string& headers) {
    return raw_exchange("127.0.0.1", receiver,
                        "POST /hook/0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                        "Content-Type: application/json\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n" + headers + "\r\n" + body);
  };
  const std::string sig32 = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";  // 32 bytes
  const std::vector<std::pair<std::string, std::string>> attempts = {
      {"", "missing-header"},
      {"webhook-id: msg_0_20\r\nwebhook-timestamp: " + now + "\r\n", "missing-header"},
      {"webhook-id: msg_0_20\r\nwebhook-timestamp: soon\r\nwebhook-signature: " + sig32 + "\r\n",
       "malformed-timestamp"},
      {"webhook-id: msg_0_20\r\nwebhook-timestamp: 1614265330\r\nwebhook-signature: " + sig32 +
           "\r\n",
       "timestamp-too-old"},
      {"webhook-id: msg_0_20\r\nwebhook-timestamp: 99999999999\r\nwebhook-signature: " + sig32 +
           "\r\n",
       "timestamp-too-new"},
      {"webhook-id: msg_0_20\r\nwebhook-timestamp: " + now + "\r\nwebhook-signature: v1,abc\r\n",
       "malformed-signature"},
      {"webhook-id: msg_0_20\r\nwebhook-timestamp: " + now + "\r\nwebhook-signature: " + sig32 +
           "\r\n",
       "bad-signature"},
      {"webhook-id: msg_0_21\r\nwebhook-timestamp: " + now + "\r\nwebhook-signature: v1,x " +
           sig32 + "\r\n",
       "bad-signature"},
      // Subscriber 0's subscription is 0: an id of subscription 1 is another's delivery.
      {"webhook-id: msg_1_20\r\nwebhook-timestamp: " + now + "\r\nwebhook-signature: " + sig32 +
           "\r\n",
       "wrong-subscription"},
  };
  json expected = zero_rejections();
  for (const auto& [headers, reason] : attempts) {
    const auto reply = post(headers);
    EXPECT_EQ(reply.status, 401u) << reason;
    EXPECT_NE(reply.body.find("signature: " + reason), std::string::npos) << reply.body;
    expected[reason] = expected[reason].get<int>() + 1;
  }

  ASSERT_EQ(raw_http_status("127.0.0.1", port, "POST", "/control/start", ""), 200u);
  const auto report = json_line(consumer, "report", milliseconds(20'000));
  ASSERT_TRUE(report) << consumer.err();
  const auto& r = report->at("report");
  // Constant 64/s: the window's 64 events to each of 2 subscribers, event 20 once each.
  EXPECT_EQ(r.at("expected"), 128);
  EXPECT_EQ(r.at("delivered"), 128);
  EXPECT_EQ(r.at("lost"), 0);
  EXPECT_EQ(r.at("duplicates"), 0);
  EXPECT_EQ(r.at("out_of_range"), 0);
  const auto& traffic = r.at("traffic");
  EXPECT_EQ(traffic.at("signature"), "hmac");
  EXPECT_EQ(traffic.at("rejected_by_reason"), expected);
  EXPECT_EQ(traffic.at("rejected"), (json{{"401", attempts.size()}}));
  raw_http_status("127.0.0.1", port, "POST", "/control/shutdown", "");
  EXPECT_TRUE(producer.wait(milliseconds(10'000)).exited);
  EXPECT_TRUE(consumer.wait(milliseconds(10'000)).exited);
}

INSTANTIATE_TEST_SUITE_P(stacks, signed_receiver, ::testing::Values("beast", "httplib"));

// (An unknown --signature is one of bad_input_test's bad flags.)
TEST(signed_usage, conflicting_flags_and_bad_secrets_are_refused) {
  const auto both = run_hookbench({"run", "--mode", "webhook", "--signature", "hmac", "--unsigned"},
                                  milliseconds(10'000));
  EXPECT_EQ(both.exit.code, 2) << both.err;
  EXPECT_NE(both.err.find("--unsigned"), std::string::npos) << both.err;

  // POST /subscriptions with a malformed secret: 400 naming it; a valid one is echoed back.
  process producer({"serve", "--listen", "127.0.0.1:0", "--quiet"});
  const auto ready = json_line(producer, "ready", milliseconds(10'000));
  ASSERT_TRUE(ready) << producer.err();
  const auto port = ready->at("port").get<std::uint16_t>();
  auto subscribe = [&](const std::string& body) {
    return raw_exchange("127.0.0.1", port,
                        "POST /subscriptions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                            auth_line("/subscriptions") +
                            "Content-Type: application/json\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body);
  };
  const auto bad = subscribe(R"({"url":"http://127.0.0.1:9/h","secret":"whsec_!!"})");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_NE(bad.body.find("secret"), std::string::npos) << bad.body;
  const auto good = subscribe(
      R"({"url":"http://127.0.0.1:9/h","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})");
  EXPECT_EQ(good.status, 201u);
  const auto j = json::parse(good.body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << good.body;
  EXPECT_EQ(j.at("secret"), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  EXPECT_EQ(j.at("signature"), "hmac");
  EXPECT_FALSE(j.contains("public_key"));
  const auto generated = json::parse(subscribe(R"({"url":"http://127.0.0.1:9/h"})").body);
  EXPECT_TRUE(generated.at("secret").get<std::string>().starts_with("whsec_"));
  EXPECT_NE(generated.at("secret"), j.at("secret"));
  raw_http_status("127.0.0.1", port, "POST", "/control/shutdown", "");
  EXPECT_TRUE(producer.wait(milliseconds(10'000)).exited);
}

TEST(signed_usage, a_consumer_verifying_another_scheme_than_the_producer_signs_says_so) {
  process producer({"serve", "--listen", "127.0.0.1:0", "--signature", "none", "--quiet"});
  const auto ready = json_line(producer, "ready", milliseconds(10'000));
  ASSERT_TRUE(ready) << producer.err();
  const auto port = ready->at("port").get<std::uint16_t>();
  const auto r = run_hookbench({"client", "--producer", "http://127.0.0.1:" + std::to_string(port),
                                "--mode", "webhook", "--signature", "ed25519"},
                               milliseconds(10'000));
  ASSERT_TRUE(r.exit.exited);
  EXPECT_EQ(r.exit.code, 1) << r.err;
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
  EXPECT_NE(r.err.find("the producer signs webhooks with none, this consumer verifies ed25519"),
            std::string::npos)
      << r.err;
  raw_http_status("127.0.0.1", port, "POST", "/control/shutdown", "");
  EXPECT_TRUE(producer.wait(milliseconds(10'000)).exited);
}

}  // namespace
}  // namespace hookbench_test
