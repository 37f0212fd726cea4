// End to end through `hookbench run` (two real processes on loopback): every event reaches every
// subscriber exactly once by polling and by webhooks, the result file honours the contract, and
// a loss (events evicted before a slow poller fetched them) is counted and announced, never
// silent.
#include <gtest/gtest.h>

#include <cmath>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

using nlohmann::json;

// The checks every clean run must pass: exit 0, a result, and no warning on stderr but those
// that judge speed (accounting_test's timing test checks that a run is not saturated).
void expect_clean_run(const run_result& r) {
  ASSERT_TRUE(r.exit.exited) << "run did not finish; stderr:\n" << r.err;
  ASSERT_EQ(r.exit.code, 0) << r.err;
  ASSERT_TRUE(r.result.is_object()) << "no result file; stderr:\n" << r.err;
  EXPECT_TRUE(correctness_warnings(r.err).empty()) << r.err;
  EXPECT_EQ(r.result.value("schema_version", 0), 2);
}

void expect_exactly_once(const json& m, std::uint64_t subscribers) {
  const auto produced = m.at("produced").get<std::uint64_t>();
  EXPECT_GT(produced, 0u);
  EXPECT_EQ(m.at("expected").get<std::uint64_t>(), produced * subscribers);
  EXPECT_EQ(m.at("delivered"), m.at("expected"));
  EXPECT_EQ(m.at("lost"), 0);
  EXPECT_EQ(m.at("duplicates"), 0);
  EXPECT_EQ(m.at("latency_us").at("count"), m.at("delivered"));  // one sample per delivery
  EXPECT_EQ(m.at("requests").at("failed"), 0);
  EXPECT_TRUE(m.at("drained").get<bool>());
}

// Poisson counts: produced in a window of D seconds at rate lambda is lambda*D +- 5 sqrt(lambda*D).
void expect_poisson_count(const json& m, double rate, double seconds) {
  const double mean = rate * seconds;
  EXPECT_NEAR(m.at("produced").get<double>(), mean, 5 * std::sqrt(mean));
}

TEST(delivery, poll_delivers_every_event_exactly_once) {
  const auto r =
      hookbench_run({"--mode", "poll", "--rate", "200", "--interval", "50ms", "--subscribers", "3",
                     "--duration", "2s", "--warmup", "300ms", "--drain", "2s"});
  expect_clean_run(r);
  const auto& m = r.metrics();
  expect_exactly_once(m, 3);
  expect_poisson_count(m, 200, 2);
  // Each subscriber's polls come in order, so nothing is reordered.
  EXPECT_EQ(m.at("reordered"), 0);
  // N/T polls per second: 3 subscribers x 2 s / 50 ms = 120 scheduled polls in the window (a
  // few more when a response is full and the poller fetches again at once, none here), each
  // sent or, after a stall longer than T, skipped and counted as missed.
  EXPECT_NEAR(
      m.at("requests").at("polls").get<double>() +
          r.result.at("sides").at("consumer").at("traffic").at("missed_polls").get<double>(),
      120, 6);
  EXPECT_EQ(m.at("requests").at("webhook_posts"), 0);
  EXPECT_NEAR(m.at("requests_per_event").get<double>(),
              m.at("requests").at("total").get<double>() / m.at("delivered").get<double>(), 1e-9);
  EXPECT_GT(m.at("bytes").at("sent").get<double>(), 0);
  EXPECT_EQ(r.result.at("config").at("subscribers"), 3);
  EXPECT_EQ(r.result.at("config").at("interval_ms"), 50.0);
}

TEST(delivery, webhook_delivers_every_event_exactly_once) {
  const auto r = hookbench_run({"--mode", "webhook", "--rate", "200", "--subscribers", "2",
                                "--duration", "2s", "--warmup", "300ms", "--drain", "2s"});
  expect_clean_run(r);
  const auto& m = r.metrics();
  expect_exactly_once(m, 2);
  expect_poisson_count(m, 200, 2);
  EXPECT_EQ(m.at("requests").at("polls"), 0);
  // One POST per event per subscriber. POSTs are counted when they start, events when they are
  // scheduled, so the few at the window's edges can fall either side: allow 1%.
  const double posts = m.at("requests").at("webhook_posts").get<double>();
  EXPECT_NEAR(posts, m.at("expected").get<double>(), 0.01 * m.at("expected").get<double>() + 2);
  EXPECT_NEAR(m.at("requests_per_event").get<double>(), 1.0, 0.02);
  // Keep-alive: at most --webhook-concurrency (4) connections per subscriber for the whole run.
  const auto& hooks = r.result.at("sides").at("producer").at("webhooks");
  EXPECT_GE(hooks.at("connections_opened").get<int>(), 2);
  EXPECT_LE(hooks.at("connections_opened").get<int>(), 8);
}

TEST(delivery, webhook_new_connection_per_post) {
  const auto r =
      hookbench_run({"--mode", "webhook", "--rate", "100", "--duration", "1s", "--warmup", "200ms",
                     "--drain", "2s", "--webhook-connection", "new"});
  expect_clean_run(r);
  const auto& m = r.metrics();
  expect_exactly_once(m, 1);
  // Every POST the receiver answered (warm-up and drain-time load included) opened its own
  // connection. The run's tail may also hold POSTs refused after the consumer left, or one in
  // flight when the report was taken: those opened none.
  const auto& hooks = r.result.at("sides").at("producer").at("webhooks");
  EXPECT_GE(hooks.at("connections_opened").get<int>(), hooks.at("delivered_total").get<int>());
  EXPECT_LE(hooks.at("connections_opened").get<int>(), hooks.at("posts_total").get<int>());
  EXPECT_GT(hooks.at("delivered_total").get<int>(), 100);  // well past keep-alive's pool of 4
  EXPECT_EQ(r.result.at("config").at("webhook_connection"), "new");
}

TEST(delivery, retention_overflow_is_counted_and_announced) {
  // 100 events/s but only 10 retained, polled once a second: ~90% are evicted before any poll.
  const auto r =
      hookbench_run({"--mode", "poll", "--rate", "100", "--interval", "1s", "--retention", "10",
                     "--duration", "2s", "--warmup", "300ms", "--drain", "1s"});
  ASSERT_TRUE(r.exit.exited) << r.err;
  ASSERT_TRUE(r.result.is_object()) << "a lossy run must still write its result; stderr:\n"
                                    << r.err;
  const auto& m = r.metrics();
  const auto expected = m.at("expected").get<std::uint64_t>();
  const auto delivered = m.at("delivered").get<std::uint64_t>();
  EXPECT_GT(m.at("lost").get<std::uint64_t>(), 0u);
  EXPECT_EQ(m.at("lost").get<std::uint64_t>(), expected - delivered);
  EXPECT_LT(delivered, expected / 2) << "retention 10 cannot keep up with 100 events per poll";
  EXPECT_FALSE(m.at("drained").get<bool>());
  EXPECT_NE(r.err.find("LOST"), std::string::npos) << "loss not announced; stderr:\n" << r.err;
  // The consumer saw the producer's 410 and counted the evicted range.
  const auto& traffic = r.result.at("sides").at("consumer").at("traffic");
  EXPECT_GT(traffic.at("expired_cursors").get<int>(), 0);
  EXPECT_GT(traffic.at("expired_events").get<int>(), 0);
}

}  // namespace
}  // namespace hookbench_test
