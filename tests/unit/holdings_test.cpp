// The caps on what a token, and the process, hold open: counted per owner, refused with a reason
// naming the option, counted by reason, and given back by the holding's end (even one that
// outlives the producer).
#include "producer/holdings.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hookbench {
namespace {

holding_caps small_caps() {
  holding_caps caps;
  caps.long_polls = {2, 3};
  return caps;
}

TEST(holdings, refuses_past_the_token_cap_then_the_process_cap) {
  auto h = std::make_shared<holdings>(small_caps());
  std::string why;
  auto a1 = h->hold(holding_kind::long_poll, "a", why);
  auto a2 = h->hold(holding_kind::long_poll, "a", why);
  ASSERT_TRUE(a1 && a2);
  bool per_token = false;
  auto a3 = h->hold(holding_kind::long_poll, "a", why, &per_token);
  EXPECT_FALSE(a3);
  EXPECT_TRUE(per_token);
  EXPECT_EQ(why,
            "this token already holds 2 parked long-polls, the most one token may (serve "
            "--max-long-polls)");
  auto b1 = h->hold(holding_kind::long_poll, "b", why);
  ASSERT_TRUE(b1);
  auto b2 = h->hold(holding_kind::long_poll, "b", why, &per_token);
  EXPECT_FALSE(b2);
  EXPECT_FALSE(per_token);
  EXPECT_EQ(why,
            "the producer already holds 3 parked long-polls, the most it takes (serve "
            "--max-long-polls-total)");
  const auto refusals = h->refusals();
  EXPECT_EQ(refusals.at("long-polls-per-token"), 1);
  EXPECT_EQ(refusals.at("long-polls-per-process"), 1);
  EXPECT_EQ(refusals.at("streams-per-token"), 0);  // every reason, zeros included
  EXPECT_EQ(refusals.size(), 8u);
  // Other kinds have caps of their own.
  EXPECT_TRUE(h->take(holding_kind::stream, "a").empty());
  EXPECT_EQ(h->held(holding_kind::stream), 1u);
}

TEST(holdings, a_holding_gives_its_place_back_once) {
  auto h = std::make_shared<holdings>(small_caps());
  std::string why;
  {
    auto a = h->hold(holding_kind::long_poll, "a", why);
    auto moved = std::move(a);
    EXPECT_FALSE(a);
    EXPECT_EQ(h->held(holding_kind::long_poll, "a"), 1u);
    moved.release();
    moved.release();
    EXPECT_EQ(h->held(holding_kind::long_poll, "a"), 0u);
  }
  EXPECT_EQ(h->held(holding_kind::long_poll), 0u);
  // A place claimed past the cap (restored after a restart) is counted too.
  auto c1 = h->claim(holding_kind::long_poll, "a");
  auto c2 = h->claim(holding_kind::long_poll, "a");
  auto c3 = h->claim(holding_kind::long_poll, "a");
  EXPECT_EQ(h->held(holding_kind::long_poll, "a"), 3u);
  EXPECT_FALSE(h->hold(holding_kind::long_poll, "b", why));
  // Counted by hand: giving back more than was taken takes nothing from others.
  EXPECT_TRUE(h->take(holding_kind::webhook_delivery, "b").empty());
  h->give_back(holding_kind::webhook_delivery, "a", 5);
  EXPECT_EQ(h->held(holding_kind::webhook_delivery), 1u);
}

TEST(holdings, a_holding_may_outlive_the_producer) {
  holdings::holding kept;
  {
    auto h = std::make_shared<holdings>(small_caps());
    std::string why;
    kept = h->hold(holding_kind::long_poll, "a", why);
  }
  kept.release();  // nothing to give back to: no effect
  SUCCEED();
}

}  // namespace
}  // namespace hookbench
