// The run result (orchestrator/result): build_result turns both sides' reports into the metrics
// contract with the right counts and ratios, and validate_result rejects any result whose
// required fields are missing or mistyped. The report shapes are taken from the real
// producer::report() and consumer::report(), so a change on either side that breaks the contract
// fails here.
#include "orchestrator/result.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "consumer/consumer.hpp"
#include "measure/environment.hpp"
#include "measure/latency.hpp"
#include "orchestrator/runner.hpp"
#include "producer/producer.hpp"

namespace hookbench {
namespace {

using json = nlohmann::json;

json real_producer_report() {
  boost::asio::io_context ioc;
  producer_config cfg;
  cfg.listen = {"127.0.0.1", 0};
  producer p(ioc, cfg);
  return p.report();
}

json real_consumer_report(const std::string& mode) {
  boost::asio::io_context ioc;
  consumer_config cfg;
  cfg.producer = parse_http_url("http://127.0.0.1:1");
  cfg.mode = mode;
  consumer c(ioc, cfg);
  return c.report();
}

json environment() {
  return {{"git_revision", "abc"},
          {"compiler", "g++"},
          {"cpu_model", "cpu"},
          {"kernel", "Linux"},
          {"cores", 2}};
}

json latency_of(std::size_t n) {
  std::vector<nanos> v;
  for (std::size_t i = 1; i <= n; ++i) v.push_back(static_cast<nanos>(i) * kNanosPerMilli);
  return summarize_latency(v);
}

// Poll, lambda = 50/s, T = 100 ms, N = 2: 100 events produced, 190 of 200 pairs delivered.
json poll_result() {
  run_config cfg;
  cfg.mode = "poll";
  cfg.generation.rate = 50;
  cfg.subscribers = 2;
  cfg.interval = 100 * kNanosPerMilli;
  cfg.generation.duration = 2 * kNanosPerSecond;  // 100 events in 2 s: realised 50/s as configured
  json producer = real_producer_report();
  producer["produced"] = 100;
  producer["bytes"] = {{"sent", 10'000}, {"received", 4'000}};
  producer["cpu_s"] = 0.019;
  json consumer = real_consumer_report("poll");
  consumer["delivered"] = 190;
  consumer["duplicates"] = 1;
  consumer["reordered"] = 2;
  consumer["latency_us"] = latency_of(190);
  consumer["traffic"]["polls"] = 50;
  consumer["traffic"]["empty_polls"] = 20;
  consumer["traffic"]["late_polls"] = 3;
  consumer["traffic"]["failed"] = 1;
  consumer["requests"] = {
      {"poll", {{"count", 50}, {"bytes_sent", 4'000}, {"bytes_received", 10'000}}}};
  consumer["bytes"] = {{"sent", 4'000}, {"received", 10'000}};
  consumer["cpu_s"] = 0.038;
  consumer["rtt_us"]["p50"] = 200.0;
  consumer["drained"] = false;
  return build_result(cfg.to_json(true), environment(), producer, consumer);
}

// Webhook, lambda = 100/s, N = 3: 300 events, 900 POSTs of which 2 failed.
json webhook_result() {
  run_config cfg;
  cfg.mode = "webhook";
  cfg.generation.rate = 100;
  cfg.subscribers = 3;
  cfg.generation.duration = 3 * kNanosPerSecond;
  json producer = real_producer_report();
  producer["produced"] = 300;
  producer["webhooks"]["posts"] = 900;
  producer["webhooks"]["failed"] = 2;
  producer["requests"] = {
      {"webhook_post", {{"count", 900}, {"bytes_sent", 900 * 400}, {"bytes_received", 900 * 100}}}};
  producer["bytes"] = {{"sent", 900 * 400}, {"received", 900 * 100}};
  producer["cpu_s"] = 0.0898;
  producer["cpu_idle_cores"] = 0.01;
  json consumer = real_consumer_report("webhook");
  consumer["delivered"] = 898;
  consumer["latency_us"] = latency_of(898);
  consumer["bytes"] = {{"sent", 898 * 100}, {"received", 898 * 400}};
  consumer["cpu_s"] = 0.0449;
  consumer["cpu_idle_cores"] = 0.005;
  consumer["rtt_us"]["p50"] = 100.0;
  consumer["drained"] = false;
  return build_result(cfg.to_json(false), environment(), producer, consumer);
}

TEST(build_result, real_report_shapes_make_a_valid_result) {
  for (const char* mode : {"poll", "webhook"}) {
    run_config cfg;
    cfg.mode = mode;
    const bool pull = cfg.mode == "poll";
    json r;
    ASSERT_NO_THROW(r = build_result(cfg.to_json(pull), describe_environment(),
                                     real_producer_report(), real_consumer_report(mode)))
        << mode;
    EXPECT_NO_THROW(validate_result(r)) << mode;
    EXPECT_EQ(r.at("schema_version"), kSchemaVersion);
    // Nothing delivered: per-event ratios are null, not a division by zero.
    EXPECT_TRUE(r["metrics"]["requests_per_event"].is_null());
    EXPECT_TRUE(r["metrics"]["cpu_us_per_event"]["producer"].is_null());
  }
}

TEST(build_result, poll_counts_and_ratios) {
  const json r = poll_result();
  ASSERT_NO_THROW(validate_result(r));
  const json& m = r.at("metrics");
  EXPECT_EQ(m["produced"], 100);
  EXPECT_EQ(m["expected"], 200);  // produced x subscribers
  EXPECT_EQ(m["delivered"], 190);
  EXPECT_EQ(m["lost"], 10);  // expected - delivered
  EXPECT_EQ(m["duplicates"], 1);
  EXPECT_EQ(m["reordered"], 2);
  EXPECT_EQ(m["requests"]["total"], 50);
  EXPECT_EQ(m["requests"]["polls"], 50);
  EXPECT_EQ(m["requests"]["empty_polls"], 20);
  EXPECT_EQ(m["requests"]["late_polls"], 3);
  EXPECT_EQ(m["requests"]["webhook_posts"], 0);
  EXPECT_EQ(m["requests"]["failed"], 1);
  EXPECT_DOUBLE_EQ(m["requests_per_event"].get<double>(), 50.0 / 190);
  EXPECT_DOUBLE_EQ(m["empty_poll_fraction"].get<double>(), 0.4);
  // Every byte is sent by one side: poll responses (producer) + poll requests (consumer).
  EXPECT_EQ(m["bytes"]["sent"], 14'000);
  EXPECT_EQ(m["bytes"]["received"], 14'000);
  EXPECT_DOUBLE_EQ(m["bytes_per_event"].get<double>(), 14'000.0 / 190);
  EXPECT_NEAR(m["cpu_us_per_event"]["producer"].get<double>(), 100.0, 1e-9);
  EXPECT_NEAR(m["cpu_us_per_event"]["consumer"].get<double>(), 200.0, 1e-9);
  EXPECT_DOUBLE_EQ(m["cpu_s"]["producer"].get<double>(), 0.019);
  EXPECT_EQ(m["latency_us"]["count"], 190);
  // The model beside it: lambda T = 5, 1/(lambda T) requests per event, T/2 + R/2.
  EXPECT_DOUBLE_EQ(m["model"]["lambda_t"].get<double>(), 5.0);
  EXPECT_NEAR(m["model"]["requests_per_event"].get<double>(), 0.2, 1e-12);
  EXPECT_NEAR(m["model"]["latency_mean_us"].get<double>(), 50'000 + 100, 1e-6);
  EXPECT_DOUBLE_EQ(m["model"]["rtt_us"].get<double>(), 200.0);
  EXPECT_EQ(r["config"]["interval_ms"], 100.0);
  EXPECT_EQ(r["config"]["subscribers"], 2);
  // Schema 2: realised rate, cores over the window, Wilson interval of 20 empty of 50 polls.
  EXPECT_DOUBLE_EQ(m["realised_rate"].get<double>(), 50.0);
  EXPECT_NEAR(m["cpu"]["producer"]["cores"].get<double>(), 0.019 / 2, 1e-12);
  EXPECT_NEAR(m["empty_poll_fraction_ci95"][0].get<double>(), 0.2760, 5e-4);
  EXPECT_NEAR(m["empty_poll_fraction_ci95"][1].get<double>(), 0.5382, 5e-4);
  // e^-5 = 0.0067 lies below the measured interval: the measurement is above the model.
  EXPECT_EQ(m["model"]["empty_agreement"], "above");
  // 10 deliveries missing after the drain and 3 late polls of 50: saturated, with both reasons.
  EXPECT_TRUE(m["saturated"].get<bool>());
  EXPECT_NE(m["saturated_reason"].get<std::string>().find("10 of 200 deliveries"),
            std::string::npos);
  EXPECT_NE(m["saturated_reason"].get<std::string>().find("3 late"), std::string::npos);
}

TEST(build_result, one_late_poll_is_a_hiccup_not_saturation) {
  run_config cfg;
  cfg.mode = "poll";
  cfg.generation.duration = 10 * kNanosPerSecond;
  json producer = real_producer_report();
  producer["cpu_s"] = 0.5;  // 0.05 cores
  json consumer = real_consumer_report("poll");
  consumer["cpu_s"] = 6.0;  // 0.6 cores: a busy consumer
  const auto saturated = [&] {
    return build_result(cfg.to_json(true), environment(), producer,
                        consumer)["metrics"]["saturated"]
        .get<bool>();
  };
  consumer["traffic"]["polls"] = 80;
  consumer["traffic"]["late_polls"] = 1;  // 1.25%, but one
  EXPECT_FALSE(saturated());
  consumer["traffic"]["late_polls"] = 3;  // 3.75% and more than two: the schedule slipped
  EXPECT_TRUE(saturated());
  consumer["traffic"]["late_polls"] = 0;
  consumer["traffic"]["missed_polls"] = 1;  // one skipped interval: a stall
  EXPECT_FALSE(saturated());
  consumer["traffic"]["late_polls"] = 1;
  consumer["traffic"]["missed_polls"] = 2;  // late and missed together: 3 of 80
  EXPECT_TRUE(saturated());
}

TEST(build_result, stalls_of_idle_sides_are_a_warning_not_saturation) {
  // T = 3 ms, N = 4 for 1 s on an idle VM: 6 late and 8 missed of 1 329 polls (1.05%).
  run_config cfg;
  cfg.mode = "poll";
  cfg.interval = 3 * kNanosPerMilli;
  cfg.generation.duration = kNanosPerSecond;
  json producer = real_producer_report();
  producer["cpu_s"] = 0.08;
  json consumer = real_consumer_report("poll");
  consumer["cpu_s"] = 0.12;
  consumer["traffic"]["polls"] = 1329;
  consumer["traffic"]["late_polls"] = 6;
  consumer["traffic"]["missed_polls"] = 8;
  json r = build_result(cfg.to_json(true), environment(), producer, consumer);
  EXPECT_FALSE(r["metrics"]["saturated"].get<bool>());
  EXPECT_EQ(r["metrics"]["schedule_stalls"]["late_or_missed"], 14);
  EXPECT_NEAR(r["metrics"]["schedule_stalls"]["busiest_side_cores"].get<double>(), 0.12, 1e-9);
  bool warned = false;
  for (const auto& w : result_warnings(r)) {
    warned = warned || w.find("14 of 1329 polls late or missed") != std::string::npos;
  }
  EXPECT_TRUE(warned);
  // The same stalls with the consumer busy are saturation.
  consumer["cpu_s"] = 0.6;
  EXPECT_TRUE(
      build_result(cfg.to_json(true), environment(), producer, consumer)["metrics"]["saturated"]
          .get<bool>());
  // More than 5% is saturation even on idle sides.
  consumer["cpu_s"] = 0.12;
  consumer["traffic"]["missed_polls"] = 61;  // 67 of 1329: 5.04%
  EXPECT_TRUE(
      build_result(cfg.to_json(true), environment(), producer, consumer)["metrics"]["saturated"]
          .get<bool>());
  // An unmeasured CPU is taken as busy: no stall is excused without the figure.
  consumer["traffic"]["missed_polls"] = 8;
  consumer["cpu_s"] = nullptr;
  EXPECT_TRUE(
      build_result(cfg.to_json(true), environment(), producer, consumer)["metrics"]["saturated"]
          .get<bool>());
}

TEST(build_result, the_model_uses_the_realised_rate) {
  run_config cfg;
  cfg.mode = "poll";
  cfg.generation.rate = 50;  // asked for 50/s, but the schedule gave 30 events in 1 s
  cfg.generation.duration = kNanosPerSecond;
  cfg.interval = 100 * kNanosPerMilli;
  json producer = real_producer_report();
  producer["produced"] = 30;
  json consumer = real_consumer_report("poll");
  const json m = build_result(cfg.to_json(true), environment(), producer, consumer)["metrics"];
  EXPECT_DOUBLE_EQ(m["realised_rate"].get<double>(), 30.0);
  EXPECT_NEAR(m["model"]["lambda_t"].get<double>(), 3.0, 1e-12);
}

TEST(build_result, unmeasured_cpu_is_null_and_named_never_zero) {
  run_config cfg;
  cfg.mode = "poll";
  json producer = real_producer_report();
  producer["cpu_s"] = nullptr;
  producer["cpu_idle_cores"] = nullptr;
  json consumer = real_consumer_report("poll");
  consumer["cpu_s"] = 0.5;
  consumer["cpu_idle_cores"] = 0.01;
  const json r = build_result(cfg.to_json(true), environment(), producer, consumer);
  ASSERT_NO_THROW(validate_result(r));
  const json& m = r["metrics"];
  EXPECT_TRUE(m["cpu_s"]["producer"].is_null());
  EXPECT_TRUE(m["cpu"]["producer"]["cores"].is_null());
  EXPECT_NEAR(m["cpu"]["consumer"]["cores"].get<double>(), 0.05, 1e-12);  // 0.5 s over 10 s
  EXPECT_NEAR(m["cpu"]["consumer"]["net_cores"].get<double>(), 0.04, 1e-12);
  ASSERT_EQ(m["unmeasured"].size(), 2u);
  bool warned = false;
  for (const auto& w : result_warnings(r)) warned = warned || w.find("not measured") == 0;
  EXPECT_TRUE(warned);
}

TEST(build_result, a_restarted_producer_s_cpu_is_a_rate_over_its_part_and_is_flagged) {
  run_config cfg;
  cfg.mode = "poll";
  cfg.generation.duration = 3 * kNanosPerSecond;
  cfg.faults.push_back(parse_fault("producer-restart:1s:1s"));
  json producer = real_producer_report();
  producer["produced"] = 300;
  producer["cpu_s"] = 0.1;  // over the second process's 1 s of the window
  producer["restarts"] = 1;
  producer["cpu_covers"] = "from the restart to the window end";
  producer["cpu_window_s"] = 1.0;
  producer["caught_up_events"] = 100;
  json consumer = real_consumer_report("poll");
  consumer["delivered"] = 300;
  consumer["latency_us"] = latency_of(300);
  consumer["cpu_s"] = 0.3;
  const json r = build_result(cfg.to_json(true), environment(), producer, consumer);
  ASSERT_NO_THROW(validate_result(r));
  EXPECT_EQ(r["config"]["event_log_file"]["fsync"], "interval");
  const json& m = r["metrics"];
  // A rate over the part it covers, not 0.1 s spread over the whole 3 s window...
  EXPECT_NEAR(m["cpu"]["producer"]["cores"].get<double>(), 0.1, 1e-12);
  // ...and no per-event figure: the events were not all its own.
  EXPECT_TRUE(m["cpu_us_per_event"]["producer"].is_null());
  EXPECT_NEAR(m["cpu_us_per_event"]["consumer"].get<double>(), 1000.0, 1e-9);
  EXPECT_EQ(m["producer_restart"]["restarts"], 1);
  EXPECT_EQ(m["producer_restart"]["cpu_window_s"], 1.0);
  bool warned = false;
  for (const auto& w : result_warnings(r)) {
    warned = warned || w.find("the producer restarted 1 time(s)") == 0;
  }
  EXPECT_TRUE(warned);
}

// The saturation rules allow for what a design holds on purpose (result.hpp). Each case below
// was flagged by the rule before it did.
json saturation_case(run_config& cfg, json producer, json consumer) {
  const json r = build_result(cfg.to_json(cfg.mode == "poll"), environment(), producer, consumer);
  return r.at("metrics");
}

TEST(build_result, webhooks_through_a_link_hold_a_round_trip_on_every_connection) {
  // The network sweep's point: 10/s, N = 4, 4 connections each, a 100 ms link round trip.
  run_config cfg;
  cfg.mode = "webhook";
  cfg.generation.rate = 10;
  cfg.subscribers = 4;
  cfg.webhooks.concurrency = 4;
  cfg.rtt = 100 * kNanosPerMilli;
  cfg.generation.duration = 2 * kNanosPerSecond;
  json producer = real_producer_report();
  producer["produced"] = 20;
  producer["queue_depth_end"] = 12;  // in flight on the link, not a backlog (old rule: > 10)
  json consumer = real_consumer_report("webhook");
  consumer["delivered"] = 80;
  consumer["drain_time_s"] = 0.15;
  json m = saturation_case(cfg, producer, consumer);
  EXPECT_FALSE(m["saturated"].get<bool>()) << m["saturated_reason"];
  EXPECT_EQ(m["saturation"]["held_on_purpose"]["deliveries"], 16.0);  // N x connections
  producer["queue_depth_end"] = 27;  // past 10 + 16: a real backlog
  m = saturation_case(cfg, producer, consumer);
  EXPECT_TRUE(m["saturated"].get<bool>());
  // On loopback the same 12 are a backlog.
  cfg.rtt = 0;
  producer["queue_depth_end"] = 12;
  m = saturation_case(cfg, producer, consumer);
  EXPECT_TRUE(m["saturated"].get<bool>());
}

TEST(build_result, a_push_event_may_wait_behind_one_fan_out_not_more) {
  // SSE to N = 10 000 at 1/s: one fan-out takes 90 ms (9 us apart), and a tenth of the events
  // arrive while the previous one's is still going out: lag p90 85 ms.
  run_config cfg;
  cfg.mode = "sse";
  cfg.generation.rate = 1;
  cfg.subscribers = 10'000;
  cfg.generation.duration = 10 * kNanosPerSecond;
  json producer = real_producer_report();
  producer["produced"] = 10;
  producer["generator_lag_us"]["count"] = 10;
  producer["generator_lag_us"]["p90"] = 85'000.0;
  json consumer = real_consumer_report("sse");
  consumer["delivered"] = 100'000;
  consumer["fan_out"]["spacing_us"] = 9.0;
  consumer["fan_out"]["spread_events"] = 10;
  json m = saturation_case(cfg, producer, consumer);
  EXPECT_FALSE(m["saturated"].get<bool>()) << m["saturated_reason"];
  EXPECT_NEAR(m["saturation"]["held_on_purpose"]["fan_out_s"].get<double>(), 0.089991, 1e-9);
  // The fan-out going out as the window ends: its 10 000 deliveries queued, a drain that long.
  EXPECT_DOUBLE_EQ(m["saturation"]["held_on_purpose"]["deliveries"].get<double>(), 10'000.0);
  // Waiting behind more than one fan-out (and 5 ms) is a producer that cannot keep up.
  producer["generator_lag_us"]["p90"] = 96'000.0;
  m = saturation_case(cfg, producer, consumer);
  EXPECT_TRUE(m["saturated"].get<bool>());
  EXPECT_NE(m["saturated_reason"].get<std::string>().find("5 ms + one fan-out"), std::string::npos);
  // Without a measured spread (one subscriber) the bound is 5 ms, as before.
  consumer["fan_out"]["spacing_us"] = nullptr;
  producer["generator_lag_us"]["p90"] = 6'000.0;
  m = saturation_case(cfg, producer, consumer);
  EXPECT_TRUE(m["saturated"].get<bool>());
}

TEST(build_result, a_batch_window_holds_its_events_on_purpose) {
  // The ecommerce point: 1/s, N = 20, 1 s batch windows: 40 deliveries sit in open batches.
  run_config cfg;
  cfg.mode = "webhook-batch";
  cfg.generation.rate = 1;
  cfg.subscribers = 20;
  cfg.tuning.batch_window = kNanosPerSecond;
  cfg.generation.duration = 10 * kNanosPerSecond;
  json producer = real_producer_report();
  producer["produced"] = 10;
  producer["queue_depth_end"] = 40;  // old rule: > max(10, 0.1 s x 20/s)
  json consumer = real_consumer_report("webhook-batch");
  consumer["delivered"] = 200;
  consumer["drain_time_s"] = 0.9;
  json m = saturation_case(cfg, producer, consumer);
  EXPECT_FALSE(m["saturated"].get<bool>()) << m["saturated_reason"];
  // Per subscriber lambda W + 3 sqrt(lambda W) + 1 = 5 events: 100 held, plus the 10 allowed.
  EXPECT_DOUBLE_EQ(m["saturation"]["held_on_purpose"]["deliveries"].get<double>(), 100.0);
  producer["queue_depth_end"] = 111;
  m = saturation_case(cfg, producer, consumer);
  EXPECT_TRUE(m["saturated"].get<bool>());
  // A 50 ms window holds 20 x (0.05 + 3 sqrt(0.05) + 1) = 34.4: 60 are a backlog.
  cfg.tuning.batch_window = 50 * kNanosPerMilli;
  producer["queue_depth_end"] = 60;
  consumer["drain_time_s"] = 0.05;
  m = saturation_case(cfg, producer, consumer);
  EXPECT_TRUE(m["saturated"].get<bool>());
}

TEST(build_result, polls_paced_by_a_link_round_trip_of_t_are_not_saturation) {
  // The network point: T = 100 ms through a 100 ms link: every poll waits for the last answer.
  run_config cfg;
  cfg.mode = "poll";
  cfg.generation.rate = 10;
  cfg.subscribers = 4;
  cfg.interval = 100 * kNanosPerMilli;
  cfg.rtt = 100 * kNanosPerMilli;
  cfg.generation.duration = 2 * kNanosPerSecond;
  json producer = real_producer_report();
  producer["produced"] = 20;
  json consumer = real_consumer_report("poll");
  consumer["delivered"] = 80;
  consumer["traffic"]["polls"] = 99;
  consumer["traffic"]["late_polls"] = 99;
  consumer["drain_time_s"] = 0.3;  // within 1.5 T + 0.1 s + the link's round trip
  json m = saturation_case(cfg, producer, consumer);
  EXPECT_FALSE(m["saturated"].get<bool>()) << m["saturated_reason"];
  EXPECT_TRUE(m["saturation"]["held_on_purpose"]["polls_paced_by_link"].get<bool>());
  // At T = 1 s the link leaves the schedule its slack: late polls are the consumer's.
  cfg.interval = kNanosPerSecond;
  m = saturation_case(cfg, producer, consumer);
  EXPECT_TRUE(m["saturated"].get<bool>());
  // On loopback, too.
  cfg.interval = 100 * kNanosPerMilli;
  cfg.rtt = 0;
  consumer["drain_time_s"] = 0.2;
  m = saturation_case(cfg, producer, consumer);
  EXPECT_TRUE(m["saturated"].get<bool>());
}

TEST(build_result, a_backlog_at_the_window_end_is_saturation) {
  run_config cfg;
  cfg.mode = "webhook";
  cfg.generation.rate = 1000;
  cfg.generation.duration = kNanosPerSecond;
  json producer = real_producer_report();
  producer["produced"] = 1000;
  producer["queue_depth_end"] = 400;  // 0.4 s of load left behind
  json consumer = real_consumer_report("webhook");
  consumer["delivered"] = 1000;
  consumer["drain_time_s"] = 0.3;
  json r = build_result(cfg.to_json(false), environment(), producer, consumer);
  EXPECT_TRUE(r["metrics"]["saturated"].get<bool>());
  EXPECT_NE(r["metrics"]["saturated_reason"].get<std::string>().find("400 deliveries queued"),
            std::string::npos);
  producer["queue_depth_end"] = 50;  // under 0.1 s of load: kept up
  consumer["drain_time_s"] = 0.01;
  r = build_result(cfg.to_json(false), environment(), producer, consumer);
  EXPECT_FALSE(r["metrics"]["saturated"].get<bool>()) << r["metrics"]["saturated_reason"];
}

TEST(build_result, webhook_counts_and_ratios) {
  const json r = webhook_result();
  ASSERT_NO_THROW(validate_result(r));
  const json& m = r.at("metrics");
  EXPECT_EQ(m["expected"], 900);
  EXPECT_EQ(m["delivered"], 898);
  EXPECT_EQ(m["lost"], 2);
  EXPECT_EQ(m["requests"]["total"], 900);
  EXPECT_EQ(m["requests"]["webhook_posts"], 900);
  EXPECT_EQ(m["requests"]["polls"], 0);
  EXPECT_EQ(m["requests"]["failed"], 2);
  EXPECT_TRUE(m["empty_poll_fraction"].is_null());
  EXPECT_DOUBLE_EQ(m["requests_per_event"].get<double>(), 900.0 / 898);
  // POST requests (producer) + 2xx answers (consumer's receiver).
  EXPECT_EQ(m["bytes"]["sent"], 900 * 400 + 898 * 100);
  EXPECT_EQ(m["bytes"]["received"], 900 * 100 + 898 * 400);
  EXPECT_DOUBLE_EQ(m["bytes_per_event"].get<double>(), (900.0 * 400 + 898 * 100) / 898);
  EXPECT_NEAR(m["cpu_us_per_event"]["producer"].get<double>(), 100.0, 1e-9);
  EXPECT_NEAR(m["cpu_us_per_event"]["consumer"].get<double>(), 50.0, 1e-9);
  EXPECT_DOUBLE_EQ(m["model"]["requests_per_event"].get<double>(), 1.0);
  // No POST round trip recorded in this report: the model falls back to the ping's p50, and
  // adds the fan-out. No spacing measured: c = the busier side's net CPU per delivery, idle
  // upkeep removed ((0.0898 s - 0.01 cores x 3 s) / 898), not the gross 0.0898 s / 900; the 2nd
  // and 3rd of an event's POSTs wait c and 2c, on average c; rho = 100/s x 3 x c; M/D/1 wait
  // rho 3c/(2(1-rho)).
  const double c = (0.0898 - 0.01 * 3) / 898, rho = 100 * 3 * c;
  EXPECT_NEAR(m["model"]["delivery_cost_us"].get<double>(), c * 1e6, 1e-6);
  EXPECT_EQ(m["model"]["delivery_cost_source"], "the producer's net CPU per delivery");
  EXPECT_TRUE(m["model"]["wake_us"].is_null());
  EXPECT_NEAR(m["model"]["latency_mean_us"].get<double>(),
              100.0 + (c + rho * 3 * c / (2 * (1 - rho))) * 1e6, 1e-6);
  EXPECT_EQ(m["model"]["rtt_source"], "back-to-back ping before the run (p50)");
}

TEST(build_result, webhook_model_uses_the_in_run_post_round_trip) {
  run_config cfg;
  cfg.mode = "webhook";
  cfg.generation.duration = kNanosPerSecond;
  json producer = real_producer_report();
  producer["produced"] = 100;
  producer["webhooks"]["round_trip_us"] = {{"count", 100}, {"p50", 180.0}, {"mean", 500.0}};
  producer["generator_lag_us"] = {{"count", 100}, {"mean", 40.0}, {"p90", 60.0}, {"p99", 90.0}};
  json consumer = real_consumer_report("webhook");
  consumer["delivered"] = 100;
  consumer["latency_us"] = latency_of(100);  // 1..100 ms: mean 50.5 ms, far above 180 us
  const json m = build_result(cfg.to_json(false), environment(), producer, consumer)["metrics"];
  // G + R_post: the mean generator lag plus the median POST round trip (not its mean, 500).
  EXPECT_DOUBLE_EQ(m["model"]["latency_mean_us"].get<double>(), 40.0 + 180.0);
  EXPECT_EQ(m["model"]["latency_agreement"], "above");
  EXPECT_NEAR(m["model"]["latency_ratio"].get<double>(), 50'500.0 / 220, 1e-6);
}

TEST(build_result, webhook_fan_out_takes_the_first_subscribers_round_trip_and_queues_the_rest) {
  // The social scenario's shape: 500 subscribers, 1 event/s, 20 us of producer CPU per POST.
  run_config cfg;
  cfg.mode = "webhook";
  cfg.generation.rate = 1;
  cfg.subscribers = 500;
  cfg.generation.duration = 10 * kNanosPerSecond;
  json producer = real_producer_report();
  producer["produced"] = 10;
  producer["cpu_s"] = 5000 * 20e-6;
  producer["requests"] = {
      {"webhook_post", {{"count", 5000}, {"bytes_sent", 0}, {"bytes_received", 0}}}};
  producer["webhooks"]["round_trip_us"] = {{"count", 5000}, {"p50", 5000.0}};
  producer["webhooks"]["first_round_trip_us"] = {{"count", 10}, {"p50", 150.0}};
  json consumer = real_consumer_report("webhook");
  consumer["delivered"] = 5000;
  consumer["cpu_s"] = 5000 * 10e-6;
  json m = build_result(cfg.to_json(false), environment(), producer, consumer)["metrics"];
  EXPECT_EQ(m["model"]["rtt_source"], "first subscriber's POST round trip in the run (p50)");
  // No idle baseline, no spacing: no service time to feed the fan-out (never the gross CPU).
  EXPECT_EQ(m["model"]["delivery_cost_us"].get<double>(), 0.0);
  EXPECT_NEAR(m["model"]["latency_mean_us"].get<double>(), 150, 1e-9);
  // The consumer measured the fan-out: events' deliveries 20 us apart, the first 190 us after
  // creation (p50), the generator lag's p50 40 us: D = 150 us, c = 20 us.
  consumer["fan_out"] = {{"events", 10},
                         {"first_latency_us", {{"count", 10}, {"p50", 190.0}, {"mean", 200.0}}},
                         {"spread_events", 10},
                         {"spacing_us", 20.0}};
  producer["generator_lag_us"] = {{"count", 10}, {"mean", 45.0}, {"p50", 40.0}, {"p90", 60.0}};
  m = build_result(cfg.to_json(false), environment(), producer, consumer)["metrics"];
  EXPECT_EQ(m["model"]["delivery_cost_source"],
            "spacing of an event's deliveries at the consumer (mean)");
  EXPECT_NEAR(m["model"]["wake_us"].get<double>(), 150.0, 1e-9);
  const double c = 20e-6, rho = 1 * 500 * c;
  EXPECT_NEAR(m["model"]["latency_mean_us"].get<double>(),
              45 + 150 + (499 * c / 2 + rho * 500 * c / (2 * (1 - rho))) * 1e6, 1e-6);
  EXPECT_EQ(m["fan_out"]["spacing_us"], 20.0);
  // A batch's first delivery waits for its window on purpose: no D from it, R_post stays.
  cfg.mode = "webhook-batch";
  m = build_result(cfg.to_json(false), environment(), producer, consumer)["metrics"];
  EXPECT_TRUE(m["model"]["wake_us"].is_null());
  EXPECT_NEAR(m["model"]["delivery_cost_us"].get<double>(), 20.0, 1e-9);
  // The receiver's batch trips (window taken off): D = 130 - 40 = 90 us, not R_post's 150.
  consumer["fan_out"]["batch_trip_us"] = {{"count", 10}, {"p50", 130.0}, {"mean", 140.0}};
  m = build_result(cfg.to_json(false), environment(), producer, consumer)["metrics"];
  EXPECT_NEAR(m["model"]["wake_us"].get<double>(), 90.0, 1e-9);
  EXPECT_NE(m["model"]["wake_source"].get<std::string>().find("each batch's"), std::string::npos);
  // Unbatched webhooks never read the batch trips: D from the earliest deliveries again.
  cfg.mode = "webhook";
  m = build_result(cfg.to_json(false), environment(), producer, consumer)["metrics"];
  EXPECT_NEAR(m["model"]["wake_us"].get<double>(), 150.0, 1e-9);
  EXPECT_NE(m["model"]["wake_source"].get<std::string>().find("each event's"), std::string::npos);
  // A trip at or below the generator lag's median is no measure: R_post, and the source says so.
  cfg.mode = "webhook-batch";
  consumer["fan_out"]["batch_trip_us"]["p50"] = 30.0;
  m = build_result(cfg.to_json(false), environment(), producer, consumer)["metrics"];
  EXPECT_TRUE(m["model"]["wake_us"].is_null());
  EXPECT_EQ(m["model"]["wake_source"], "not measured");
}

TEST(build_result, lost_never_wraps_below_zero) {
  run_config cfg;
  json producer = real_producer_report();
  producer["produced"] = 5;
  json consumer = real_consumer_report("poll");
  consumer["delivered"] = 7;  // cannot happen, but must not underflow to 2^64 - 2
  const json r = build_result(cfg.to_json(true), environment(), producer, consumer);
  EXPECT_EQ(r["metrics"]["lost"], 0);
}

TEST(result_warnings, loss_is_never_silent) {
  const auto w = result_warnings(poll_result());
  bool loud = false;
  for (const auto& line : w) loud = loud || line.find("LOST 10 of 200") != std::string::npos;
  EXPECT_TRUE(loud) << "no LOST warning among " << w.size() << " warnings";
}

TEST(result_warnings, refusals_at_the_producer_caps_are_said) {
  json r = poll_result();
  r["sides"]["producer"]["refusals"] = {{"long-polls-per-token", 0}, {"streams-per-token", 3}};
  const auto w = result_warnings(r);
  EXPECT_NE(std::find(w.begin(), w.end(),
                      "the producer refused requests at its caps: streams-per-token 3"),
            w.end());
}

TEST(print_table, one_column_per_result) {
  std::ostringstream out;
  print_table(out, {poll_result(), webhook_result()});
  const std::string text = out.str();
  EXPECT_NE(text.find("poll 50/s T=100ms N=2"), std::string::npos) << text;
  EXPECT_NE(text.find("webhook 100/s N=3"), std::string::npos) << text;
  EXPECT_NE(text.find("10/1/2"), std::string::npos) << text;  // lost / dup / reordered
}

// --- validate_result: the schema contract ---------------------------------------------------

// "/metrics/latency_us/p50" -> "metrics.latency_us.p50", as validate_result names fields.
std::string dotted(const std::string& pointer) {
  std::string out = pointer.substr(1);
  for (auto& c : out) c = c == '/' ? '.' : c;
  return out;
}

std::string validation_error(const json& r) {
  try {
    validate_result(r);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "<valid>";
}

const char* const kRequired[] = {
    "/schema_version",
    "/config",
    "/environment",
    "/metrics",
    "/metrics/produced",
    "/metrics/expected",
    "/metrics/delivered",
    "/metrics/lost",
    "/metrics/duplicates",
    "/metrics/reordered",
    "/metrics/latency_us",
    "/metrics/latency_us/p50",
    "/metrics/latency_us/p90",
    "/metrics/latency_us/p99",
    "/metrics/latency_us/p999",
    "/metrics/latency_us/max",
    "/metrics/latency_us/mean",
    "/metrics/latency_us/count",
    "/metrics/requests",
    "/metrics/requests/total",
    "/metrics/requests/polls",
    "/metrics/requests/empty_polls",
    "/metrics/requests/webhook_posts",
    "/metrics/requests/failed",
    "/metrics/requests_per_event",
    "/metrics/bytes",
    "/metrics/bytes/sent",
    "/metrics/bytes/received",
    "/metrics/bytes_per_event",
    "/metrics/cpu_s",
    "/metrics/cpu_s/producer",
    "/metrics/cpu_s/consumer",
    "/metrics/cpu_us_per_event",
    "/metrics/model",
    "/environment/git_revision",
    "/environment/compiler",
    "/environment/cpu_model",
    "/environment/kernel",
    "/environment/cores",
};

TEST(validate_result, every_required_field_missing_is_named) {
  const json good = poll_result();
  for (const char* path : kRequired) {
    json r = good;
    const json::json_pointer ptr(path);
    r[ptr.parent_pointer()].erase(ptr.back());
    const std::string msg = validation_error(r);
    EXPECT_NE(msg.find("missing " + dotted(path)), std::string::npos)
        << "removing " << path << " gave: " << msg;
  }
}

TEST(validate_result, mistyped_fields_are_rejected) {
  const json good = poll_result();
  const std::pair<const char*, json> cases[] = {
      {"/metrics/lost", "0"},       // string for a count
      {"/metrics/produced", -1},    // negative count
      {"/metrics/delivered", 1.5},  // fractional count
      {"/metrics/duplicates", nullptr},
      {"/metrics/latency_us/p50", "fast"},
      {"/metrics/latency_us/count", 2.5},
      {"/metrics/latency_us", json::array()},
      {"/metrics/requests", 5},
      {"/metrics/requests/total", true},
      {"/metrics/bytes/sent", "1kB"},
      {"/metrics/cpu_s/producer", "0.1"},
      {"/metrics/model", json::array()},
      {"/config", "poll"},
      {"/environment", json::array()},
      {"/metrics", nullptr},
  };
  for (const auto& [path, value] : cases) {
    json r = good;
    r[json::json_pointer(path)] = value;
    const std::string msg = validation_error(r);
    EXPECT_NE(msg.find(dotted(path)), std::string::npos)
        << "setting " << path << " to " << value.dump() << " gave: " << msg;
  }
}

TEST(validate_result, schema_version_must_match) {
  json r = poll_result();
  r["schema_version"] = kSchemaVersion + 1;
  EXPECT_NE(validation_error(r).find("schema_version"), std::string::npos);
  r["schema_version"] = std::to_string(kSchemaVersion);
  EXPECT_NE(validation_error(r).find("schema_version"), std::string::npos);
  EXPECT_EQ(validation_error(json::array()), "result: missing schema_version");
}

TEST(validate_result, integers_are_accepted_where_numbers_are_expected) {
  json r = poll_result();
  r["metrics"]["cpu_s"]["producer"] = 0;  // an integral CPU time is still a number
  r["metrics"]["latency_us"]["p50"] = 12;
  EXPECT_EQ(validation_error(r), "<valid>");
}

TEST(describe_environment, has_the_fields_results_require) {
  const json env = describe_environment();
  for (const char* key : {"git_revision", "compiler", "cpu_model", "kernel", "cores"}) {
    EXPECT_TRUE(env.contains(key)) << key;
  }
  EXPECT_GE(env.at("cores").get<long>(), 1);
}

}  // namespace
}  // namespace hookbench
