// The receiver's binding of a delivery to its subscription: with ed25519 every subscription of a
// producer shares its key, so a delivery captured at one subscriber verifies at another; its
// webhook-id (msg_<subscription>_<seq>) names the subscription it was sent to, and a copy
// replayed elsewhere is refused before it is verified or remembered.
#include "consumer/webhook_signatures.hpp"

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "security/signing.hpp"

namespace hookbench {
namespace {

using security::reject_reason;

TEST(webhook_signatures, a_delivery_replayed_to_another_subscription_is_refused) {
  auto producer_key = security::ed25519_signer::generate();
  security::verifier_options options;
  options.replay_capacity = 1;  // one id fills a subscriber's memory
  webhook_signatures sigs(security::signature_scheme::ed25519, options);
  for (int id : {0, 1}) {
    sigs.add_subscriber({{"id", id},
                         {"signature", "ed25519"},
                         {"public_key", producer_key.public_key().to_string()}});
  }
  const std::string body = R"({"id":5,"t":1})";
  const std::int64_t ts = unix_seconds();
  // Sent to subscription 0 (subscriber A), accepted there.
  const std::string sig_a = producer_key.sign("msg_0_5", ts, body);
  EXPECT_EQ(sigs.check(0, "msg_0_5", std::to_string(ts), sig_a, body), reject_reason::accepted);
  // The same bytes replayed to subscriber B: a valid signature, but not B's subscription.
  EXPECT_EQ(sigs.check(1, "msg_0_5", std::to_string(ts), sig_a, body),
            reject_reason::wrong_subscription);
  // A's retry copy (newer timestamp, signed afresh) replayed to B: refused too.
  const std::string retry_a = producer_key.sign("msg_0_5", ts + 1, body);
  EXPECT_EQ(sigs.check(1, "msg_0_5", std::to_string(ts + 1), retry_a, body),
            reject_reason::wrong_subscription);
  // B's replay memory (one id) was not filled by those: its own delivery is accepted.
  const std::string sig_b = producer_key.sign("msg_1_5", ts, body);
  EXPECT_EQ(sigs.check(1, "msg_1_5", std::to_string(ts), sig_b, body), reject_reason::accepted);
  EXPECT_EQ(sigs.rejected_by_reason().at("wrong-subscription"), 2);
  EXPECT_EQ(sigs.rejected_total(), 2u);
}

TEST(webhook_signatures, an_id_that_only_starts_like_the_subscription_is_not_it) {
  auto producer_key = security::ed25519_signer::generate();
  webhook_signatures sigs(security::signature_scheme::ed25519);
  for (int id = 0; id < 12; ++id) {
    sigs.add_subscriber({{"id", id}, {"public_key", producer_key.public_key().to_string()}});
  }
  const std::string body = "{}";
  const std::int64_t ts = unix_seconds();
  // Subscription 11's delivery is not subscription 1's (msg_1_ is not a prefix of msg_11_).
  const std::string sig = producer_key.sign("msg_11_3", ts, body);
  EXPECT_EQ(sigs.check(1, "msg_11_3", std::to_string(ts), sig, body),
            reject_reason::wrong_subscription);
  EXPECT_EQ(sigs.check(11, "msg_11_3", std::to_string(ts), sig, body), reject_reason::accepted);
}

}  // namespace
}  // namespace hookbench
