// Sweep scenarios (orchestrator/scenario) and runs.csv (orchestrator/runs_csv): strict parsing
// with errors that name the field, the cross product and its run_ids, the window each point gets,
// and the CSV contract scripts/plot.py and scripts/report.py read. The shipped scenarios parse.
#include "orchestrator/scenario.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/parse.hpp"
#include "orchestrator/runs_csv.hpp"

namespace hookbench {
namespace {

using json = nlohmann::json;

json minimal() {
  return json::parse(R"({"name":"t","modes":["poll","webhook"],"rates":[1,10],
                         "intervals_ms":[100,1000]})");
}

// The usage_error text of parsing `j`, or "" when it parses.
std::string error_of(const json& j) {
  try {
    parse_scenario(j);
  } catch (const usage_error& e) {
    return e.what();
  }
  return "";
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\n') {
      out.back() += c;
    }
  }
  return out;
}

TEST(parse_scenario, minimal_scenario_gets_the_documented_defaults) {
  const auto s = parse_scenario(minimal());
  EXPECT_EQ(s.name, "t");
  EXPECT_EQ(s.modes, (std::vector<std::string>{"poll", "webhook"}));
  EXPECT_EQ(s.rates, (std::vector<double>{1, 10}));
  EXPECT_EQ(s.intervals_ms, (std::vector<double>{100, 1000}));
  EXPECT_EQ(s.subscribers, (std::vector<std::size_t>{1}));
  EXPECT_EQ(s.payload_bytes, (std::vector<std::size_t>{256}));
  EXPECT_EQ(s.repeats, 3) << "a point's interval needs repeats";
  EXPECT_EQ(s.min_events, 30u);
  EXPECT_EQ(s.min_delivered, 200u);
  EXPECT_EQ(s.arrivals, arrival_kind::poisson);
  EXPECT_EQ(s.seed, 1u);
  EXPECT_TRUE(s.pin.empty());
  EXPECT_FALSE(s.trace.has_value());
}

TEST(parse_scenario, reads_every_field) {
  const auto s = parse_scenario(json::parse(R"({
    "name":"full","description":"d","modes":["poll"],"rates":[0.5],"intervals_ms":[250],
    "subscribers":[1,8],"payload_bytes":[0,4096],"repeats":3,"arrivals":"constant","seed":7,
    "warmup_s":0.25,"drain_s":3,"min_delivered":10,"min_polls":20,"min_duration_s":0.5,
    "max_point_s":4,"pin":[0,1],"trace":{"rate":5,"interval_ms":200,"duration_s":3,"subscribers":2}})"));
  EXPECT_EQ(s.description, "d");
  EXPECT_EQ(s.subscribers, (std::vector<std::size_t>{1, 8}));
  EXPECT_EQ(s.payload_bytes, (std::vector<std::size_t>{0, 4096}));
  EXPECT_EQ(s.repeats, 3);
  EXPECT_EQ(s.arrivals, arrival_kind::constant);
  EXPECT_EQ(s.seed, 7u);
  EXPECT_DOUBLE_EQ(s.warmup_s, 0.25);
  EXPECT_DOUBLE_EQ(s.drain_s, 3);
  EXPECT_EQ(s.min_delivered, 10u);
  EXPECT_EQ(s.min_polls, 20u);
  EXPECT_DOUBLE_EQ(s.min_duration_s, 0.5);
  EXPECT_DOUBLE_EQ(s.max_point_s, 4);
  EXPECT_EQ(s.pin, (std::vector<int>{0, 1}));
  ASSERT_TRUE(s.trace.has_value());
  EXPECT_DOUBLE_EQ(s.trace->rate, 5);
  EXPECT_DOUBLE_EQ(s.trace->interval_ms, 200);
  EXPECT_DOUBLE_EQ(s.trace->duration_s, 3);
  EXPECT_EQ(s.trace->subscribers, 2u);
}

TEST(parse_scenario, each_error_names_its_field) {
  struct bad_case {
    const char* key;  // a JSON pointer into minimal(); "" = replace nothing
    json value;
    std::string expected_prefix;
  };
  const std::vector<bad_case> cases = {
      {"/name", 3, "name:"},
      {"/name", "a/b", "name:"},
      {"/name", "", "name:"},
      {"/modes", json::array(), "modes:"},
      {"/modes", {"poll", "carrier-pigeon"}, "modes[1]:"},
      {"/modes", {"poll", "poll"}, "modes[1]:"},
      {"/rates", {1, -2}, "rates[1]:"},
      {"/rates", {1, 0}, "rates[1]:"},
      {"/rates", {"10"}, "rates[0]:"},
      {"/rates", 10, "rates:"},
      {"/intervals_ms", {0.5}, "intervals_ms[0]:"},
      {"/subscribers", {0}, "subscribers[0]:"},
      {"/subscribers", {1.5}, "subscribers[0]:"},
      {"/payload_bytes", {-1}, "payload_bytes[0]:"},
      {"/repeats", 0, "repeats:"},
      {"/arrivals", "bursty", "arrivals:"},
      {"/seed", -1, "seed:"},
      {"/warmup_s", -0.1, "warmup_s:"},
      {"/drain_s", "5s", "drain_s:"},
      {"/min_delivered", 1.5, "min_delivered:"},
      {"/min_polls", -3, "min_polls:"},
      {"/min_duration_s", 0.01, "min_duration_s:"},
      {"/max_point_s", true, "max_point_s:"},
      {"/pin", {0}, "pin:"},
      {"/pin", {0, -1}, "pin[1]:"},
      {"/trace", 5, "trace:"},
      {"/trace", {{"rate", 5}, {"duration_s", 3}}, "trace.interval_ms:"},
      {"/trace", {{"rate", 5}, {"interval_ms", 200}}, "trace.duration_s:"},
      {"/trace", {{"rate", 0}, {"interval_ms", 200}, {"duration_s", 3}}, "trace.rate:"},
      {"/trace", {{"rate", 5}, {"interval_ms", 200}, {"duration_s", 3}, {"rat", 1}}, "trace.rat:"},
      {"/ratez", {1}, "ratez:"},
  };
  for (const auto& c : cases) {
    json j = minimal();
    j[json::json_pointer(c.key)] = c.value;
    const std::string e = error_of(j);
    EXPECT_EQ(e.rfind(c.expected_prefix, 0), 0u)
        << c.key << " = " << c.value.dump() << " gave \"" << e << "\"";
    EXPECT_EQ(e.find('\n'), std::string::npos) << "one line: " << e;
  }
}

TEST(parse_scenario, required_fields_and_cross_field_rules) {
  for (const char* key : {"name", "modes", "rates"}) {
    json j = minimal();
    j.erase(key);
    EXPECT_EQ(error_of(j), std::string(key) + ": required");
  }
  json j = minimal();
  j.erase("intervals_ms");
  EXPECT_EQ(error_of(j).rfind("intervals_ms: required", 0), 0u);
  j["modes"] = {"webhook"};  // push only: no interval needed
  EXPECT_EQ(error_of(j), "");
  j = minimal();
  j["min_duration_s"] = 5;
  j["max_point_s"] = 2;
  EXPECT_EQ(error_of(j).rfind("max_point_s:", 0), 0u);
  EXPECT_EQ(error_of(json::array()).rfind("scenario:", 0), 0u);
}

TEST(expand_points, cross_product_without_intervals_for_push_modes) {
  json j = minimal();
  j["subscribers"] = {1, 4};
  j["repeats"] = 2;
  j["seed"] = 10;
  const auto s = parse_scenario(j);
  const auto points = expand_points(s);
  // poll: 2 rates x 2 intervals x 2 N; webhook: 2 rates x 2 N; times 2 repeats.
  ASSERT_EQ(points.size(), (8u + 4u) * 2u);
  std::set<std::string> ids;
  for (const auto& p : points) {
    EXPECT_TRUE(ids.insert(p.run_id()).second) << "duplicate run_id " << p.run_id();
    const std::uint64_t rate_index = p.rate == s.rates[0] ? 0 : 1;
    EXPECT_EQ(p.seed, 10u + static_cast<std::uint64_t>(p.repeat) + 1009u * rate_index);
    if (p.mode == "webhook") {
      EXPECT_FALSE(p.pull);
      EXPECT_EQ(p.interval_ms, 0);
      EXPECT_EQ(p.lambda_t(), 0);
    } else {
      EXPECT_TRUE(p.pull);
      EXPECT_DOUBLE_EQ(p.lambda_t(), p.rate * p.interval_ms / 1000);
    }
  }
  // Every repeat-0 point before any repeat-1 point; rate is the innermost axis.
  EXPECT_EQ(points[0].run_id(), "poll-r1-T100-N1-p256-k0");
  EXPECT_EQ(points[1].run_id(), "poll-r10-T100-N1-p256-k0");
  EXPECT_EQ(points[2].run_id(), "poll-r1-T1000-N1-p256-k0");
  EXPECT_EQ(points[11].run_id(), "webhook-r10-N4-p256-k0");
  EXPECT_EQ(points[12].run_id(), "poll-r1-T100-N1-p256-k1");
}

TEST(sweep_point, run_id_is_deterministic_and_compact) {
  sweep_point p;
  p.mode = "poll";
  p.rate = 10;
  p.interval_ms = 100;
  EXPECT_EQ(p.run_id(), "poll-r10-T100-N1-p256-k0");
  p.rate = 0.5;
  p.interval_ms = 12.5;
  p.subscribers = 500;
  p.payload_bytes = 0;
  p.repeat = 3;
  EXPECT_EQ(p.run_id(), "poll-r0.5-T12.5-N500-p0-k3");
  p.mode = "webhook";
  p.pull = false;
  p.interval_ms = 0;
  EXPECT_EQ(p.run_id(), "webhook-r0.5-N500-p0-k3");
  EXPECT_EQ(compact_number(1e-5), "1e-05");
  EXPECT_EQ(compact_number(1000000), "1000000");
}

TEST(plan_point, window_reaches_both_minimums_within_the_bounds) {
  auto s = parse_scenario(minimal());
  s.min_delivered = 100;
  s.min_polls = 50;
  s.min_duration_s = 1;
  s.max_point_s = 30;
  sweep_point p;
  p.mode = "poll";
  p.interval_ms = 100;

  p.rate = 10;  // deliveries need 10 s, polls 5 s
  auto plan = plan_point(s, p);
  EXPECT_DOUBLE_EQ(plan.duration_s, 10);
  EXPECT_TRUE(plan.min_reached);
  EXPECT_TRUE(plan.note.empty());
  EXPECT_NEAR(plan.expected_deliveries, 100, 1e-9);
  EXPECT_NEAR(plan.expected_polls, 100, 1e-9);

  p.rate = 1000;  // deliveries need 0.1 s, polls 5 s
  EXPECT_DOUBLE_EQ(plan_point(s, p).duration_s, 5);

  p.subscribers = 10;  // polls N d / T: 0.5 s; deliveries 0.01 s; clamped up to 1 s
  EXPECT_DOUBLE_EQ(plan_point(s, p).duration_s, 1);

  p.subscribers = 1;
  p.rate = 0.1;  // deliveries need 1000 s: capped, and the row must say so
  plan = plan_point(s, p);
  EXPECT_DOUBLE_EQ(plan.duration_s, 30);
  EXPECT_FALSE(plan.min_reached);
  EXPECT_NE(plan.note.find("3 latency samples (min 100)"), std::string::npos) << plan.note;
  EXPECT_NE(plan.note.find("3 events (min 30)"), std::string::npos) << plan.note;
  EXPECT_EQ(plan.note.find("polls"), std::string::npos) << plan.note;
  EXPECT_NEAR(plan.expected_deliveries, 3, 1e-9);

  p.interval_ms = 1000;  // now polls need 50 s too
  plan = plan_point(s, p);
  EXPECT_FALSE(plan.min_reached);
  EXPECT_NE(plan.note.find("polls"), std::string::npos) << plan.note;
  // A pull point drains at least 2T + 0.5 s, so the window's last events are not called lost.
  EXPECT_DOUBLE_EQ(plan.drain_s, std::max(s.drain_s, 2.5));

  sweep_point w;
  w.mode = "webhook";
  w.pull = false;
  w.rate = 50;  // push: only deliveries count
  plan = plan_point(s, w);
  EXPECT_DOUBLE_EQ(plan.duration_s, 2);
  EXPECT_EQ(plan.expected_polls, 0);
  EXPECT_DOUBLE_EQ(plan.drain_s, s.drain_s);
}

TEST(plan_point, window_is_whole_milliseconds_and_run_config_follows_the_point) {
  auto s = parse_scenario(minimal());
  s.min_delivered = 100;
  s.min_polls = 0;
  s.min_duration_s = 0.1;
  s.warmup_s = 0.25;
  s.pin = {0, 1};
  sweep_point p;
  p.mode = "poll";
  p.rate = 30;  // 3.333... s
  p.interval_ms = 100;
  p.subscribers = 2;
  p.payload_bytes = 64;
  p.seed = 9;
  const auto plan = plan_point(s, p);
  EXPECT_DOUBLE_EQ(plan.duration_s, 1.667);  // 100 / 60 rounded up to the millisecond
  const auto cfg = make_run_config(s, p, plan);
  EXPECT_EQ(cfg.mode, "poll");
  EXPECT_EQ(cfg.generation.rate, 30);
  EXPECT_EQ(cfg.interval, 100 * kNanosPerMilli);
  EXPECT_EQ(cfg.subscribers, 2u);
  EXPECT_EQ(cfg.generation.duration, 1667 * kNanosPerMilli);
  EXPECT_EQ(cfg.generation.warmup, 250 * kNanosPerMilli);
  EXPECT_EQ(cfg.generation.payload_bytes, 64u);
  EXPECT_EQ(cfg.generation.seed, 9u);
  EXPECT_EQ(cfg.pin, (std::vector<int>{0, 1}));
  EXPECT_TRUE(cfg.quiet);
  EXPECT_TRUE(cfg.trace.empty());
}

TEST(runs_csv, header_is_the_documented_contract) {
  const std::vector<std::string> expected = {"run_id",
                                             "scenario",
                                             "mode",
                                             "rate",
                                             "interval_ms",
                                             "subscribers",
                                             "payload_bytes",
                                             "arrivals",
                                             "repeat",
                                             "seed",
                                             "duration_s",
                                             "lambda_t",
                                             "produced",
                                             "expected",
                                             "delivered",
                                             "lost",
                                             "duplicates",
                                             "reordered",
                                             "latency_count",
                                             "latency_p50_us",
                                             "latency_p90_us",
                                             "latency_p99_us",
                                             "latency_p999_us",
                                             "latency_max_us",
                                             "latency_mean_us",
                                             "latency_low_sample",
                                             "requests_total",
                                             "polls",
                                             "empty_polls",
                                             "late_polls",
                                             "webhook_posts",
                                             "failed",
                                             "requests_per_event",
                                             "empty_poll_fraction",
                                             "bytes_sent",
                                             "bytes_received",
                                             "bytes_per_event",
                                             "cpu_s_producer",
                                             "cpu_s_consumer",
                                             "cpu_us_per_event_producer",
                                             "cpu_us_per_event_consumer",
                                             "rtt_us",
                                             "model_latency_mean_us",
                                             "model_requests_per_event",
                                             "model_empty_poll_fraction",
                                             "min_reached",
                                             "note",
                                             "result_file"};
  // Columns may be added after these, never renamed or reordered.
  const auto& cols = runs_csv_columns();
  ASSERT_GE(cols.size(), expected.size());
  EXPECT_EQ(
      std::vector<std::string>(cols.begin(), cols.begin() + static_cast<long>(expected.size())),
      expected);
  EXPECT_EQ(split_csv_line(runs_csv_header()), cols);
  EXPECT_EQ(runs_csv_header().back(), '\n');
}

json fake_result() {
  return json::parse(R"({"config":{"arrivals":"poisson","consumer_stack":"httplib",
              "tuning":{"max_interval_ms":800,"backoff":1.5}},"metrics":{
    "produced":50,"expected":100,"delivered":99,"lost":1,"duplicates":0,"reordered":2,
    "latency_us":{"count":99,"p50":50000.5,"p90":90000,"p99":99000,"p999":99500,"max":99900,
                  "mean":49000.25,"low_sample":["p99","p999"]},
    "requests":{"total":200,"polls":200,"empty_polls":150,"late_polls":3,"webhook_posts":0,
                "failed":0,"by_kind":{"poll":198,"long_poll":2}},
    "requests_per_event":2.0202,"empty_poll_fraction":0.75,
    "bytes":{"sent":1000,"received":2000},"bytes_per_event":10.1,
    "cpu_s":{"producer":0.5,"consumer":0.25},
    "cpu_us_per_event":{"producer":5050.5,"consumer":2525.25},
    "rtt_us":{"p50":40.5},
    "model":{"latency_mean_us":50020,"requests_per_event":2,"empty_poll_fraction":0.7788,
             "lambda_t":0.245,"rtt_us":120.5,"requests_per_s":20,"bytes_per_event":null,
             "latency_agreement":"within","latency_ratio":0.98,"empty_agreement":"above"},
    "realised_rate":2.45,"empty_poll_fraction_ci95":[0.69,0.8],
    "cpu":{"producer":{"cores":0.025,"idle_cores":0.001,"net_us_per_event":4848},
           "consumer":{"cores":null,"idle_cores":null,"net_us_per_event":null}},
    "saturation":{"generator_lag_p99_us":80,"queue_depth_end":0,"drain_time_s":0.05},
    "saturated":true,"saturated_reason":"the drain took 9 s, far too long"}})");
}

TEST(runs_csv, row_flattens_the_result_with_one_cell_per_column) {
  sweep_point p;
  p.mode = "poll";
  p.rate = 2.5;
  p.interval_ms = 100;
  p.subscribers = 2;
  p.repeat = 1;
  p.seed = 2;
  point_plan plan;
  plan.duration_s = 20;
  plan.min_reached = false;
  const json r = fake_result();
  const std::string line =
      runs_csv_row("demo", p, plan, &r, "minimum not reached, \"capped\"", "runs/x.json");
  ASSERT_EQ(line.back(), '\n');
  ASSERT_EQ(line.find('\n'), line.size() - 1);
  const auto cells = split_csv_line(line);
  const auto& cols = runs_csv_columns();
  ASSERT_EQ(cells.size(), cols.size());
  auto at = [&](const std::string& name) {
    return cells[static_cast<std::size_t>(std::find(cols.begin(), cols.end(), name) -
                                          cols.begin())];
  };
  EXPECT_EQ(at("run_id"), "poll-r2.5-T100-N2-p256-k1");
  EXPECT_EQ(at("scenario"), "demo");
  EXPECT_EQ(std::stod(at("rate")), 2.5);
  EXPECT_EQ(std::stod(at("lambda_t")), 0.25);
  EXPECT_EQ(at("arrivals"), "poisson");
  EXPECT_EQ(at("repeat"), "1");
  EXPECT_EQ(std::stod(at("duration_s")), 20);
  EXPECT_EQ(at("lost"), "1");
  EXPECT_EQ(at("reordered"), "2");
  EXPECT_EQ(std::stod(at("latency_p50_us")), 50000.5);
  EXPECT_EQ(std::stod(at("latency_mean_us")), 49000.25);
  EXPECT_EQ(at("latency_low_sample"), "p99;p999");
  EXPECT_EQ(at("late_polls"), "3");
  EXPECT_EQ(std::stod(at("requests_per_event")), 2.0202);
  EXPECT_EQ(std::stod(at("cpu_us_per_event_consumer")), 2525.25);
  EXPECT_EQ(std::stod(at("rtt_us")), 40.5);
  EXPECT_EQ(std::stod(at("model_empty_poll_fraction")), 0.7788);
  EXPECT_EQ(at("min_reached"), "false");
  EXPECT_EQ(at("note"), "minimum not reached, \"capped\"");  // quoted and read back intact
  EXPECT_EQ(at("result_file"), "runs/x.json");
  // schema 2 columns, appended
  EXPECT_EQ(std::stod(at("realised_rate")), 2.45);
  EXPECT_EQ(at("latency_mean_ci95_lo_us"), "");  // no CI in this result: empty, not 0
  EXPECT_EQ(std::stod(at("empty_poll_fraction_ci95_lo")), 0.69);
  EXPECT_EQ(std::stod(at("empty_poll_fraction_ci95_hi")), 0.8);
  EXPECT_EQ(std::stod(at("cpu_cores_producer")), 0.025);
  EXPECT_EQ(at("cpu_cores_consumer"), "");  // unmeasured stays empty
  EXPECT_EQ(std::stod(at("cpu_us_per_event_net_producer")), 4848);
  EXPECT_EQ(std::stod(at("drain_time_s")), 0.05);
  EXPECT_EQ(at("saturated"), "true");
  EXPECT_EQ(at("saturated_reason"), "the drain took 9 s, far too long");  // comma quoted
  EXPECT_EQ(std::stod(at("model_lambda_t")), 0.245);
  EXPECT_EQ(std::stod(at("model_rtt_us")), 120.5);
  EXPECT_EQ(at("model_bytes_per_event"), "");
  EXPECT_EQ(at("model_latency_agreement"), "within");
  EXPECT_EQ(at("model_empty_agreement"), "above");
  // appended after clock_error_bound_us: keys sorted, one cell each
  EXPECT_EQ(at("consumer_stack"), "httplib");
  EXPECT_EQ(at("tuning"), "backoff=1.5;max_interval_ms=800");
  EXPECT_EQ(at("requests_by_kind"), "long_poll=2;poll=198");
}

TEST(runs_csv, new_columns_come_last_and_default_when_the_result_lacks_them) {
  const auto& cols = runs_csv_columns();
  const std::vector<std::string> added{"consumer_stack",
                                       "tuning",
                                       "requests_by_kind",
                                       "fault",
                                       "fault_lost",
                                       "fault_duplicates",
                                       "fault_delay_p99_us",
                                       "fault_delay_max_us",
                                       "fault_catch_up_s",
                                       "retry_policy",
                                       "retry_requests",
                                       "dead_letters",
                                       "rtt_ms",
                                       "link_rtt_measured_us",
                                       "producer_rss_bytes",
                                       "producer_bytes_per_subscriber",
                                       "setup_s",
                                       "hosts"};
  ASSERT_GE(cols.size(), added.size());
  EXPECT_EQ(
      std::vector<std::string>(cols.end() - static_cast<std::ptrdiff_t>(added.size()), cols.end()),
      added);
  sweep_point p;
  p.mode = "webhook";
  p.pull = false;
  p.rate = 10;
  const point_plan plan;
  json r = fake_result();
  r["config"].erase("consumer_stack");
  r["config"].erase("tuning");
  r["metrics"]["requests"].erase("by_kind");
  const auto cells = split_csv_line(runs_csv_row("demo", p, plan, &r, "", "runs/x.json"));
  ASSERT_EQ(cells.size(), cols.size());
  auto at = [&](const std::string& name) {
    return cells[static_cast<std::size_t>(std::find(cols.begin(), cols.end(), name) -
                                          cols.begin())];
  };
  EXPECT_EQ(at("consumer_stack"), "beast");  // recorded before the stack was: the default
  EXPECT_EQ(at("tuning"), "");               // a mode without knobs
  EXPECT_EQ(at("requests_by_kind"), "");
  for (const char* c :
       {"fault", "fault_lost", "fault_catch_up_s", "retry_policy", "dead_letters"}) {
    EXPECT_EQ(at(c), "") << c;  // no fault, no retry block: empty, never invented
  }
  EXPECT_EQ(at("rtt_ms"), "0.0");             // loopback
  EXPECT_EQ(at("link_rtt_measured_us"), "");  // no link, nothing measured through one
}

TEST(runs_csv, a_point_through_a_link_records_its_rtt_and_the_measured_one) {
  sweep_point p;
  p.mode = "webhook";
  p.pull = false;
  p.rate = 10;
  p.rtt_ms = 10;
  json r = fake_result();
  r["link"] = {{"round_trip_us", {{"through_link", {{"p50", 10123.5}}}}}};
  r["metrics"]["producer_memory"] = {{"window_start_rss_bytes", 2.5e7},
                                     {"per_subscriber_bytes", 7400.5}};
  r["metrics"]["setup_s"] = 0.25;
  const auto cells = split_csv_line(runs_csv_row("demo", p, point_plan{}, &r, "", "runs/x.json"));
  const auto& cols = runs_csv_columns();
  ASSERT_EQ(cells.size(), cols.size());
  const auto at = [&](const std::string& name) {
    return cells[static_cast<std::size_t>(std::find(cols.begin(), cols.end(), name) -
                                          cols.begin())];
  };
  EXPECT_EQ(at("rtt_ms"), "10.0");
  EXPECT_EQ(at("link_rtt_measured_us"), "10123.5");
  EXPECT_EQ(at("producer_rss_bytes"), "25000000.0");
  EXPECT_EQ(at("producer_bytes_per_subscriber"), "7400.5");
  EXPECT_EQ(at("setup_s"), "0.25");
  EXPECT_EQ(at("hosts"), "");  // one host
  r["config"]["hosts"] = 3;
  const auto across = split_csv_line(runs_csv_row("demo", p, point_plan{}, &r, "", "runs/x.json"));
  EXPECT_EQ(across.back(), "3");
  EXPECT_EQ(cells[0], "webhook-r10-N1-p256-R10-k0");
}

TEST(expand_points, rtt_axis_and_rtt_block_share_seeds_and_skip_duplicates) {
  json j = minimal();
  j["repeats"] = 1;
  j["rtt"] = json::parse(R"({"rtt_ms":[0,10,100],"modes":["poll","webhook"],"rates":[10],
                             "intervals_ms":[1000]})");
  const scenario s = parse_scenario(j);
  const auto points = expand_points(s);
  // 2 rates x (poll: 2 intervals + webhook) = 6 loopback points, then the block's 2 modes x
  // 2 RTTs (its loopback points are already there).
  ASSERT_EQ(points.size(), 10u);
  std::set<std::string> ids;
  for (const auto& p : points) ids.insert(p.run_id());
  EXPECT_EQ(ids.size(), points.size());
  EXPECT_TRUE(ids.contains("poll-r10-T1000-N1-p256-R100-k0"));
  EXPECT_TRUE(ids.contains("webhook-r10-N1-p256-R10-k0"));
  const auto find = [&](const std::string& id) {
    return *std::find_if(points.begin(), points.end(),
                         [&](const sweep_point& p) { return p.run_id() == id; });
  };
  // The same arrivals at one rate, whatever the RTT: the comparison is of the network only.
  EXPECT_EQ(find("webhook-r10-N1-p256-R10-k0").seed, find("webhook-r10-N1-p256-k0").seed);
  EXPECT_EQ(find("poll-r10-T1000-N1-p256-R100-k0").rtt_ms, 100);
  const auto cfg = make_run_config(s, find("poll-r10-T1000-N1-p256-R100-k0"), point_plan{});
  EXPECT_EQ(cfg.rtt, 100 * kNanosPerMilli);
  EXPECT_TRUE(cfg.uses_link());
  EXPECT_FALSE(make_run_config(s, find("poll-r10-T1000-N1-p256-k0"), point_plan{}).uses_link());

  // The axis form: every point at every RTT.
  json a = minimal();
  a["repeats"] = 1;
  a["rtt_ms"] = {0, 50};
  EXPECT_EQ(expand_points(parse_scenario(a)).size(), 12u);
  a["rtt_ms"] = {-1};
  EXPECT_NE(error_of(a).find("rtt_ms[0]"), std::string::npos) << error_of(a);
  json b = minimal();
  b["rtt"] = {{"rtt_ms", {10}}, {"modes", {"poll"}}, {"rates", {1}}, {"bogus", 1}};
  EXPECT_NE(error_of(b).find("rtt.bogus: unknown field"), std::string::npos) << error_of(b);
}

TEST(runs_csv, failed_run_keeps_the_point_and_leaves_measurements_empty) {
  sweep_point p;
  p.mode = "webhook";
  p.pull = false;
  p.rate = 100;
  point_plan plan;
  plan.duration_s = 2;
  const auto cells = split_csv_line(
      runs_csv_row("demo", p, plan, nullptr, "failed: the consumer died\nbadly", ""));
  const auto& cols = runs_csv_columns();
  ASSERT_EQ(cells.size(), cols.size());
  for (std::size_t i = 0; i < cols.size(); ++i) {
    const auto& c = cols[i];
    if (c == "run_id") {
      EXPECT_EQ(cells[i], "webhook-r100-N1-p256-k0");
    } else if (c == "interval_ms" || c == "lambda_t" || c == "produced" || c == "latency_p50_us" ||
               c == "requests_total" || c == "result_file" || c == "consumer_stack" ||
               c == "tuning" || c == "requests_by_kind") {
      EXPECT_EQ(cells[i], "") << c;
    } else if (c == "note") {
      EXPECT_EQ(cells[i], "failed: the consumer died badly");  // one line per row
    } else if (c == "min_reached") {
      EXPECT_EQ(cells[i], "true");
    }
  }
}

TEST(runs_csv, csv_field_quotes_only_when_needed) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field(""), "");
}

TEST(runs_csv, completed_run_ids_skips_a_torn_last_line_and_rejects_foreign_files) {
  sweep_point a, b;
  a.mode = b.mode = "poll";
  a.rate = 1;
  b.rate = 2;
  a.interval_ms = b.interval_ms = 100;
  const point_plan plan;
  std::string text = runs_csv_header() + runs_csv_row("s", a, plan, nullptr, "failed: x", "") +
                     runs_csv_row("s", b, plan, nullptr, "", "");
  text.pop_back();  // the last row lost its newline: it never completed
  const auto ids = completed_run_ids(text);
  EXPECT_EQ(ids, std::set<std::string>{a.run_id()});
  EXPECT_TRUE(completed_run_ids("").empty());
  EXPECT_TRUE(completed_run_ids(runs_csv_header()).empty());
  EXPECT_THROW(completed_run_ids("id,mode\nx,poll\n"), usage_error);
}

TEST(scenarios, every_shipped_scenario_parses_and_describes_itself) {
  const auto dir =
      std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "bench" / "scenarios";
  std::size_t found = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    ++found;
    std::ifstream f(entry.path());
    const auto j = json::parse(f);
    scenario s;
    ASSERT_NO_THROW(s = parse_scenario(j)) << entry.path() << ": " << error_of(j);
    EXPECT_EQ(s.name, entry.path().stem().string()) << "name matches the file";
    EXPECT_GE(s.description.size(), 40u) << entry.path() << " says what it stresses";
    EXPECT_FALSE(expand_points(s).empty());
  }
  EXPECT_GE(found, 5u) << "quick, default, ecommerce, analytics, social";
}

TEST(plan_point, window_reaches_the_events_minimum_when_many_subscribers_bring_the_samples) {
  auto s = parse_scenario(minimal());
  s.min_events = 30;
  s.min_delivered = 200;
  s.min_polls = 0;
  s.min_duration_s = 1;
  s.max_point_s = 20;
  sweep_point p;
  p.mode = "webhook";
  p.pull = false;
  p.subscribers = 100;  // 200 samples in 0.2 s at 10/s; 30 events need 3 s
  p.rate = 10;
  auto plan = plan_point(s, p);
  EXPECT_DOUBLE_EQ(plan.duration_s, 3);
  EXPECT_NEAR(plan.expected_events, 30, 1e-9);
  EXPECT_NEAR(plan.expected_deliveries, 3000, 1e-9);
  EXPECT_TRUE(plan.min_reached);
  p.subscribers = 1;  // now the samples rule: 20 s
  plan = plan_point(s, p);
  EXPECT_DOUBLE_EQ(plan.duration_s, 20);
  EXPECT_TRUE(plan.min_reached);
  p.rate = 1;  // 30 s for the events, 200 s for the samples: capped and flagged
  plan = plan_point(s, p);
  EXPECT_FALSE(plan.min_reached);
  EXPECT_NE(plan.note.find("20 events (min 30) and 20 latency samples (min 200)"),
            std::string::npos)
      << plan.note;
}

TEST(parse_scenario, min_events_is_checked) {
  auto j = minimal();
  j["min_events"] = -1;
  EXPECT_NE(error_of(j).find("min_events:"), std::string::npos) << error_of(j);
  j["min_events"] = 12;
  EXPECT_EQ(parse_scenario(j).min_events, 12u);
}

scenario shipped(const std::string& name) {
  const auto path = std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "bench" /
                    "scenarios" / (name + ".json");
  std::ifstream f(path);
  return parse_scenario(json::parse(f));
}

// The default sweep: every repeat of every point expects 30 events and 200 latency samples (and
// reaches its minimums), the sparse lambda T comes from a short T, and the whole plan fits in
// 15 minutes on the reference machine.
TEST(scenarios, default_reaches_the_minimums_at_every_point_within_15_minutes) {
  const auto s = shipped("default");
  EXPECT_GE(s.repeats, 3);
  const auto points = expand_points(s);
  ASSERT_FALSE(points.empty());
  double lowest_lambda_t = 1e9;
  for (const auto& p : points) {
    const auto plan = plan_point(s, p);
    EXPECT_GE(plan.expected_events, 30 - 1e-9) << p.run_id();
    EXPECT_GE(plan.expected_deliveries, 200 - 1e-9) << p.run_id();
    EXPECT_TRUE(plan.min_reached) << p.run_id() << ": " << plan.note;
    if (p.pull) lowest_lambda_t = std::min(lowest_lambda_t, p.lambda_t());
  }
  EXPECT_LE(lowest_lambda_t, 0.03 + 1e-12) << "the sparse end of lambda T is still swept";
  EXPECT_LT(planned_sweep_s(s), 15 * 60);
  EXPECT_GT(planned_sweep_s(s), 5 * 60) << "the plan counts every run";
}

// Every shipped scenario repeats its points (an interval needs repeats) and plans each repeat to
// at least 30 events and 200 latency samples.
TEST(scenarios, every_shipped_scenario_plans_repeats_with_enough_events) {
  for (const char* name : {"quick", "default", "network", "social", "ecommerce", "analytics"}) {
    const auto s = shipped(name);
    EXPECT_GE(s.repeats, 3) << name;
    for (const auto& p : expand_points(s)) {
      const auto plan = plan_point(s, p);
      EXPECT_TRUE(plan.min_reached) << name << " " << p.run_id() << ": " << plan.note;
      EXPECT_GE(plan.expected_events, 30 - 1e-9) << name << " " << p.run_id();
      EXPECT_GE(plan.expected_deliveries, 200 - 1e-9) << name << " " << p.run_id();
    }
  }
}

// fanout: 30 events per repeat everywhere; N = 1 alone falls short of 200 samples (its 30 s
// window would need 200 s), and its rows say so.
TEST(scenarios, fanout_plans_30_events_and_names_the_one_short_point) {
  const auto s = shipped("fanout");
  EXPECT_GE(s.repeats, 3);
  for (const auto& p : expand_points(s)) {
    const auto plan = plan_point(s, p);
    EXPECT_GE(plan.expected_events, 30 - 1e-9) << p.run_id();
    EXPECT_EQ(plan.min_reached, p.subscribers > 1) << p.run_id() << ": " << plan.note;
  }
}

TEST(parse_scenario, an_inventory_runs_points_across_hosts_and_refuses_what_it_cannot_carry) {
  json j = minimal();
  j["inventory"] = "lab/inventory.ini";
  const auto s = parse_scenario(j);
  EXPECT_EQ(s.inventory, "lab/inventory.ini");
  EXPECT_EQ(s.playbook, "deploy/hookbench.yml");
  j["playbook"] = "elsewhere.yml";
  EXPECT_EQ(parse_scenario(j).playbook, "elsewhere.yml");
  // The playbook's own steps count in the plan.
  const auto p = expand_points(s).front();
  EXPECT_GE(estimate_point_s(s, p, plan_point(s, p)) -
                estimate_point_s(parse_scenario(minimal()), p, plan_point(s, p)),
            30.0);
  for (const auto& [field, value, needle] : std::vector<std::tuple<std::string, json, std::string>>{
           {"pin", json::array({0, 1}), "pin: not with an inventory"},
           {"faults", json::array({"none", "receiver-down:1s:1s"}),
            "faults: not with an inventory"},
           {"rtt_ms", json::array({0, 10}), "rtt_ms: not with an inventory"},
           {"inventory", "", "inventory: an Ansible inventory's path"}}) {
    json bad = minimal();
    bad["inventory"] = "lab/inventory.ini";
    bad[field] = value;
    EXPECT_NE(error_of(bad).find(needle), std::string::npos) << field << ": " << error_of(bad);
  }
  json orphan = minimal();
  orphan["playbook"] = "x.yml";
  EXPECT_EQ(error_of(orphan), "playbook: only with an inventory");
}

TEST(planned_sweep_s, counts_every_run_and_traced_run) {
  auto s = parse_scenario(minimal());
  s.repeats = 2;
  s.warmup_s = 0.5;
  double sum = 0;
  for (const auto& p : expand_points(s)) sum += estimate_point_s(s, p, plan_point(s, p));
  EXPECT_DOUBLE_EQ(planned_sweep_s(s), sum);
  s.trace = trace_spec{};
  const auto traces = trace_points(s);
  ASSERT_EQ(traces.size(), 2u);
  double with_traces = sum;
  for (const auto& p : traces) with_traces += estimate_point_s(s, p, trace_plan(s, p));
  EXPECT_DOUBLE_EQ(planned_sweep_s(s), with_traces);
  EXPECT_GT(with_traces, sum);
}

}  // namespace
}  // namespace hookbench
