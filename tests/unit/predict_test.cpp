// Predictions from a calibration (model/predict): the formulas' values at a made-up calibration,
// intervals that hold their value and widen with a short measurement, the costs' arithmetic,
// saturation, the hot rate's interpolation, projections outside the validated range, and a
// calibration's JSON read back as written.
#include "model/predict.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "modes/mode.hpp"

namespace hookbench {
namespace {

calibration made_up() {
  calibration c;
  c.source = "test";
  c.loopback_rtt_us = 100;
  c.rate = 20;
  c.hot_rate = 1000;
  c.hot_lag_us = 50;
  c.payload_bytes = 256;
  c.fan_out_subscribers = 32;
  mode_constants pull;
  pull.lag_us = 100;
  pull.base_mean_us = 150;
  pull.overhead_bytes = 300;
  pull.event_bytes = 300;
  pull.producer_us_per_request = 50;
  pull.producer_us_per_event = 1;
  pull.consumer_us_per_request = 60;
  pull.producer_idle_cores = 0.001;
  pull.producer_base_rss_bytes = 10e6;
  pull.memory_per_subscriber_bytes = 10e3;
  for (const char* m : {"poll", "poll-conditional", "poll-adaptive"}) c.modes[m] = pull;
  mode_constants push;
  push.lag_us = 100;
  push.base_mean_us = 400;
  push.hot_lag_us = 50;
  push.hot_base_mean_us = 100;
  push.wake_us = 300;
  push.hot_wake_us = 50;
  push.delivery_cost_us = 20;
  push.overhead_bytes = 300;
  push.event_bytes = 300;
  push.producer_us_per_request = 30;
  push.producer_us_per_event = 15;
  for (int i = 0; i <= 100; ++i) {
    push.base_quantiles_us.push_back(300 + 2 * i);
    push.hot_base_quantiles_us.push_back(80 + 0.4 * i);
  }
  for (const char* m : {"long-poll", "sse", "websocket", "webhook", "webhook-batch"}) {
    c.modes[m] = push;
  }
  return c;
}

point_input point(const char* mode, double rate, double n) {
  point_input in;
  in.mode = mode;
  in.rate = rate;
  in.subscribers = n;
  in.sim_events = 3000;
  return in;
}

void expect_holds(const estimate& e) {
  EXPECT_LE(e.lo, e.value);
  EXPECT_GE(e.hi, e.value);
}

TEST(predict, poll_mean_is_half_an_interval_and_its_intervals_hold_it) {
  point_input in = point("poll", 5, 10);
  in.interval_s = 0.4;
  const forecast f = predict(made_up(), in);
  // G + T/2 + R0/2 (+ the answer's events: 1 us each side per event, ~1 event)
  EXPECT_NEAR(f.mean_us.value, 100 + 200'000 + 50, 5);
  EXPECT_NEAR(f.p99_us.value, 0.99 * 400'000, 0.01 * 400'000);
  for (const estimate* e : {&f.mean_us, &f.p50_us, &f.p99_us}) expect_holds(*e);
  EXPECT_DOUBLE_EQ(f.requests_per_s, 10 / 0.4);
  EXPECT_EQ(f.connections, 10);
  EXPECT_NEAR(f.producer_memory_bytes, 10e6 + 9 * 10e3, 1);
  // CPU: idle + 25 polls/s x 50 us + 50 deliveries/s x 1 us
  EXPECT_NEAR(f.producer_cores, 0.001 + (25 * 50 + 50 * 1) / 1e6, 1e-9);
}

TEST(predict, a_short_measurement_widens_the_interval) {
  point_input in = point("webhook", 10, 4);
  const forecast steady = predict(made_up(), in);
  in.events = 30;
  const forecast short_run = predict(made_up(), in);
  EXPECT_LT(short_run.mean_us.lo, steady.mean_us.lo);
  EXPECT_GT(short_run.mean_us.hi, steady.mean_us.hi);
}

TEST(predict, the_rtt_adds_one_way_to_push_and_half_to_poll) {
  point_input in = point("sse", 10, 1);
  const double loopback = predict(made_up(), in).mean_us.value;
  in.rtt_s = 0.08;
  EXPECT_NEAR(predict(made_up(), in).mean_us.value - loopback, 40'000, 1'000);
}

TEST(predict, the_rtt_adds_half_to_a_poll) {
  point_input in = point("poll", 5, 4);
  in.interval_s = 0.2;
  const double loopback = predict(made_up(), in).mean_us.value;
  in.rtt_s = 0.08;
  EXPECT_NEAR(predict(made_up(), in).mean_us.value - loopback, 40'000, 1);
}

TEST(predict, every_interval_holds_its_value) {
  // Every mode over rates, N, round trips and short runs: lo <= value <= hi, whatever the
  // three simulations drew (long-poll's parked or in-flight path changes with R).
  const calibration c = made_up();
  for (const auto& [mode, k] : c.modes) {
    for (double rate : {0.5, 50.0, 3000.0}) {
      for (double n : {1.0, 40.0}) {
        for (double rtt : {0.0, 0.03, 0.2}) {
          point_input in = point(mode.c_str(), rate, n);
          in.interval_s = 0.1;
          in.rtt_s = rtt;
          in.events = rate * 5;
          in.window_s = 5;
          in.warmup_s = 1;
          in.sim_events = 800;
          const forecast f = predict(c, in);
          if (f.saturated) continue;
          SCOPED_TRACE(mode + " rate " + std::to_string(rate) + " N " + std::to_string(n) +
                       " rtt " + std::to_string(rtt));
          for (const estimate* e : {&f.mean_us, &f.p50_us, &f.p99_us}) expect_holds(*e);
        }
      }
    }
  }
}

TEST(predict, the_hot_rate_takes_the_wakeups_out) {
  const double cold = predict(made_up(), point("websocket", 20, 1)).mean_us.value;
  const double hot = predict(made_up(), point("websocket", 1000, 1)).mean_us.value;
  const double between = predict(made_up(), point("websocket", 141, 1)).mean_us.value;
  EXPECT_NEAR(cold, 401, 20);  // the cold quantiles' mean
  EXPECT_NEAR(hot, 100, 10);
  EXPECT_GT(between, hot);
  EXPECT_LT(between, cold);
}

TEST(predict, a_fan_out_past_one_thread_is_saturated_and_unbounded) {
  const forecast f = predict(made_up(), point("webhook", 100, 1000));  // 100k x 20 us = 2
  EXPECT_TRUE(f.saturated);
  EXPECT_FALSE(f.saturated_reason.empty());
  EXPECT_TRUE(std::isinf(f.p99_us.value));
  EXPECT_DOUBLE_EQ(f.requests_per_s, 100'000);
}

TEST(predict, outside_the_validated_range_is_a_projection) {
  calibration c = made_up();
  EXPECT_NE(projection_reason(c, point("sse", 10, 10)), "");  // never validated
  c.validated = {{"rate", {1, 1000}}, {"subscribers", {1, 500}}, {"rtt_s", {0, 0.1}}};
  EXPECT_EQ(projection_reason(c, point("sse", 10, 10)), "");
  EXPECT_NE(projection_reason(c, point("sse", 10, 2000)).find("N = 2000"), std::string::npos);
  // A mode's own range, and its most deliveries per second, when the validation kept them.
  c.validated["by_mode"] = {{"sse",
                             {{"rate", {1, 100}},
                              {"subscribers", {1, 50}},
                              {"rtt_s", {0, 0}},
                              {"deliveries_per_s", 400}}}};
  EXPECT_EQ(projection_reason(c, point("sse", 10, 10)), "");
  EXPECT_NE(projection_reason(c, point("sse", 10, 100)).find("N = 100"), std::string::npos);
  EXPECT_NE(projection_reason(c, point("sse", 50, 40)).find("lambda N"), std::string::npos);
  EXPECT_EQ(projection_reason(c, point("webhook", 500, 400)), "");  // the global range
  point_input wide = point("sse", 10, 10);
  wide.cores = 4;
  EXPECT_NE(projection_reason(c, wide).find("io threads"), std::string::npos);
}

TEST(predict, every_mode_names_a_simulation_of_its_kind) {
  // sim_design::poll is the field's default: a push mode that forgot to name its simulation
  // would be played as a poller.
  for (const auto& m : delivery_modes()) {
    const bool pulled =
        m.simulation == sim_design::poll || m.simulation == sim_design::poll_adaptive;
    EXPECT_EQ(pulled, m.pull) << m.name;
    if (m.receiver) {
      EXPECT_TRUE(m.simulation == sim_design::webhook || m.simulation == sim_design::webhook_batch)
          << m.name;
    }
  }
}

TEST(calibration, json_round_trip_and_bad_documents) {
  const calibration c = made_up();
  const calibration back = calibration_from_json(to_json(c), "again");
  EXPECT_EQ(back.modes.size(), c.modes.size());
  EXPECT_DOUBLE_EQ(back.of("webhook").delivery_cost_us, 20);
  EXPECT_EQ(back.of("webhook").hot_base_quantiles_us.size(), 101u);
  EXPECT_THROW(calibration_from_json(nlohmann::json::object(), "x"), std::runtime_error);
  nlohmann::json j = to_json(c);
  j["modes"]["sse"].erase("delivery_cost_us");
  EXPECT_THROW(calibration_from_json(j, "x"), std::runtime_error);
  EXPECT_THROW(back.of("no-such-mode"), std::out_of_range);
  nlohmann::json no_modes = to_json(c);
  no_modes.erase("modes");
  try {
    calibration_from_json(no_modes, "some.json");
    FAIL() << "a calibration without modes was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("some.json"), std::string::npos) << e.what();
  }
  nlohmann::json negative = to_json(c);
  negative["modes"]["sse"]["delivery_cost_us"] = -1;
  EXPECT_THROW(calibration_from_json(negative, "x"), std::runtime_error);
  nlohmann::json zero_rate = to_json(c);
  zero_rate["rate"] = 0;
  EXPECT_THROW(calibration_from_json(zero_rate, "x"), std::runtime_error);
}

}  // namespace
}  // namespace hookbench
