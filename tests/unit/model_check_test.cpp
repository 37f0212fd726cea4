// model-check (orchestrator/model_check): runs recomputed from their recorded inputs, repeats
// grouped into points by everything but the seed, each point judged on its repeats' interval or
// the tolerance, and the per-mode fractions and misses it prints, on a tiny fixture of runs.
#include "orchestrator/model_check.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

namespace hookbench {
namespace {

using json = nlohmann::json;

// A saved run with only what model-check reads.
json run(const std::string& mode, double rate, int seed, double subscribers, double mean_us,
         json model) {
  json config = {{"mode", mode}, {"rate", rate}, {"seed", seed}, {"subscribers", subscribers}};
  if (mode == "poll") config["interval_ms"] = 100.0;
  model["rate"] = rate;
  model["arrivals"] = "poisson";
  return {{"config", config},
          {"metrics",
           {{"latency_us", {{"count", 100}, {"mean", mean_us}}},
            {"model", model},
            {"cpu",
             {{"producer", {{"net_us_per_event", 100.0}}},
              {"consumer", {{"net_us_per_event", 50.0}}}}}}}};
}

const json kPollInputs = {{"rtt_us", 0.0}, {"lag_us", 0.0}, {"delivery_cost_us", 0.0}};

std::vector<json> fixture() {
  std::vector<json> runs;
  // poll r=10 T=100 ms: model T/2 = 50 ms; repeats 49 and 51 ms: inside their interval.
  runs.push_back(run("poll", 10, 1, 1, 49'000, kPollInputs));
  runs.push_back(run("poll", 10, 2, 1, 51'000, kPollInputs));
  // poll r=1: repeats 70.0 and 70.4 ms, a tight interval 40% above the model: a miss.
  runs.push_back(run("poll", 1, 1, 1, 70'000, kPollInputs));
  runs.push_back(run("poll", 1, 2, 1, 70'400, kPollInputs));
  // SSE N=4, one repeat: G 100 + D 100 + 3 x 20/2 us (+ a negligible queue) = 230 us.
  runs.push_back(run("sse", 1, 1, 4, 240,
                     {{"latency_mean_us", 250.0},
                      {"rtt_us", 80.0},
                      {"lag_us", 100.0},
                      {"delivery_cost_us", 20.0},
                      {"wake_us", 100.0}}));
  // An older webhook run (no delivery_cost_us): c = the busier side's net CPU, 100 us; D falls
  // back to R_post: 300 + 100/2 = 350 us against 1000 measured.
  runs.push_back(run("webhook", 1, 1, 2, 1000, {{"rtt_us", 300.0}, {"lag_us", 0.0}}));
  runs.back()["metrics"]["saturated"] = true;
  // Left out: a fault run and a repeat with no event.
  json faulted = run("webhook", 1, 2, 2, 5000, {{"rtt_us", 300.0}, {"lag_us", 0.0}});
  faulted["config"]["faults"] = json::array({"receiver-down"});
  runs.push_back(faulted);
  json empty = run("poll", 1, 3, 1, 0, kPollInputs);
  empty["metrics"]["latency_us"] = {{"count", 0}, {"mean", nullptr}};
  runs.push_back(empty);
  return runs;
}

TEST(model_check, groups_repeats_by_everything_but_the_seed) {
  const check_input in = group_points(fixture());
  ASSERT_EQ(in.points.size(), 4u);
  EXPECT_EQ(in.fault_runs, 1u);
  EXPECT_EQ(in.empty_runs, 1u);
  EXPECT_EQ(in.points[0].mode, "poll");
  EXPECT_EQ(in.points[0].label, "r=10 N=1 T=100ms");
  EXPECT_EQ(in.points[0].measured.size(), 2u);
  EXPECT_EQ(in.points[1].measured.size(), 2u);  // the empty third repeat is no sample
  EXPECT_EQ(in.points[3].fallback_runs, 1u);
}

TEST(model_check, recomputes_each_run_from_its_recorded_inputs) {
  const check_input in = group_points(fixture());
  EXPECT_NEAR(in.points[0].model[0], 50'000, 1e-9);
  const double rho = 1 * 4 * 20e-6;
  EXPECT_NEAR(in.points[2].model[0], 230 + rho * 4 * 20 / (2 * (1 - rho)), 1e-9);
  const double rho_w = 1 * 2 * 100e-6;
  EXPECT_NEAR(in.points[3].model[0], 350 + rho_w * 2 * 100 / (2 * (1 - rho_w)), 1e-9);
  std::string fallback;
  recorded_model_input(fixture()[5], fallback);
  EXPECT_FALSE(fallback.empty());
  recorded_model_input(fixture()[4], fallback);
  EXPECT_TRUE(fallback.empty());
  // Without the fan-out measures the SSE run falls back: c = 100 us (net CPU), D = R/2 = 40 us.
  const model_input bare = recorded_model_input(fixture()[4], fallback, true);
  EXPECT_FALSE(fallback.empty());
  EXPECT_DOUBLE_EQ(bare.delivery_cost_s, 100e-6);
  EXPECT_EQ(bare.wake_s, 0.0);
  const double rho_b = 1 * 4 * 100e-6;
  EXPECT_NEAR(group_points(fixture(), true).points[2].model[0],
              100 + 40 + 150 + rho_b * 4 * 100 / (2 * (1 - rho_b)), 1e-9);
}

TEST(model_check, judges_a_point_on_its_repeats_interval_or_the_tolerance) {
  const check_input in = group_points(fixture());
  point_verdict v = judge(in.points[0], 0.15);
  EXPECT_TRUE(v.agrees);
  ASSERT_TRUE(v.interval.has_value());
  EXPECT_DOUBLE_EQ(v.measured_mean, 50'000);
  v = judge(in.points[1], 0.15);
  EXPECT_FALSE(v.agrees);
  EXPECT_NEAR(v.ratio, 70'200.0 / 50'000, 1e-12);
  EXPECT_TRUE(judge(in.points[2], 0.15).agrees);  // one repeat: within 15%, no interval
  EXPECT_FALSE(judge(in.points[2], 0.01).agrees);
  // The model the run recorded, judged the same way: 240 against 250 us.
  EXPECT_NEAR(judge(in.points[2], 0.15, true).ratio, 0.96, 1e-12);
  EXPECT_FALSE(judge(in.points[0], 0.15, true).agrees);  // none recorded
  // A wide interval holds a model far from the mean: repeats 100 and 200 us, model 300 us.
  check_point wide{"sse", "x", {100, 200}, {300, 300}, {}, 0, 0};
  v = judge(wide, 0.15);
  EXPECT_TRUE(v.agrees);
  EXPECT_NEAR(v.ratio, 0.5, 1e-12);
  // A model with no bound agrees only where a repeat was flagged saturated.
  check_point unbounded{"sse", "x", {100}, {INFINITY}, {}, 0, 0};
  EXPECT_FALSE(judge(unbounded, 0.15).agrees);
  unbounded.saturated_runs = 1;  // the overload it claimed, measured
  EXPECT_TRUE(judge(unbounded, 0.15).agrees);
}

TEST(model_check, prints_the_fraction_per_mode_and_every_miss) {
  std::ostringstream out;
  print_model_check(out, "tiny", group_points(fixture()), 0.15);
  const std::string s = out.str();
  EXPECT_NE(s.find("tiny: 4 points; 1 fault runs left out; 1 runs with no event left out"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("  poll: 1/2 points agree (50%); as recorded 0/2\n"), std::string::npos) << s;
  EXPECT_NE(s.find("    miss r=1 N=1 T=100ms: measured 70200 us ["), std::string::npos) << s;
  EXPECT_NE(s.find("model 50000 us: measured +40% (1.40x)"), std::string::npos) << s;
  EXPECT_NE(s.find("  sse: 1/1 points agree (100%); as recorded 1/1\n"), std::string::npos) << s;
  EXPECT_NE(s.find("  webhook: 0/1 points agree (0%); as recorded 0/1; 1 runs without fan-out"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("miss r=1 N=2: measured 1000 us (one repeat), model 350 us: measured +186% "
                   "(2.86x); 1/1 repeats flagged saturated"),
            std::string::npos)
      << s;
}

}  // namespace
}  // namespace hookbench
