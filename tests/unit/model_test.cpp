// The analytical model (model/model) against DESIGN.md's formulas, computed here independently:
// poll latency T/2 + R/2, P(empty poll) = e^(-lambda T), events per non-empty poll
// lambda T / (1 - e^(-lambda T)), requests per event 1/(lambda T); webhook 1 request per event.
#include "model/model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace hookbench {
namespace {

model_input poll_input(double rate, double interval_s, double subscribers = 1, double rtt_s = 0,
                       const char* arrivals = "poisson") {
  model_input in;
  in.arrivals = arrivals;
  in.rate = rate;
  in.interval_s = interval_s;
  in.subscribers = subscribers;
  in.rtt_s = rtt_s;
  return in;
}

TEST(model, poll_at_lambda_t_one) {
  const auto p = model_poll(poll_input(10, 0.1, 3, 0.002));
  EXPECT_DOUBLE_EQ(p.lambda_t, 1.0);
  EXPECT_NEAR(p.latency_mean_us, (0.1 / 2 + 0.002 / 2) * 1e6, 1e-6);  // T/2 + R/2 = 51 ms
  EXPECT_DOUBLE_EQ(p.requests_per_s, 30.0);                           // N/T
  EXPECT_NEAR(p.requests_per_event, 1.0, 1e-12);                      // 1/(lambda T)
  EXPECT_NEAR(p.empty_poll_fraction, std::exp(-1.0), 1e-12);
  EXPECT_NEAR(p.events_per_nonempty_poll, 1.0 / (1.0 - std::exp(-1.0)), 1e-12);
}

TEST(model, poll_formulas_over_a_range_of_lambda_t) {
  for (double lt : {0.001, 0.015, 0.3, 1.0, 2.5, 10.0, 100.0}) {
    const double interval = 0.25;
    const auto p = model_poll(poll_input(lt / interval, interval, 7));
    EXPECT_NEAR(p.lambda_t, lt, 1e-12 * lt);
    EXPECT_NEAR(p.empty_poll_fraction, std::exp(-lt), 1e-12);
    EXPECT_NEAR(p.events_per_nonempty_poll, lt / (1 - std::exp(-lt)), 1e-9 * (1 + lt));
    EXPECT_NEAR(p.requests_per_event, 1 / lt, 1e-9 / lt);
    EXPECT_DOUBLE_EQ(p.requests_per_s, 7 / interval);
    // Every non-empty poll carries at least one event, and on average lambda T per poll.
    EXPECT_GE(p.events_per_nonempty_poll, 1.0);
    EXPECT_NEAR(p.events_per_nonempty_poll * (1 - p.empty_poll_fraction), lt, 1e-9 * (1 + lt));
  }
}

TEST(model, zapier_figure_at_lambda_t_0_015) {
  // DESIGN.md: 98.5% of polls found nothing; the model gives that at lambda T ~ 0.015.
  const auto p = model_poll(poll_input(0.015, 1.0));
  EXPECT_NEAR(p.empty_poll_fraction, 0.985, 0.001);
}

TEST(model, tiny_lambda_t_is_numerically_stable) {
  const auto p = model_poll(poll_input(1e-9, 1.0));
  EXPECT_NEAR(p.events_per_nonempty_poll, 1.0, 1e-6);  // lambda T / (1 - e^-lambda T) -> 1
  EXPECT_NEAR(p.empty_poll_fraction, 1.0, 1e-6);
}

TEST(model, webhook_is_one_request_per_event) {
  model_input in;
  in.arrivals = "poisson";
  in.rate = 100;
  in.subscribers = 4;
  in.rtt_s = 0.001;
  const auto p = model_webhook(in);
  EXPECT_DOUBLE_EQ(p.requests_per_event, 1.0);
  EXPECT_DOUBLE_EQ(p.requests_per_s, 400.0);     // lambda N
  EXPECT_NEAR(p.latency_mean_us, 1000.0, 1e-9);  // R_post, the in-run POST round trip
  EXPECT_DOUBLE_EQ(p.empty_poll_fraction, 0.0);
  EXPECT_DOUBLE_EQ(p.lambda_t, 0.0);
}

TEST(model, requests_crossover_at_lambda_t_one) {
  // Polling sends fewer requests per event than webhooks exactly when lambda T > 1.
  for (double lt : {0.5, 0.99, 1.01, 4.0}) {
    const auto poll = model_poll(poll_input(lt / 0.1, 0.1));
    EXPECT_EQ(poll.requests_per_event<1.0, lt> 1.0) << "lambda T = " << lt;
  }
}

TEST(model, constant_arrivals_variant) {
  // Evenly spaced events: a poll interval is empty with probability max(0, 1 - lambda T) and
  // a non-empty one carries max(1, lambda T) events.
  const auto sparse = model_poll(poll_input(5, 0.1, 1, 0, "constant"));  // lambda T = 0.5
  EXPECT_NEAR(sparse.empty_poll_fraction, 0.5, 1e-12);
  EXPECT_NEAR(sparse.events_per_nonempty_poll, 1.0, 1e-12);
  const auto dense = model_poll(poll_input(20, 0.1, 1, 0, "constant"));  // lambda T = 2
  EXPECT_NEAR(dense.empty_poll_fraction, 0.0, 1e-12);
  EXPECT_NEAR(dense.events_per_nonempty_poll, 2.0, 1e-12);
  EXPECT_NEAR(dense.latency_mean_us, 50'000, 1e-6);  // still T/2
}

TEST(model, json_names) {
  const nlohmann::json j = model_poll(poll_input(10, 0.1));
  for (const char* key : {"lambda_t", "latency_mean_us", "requests_per_s", "requests_per_event",
                          "empty_poll_fraction", "events_per_nonempty_poll"}) {
    ASSERT_TRUE(j.contains(key)) << key;
    EXPECT_TRUE(j.at(key).is_number()) << key;
  }
}

TEST(model, generator_lag_adds_to_both_latencies) {
  auto poll = poll_input(10, 0.1, 1, 0.002);
  poll.lag_s = 0.0003;
  EXPECT_NEAR(model_poll(poll).latency_mean_us, 300 + 50'000 + 1'000, 1e-6);  // G + T/2 + R/2
  model_input hook;
  hook.rate = 10;
  hook.rtt_s = 0.0002;
  hook.lag_s = 0.00005;
  EXPECT_NEAR(model_webhook(hook).latency_mean_us, 50 + 200, 1e-9);  // G + R_post
}

TEST(model, bytes_per_event_is_overhead_per_request_plus_the_event) {
  auto poll = poll_input(5, 0.1);  // lambda T = 0.5: two polls per event
  poll.overhead_bytes = 300;
  poll.event_bytes = 350;
  EXPECT_NEAR(model_poll(poll).bytes_per_event, 2 * 300 + 350, 1e-9);
  model_input hook;
  hook.rate = 5;
  hook.overhead_bytes = 250;
  hook.event_bytes = 350;
  EXPECT_NEAR(model_webhook(hook).bytes_per_event, 600, 1e-9);
  hook.overhead_bytes = 0;  // unknown overhead: no bytes line rather than a wrong one
  EXPECT_EQ(model_webhook(hook).bytes_per_event, 0);
  EXPECT_TRUE(nlohmann::json(model_webhook(hook)).at("bytes_per_event").is_null());
}

TEST(model, adaptive_polling_without_backoff_is_fixed_polling) {
  auto in = poll_input(7, 0.1, 3, 0.002);
  in.backoff = 1;  // the interval never grows: a chain of one state
  const auto a = model_poll_adaptive(in), f = model_poll(in);
  EXPECT_NEAR(a.latency_mean_us, f.latency_mean_us, 1e-6);
  EXPECT_NEAR(a.requests_per_s, f.requests_per_s, 1e-9);
  EXPECT_NEAR(a.requests_per_event, f.requests_per_event, 1e-9);
  EXPECT_NEAR(a.empty_poll_fraction, f.empty_poll_fraction, 1e-12);
}

TEST(model, adaptive_polling_at_a_trickle_sits_at_the_cap) {
  auto in = poll_input(1e-4, 0.1);  // an event every 3 hours: nearly every poll is empty
  in.backoff = 2;
  in.max_interval_s = 0.8;  // T, 2T, 4T, 8T
  const auto p = model_poll_adaptive(in);
  EXPECT_NEAR(p.requests_per_s, 1 / 0.8, 1e-3);         // N / cap
  EXPECT_NEAR(p.latency_mean_us, 0.4e6, 0.4e6 * 1e-3);  // half the cap
  EXPECT_GT(p.empty_poll_fraction, 0.999);
}

TEST(model, adaptive_polling_two_states_by_hand) {
  // Intervals T = 0.1 and 0.2 (backoff 2, cap 0.2) at lambda = 5: e0 = e^-0.5, e1 = e^-1.
  // Stationary weights: pi0 = 1, pi1 = e0 / (1 - e1).
  auto in = poll_input(5, 0.1);
  in.backoff = 2;
  in.max_interval_s = 0.2;
  const double e0 = std::exp(-0.5), e1 = std::exp(-1.0);
  const double pi0 = 1, pi1 = e0 / (1 - e1);
  const double mean_i = (pi0 * 0.1 + pi1 * 0.2) / (pi0 + pi1);
  const double latency = (pi0 * 0.01 + pi1 * 0.04) / (2 * (pi0 * 0.1 + pi1 * 0.2));
  const auto p = model_poll_adaptive(in);
  EXPECT_NEAR(p.requests_per_s, 1 / mean_i, 1e-9);
  EXPECT_NEAR(p.latency_mean_us, latency * 1e6, 1e-6);
  EXPECT_NEAR(p.empty_poll_fraction, (pi0 * e0 + pi1 * e1) / (pi0 + pi1), 1e-12);
  EXPECT_NEAR(p.requests_per_event, 1 / (5 * mean_i), 1e-9);
}

TEST(model, batched_webhooks) {
  model_input in;
  in.rate = 100;
  in.subscribers = 2;
  in.rtt_s = 0.001;
  // No window: one POST per event, as plain webhooks.
  EXPECT_NEAR(model_webhook_batch(in).latency_mean_us, model_webhook(in).latency_mean_us, 1e-9);
  EXPECT_DOUBLE_EQ(model_webhook_batch(in).requests_per_event, 1.0);
  // W = 1 s at 100/s: batches of ~101 events; the mean wait tends to W/2.
  in.batch_window_s = 1;
  auto p = model_webhook_batch(in);
  EXPECT_NEAR(p.requests_per_event, 1.0 / 101, 1e-12);
  EXPECT_NEAR(p.requests_per_s, 200.0 / 101, 1e-9);
  EXPECT_NEAR(p.latency_mean_us, 1000 + 1e6 * (1 + 50.0) / 101, 1e-6);
  // A sparse stream: each batch holds its opener alone, which waits the whole window.
  in.rate = 1e-6;
  EXPECT_NEAR(model_webhook_batch(in).latency_mean_us, 1000 + 1e6, 1.0);
  // batch_max = 11 at 100/s: the batch fills after 0.1 s, before the window ends.
  in.rate = 100;
  in.batch_max = 11;
  p = model_webhook_batch(in);
  EXPECT_NEAR(p.requests_per_event, 1.0 / 11, 1e-12);
  EXPECT_NEAR(p.latency_mean_us, 1000 + 0.1e6 * (1 + 5.0) / 11, 1e-6);
}

TEST(model, a_batchs_fan_out_queues_only_for_what_its_window_does_not_cover) {
  model_input in;
  in.rate = 30;
  in.subscribers = 500;
  in.batch_window_s = 0.05;
  in.batch_max = 100;
  in.rtt_s = 0.011;            // R_post, swollen by the fan-out at N = 500
  in.delivery_cost_s = 80e-6;  // N c = 40 ms: done before the next batch can close
  const double others = 30 * 0.05;
  const double window = 0.05 * (1 + others / 2) / (1 + others);
  const double f0 = 499 * 80e-6 / 2;
  EXPECT_NEAR(model_webhook_batch(in).latency_mean_us, (0.011 + window + f0) * 1e6, 1e-6);
  // The measured trip to the first subscriber replaces R_post.
  in.wake_s = 0.0025;
  EXPECT_NEAR(model_webhook_batch(in).latency_mean_us, (0.0025 + window + f0) * 1e6, 1e-6);
  // c = 140 us: N c = 70 ms, 20 ms past the window: an M/D/1 queue at 30/s of 20 ms.
  in.delivery_cost_s = 140e-6;
  const double rho = 30 * 0.02;
  EXPECT_NEAR(model_webhook_batch(in).latency_mean_us,
              (0.0025 + window + 499 * 140e-6 / 2 + rho * 0.02 / (2 * (1 - rho))) * 1e6, 1e-6);
  // Past one excess per arrival (N c - W >= 1/lambda) the fan-outs fall behind: no bound.
  in.delivery_cost_s = 1.01 * (0.05 + 1.0 / 30) / 500;
  EXPECT_TRUE(std::isinf(model_webhook_batch(in).latency_mean_us));
}

TEST(model, webhook_fan_out_queue_and_its_saturation) {
  model_input in;
  in.rate = 10;
  in.subscribers = 100;
  in.rtt_s = 0.0002;
  in.delivery_cost_s = 0.0005;  // 100 POSTs of 0.5 ms: half a second of work per event
  const double rho = 10 * 100 * 0.0005;
  EXPECT_NEAR(model_webhook(in).latency_mean_us,
              (0.0002 + 99 * 0.0005 / 2 + rho * 100 * 0.0005 / (2 * (1 - rho))) * 1e6, 1e-6);
  in.rate = 20;  // rho = 1: the queue has no bound, and the model says so with no number
  EXPECT_FALSE(std::isfinite(model_webhook(in).latency_mean_us));
  EXPECT_TRUE(nlohmann::json(model_webhook(in)).at("latency_mean_us").is_null());
  in.subscribers = 1;  // one subscriber, no sibling ahead: the plain exchange
  in.rate = 10;
  EXPECT_NEAR(model_webhook(in).latency_mean_us,
              (0.0002 + 0.005 * 0.0005 / (2 * (1 - 0.005))) * 1e6, 1e-6);
}

TEST(model, stream_fan_out_with_the_measured_first_delivery) {
  // SSE at N = 100, 2 events/s: one io thread writes 100 messages of c = 20 us per event.
  model_input in;
  in.rate = 2;
  in.subscribers = 100;
  in.rtt_s = 80e-6;
  in.lag_s = 100e-6;
  in.delivery_cost_s = 20e-6;
  in.wake_s = 150e-6;
  // rho = 2 x 100 x 20 us = 0.004; F = 99 x 10 us + 0.004 x 100 x 20 us / (2 x 0.996).
  const double f = 990e-6 + 0.004 * 2e-3 / (2 * 0.996);
  EXPECT_NEAR(model_stream(in).latency_mean_us, (100e-6 + 150e-6 + f) * 1e6, 1e-6);
  EXPECT_NEAR(fan_out_wait_s(in, 200), f, 1e-12);
  // Without a measured D the one-way trip is the ping's half.
  in.wake_s = 0;
  EXPECT_NEAR(model_stream(in).latency_mean_us, (100e-6 + 40e-6 + f) * 1e6, 1e-6);
  // 500 deliveries per event at 10/s: rho = 10 x 500 x 200 us = 1, no bound.
  in.subscribers = 500;
  in.rate = 10;
  in.delivery_cost_s = 200e-6;
  EXPECT_FALSE(std::isfinite(model_stream(in).latency_mean_us));
}

TEST(model, long_poll_answers_its_parked_requests_as_a_fan_out) {
  model_input in;
  in.rate = 1;
  in.subscribers = 10;
  in.rtt_s = 100e-6;
  in.wait_s = 30;
  in.delivery_cost_s = 30e-6;
  in.wake_s = 200e-6;
  const double cycle = 100e-6 + std::exp(-1e-4) * -std::expm1(-30.0) / 1;
  const double d = 10 / cycle, rho = d * 30e-6;
  const double f = 9 * 30e-6 / 2 + rho * 10 * 30e-6 / (2 * (1 - rho));
  const auto p = model_long_poll(in);
  EXPECT_NEAR(p.requests_per_s, d, 1e-9);
  EXPECT_NEAR(p.latency_mean_us, (200e-6 + f + 100e-6 / cycle * 50e-6) * 1e6, 1e-6);
}

TEST(model, long_poll_takes_the_round_trip_waits_out_of_a_median_d) {
  // 10/s through a 100 ms link (the reference's rtt block): C = R + e^-1 / lambda, q = R/C =
  // 0.73 of the events land in the round trip after an answer, so the median earliest delivery
  // (82 ms measured there) lies R (q - 1/2)/q = 31.6 ms above the 50 ms trip to a parked request.
  model_input in;
  in.rate = 10;
  in.subscribers = 1;
  in.rtt_s = 0.1;
  in.wait_s = 30;
  const double cycle = 0.1 + std::exp(-1.0) * -std::expm1(-300.0) / 10;
  const double q = 0.1 / cycle;
  ASSERT_NEAR(q, 0.731, 1e-3);
  const double above = 0.1 * (q - 0.5) / q;
  in.wake_s = 0.05 + above;
  EXPECT_NEAR(model_long_poll(in).latency_mean_us, (0.05 + q * 0.05) * 1e6, 1e-6);
  // Without a measured D the parked trip is R/2: the same prediction.
  in.wake_s = 0;
  EXPECT_NEAR(model_long_poll(in).latency_mean_us, (0.05 + q * 0.05) * 1e6, 1e-6);
  // Below q = 1/2 (10/s through a 10 ms link) the median is a parked trip: D is taken as is.
  in.rtt_s = 0.01;
  in.wake_s = 0.006;
  const double c10 = 0.01 + std::exp(-0.1) * -std::expm1(-300.0) / 10;
  EXPECT_NEAR(model_long_poll(in).latency_mean_us, (0.006 + 0.01 / c10 * 0.005) * 1e6, 1e-6);
}

TEST(model, push_formulas_reduce_to_the_plain_ones_at_one_subscriber_without_measures) {
  // N = 1, no service time, no measured D: G + R_post, G + R/2, and long-poll's R/2 terms.
  model_input in;
  in.rate = 5;
  in.subscribers = 1;
  in.rtt_s = 300e-6;
  in.lag_s = 50e-6;
  EXPECT_NEAR(model_webhook(in).latency_mean_us, 350.0, 1e-9);
  EXPECT_NEAR(model_stream(in).latency_mean_us, 200.0, 1e-9);
  in.wait_s = 30;
  const double cycle = 300e-6 + std::exp(-5 * 300e-6) * -std::expm1(-150.0) / 5;
  EXPECT_NEAR(model_long_poll(in).latency_mean_us, (50e-6 + 150e-6 + 300e-6 / cycle * 150e-6) * 1e6,
              1e-9);
  // One subscriber has no sibling ahead of it: only the M/D/1 queue of single deliveries.
  in.delivery_cost_s = 100e-6;
  const double rho = 5 * 100e-6;
  EXPECT_NEAR(model_stream(in).latency_mean_us,
              (50e-6 + 150e-6 + rho * 100e-6 / (2 * (1 - rho))) * 1e6, 1e-9);
}

TEST(model, agreement_of_a_confidence_interval) {
  EXPECT_EQ(agreement(10, 9, 11), "within");
  EXPECT_EQ(agreement(10, 10, 10), "within");
  EXPECT_EQ(agreement(8, 9, 11), "above");  // measured above the model
  EXPECT_EQ(agreement(12, 9, 11), "below");
}

TEST(model, curve_is_log_spaced_and_inclusive) {
  const auto c = model_curve(model_poll, poll_input(1, 0.1), 0.1, 1000, 5);
  ASSERT_EQ(c.size(), 5u);
  const double expect[] = {0.1, 1, 10, 100, 1000};
  for (int i = 0; i < 5; ++i) {
    EXPECT_NEAR(c[i].first, expect[i], 1e-9 * expect[i]);
    EXPECT_NEAR(c[i].second.lambda_t, expect[i] * 0.1, 1e-9 * expect[i]);
  }
  EXPECT_TRUE(model_curve(model_poll, poll_input(1, 0.1), 0, 10, 5).empty());
  EXPECT_TRUE(model_curve(model_poll, poll_input(1, 0.1), 1, 10, 1).empty());
}

}  // namespace
}  // namespace hookbench
