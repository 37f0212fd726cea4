// When the webhook dispatcher tries a failed delivery again: a named policy (the Standard
// Webhooks schedule, exponential backoff, or none), a time scale that compresses a schedule of
// hours into a benchmark's seconds, a per-subscriber circuit breaker's settings, and the
// receiver's Retry-After header (seconds or HTTP-date).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/cli.hpp"
#include "core/clock.hpp"

namespace hookbench {

enum class retry_kind { standard, exponential, none };
std::string_view to_string(retry_kind kind);

struct retry_policy {
  retry_kind kind = retry_kind::standard;
  // exponential: the n-th retry waits min(cap, base * factor^(n-1)); attempts counts the first.
  nanos base = 500 * kNanosPerMilli;
  double factor = 2;
  nanos cap = 60 * kNanosPerSecond;
  std::size_t attempts = 10;
  // Every delay is multiplied by a uniform draw from [1 - jitter, 1 + jitter].
  double jitter = 0.1;
  // Every delay (and the breaker's cool-down) is multiplied by this; 1 = real time.
  double scale = 1;

  // Attempts in all, the first included (standard: 10; none: 1).
  std::size_t max_attempts() const;
  // The delay before the next attempt after `failed` attempts (>= 1) have failed, scaled and
  // jittered; nullopt when the policy allows no more.
  std::optional<nanos> next_delay(std::size_t failed, std::mt19937_64& rng) const;
  // The same without jitter or scale: the schedule as written.
  std::optional<nanos> nominal_delay(std::size_t failed) const;
  nanos scaled(nanos d) const;
  nlohmann::json to_json() const;
};

// The Standard Webhooks schedule: the first attempt at once, then each retry this long after
// the previous attempt failed.
inline constexpr nanos kStandardSchedule[] = {
    5 * kNanosPerSecond,         5 * 60 * kNanosPerSecond,    30 * 60 * kNanosPerSecond,
    2 * 3600 * kNanosPerSecond,  5 * 3600 * kNanosPerSecond,  10 * 3600 * kNanosPerSecond,
    14 * 3600 * kNanosPerSecond, 20 * 3600 * kNanosPerSecond, 24 * 3600 * kNanosPerSecond};

// "standard", "none", "exponential" (the defaults above) or "exponential:BASE,FACTOR,CAP,ATTEMPTS"
// (e.g. "exponential:500ms,2,60s,10"); jitter and scale are left as they are in `into`.
void parse_retry_policy(std::string_view text, retry_policy& into);  // throws usage_error
// The text parse_retry_policy reads back ("exponential:500ms,2,1m,10").
std::string retry_spec(const retry_policy& p);

// A per-subscriber circuit breaker: opens after `threshold` consecutive failed attempts, sends
// one probe after `cooldown` (scaled with the retry policy), closes on its success.
struct breaker_options {
  std::size_t threshold = 10;  // 0: no breaker
  nanos cooldown = 5 * kNanosPerSecond;
};
// "off" or "K:COOLDOWN" (e.g. "10:5s").
breaker_options parse_breaker(std::string_view text);  // throws usage_error
std::string to_string(const breaker_options& b);

// What `serve`, `run` and `sweep` take on the command line (--retry, --retry-jitter,
// --retry-scale, --circuit-breaker, --ordered), handed by run and sweep to serve.
struct retry_options {
  retry_policy policy;
  breaker_options breaker;
  // One delivery in flight per subscriber, in seq order: the head waits for its retries.
  bool ordered = false;
  // The longest a receiver's Retry-After holds a subscriber (--retry-after-max): the Standard
  // Webhooks schedule's longest step. A receiver cannot park deliveries for months.
  nanos retry_after_max = 24 * 3600 * kNanosPerSecond;
  // The options that set it (serve --config: keys are flag names, values exact).
  nlohmann::json to_document() const;
  nlohmann::json to_json() const;  // for a run's config
};
void add_retry_options(option_parser& p, retry_options& o);

// Retry-After: delta seconds ("120") or an HTTP-date ("Sun, 06 Nov 1994 08:49:37 GMT"), read
// against `now_unix_s`; nullopt when absent or malformed. A date in the past is 0.
std::optional<nanos> parse_retry_after(std::string_view value, std::int64_t now_unix_s);
// The same, at most `max`; `clamped` is set when the header asked for more.
std::optional<nanos> bounded_retry_after(std::string_view value, std::int64_t now_unix_s, nanos max,
                                         bool& clamped);

}  // namespace hookbench
