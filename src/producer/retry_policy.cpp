// Retry schedules, the breaker's settings and Retry-After.
#include "producer/retry_policy.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/enum_names.hpp"
#include "core/parse.hpp"

namespace hookbench {

namespace {

constexpr auto kRetryKinds = make_enum_names<retry_kind>({{retry_kind::standard, "standard"},
                                                          {retry_kind::exponential, "exponential"},
                                                          {retry_kind::none, "none"}});

}  // namespace

std::string_view to_string(retry_kind kind) { return kRetryKinds.name(kind); }

void parse_retry_policy(std::string_view text, retry_policy& into) {
  // A bare name keeps the rest of `into` (exponential: its default schedule).
  if (const auto kind = kRetryKinds.find(text)) {
    into.kind = *kind;
    return;
  }
  constexpr std::string_view kPrefix = "exponential:";
  if (!text.starts_with(kPrefix)) {
    throw usage_error("expected standard, exponential[:BASE,FACTOR,CAP,ATTEMPTS] or none, got '" +
                      std::string(text) + "'");
  }
  const auto parts = split_list(text.substr(kPrefix.size()));
  if (parts.size() != 4) {
    throw usage_error(
        "exponential takes BASE,FACTOR,CAP,ATTEMPTS (e.g. exponential:500ms,2,60s,10)"
        ", got '" +
        std::string(text) + "'");
  }
  retry_policy p = into;
  p.kind = retry_kind::exponential;
  p.base = parse_duration(parts[0]);
  if (p.base <= 0) throw usage_error("exponential: BASE must be greater than 0");
  p.factor = parse_positive_double(parts[1]);
  if (p.factor < 1) throw usage_error("exponential: FACTOR must be at least 1");
  p.cap = parse_duration(parts[2]);
  if (p.cap < p.base) throw usage_error("exponential: CAP must be at least BASE");
  p.attempts = static_cast<std::size_t>(parse_int(parts[3], 1, 1000));
  into = p;
}

std::string retry_spec(const retry_policy& p) {
  if (p.kind != retry_kind::exponential) return std::string(to_string(p.kind));
  char factor[32];
  std::snprintf(factor, sizeof factor, "%g", p.factor);
  return "exponential:" + format_duration(p.base) + "," + factor + "," + format_duration(p.cap) +
         "," + std::to_string(p.attempts);
}

std::size_t retry_policy::max_attempts() const {
  switch (kind) {
    case retry_kind::standard:
      return 1 + std::size(kStandardSchedule);
    case retry_kind::exponential:
      return attempts;
    case retry_kind::none:
      return 1;
  }
  return 1;
}

std::optional<nanos> retry_policy::nominal_delay(std::size_t failed) const {
  if (failed == 0 || failed >= max_attempts()) return std::nullopt;
  if (kind == retry_kind::standard) return kStandardSchedule[failed - 1];
  const double d = static_cast<double>(base) * std::pow(factor, static_cast<double>(failed - 1));
  return static_cast<nanos>(std::min(d, static_cast<double>(cap)));
}

nanos retry_policy::scaled(nanos d) const {
  return static_cast<nanos>(std::llround(static_cast<double>(d) * scale));
}

std::optional<nanos> retry_policy::next_delay(std::size_t failed, std::mt19937_64& rng) const {
  auto d = nominal_delay(failed);
  if (!d) return d;
  double f = 1;
  if (jitter > 0) f = std::uniform_real_distribution<double>(1 - jitter, 1 + jitter)(rng);
  return std::max<nanos>(0, scaled(static_cast<nanos>(static_cast<double>(*d) * f)));
}

nlohmann::json retry_policy::to_json() const {
  nlohmann::json j{{"policy", to_string(kind)},
                   {"max_attempts", max_attempts()},
                   {"jitter", jitter},
                   {"time_scale", scale},
                   {"scaled", scale != 1}};
  if (kind == retry_kind::exponential) {
    j["base_s"] = to_s(base);
    j["factor"] = factor;
    j["cap_s"] = to_s(cap);
  }
  auto schedule = nlohmann::json::array();
  for (std::size_t n = 1; n < max_attempts(); ++n) schedule.push_back(to_s(*nominal_delay(n)));
  j["schedule_s"] = schedule;  // as written, before scale and jitter
  return j;
}

breaker_options parse_breaker(std::string_view text) {
  if (text == "off") return {0, 0};
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    throw usage_error("expected off or K:COOLDOWN (e.g. 10:5s), got '" + std::string(text) + "'");
  }
  breaker_options b;
  b.threshold = static_cast<std::size_t>(parse_int(text.substr(0, colon), 1, 1'000'000));
  b.cooldown = parse_duration(text.substr(colon + 1));
  if (b.cooldown <= 0) throw usage_error("circuit breaker cool-down must be greater than 0");
  return b;
}

std::string to_string(const breaker_options& b) {
  return b.threshold == 0 ? "off" : std::to_string(b.threshold) + ":" + format_duration(b.cooldown);
}

nlohmann::json retry_options::to_document() const {
  char jitter[32], scale[32];
  std::snprintf(jitter, sizeof jitter, "%.17g", policy.jitter);
  std::snprintf(scale, sizeof scale, "%.17g", policy.scale);
  return {{"retry", retry_spec(policy)},
          {"retry-jitter", jitter},
          {"retry-scale", scale},
          {"circuit-breaker", to_string(breaker)},
          {"retry-after-max", exact_duration(retry_after_max)},
          {"ordered", ordered}};
}

nlohmann::json retry_options::to_json() const {
  return {{"policy", retry_spec(policy)},
          {"jitter", policy.jitter},
          {"time_scale", policy.scale},
          {"scaled", policy.scale != 1},
          {"circuit_breaker", to_string(breaker)},
          {"retry_after_max_s", to_s(retry_after_max)},
          {"ordered", ordered}};
}

void add_retry_options(option_parser& p, retry_options& o) {
  p.add("--retry", "POLICY",
        "webhook retries: standard (Standard Webhooks: at once, then 5s, 5m,\n"
        "                            30m, 2h, 5h, 10h, 14h, 20h, 24h after each failure),\n"
        "                            exponential[:BASE,FACTOR,CAP,ATTEMPTS] (default\n"
        "                            500ms,2,60s,10: BASE x FACTOR^n, at most CAP, ATTEMPTS\n"
        "                            in all) or none (one attempt; a failure is a dead letter)",
        "standard", [&o](std::string_view v) { parse_retry_policy(v, o.policy); })
      .add("--retry-jitter", "FRACTION", "each retry delay times a uniform draw in [1-F, 1+F]",
           "0.1",
           [&o](std::string_view v) {
             o.policy.jitter = parse_non_negative_double(v);
             if (o.policy.jitter >= 1) throw usage_error("must be less than 1");
           })
      .add("--retry-scale", "F",
           "multiply every retry delay and the breaker's cool-down by F (e.g.\n"
           "                            0.001: 5m becomes 300ms) to fit a schedule of hours in\n"
           "                            a benchmark; recorded as scaled. Retry-After is honoured\n"
           "                            unscaled (the receiver's own demand)",
           "1", [&o](std::string_view v) { o.policy.scale = parse_positive_double(v); })
      .add("--circuit-breaker", "K:COOLDOWN",
           "per subscriber: after K consecutive failed attempts hold its\n"
           "                            deliveries for COOLDOWN (scaled), then send one probe;\n"
           "                            its success closes it again (off: no breaker)",
           "10:5s", [&o](std::string_view v) { o.breaker = parse_breaker(v); })
      .add("--retry-after-max", "DURATION",
           "the longest a receiver's Retry-After is honoured; a longer one is\n"
           "                            cut to this and counted (retry_after_clamped)",
           "1440m",
           [&o](std::string_view v) {
             o.retry_after_max = parse_duration(v);
             if (o.retry_after_max < kNanosPerSecond) throw usage_error("must be at least 1s");
           })
      .add_switch("--ordered",
                  "webhooks in seq order per subscriber: one POST in flight, the\n"
                  "                            head waits for its retries (default: up to\n"
                  "                            --webhook-concurrency in parallel)",
                  [&o] { o.ordered = true; });
}

std::optional<nanos> bounded_retry_after(std::string_view value, std::int64_t now_unix_s, nanos max,
                                         bool& clamped) {
  auto after = parse_retry_after(value, now_unix_s);
  clamped = after && *after > max;
  if (clamped) after = max;
  return after;
}

std::optional<nanos> parse_retry_after(std::string_view value, std::int64_t now_unix_s) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::uint64_t s = 0;
    if (!try_parse_u64(value, s) || s > 10'000'000) return std::nullopt;  // ~115 days at most
    return static_cast<nanos>(s) * kNanosPerSecond;
  }
  // IMF-fixdate, the form RFC 9110 says senders must use: "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  const std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  const std::int64_t at = timegm(&tm);
  // The same bound as the delta-seconds form: a date in the year 9999 must not overflow.
  return std::clamp<std::int64_t>(at - now_unix_s, 0, 10'000'000) * kNanosPerSecond;
}

}  // namespace hookbench
