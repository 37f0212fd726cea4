// `run --attack`: a third party POSTs forged, tampered, replayed, expired, unsigned, oversized
// and cross-subscription webhooks to the receiver beside the real deliveries, and registers a
// CRLF URL at the producer with a token of its own. With signatures, every real event arrives and
// every attack request is refused under the reason its kind must produce; without them, the
// receiver takes the attacker's requests (the reason signing is on by default).
#include <gtest/gtest.h>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

using nlohmann::json;

std::uint64_t at(const json& j, const std::string& key) { return j.value(key, std::uint64_t{0}); }

class attack_run : public ::testing::TestWithParam<std::string> {};

TEST_P(attack_run, every_real_event_arrives_and_every_attack_is_refused_by_reason) {
  // Two subscribers, so that a delivery captured at one can be replayed to the other.
  const auto r =
      hookbench_run({"--mode", GetParam(), "--rate", "100", "--duration", "3s", "--warmup", "500ms",
                     "--attack", "0.3", "--seed", "4", "--subscribers", "2"});
  ASSERT_EQ(r.exit.code, 0) << r.err;
  const auto& m = r.metrics();
  EXPECT_EQ(m.at("lost"), 0);
  EXPECT_EQ(m.at("delivered"), m.at("expected"));
  EXPECT_GT(m.at("expected").get<int>(), 400);

  const auto& a = r.result.at("attack");
  const auto& sent = a.at("sent");
  // 0.3 x 100/s for 3 s: about 90, in eight kinds taking turns.
  EXPECT_GE(at(a, "total"), 60u) << a.dump();
  EXPECT_LE(at(a, "total"), 95u) << a.dump();
  EXPECT_EQ(at(a, "accepted"), 0u) << a.dump();
  EXPECT_EQ(at(a, "failed"), 0u) << a.dump();
  EXPECT_GT(at(a, "captured"), 0u);
  EXPECT_EQ(sent.size(), 8u) << a.dump();
  for (const auto& [kind, n] : sent.items()) {
    SCOPED_TRACE(kind);
    EXPECT_GT(n.get<std::uint64_t>(), 0u);
    // A URL is the producer's to refuse (400); every webhook is the receiver's (401).
    const char* status = kind == "crlf-url" ? "400" : "401";
    EXPECT_EQ(a.at("answers").at(kind).value(status, std::uint64_t{0}), n.get<std::uint64_t>());
  }
  // Each kind is refused for its own reason: forged and tampered fail the signature, a replay
  // is a known id, an expired one fails the timestamp before any signature is computed, an
  // unsigned one lacks the headers, a copy sent to another subscriber names another
  // subscription, and an oversized signature list is refused before any entry is checked.
  const auto& why = a.at("rejected_by_reason");
  EXPECT_EQ(at(why, "too-many-signatures"), at(sent, "oversized-signature")) << a.dump();
  EXPECT_EQ(at(why, "bad-signature"), at(sent, "forged") + at(sent, "tampered")) << a.dump();
  EXPECT_EQ(at(why, "replay"), at(sent, "replayed")) << a.dump();
  EXPECT_EQ(at(why, "timestamp-too-old"), at(sent, "expired")) << a.dump();
  EXPECT_EQ(at(why, "missing-header"), at(sent, "unsigned")) << a.dump();
  EXPECT_EQ(at(why, "wrong-subscription"), at(sent, "cross-subscription")) << a.dump();
  EXPECT_EQ(at(why, "malformed-signature") + at(why, "malformed-timestamp") +
                at(why, "timestamp-too-new") + at(why, "replay-memory-full"),
            0u);
  // The producer refused every CRLF URL for the bytes in it; nothing it smuggled reached the
  // receiver (which answered 401 to the attacker's webhooks and nothing else).
  EXPECT_EQ(a.at("refused_by_producer"),
            (json{{"url: a URL may hold printable ASCII only (percent-encode the rest)",
                   at(sent, "crlf-url")}}))
      << a.dump();
  const auto& rejected = r.result.at("sides").at("consumer").at("traffic").at("rejected");
  EXPECT_EQ(rejected, (json{{"401", at(a, "total") - at(sent, "crlf-url")}})) << rejected.dump();
  EXPECT_GT(a.at("reject_cpu_us").get<double>(), 0);
  // The attack is recorded with the run.
  EXPECT_EQ(r.result.at("config").at("attack"), 0.3);
}

INSTANTIATE_TEST_SUITE_P(webhook_modes, attack_run, ::testing::Values("webhook", "webhook-batch"),
                         [](const auto& p) {
                           return p.param == "webhook" ? std::string("webhook")
                                                       : std::string("webhook_batch");
                         });

TEST(attack, an_unsigned_receiver_takes_the_attackers_posts) {
  const auto r = hookbench_run({"--mode", "webhook", "--rate", "100", "--duration", "2s",
                                "--warmup", "500ms", "--attack", "0.3", "--unsigned"});
  ASSERT_EQ(r.exit.code, 0) << r.err;
  const auto& a = r.result.at("attack");
  // Replays, expired and unsigned copies of real deliveries are all answered 2xx: nothing tells
  // them from the real ones. Real events still all arrive (copies count as duplicates).
  EXPECT_GE(at(a, "accepted"), at(a.at("sent"), "replayed") + at(a.at("sent"), "unsigned"));
  EXPECT_GT(at(a, "accepted"), 0u);
  EXPECT_EQ(r.metrics().at("lost"), 0);
  EXPECT_GT(r.result.at("sides").at("consumer").at("traffic").at("duplicates").get<int>(), 0);
}

TEST(attack, reaches_an_https_receiver_and_is_refused_there_too) {
  const auto r = hookbench_run({"--mode", "webhook", "--rate", "100", "--duration", "2s",
                                "--warmup", "500ms", "--attack", "0.3", "--tls"});
  ASSERT_EQ(r.exit.code, 0) << r.err;
  const auto& a = r.result.at("attack");
  EXPECT_GT(at(a, "total"), 30u) << a.dump();
  EXPECT_EQ(at(a, "failed"), 0u) << a.dump();  // every request got through TLS to an answer
  EXPECT_EQ(at(a, "accepted"), 0u) << a.dump();
  EXPECT_EQ(r.metrics().at("lost"), 0);
  EXPECT_EQ(r.result.at("config").at("tls"), true);
}

TEST(attack, is_refused_where_there_is_no_receiver_of_ours) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--mode", "poll", "--attack", "0.2"},
           {"--mode", "sse", "--attack", "0.2"},
           {"--mode", "webhook", "--consumer-stack", "httplib", "--attack", "0.2"},
           {"--mode", "all", "--attack", "0.2"},
           {"--mode", "webhook", "--attack", "11"},
           {"--mode", "webhook", "--attack", "-1"}}) {
    std::vector<std::string> full{"run"};
    full.insert(full.end(), args.begin(), args.end());
    const auto r = run_hookbench(full, milliseconds(10'000));
    EXPECT_EQ(r.exit.code, 2) << args[1] << ": " << r.err;
    EXPECT_NE(r.err.find("--attack"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace hookbench_test
