// The simulation (model/simulate) against the closed forms where both apply: the same mean
// for poll, a webhook fan-out with its M/D/1 queue, a batch window, long-poll and the adaptive
// poller; quantiles where they are known (a poll's uniform wait); deterministic for a seed;
// saturation past rho = 1; a webhook pool's handshakes and waits.
#include "model/simulate.hpp"

#include <gtest/gtest.h>

#include "model/model.hpp"

namespace hookbench {
namespace {

sim_input base_input(sim_design d, double rate) {
  sim_input in;
  in.design = d;
  in.rate = rate;
  in.base_s = 0.001;  // 1 ms for every delivery
  in.events = 20000;
  in.seed = 7;
  return in;
}

TEST(simulate, poll_waits_half_an_interval_and_its_quantiles_are_uniform) {
  sim_input in = base_input(sim_design::poll, 20);
  in.interval_s = 0.2;
  const sim_output out = simulate(in);
  model_input mi;
  mi.arrivals = "poisson";
  mi.rate = 20;
  mi.interval_s = 0.2;
  mi.lag_s = 0.001;  // the base stands for G here
  EXPECT_NEAR(out.mean_s, model_poll(mi).latency_mean_us / 1e6, 0.02 * 0.101);
  EXPECT_NEAR(out.quantile(0.5), 0.1 + 0.001, 0.004);
  EXPECT_NEAR(out.quantile(0.99), 0.99 * 0.2 + 0.001, 0.004);
  EXPECT_FALSE(out.saturated);
}

TEST(simulate, webhook_fan_out_matches_the_md1_model) {
  sim_input in = base_input(sim_design::webhook, 10);
  in.subscribers = 50;
  in.delivery_cost_s = 100e-6;  // rho = 10 x 50 x 100 us = 0.05
  const sim_output out = simulate(in);
  model_input mi;
  mi.rate = 10;
  mi.subscribers = 50;
  mi.delivery_cost_s = 100e-6;
  mi.wake_s = 0.001;
  const double model_s = model_webhook(mi).latency_mean_us / 1e6;  // 1 ms + 2.45 ms + the queue
  EXPECT_NEAR(out.mean_s, model_s, 0.03 * model_s);
  EXPECT_NEAR(out.utilization, 0.05, 0.005);
  // The last subscriber waits (N - 1) c behind the first.
  EXPECT_GE(out.quantile(1.0), 0.001 + 49 * 100e-6);
}

TEST(simulate, batch_window_matches_the_model) {
  sim_input in = base_input(sim_design::webhook_batch, 10);
  in.batch_window_s = 0.1;
  in.batch_max = 100;
  const sim_output out = simulate(in);
  model_input mi;
  mi.rate = 10;
  mi.batch_window_s = 0.1;
  mi.batch_max = 100;
  mi.wake_s = 0.001;
  const double model_s = model_webhook_batch(mi).latency_mean_us / 1e6;
  EXPECT_NEAR(out.mean_s, model_s, 0.03 * model_s);
  EXPECT_LE(out.quantile(1.0), 0.1 + 0.001 + 1e-9);  // never longer than the window
}

TEST(simulate, long_poll_matches_the_model) {
  sim_input in = base_input(sim_design::long_poll, 5);
  in.round_trip_s = 0.02;
  in.wait_s = 30;
  in.subscribers = 4;
  const sim_output out = simulate(in);
  model_input mi;
  mi.rate = 5;
  mi.rtt_s = 0.02;
  mi.wait_s = 30;
  mi.subscribers = 4;
  mi.wake_s = 0.001;
  mi.wake_is_median = false;
  const double model_s = model_long_poll(mi).latency_mean_us / 1e6;
  EXPECT_NEAR(out.mean_s, model_s, 0.05 * model_s);
}

TEST(simulate, adaptive_poller_matches_the_markov_chain) {
  sim_input in = base_input(sim_design::poll_adaptive, 2);
  in.interval_s = 0.1;
  in.backoff = 2;
  in.max_interval_s = 0.8;
  const sim_output out = simulate(in);
  model_input mi;
  mi.arrivals = "poisson";
  mi.rate = 2;
  mi.interval_s = 0.1;
  mi.backoff = 2;
  mi.max_interval_s = 0.8;
  mi.lag_s = 0.001;
  const double model_s = model_poll_adaptive(mi).latency_mean_us / 1e6;
  EXPECT_NEAR(out.mean_s, model_s, 0.05 * model_s);
}

TEST(simulate, the_same_seed_gives_the_same_samples_and_another_does_not) {
  sim_input in = base_input(sim_design::webhook, 50);
  in.subscribers = 8;
  in.delivery_cost_s = 200e-6;
  in.base_quantiles_s.resize(101);
  for (int i = 0; i <= 100; ++i) in.base_quantiles_s[i] = 0.0005 + i * 1e-5;
  in.events = 2000;
  const sim_output a = simulate(in), b = simulate(in);
  EXPECT_EQ(a.samples_s, b.samples_s);
  in.seed = 8;
  EXPECT_NE(simulate(in).samples_s, a.samples_s);
}

TEST(simulate, a_fan_out_past_one_io_thread_is_saturated) {
  sim_input in = base_input(sim_design::stream, 100);
  in.subscribers = 200;
  in.delivery_cost_s = 60e-6;  // 100 x 200 x 60 us = 1.2 of the thread
  in.events = 2000;
  const sim_output out = simulate(in);
  EXPECT_TRUE(out.saturated);
  EXPECT_NEAR(out.utilization, 1.2, 0.1);
}

TEST(simulate, a_webhook_pool_pays_a_handshake_per_connection_it_opens) {
  // One subscriber, one connection at most, a POST holding it 50 ms, a handshake of 50 ms: at
  // 1 event per second the first POST pays the handshake and no other waits.
  sim_input in = base_input(sim_design::webhook, 1);
  in.constant_arrivals = true;
  in.concurrency = 1;
  in.handshake_s = 0.05;
  in.post_round_trip_s = 0.05;
  in.events = 9;
  in.warmup_events = 1;
  in.base_s = 0;
  in.replications = 1;
  in.max_work = 1000;
  const sim_output out = simulate(in);
  ASSERT_EQ(out.samples_s.size(), 9u);
  // Constant arrivals 1 s apart: the warm-up's event paid the handshake, the rest none.
  EXPECT_NEAR(out.quantile(1.0), 0, 1e-12);
  // 40 POSTs per second to a connection that carries 20 (one per 50 ms) queue without bound.
  in.rate = 40;
  in.events = 400;
  in.max_work = 4'000'000;
  EXPECT_GT(simulate(in).quantile(1.0), 1.0);
}

TEST(simulate, low_rates_and_huge_fan_outs_stay_bounded_in_work) {
  // One event an hour polled every millisecond: the empty polls are jumped, not walked.
  sim_input in = base_input(sim_design::poll_adaptive, 1.0 / 3600);
  in.interval_s = 0.001;
  in.max_interval_s = 0.008;
  in.events = 300;
  const sim_output slow = simulate(in);
  EXPECT_NEAR(slow.mean_s, 0.004 + 0.001, 0.001);  // half the cap, plus the base
  in.design = sim_design::poll;
  EXPECT_NEAR(simulate(in).mean_s, 0.0005 + 0.001, 0.0002);
  in.interval_s = 0;  // nonsense: no samples, no loop
  EXPECT_TRUE(simulate(in).samples_s.empty());
  // A million subscribers: 2000 followed, each standing for 500; the fan-out still takes N c.
  sim_input wide = base_input(sim_design::stream, 0.1);
  wide.subscribers = 1e6;
  wide.delivery_cost_s = 1e-7;  // 0.1 s per fan-out, rho = 0.01
  wide.events = 300;
  const sim_output out = simulate(wide);
  EXPECT_NEAR(out.mean_s, 0.001 + 0.05, 0.003);         // (N - 1) c / 2 on average
  EXPECT_NEAR(out.quantile(0.9), 0.001 + 0.09, 0.004);  // the place in it is uniform
}

}  // namespace
}  // namespace hookbench
