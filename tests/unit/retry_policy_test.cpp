// The retry schedules (standard, exponential, none), jitter and time scale, the breaker's and
// the policy's command-line forms, and Retry-After in both of its forms.
#include "producer/retry_policy.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/parse.hpp"

namespace hookbench {
namespace {

constexpr nanos kS = kNanosPerSecond;

TEST(RetryPolicy, StandardIsTheStandardWebhooksSchedule) {
  retry_policy p;  // standard
  EXPECT_EQ(p.max_attempts(), 10u);
  const nanos expected[] = {5 * kS,      300 * kS,    1800 * kS,   7200 * kS,  18'000 * kS,
                            36'000 * kS, 50'400 * kS, 72'000 * kS, 86'400 * kS};
  for (std::size_t n = 1; n <= 9; ++n) EXPECT_EQ(p.nominal_delay(n), expected[n - 1]) << n;
  EXPECT_FALSE(p.nominal_delay(10));
  EXPECT_FALSE(p.nominal_delay(0));
}

TEST(RetryPolicy, JitterStaysInItsBandAndScaleCompresses) {
  retry_policy p;
  p.jitter = 0.1;
  p.scale = 0.001;  // 5 min -> 300 ms
  std::mt19937_64 rng(7);
  nanos lo = INT64_MAX, hi = 0;
  for (int i = 0; i < 2000; ++i) {
    const nanos d = *p.next_delay(2, rng);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_GE(lo, 270 * kNanosPerMilli);
  EXPECT_LE(hi, 330 * kNanosPerMilli);
  EXPECT_LT(lo, 280 * kNanosPerMilli);  // the band is used, not one value
  EXPECT_GT(hi, 320 * kNanosPerMilli);
  p.jitter = 0;
  EXPECT_EQ(*p.next_delay(1, rng), 5 * kNanosPerMilli);
}

TEST(RetryPolicy, ExponentialGrowsToItsCapAndStopsAtItsAttempts) {
  retry_policy p;
  parse_retry_policy("exponential:100ms,3,1s,5", p);
  EXPECT_EQ(p.kind, retry_kind::exponential);
  EXPECT_EQ(p.max_attempts(), 5u);
  EXPECT_EQ(p.nominal_delay(1), 100 * kNanosPerMilli);
  EXPECT_EQ(p.nominal_delay(2), 300 * kNanosPerMilli);
  EXPECT_EQ(p.nominal_delay(3), 900 * kNanosPerMilli);
  EXPECT_EQ(p.nominal_delay(4), 1 * kS);  // capped
  EXPECT_FALSE(p.nominal_delay(5));
  EXPECT_EQ(retry_spec(p), "exponential:100ms,3,1s,5");
  retry_policy back;
  parse_retry_policy(retry_spec(p), back);
  EXPECT_EQ(back.nominal_delay(3), p.nominal_delay(3));
  const auto j = p.to_json();
  EXPECT_EQ(j.at("policy"), "exponential");
  EXPECT_EQ(j.at("schedule_s").size(), 4u);
}

TEST(RetryPolicy, NoneMakesOneAttempt) {
  retry_policy p;
  parse_retry_policy("none", p);
  std::mt19937_64 rng(1);
  EXPECT_EQ(p.max_attempts(), 1u);
  EXPECT_FALSE(p.next_delay(1, rng));
  EXPECT_TRUE(p.to_json().at("schedule_s").empty());
}

TEST(RetryPolicy, BadTextIsRefusedWithAReason) {
  retry_policy p;
  EXPECT_THROW(parse_retry_policy("sometimes", p), usage_error);
  EXPECT_THROW(parse_retry_policy("exponential:1s,2,60s", p), usage_error);
  EXPECT_THROW(parse_retry_policy("exponential:1s,0.5,60s,3", p), usage_error);
  EXPECT_THROW(parse_retry_policy("exponential:2s,2,1s,3", p), usage_error);
  EXPECT_THROW(parse_retry_policy("exponential:1s,2,60s,0", p), usage_error);
  EXPECT_EQ(p.kind, retry_kind::standard);  // untouched by a failed parse
  EXPECT_THROW(parse_breaker("5"), usage_error);
  EXPECT_THROW(parse_breaker("0:1s"), usage_error);
  EXPECT_EQ(parse_breaker("off").threshold, 0u);
  const auto b = parse_breaker("3:250ms");
  EXPECT_EQ(b.threshold, 3u);
  EXPECT_EQ(b.cooldown, 250 * kNanosPerMilli);
  EXPECT_EQ(to_string(b), "3:250ms");
}

TEST(RetryPolicy, OptionsRoundTripThroughServesConfigDocument) {
  retry_options o;
  parse_retry_policy("exponential:50ms,2,2s,4", o.policy);
  o.policy.scale = 0.001;
  o.policy.jitter = 0;
  o.breaker = parse_breaker("4:1s");
  o.ordered = true;
  retry_options back;
  option_parser p("serve", "");
  add_retry_options(p, back);
  p.apply_json(o.to_document(), "test");
  EXPECT_EQ(back.to_json(), o.to_json());
  EXPECT_TRUE(o.to_json().at("scaled").get<bool>());
}

TEST(RetryAfter, SecondsAndHttpDates) {
  const std::int64_t now = 784'111'777;  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(parse_retry_after("1", now), kS);
  EXPECT_EQ(parse_retry_after(" 120 ", now), 120 * kS);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:39 GMT", now), 2 * kS);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:30 GMT", now), 0);  // past: at once
  EXPECT_FALSE(parse_retry_after("", now));
  EXPECT_FALSE(parse_retry_after("-1", now));
  EXPECT_FALSE(parse_retry_after("1.5", now));
  EXPECT_FALSE(parse_retry_after("soon", now));
  EXPECT_FALSE(parse_retry_after("Sun, 06 Nov 1994 08:49:39", now));
  EXPECT_FALSE(parse_retry_after("99999999999999999999", now));
}

TEST(RetryAfter, BoundedByTheLongestHoldAndSaysWhenItCut) {
  const std::int64_t now = 784'111'777;  // Sun, 06 Nov 1994 08:49:37 GMT
  const nanos day = retry_options{}.retry_after_max;
  EXPECT_EQ(day, 86'400 * kS);  // the Standard Webhooks schedule's longest step
  bool clamped = true;
  EXPECT_EQ(bounded_retry_after("120", now, day, clamped), 120 * kS);
  EXPECT_FALSE(clamped);
  EXPECT_EQ(bounded_retry_after("86400", now, day, clamped), day);
  EXPECT_FALSE(clamped);
  // ~115 days, and a date a year ahead: both held one day only.
  EXPECT_EQ(bounded_retry_after("10000000", now, day, clamped), day);
  EXPECT_TRUE(clamped);
  EXPECT_EQ(bounded_retry_after("Mon, 06 Nov 1995 08:49:37 GMT", now, day, clamped), day);
  EXPECT_TRUE(clamped);
  EXPECT_FALSE(bounded_retry_after("soon", now, day, clamped));
  EXPECT_FALSE(clamped);
}

}  // namespace
}  // namespace hookbench
