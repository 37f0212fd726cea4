// At-least-once webhooks against a real `hookbench serve`: receivers in the test process answer
// 503, 429 with Retry-After, 410 or nothing in time, and the tests check what the dispatcher
// sent: every event in the end, the exact retries, their timing under a compressed schedule,
// the same webhook-id on every attempt, Retry-After, 410, --retry none, the breaker, --ordered.
#include <gtest/gtest.h>

#include <set>

#include "hookbench_process.hpp"
#include "script_receiver.hpp"

namespace hookbench_test {
namespace {

using std::chrono::duration;

// A producer (20 events/s, constant, ~1.2 s of generation) with one subscription to `url`,
// started; report() waits until generation finished and no delivery is pending.
class retry_producer {
 public:
  retry_producer(const std::string& url, std::vector<std::string> extra)
      : proc_(args(std::move(extra))) {
    const auto ready = json_line(proc_, "ready", milliseconds(10'000));
    if (!ready) throw std::runtime_error("serve not ready: " + proc_.err());
    port_ = ready->at("port").get<std::uint16_t>();
    const std::string body = nlohmann::json{{"url", url}}.dump();
    const auto sub = raw_exchange(
        "127.0.0.1", port_,
        "POST /subscriptions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
            auth_line("/subscriptions") + "Content-Type: application/json\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body);
    if (sub.status != 201) throw std::runtime_error("subscription refused: " + sub.raw);
    if (raw_http_status("127.0.0.1", port_, "POST", "/control/start") != 200) {
      throw std::runtime_error("start refused");
    }
  }
  // The producer's report once generation finished and nothing is pending (or `bound` passed).
  nlohmann::json settle(milliseconds bound = milliseconds(8'000)) {
    const auto deadline = steady::now() + bound;
    nlohmann::json r;
    do {
      std::this_thread::sleep_for(milliseconds(100));
      r = report();
      if (r.value("finished", false) && r.at("webhooks").at("pending") == 0) break;
    } while (steady::now() < deadline);
    return r;
  }
  nlohmann::json report() {
    const auto rep =
        raw_exchange("127.0.0.1", port_,
                     "GET /control/report HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                         auth_line("/control/report") + "\r\n");
    return nlohmann::json::parse(rep.body);
  }
  std::uint16_t port() const { return port_; }
  std::string err() { return proc_.err(); }

 private:
  static std::vector<std::string> args(std::vector<std::string> extra) {
    std::vector<std::string> a{"serve",      "--listen", "127.0.0.1:0", "--rate", "20",
                               "--arrivals", "constant", "--warmup",    "100ms",  "--duration",
                               "1s",         "--tail",   "0s",          "--quiet"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  process proc_;
  std::uint16_t port_ = 0;
};

// msg_<subscription>_<seq>: the seq is after the last _.
std::uint64_t seq_of(const std::string& id) { return std::stoull(id.substr(id.rfind('_') + 1)); }
double gap_s(const received_post& a, const received_post& b) {
  return duration<double>(b.at - a.at).count();
}

// Every event msg_0_1..msg_0_N reached the receiver with a 2xx at least once.
void expect_no_loss(const script_receiver& rx, std::uint64_t generated) {
  std::set<std::uint64_t> acked;
  for (const auto& p : rx.posts()) {
    if (p.answered >= 200 && p.answered < 300) acked.insert(seq_of(p.id));
  }
  EXPECT_EQ(acked.size(), generated);
  if (!acked.empty()) {
    EXPECT_EQ(*acked.begin(), 1u);
    EXPECT_EQ(*acked.rbegin(), generated);
  }
}

TEST(WebhookRetry, Standard503TwiceThenOkLosesNothingOnTheScaledSchedule) {
  script_receiver rx(
      [](const received_post& p) { return scripted_answer{p.attempt <= 2 ? 503u : 204u}; });
  retry_producer prod(rx.url(), {"--retry", "standard", "--retry-scale", "0.001", "--retry-jitter",
                                 "0", "--circuit-breaker", "off"});
  const auto r = prod.settle();
  const auto& w = r.at("webhooks");
  const auto& retry = w.at("retry");
  const std::uint64_t n = r.at("generated_total");
  ASSERT_GT(n, 15u) << r.dump();
  expect_no_loss(rx, n);
  const auto ids = rx.by_id();
  ASSERT_EQ(ids.size(), n);
  for (const auto& [id, posts] : ids) {
    ASSERT_EQ(posts.size(), 3u) << id;
    // The same webhook-id and body on every attempt, a fresh (newer) timestamp and signature.
    EXPECT_EQ(posts[0].body, posts[2].body) << id;
    EXPECT_LT(std::stoll(posts[0].timestamp), std::stoll(posts[1].timestamp)) << id;
    EXPECT_LT(std::stoll(posts[1].timestamp), std::stoll(posts[2].timestamp)) << id;
    EXPECT_NE(posts[1].signature, posts[2].signature) << id;
    // 5 s and 5 min scaled by 0.001: 5 ms, then 300 ms (never early; late only by load, so the
    // upper bounds are wide: the first retry still came sooner than the second step allows).
    EXPECT_GE(gap_s(posts[0], posts[1]), 0.004) << id;
    EXPECT_LT(gap_s(posts[0], posts[1]), 0.29) << id;
    EXPECT_GE(gap_s(posts[1], posts[2]), 0.29) << id;
    EXPECT_LT(gap_s(posts[1], posts[2]), 1.5) << id;
  }
  EXPECT_EQ(retry.at("policy"), "standard");
  EXPECT_EQ(retry.at("time_scale"), 0.001);
  EXPECT_TRUE(retry.at("scaled").get<bool>());
  EXPECT_EQ(retry.at("retry_requests_total"), 2 * n);
  EXPECT_EQ(retry.at("first_attempt_failures"), n);
  EXPECT_EQ(retry.at("recovered"), n);
  EXPECT_EQ(retry.at("dead_letters"), 0);
  EXPECT_EQ(retry.at("succeeded_on_attempt"), (nlohmann::json{{"3", n}}));
  EXPECT_EQ(retry.at("pending_retry"), 0);
  EXPECT_EQ(w.at("delivered_total"), n);
  // Window accounting: retries of window events are among the window's POSTs.
  EXPECT_EQ(w.at("posts"), 3 * w.at("retry").at("retry_requests").get<std::uint64_t>() / 2);
}

TEST(WebhookRetry, RetryAfterOn429IsHonouredUnscaledAndHoldsTheSubscriber) {
  script_receiver rx([](const received_post& p) {
    if (p.id == "msg_0_5" && p.attempt == 1) return scripted_answer{429, "Retry-After: 1\r\n"};
    return scripted_answer{204};
  });
  retry_producer prod(rx.url(), {"--retry", "standard", "--retry-scale", "0.001"});
  const auto r = prod.settle();
  const std::uint64_t n = r.at("generated_total");
  expect_no_loss(rx, n);
  const auto posts = rx.by_id().at("msg_0_5");
  ASSERT_EQ(posts.size(), 2u);
  // The policy alone says 5 ms; the receiver asked for 1 s, and gets it.
  EXPECT_GE(gap_s(posts[0], posts[1]), 0.95);
  EXPECT_LT(gap_s(posts[0], posts[1]), 2.0);
  // Nothing at all went to that receiver while it asked to be left alone (from 200 ms after
  // the 429: a POST already leaving on another connection before the sender read the 429 is
  // not a breach, and a loaded machine may take that long to read it).
  for (const auto& p : rx.posts()) {
    if (p.at > posts[0].at + milliseconds(200) && p.at < posts[0].at + milliseconds(950)) {
      ADD_FAILURE() << p.id << " sent " << gap_s(posts[0], p) << " s after the 429";
    }
  }
  const auto& retry = r.at("webhooks").at("retry");
  EXPECT_EQ(retry.at("retry_after_honoured"), 1);
  EXPECT_EQ(retry.at("retry_after_clamped"), 0);
  EXPECT_FALSE(retry.at("retry_after_scaled").get<bool>());
  EXPECT_EQ(retry.at("retry_requests_total"), 1);
  EXPECT_EQ(retry.at("dead_letters"), 0);
}

TEST(WebhookRetry, RetryAfterPastTheMaximumIsCutAndCounted) {
  // ~92 days asked for: held --retry-after-max (1 s) only, and counted as clamped.
  script_receiver rx([](const received_post& p) {
    if (p.id == "msg_0_5" && p.attempt == 1)
      return scripted_answer{503, "Retry-After: 8000000\r\n"};
    return scripted_answer{204};
  });
  retry_producer prod(rx.url(),
                      {"--retry", "standard", "--retry-scale", "0.001", "--retry-after-max", "1s"});
  const auto r = prod.settle();
  expect_no_loss(rx, r.at("generated_total"));
  const auto posts = rx.by_id().at("msg_0_5");
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_GE(gap_s(posts[0], posts[1]), 0.95);
  EXPECT_LT(gap_s(posts[0], posts[1]), 4.0);
  const auto& retry = r.at("webhooks").at("retry");
  EXPECT_EQ(retry.at("retry_after_honoured"), 1);
  EXPECT_EQ(retry.at("retry_after_clamped"), 1);
  EXPECT_EQ(retry.at("dead_letters"), 0);
}

TEST(WebhookRetry, GoneStopsSendingAndDeadLettersWhatWasQueued) {
  // msg_0_5 is answered 410 after 300 ms: the events queued behind it meanwhile are dead letters.
  script_receiver rx([](const received_post& p) {
    if (seq_of(p.id) < 5) return scripted_answer{204};
    return scripted_answer{410, "", milliseconds(300)};
  });
  retry_producer prod(rx.url(), {"--ordered"});
  const auto r = prod.settle();
  const auto& w = r.at("webhooks");
  const auto& retry = w.at("retry");
  const auto posts = rx.posts();
  ASSERT_EQ(posts.size(), 5u);  // 1..4, then 5 answered 410, then nothing
  EXPECT_EQ(posts.back().id, "msg_0_5");
  EXPECT_EQ(retry.at("gone_410"), 1);
  const std::uint64_t gone = retry.at("dead_letters_by_reason").at("gone");
  EXPECT_GE(gone, 4u);  // msg_0_5 and the ~6 published during its 300 ms
  EXPECT_EQ(retry.at("dead_letters"), gone);
  EXPECT_EQ(retry.at("dead_letter_first_seqs").at(0), 5);
  EXPECT_EQ(w.at("subscribers"), 0);
  EXPECT_EQ(w.at("delivered_total"), 4);
  EXPECT_EQ(w.at("pending"), 0);
}

TEST(WebhookRetry, NoneLosesExactlyTheFailedOnesAsDeadLetters) {
  script_receiver rx(
      [](const received_post& p) { return scripted_answer{seq_of(p.id) % 4 == 0 ? 503u : 204u}; });
  retry_producer prod(rx.url(), {"--retry", "none"});
  const auto r = prod.settle();
  const std::uint64_t n = r.at("generated_total");
  const std::uint64_t failing = n / 4;
  const auto ids = rx.by_id();
  EXPECT_EQ(ids.size(), n);
  for (const auto& [id, posts] : ids) EXPECT_EQ(posts.size(), 1u) << id;
  const auto& retry = r.at("webhooks").at("retry");
  EXPECT_EQ(retry.at("policy"), "none");
  EXPECT_EQ(retry.at("retry_requests_total"), 0);
  EXPECT_EQ(retry.at("dead_letters"), failing);
  EXPECT_EQ(retry.at("dead_letters_by_reason").at("exhausted"), failing);
  EXPECT_EQ(retry.at("dead_letter_first_seqs").at(0), 4);
  EXPECT_EQ(r.at("webhooks").at("delivered_total"), n - failing);
  EXPECT_EQ(retry.at("circuit_opened"), 0);
}

TEST(WebhookRetry, ATimeoutIsRetriedWithTheSameId) {
  script_receiver rx([](const received_post& p) {
    if (p.id == "msg_0_3" && p.attempt == 1) return scripted_answer{204, "", milliseconds(1200)};
    return scripted_answer{204};
  });
  retry_producer prod(rx.url(), {"--retry", "exponential:100ms,2,1s,4", "--retry-jitter", "0",
                                 "--webhook-timeout", "400ms"});
  const auto r = prod.settle();
  expect_no_loss(rx, r.at("generated_total"));
  const auto posts = rx.by_id().at("msg_0_3");
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_GE(gap_s(posts[0], posts[1]), 0.49);  // the 400 ms timeout, then 100 ms
  EXPECT_LT(gap_s(posts[0], posts[1]), 2.0);   // late only by load: a wide bound
  EXPECT_EQ(posts[0].body, posts[1].body);
  EXPECT_EQ(r.at("webhooks").at("timeouts"), 1);
  EXPECT_EQ(r.at("webhooks").at("retry").at("retry_requests_total"), 1);
}

TEST(WebhookRetry, CircuitBreakerOpensDuringAnOutageAndClosesAfter) {
  // Down (503) for the first 600 ms after the first POST, then fine.
  std::atomic<bool> first_seen{false};
  steady::time_point first;
  script_receiver rx([&](const received_post& p) {
    if (!first_seen.exchange(true)) first = p.at;
    return scripted_answer{p.at < first + milliseconds(600) ? 503u : 204u};
  });
  retry_producer prod(rx.url(), {"--retry", "exponential:1s,1,1s,30", "--retry-scale", "0.1",
                                 "--retry-jitter", "0", "--circuit-breaker", "3:2s"});
  const auto r = prod.settle();
  expect_no_loss(rx, r.at("generated_total"));
  const auto& retry = r.at("webhooks").at("retry");
  EXPECT_GE(retry.at("circuit_opened"), 1);
  EXPECT_GE(retry.at("circuit_closed"), 1);
  EXPECT_GE(retry.at("circuit_probes"), 1);
  EXPECT_EQ(retry.at("dead_letters"), 0);
  // Held by the open breaker (200 ms cool-downs, one probe each), the outage cost a handful of
  // POSTs, not one per event per 100 ms retry.
  std::size_t during = 0;
  for (const auto& p : rx.posts()) during += p.at < first + milliseconds(600) ? 1 : 0;
  EXPECT_LE(during, 12u);
}

TEST(WebhookRetry, OrderedKeepsSeqOrderThroughRetries) {
  script_receiver rx([](const received_post& p) {
    return scripted_answer{p.id == "msg_0_3" && p.attempt <= 2 ? 503u : 204u};
  });
  retry_producer prod(
      rx.url(), {"--ordered", "--retry", "exponential:100ms,1,100ms,5", "--retry-jitter", "0"});
  const auto r = prod.settle();
  expect_no_loss(rx, r.at("generated_total"));
  const auto posts = rx.posts();
  for (std::size_t i = 1; i < posts.size(); ++i) {
    EXPECT_LE(seq_of(posts[i - 1].id), seq_of(posts[i].id)) << "at POST " << i;
  }
  EXPECT_EQ(rx.by_id().at("msg_0_3").size(), 3u);
  EXPECT_TRUE(r.at("webhooks").at("retry").at("ordered").get<bool>());
}

// run passes the retry options to serve and records them; a run without failures retries nothing.
TEST(WebhookRetry, RunRecordsThePolicyAndRetriesNothingWhenNothingFails) {
  const auto r = hookbench_run({"--mode", "webhook", "--rate", "100", "--duration", "1s",
                                "--warmup", "200ms", "--drain", "1s", "--retry",
                                "exponential:200ms,2,5s,6", "--retry-scale", "0.01", "--ordered"});
  ASSERT_TRUE(r.exit.exited && r.exit.code == 0) << r.err;
  const auto& config = r.result.at("config").at("retry");
  EXPECT_EQ(config.at("policy"), "exponential:200ms,2,5s,6");
  EXPECT_TRUE(config.at("scaled").get<bool>());
  EXPECT_TRUE(config.at("ordered").get<bool>());
  const auto& retry = r.result.at("sides").at("producer").at("webhooks").at("retry");
  EXPECT_EQ(retry.at("policy"), "exponential");
  EXPECT_EQ(retry.at("time_scale"), 0.01);
  EXPECT_EQ(retry.at("retry_requests_total"), 0) << retry.dump();
  EXPECT_EQ(retry.at("dead_letters"), 0);
  // Nothing failed at all, in the window or in the unmeasured tail after it (the consumer's
  // receiver answers until the producer's report is taken).
  const auto& hooks = r.result.at("sides").at("producer").at("webhooks");
  EXPECT_EQ(hooks.at("failure_reasons"), nlohmann::json::object()) << hooks.dump();
  EXPECT_EQ(hooks.at("failure_reasons_after_window"), nlohmann::json::object()) << hooks.dump();
  EXPECT_EQ(r.metrics().at("lost"), 0);
  EXPECT_EQ(r.metrics().at("duplicates"), 0);
}

TEST(WebhookRetry, BadRetryOptionsAreRefusedInOneLine) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"serve", "--retry", "sometimes"},
                                             {"serve", "--retry", "exponential:1s,2"},
                                             {"serve", "--retry-scale", "0"},
                                             {"serve", "--circuit-breaker", "5"},
                                             {"run", "--mode", "poll", "--retry", "none"}}) {
    const auto r = run_hookbench(args, milliseconds(10'000));
    ASSERT_TRUE(r.exit.exited);
    EXPECT_EQ(r.exit.code, 2) << args[2] << ": " << r.err;
    EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
  }
}

}  // namespace
}  // namespace hookbench_test
