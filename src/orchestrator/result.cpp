// Result assembly and validation: the run's metrics built step by step from both sides' reports
// (requests and bytes, CPU, latency statistics, the model, saturation, faults, a restart, TLS),
// and the warnings for stderr. The printed table is result_table.cpp's.
#include "orchestrator/result.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "measure/stats.hpp"
#include "model/model.hpp"
#include "modes/mode.hpp"
#include "modes/tuning.hpp"

namespace hookbench {
namespace {

using json = nlohmann::json;

json per_event(double value, double delivered) {
  return delivered > 0 ? json(value / delivered) : json(nullptr);
}

// A number from a report, or null when the side did not measure it.
json number_or_null(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_number() ? *it : json(nullptr);
}

json ci_json(const std::optional<ci_interval>& ci) {
  return ci ? json::array({ci->lo, ci->hi}) : json(nullptr);
}

// One side's CPU: cores used over the window, its idle baseline, and per delivered event both
// gross and net of the baseline. Unmeasured figures are null, never 0.
json side_cpu(const json& report, double window_s, double delivered,
              std::vector<std::string>& unmeasured, const std::string& side) {
  const json cpu_s = number_or_null(report, "cpu_s");
  const json idle = number_or_null(report, "cpu_idle_cores");
  json out = {{"cpu_s", cpu_s},       {"cores", nullptr},        {"idle_cores", idle},
              {"net_cores", nullptr}, {"us_per_event", nullptr}, {"net_us_per_event", nullptr}};
  if (cpu_s.is_null()) unmeasured.push_back(side + " CPU over the window");
  if (idle.is_null()) unmeasured.push_back(side + " idle CPU baseline");
  if (cpu_s.is_null() || window_s <= 0) return out;
  const double cores = cpu_s.get<double>() / window_s;
  out["cores"] = cores;
  if (delivered > 0) out["us_per_event"] = cpu_s.get<double>() * 1e6 / delivered;
  if (!idle.is_null()) {
    const double net = std::max(0.0, cores - idle.get<double>());
    out["net_cores"] = net;
    if (delivered > 0) out["net_us_per_event"] = net * window_s * 1e6 / delivered;
  }
  return out;
}

std::string fmt_g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// What every step reads: the run's configuration, both sides' reports, and the counts that
// several steps use.
struct run_facts {
  const json& config;
  const json& producer;
  const json& consumer;
  const mode_descriptor& mode;
  const json& traffic;  // the consumer's
  json served;          // the producer delivery that served this mode ({} when none reported)
  double window_s;
  std::uint64_t produced;
  double subscribers;
  std::uint64_t expected;   // produced x subscribers
  std::uint64_t delivered;  // (event, subscriber) pairs
  double interval_s;        // T (pull modes)
  double realised_rate;     // events/s over the window
  std::uint64_t restarts;   // of the producer

  double delivered_events() const { return static_cast<double>(delivered); }
  std::uint64_t lost() const { return expected > delivered ? expected - delivered : 0; }
};

run_facts read_facts(const json& config, const json& producer, const json& consumer) {
  const std::string mode = config.at("mode");
  const mode_descriptor* info = find_mode(mode);
  if (!info) throw std::runtime_error("result: unknown mode '" + mode + "'");
  const json& traffic = consumer.at("traffic");
  json served = producer.value(info->producer_side, json::object());
  const double window_s = config.at("duration_s").get<double>();
  const std::uint64_t produced = producer.at("produced").get<std::uint64_t>();
  const double subscribers = config.at("subscribers").get<double>();
  return {config,
          producer,
          consumer,
          *info,
          traffic,
          std::move(served),
          window_s,
          produced,
          subscribers,
          produced * static_cast<std::uint64_t>(subscribers),
          consumer.at("delivered").get<std::uint64_t>(),
          config.value("interval_ms", 0.0) / 1e3,
          window_s > 0 ? static_cast<double>(produced) / window_s : 0,
          producer.value("restarts", std::uint64_t{0})};
}

// metrics.requests (each side reports the kinds it sent: the total sums both maps), requests per
// event and per second, and the bytes each side put on / took off the wire for the window,
// headers included.
void add_requests_and_bytes(const run_facts& f, json& m) {
  json by_kind = json::object();
  std::uint64_t total = 0;
  for (const json* side : {&f.producer, &f.consumer}) {
    const json kinds = side->value("requests", json::object());
    for (const auto& [kind, t] : kinds.items()) {
      const auto count = t.at("count").get<std::uint64_t>();
      by_kind[kind] = by_kind.value(kind, std::uint64_t{0}) + count;
      total += count;
    }
  }
  const auto traffic = [&](const char* key) { return f.traffic.value(key, std::uint64_t{0}); };
  const std::uint64_t posts = by_kind.value("webhook_post", std::uint64_t{0});
  const std::uint64_t failed = traffic("failed") + f.served.value("failed", std::uint64_t{0});
  m["requests"] = {{"total", total},
                   {"polls", traffic("polls")},
                   {"empty_polls", traffic("empty_polls")},
                   {"late_polls", traffic("late_polls")},
                   {"missed_polls", traffic("missed_polls")},
                   {"webhook_posts", posts},
                   {"failed", failed},
                   {"by_kind", by_kind}};
  m["requests_per_event"] = per_event(static_cast<double>(total), f.delivered_events());
  m["requests_per_s"] =
      f.window_s > 0 ? json(static_cast<double>(total) / f.window_s) : json(nullptr);

  const auto side_bytes = [](const json& side, const char* key) {
    return side.at("bytes").at(key).get<std::uint64_t>();
  };
  const std::uint64_t producer_sent = side_bytes(f.producer, "sent");
  const std::uint64_t producer_received = side_bytes(f.producer, "received");
  const std::uint64_t consumer_sent = side_bytes(f.consumer, "sent");
  const std::uint64_t consumer_received = side_bytes(f.consumer, "received");
  m["bytes"] = {
      {"sent", producer_sent + consumer_sent}, {"received", producer_received + consumer_received},
      {"producer_sent", producer_sent},        {"producer_received", producer_received},
      {"consumer_sent", consumer_sent},        {"consumer_received", consumer_received}};
  m["bytes_per_event"] =
      per_event(static_cast<double>(producer_sent + consumer_sent), f.delivered_events());
}

// The CPU second a restarted producer's report covers: its second process's, from the restart
// to the window's end (null when it did not say).
json producer_cpu_window(const run_facts& f) {
  return f.restarts > 0 ? number_or_null(f.producer, "cpu_window_s") : json(f.window_s);
}

// metrics.cpu (each side's cores, idle baseline and CPU per event), cpu_s and cpu_us_per_event,
// and metrics.unmeasured: what of it could not be measured.
void add_cpu(const run_facts& f, json& m) {
  std::vector<std::string> unmeasured;
  // A restarted producer's CPU is a rate over the part it covers; no per-event figure, the
  // events were not all its own.
  const json cpu_window_p = producer_cpu_window(f);
  json cpu_p = side_cpu(f.producer, cpu_window_p.is_number() ? cpu_window_p.get<double>() : 0.0,
                        f.restarts > 0 ? 0.0 : f.delivered_events(), unmeasured, "producer");
  if (f.restarts > 0) {
    unmeasured.push_back(
        "producer CPU per event (it restarted: its CPU covers only the restart to the window end)");
  }
  json cpu_c = side_cpu(f.consumer, f.window_s, f.delivered_events(), unmeasured, "consumer");
  m["cpu_s"] = {{"producer", cpu_p.at("cpu_s")}, {"consumer", cpu_c.at("cpu_s")}};
  m["cpu_us_per_event"] = {{"producer", cpu_p.at("us_per_event")},
                           {"consumer", cpu_c.at("us_per_event")}};
  m["cpu"] = {{"producer", std::move(cpu_p)}, {"consumer", std::move(cpu_c)}};
  m["unmeasured"] = unmeasured;
}

// metrics.latency_us with its mean's 95% interval (null when the consumer had none), and the
// fraction of empty polls with its Wilson interval (null without polls).
void add_statistics(const run_facts& f, json& m) {
  json latency = f.consumer.at("latency_us");
  if (!latency.contains("mean_ci95")) latency["mean_ci95"] = nullptr;
  m["latency_us"] = std::move(latency);
  const auto polls = m.at("requests").at("polls").get<std::uint64_t>();
  const auto empty = m.at("requests").at("empty_polls").get<std::uint64_t>();
  json empty_fraction = nullptr, empty_ci = nullptr;
  if (polls > 0) {
    empty_fraction = static_cast<double>(empty) / static_cast<double>(polls);
    empty_ci = ci_json(wilson_ci95(empty, polls));
  }
  m["empty_poll_fraction"] = empty_fraction;
  m["empty_poll_fraction_ci95"] = empty_ci;
}

constexpr const char* kPingRtt = "back-to-back ping before the run (p50)";

// Where the model's measured inputs came from, recorded beside them in metrics.model.
struct model_sources {
  std::string rtt;
  std::string delivery_cost = "none (pull)";
  std::string wake = "not measured";
};

// The push designs' fan-out inputs (model.hpp): c, the service time per delivery, from the
// spacing of an event's deliveries at the consumer, or else the busier side's net CPU per
// delivery (never gross CPU: a side's idle upkeep is no delivery's cost); D, the trip to the
// first subscriber, from each event's earliest delivery less the generator lag, or for a batch
// (whose first delivery waits for its window on purpose) from each batch's trip, its window taken
// off, less the generator lag.
void add_push_inputs(const run_facts& f, const json& m, model_input& mi, model_sources& sources) {
  const json& fan_out = f.consumer.value("fan_out", json::object());
  const json spacing = number_or_null(fan_out, "spacing_us");
  if (f.subscribers >= 2 && spacing.is_number()) {
    mi.delivery_cost_s = spacing.get<double>() / 1e6;
    sources.delivery_cost = "spacing of an event's deliveries at the consumer (mean)";
  } else {
    sources.delivery_cost = "not measured";
    for (const char* side : {"producer", "consumer"}) {
      const json net = number_or_null(m.at("cpu").at(side), "net_us_per_event");
      if (net.is_number() && net.get<double>() / 1e6 > mi.delivery_cost_s) {
        mi.delivery_cost_s = net.get<double>() / 1e6;
        sources.delivery_cost = std::string("the ") + side + "'s net CPU per delivery";
      }
    }
  }
  // D from each event's earliest delivery, or for a batch from each batch's trip.
  const bool batch = f.mode.gap == design_gap::batch_window;
  if (f.mode.gap != design_gap::none && !batch) return;
  const json& lag = f.producer.at("generator_lag_us");
  const json& trip = fan_out.value(batch ? "batch_trip_us" : "first_latency_us", json::object());
  if (lag.value("count", 0) == 0 || trip.value("count", 0) == 0) return;
  // A D of 0 or less (the lag's median above the trip's) is no measure: the fallback stands.
  const double wake_s = (trip.value("p50", 0.0) - lag.value("p50", 0.0)) / 1e6;
  if (wake_s <= 0) return;
  mi.wake_s = wake_s;
  sources.wake = batch ? "each batch's earliest delivery at the consumer less its window (or from "
                         "its last event when full) less the generator lag (p50s)"
                       : "each event's earliest delivery at the consumer less the generator lag "
                         "(p50s)";
}

// The model's inputs from the run: the realised rate, the in-run round trip (`rtt_source` says
// which one), the generator's lag, the fan-out's CPU per POST, and the bytes per exchange and
// per event of the serving delivery's window exchanges.
model_input model_inputs(const run_facts& f, const json& m, model_sources& sources) {
  std::string& rtt_source = sources.rtt;
  const bool pull = f.mode.pull;
  const json& lag = f.producer.at("generator_lag_us");
  const json& push_rtt = m.at("webhook_round_trip_us");
  model_input mi;
  mi.arrivals = f.config.at("arrivals");
  mi.rate = f.realised_rate > 0 ? f.realised_rate : f.config.at("rate").get<double>();
  mi.interval_s = f.interval_s;
  mi.subscribers = f.subscribers;
  apply_tuning(f.config.value("tuning", json::object()), mi);
  mi.lag_s = lag.value("count", 0) > 0 ? lag.value("mean", 0.0) / 1e6 : 0.0;
  rtt_source = kPingRtt;
  mi.rtt_s = f.consumer.at("rtt_us").at("p50").get<double>() / 1e6;
  const json& first_rtt = f.served.value("first_round_trip_us", json::object());
  if (!pull && first_rtt.value("count", 0) > 0) {
    // The first subscriber's POST, which no sibling POST is ahead of; the fan-out's queue is
    // the model's own term. The median: a few slow answers would drag a mean far off.
    mi.rtt_s = first_rtt.value("p50", 0.0) / 1e6;
    rtt_source = "first subscriber's POST round trip in the run (p50)";
  } else if (!pull && push_rtt.value("count", 0) > 0) {
    mi.rtt_s = push_rtt.value("p50", 0.0) / 1e6;
    rtt_source = "push exchange round trip in the run (p50)";
  }
  // Through an emulated link (run --rtt) a POST's answer crosses back after the receiver has
  // the event: its delivery waits for the request's way only, so the answer's way (half the
  // link's round trip, as set; the link's own probe measures it) is no part of the webhook R.
  if (!pull && f.mode.receiver && f.config.contains("link") && rtt_source != kPingRtt) {
    mi.rtt_s = std::max(0.0, mi.rtt_s - f.config.at("link").value("rtt_ms", 0.0) / 2e3);
    rtt_source += ", less the link's answer-way delay";
  }
  if (!pull) add_push_inputs(f, m, mi, sources);
  const json& wire = f.served.value("wire", json::object());
  const auto exchanges = wire.value("exchanges", std::uint64_t{0});
  const auto wire_bytes = wire.value("bytes", std::uint64_t{0});
  const auto wire_events = wire.value("events", std::uint64_t{0});
  const auto event_bytes = wire.value("event_bytes", std::uint64_t{0});
  if (exchanges > 0 && wire_bytes >= event_bytes) {
    mi.overhead_bytes =
        static_cast<double>(wire_bytes - event_bytes) / static_cast<double>(exchanges);
  }
  if (wire_events > 0) {
    mi.event_bytes = static_cast<double>(event_bytes) / static_cast<double>(wire_events);
  }
  if (mi.event_bytes <= 0) mi.overhead_bytes = 0;  // no event seen: no bytes line
  return mi;
}

// metrics.model: the mode's model at those inputs, the inputs beside it, and how the measured
// mean latency and empty fraction stand against it.
json model_json(const run_facts& f, const json& m, const model_input& mi,
                const model_sources& sources) {
  json model = f.mode.model(mi);
  model["rate"] = mi.rate;
  model["rtt_us"] = mi.rtt_s * 1e6;
  model["rtt_source"] = sources.rtt;
  model["lag_us"] = mi.lag_s * 1e6;
  model["delivery_cost_us"] = mi.delivery_cost_s * 1e6;
  model["delivery_cost_source"] = sources.delivery_cost;
  model["wake_us"] = mi.wake_s > 0 ? json(mi.wake_s * 1e6) : json(nullptr);
  model["wake_source"] = sources.wake;
  model["overhead_bytes"] = mi.overhead_bytes;
  model["event_bytes"] = mi.event_bytes;
  model["arrivals"] = mi.arrivals;
  // null: the model predicts saturation (an unbounded queue) at this load.
  const double model_latency =
      model.at("latency_mean_us").is_number() ? model.at("latency_mean_us").get<double>() : 0.0;
  const json& latency = m.at("latency_us");
  model["latency_agreement"] = nullptr;
  model["latency_ratio"] = nullptr;
  if (latency.at("mean_ci95").is_array() && model_latency > 0) {
    model["latency_agreement"] =
        agreement(model_latency, latency.at("mean_ci95").at(0).get<double>(),
                  latency.at("mean_ci95").at(1).get<double>());
    model["latency_ratio"] = latency.at("mean").get<double>() / model_latency;
  }
  const json& empty_ci = m.at("empty_poll_fraction_ci95");
  model["empty_agreement"] = nullptr;
  if (empty_ci.is_array()) {
    model["empty_agreement"] =
        agreement(model.at("empty_poll_fraction").get<double>(), empty_ci.at(0).get<double>(),
                  empty_ci.at(1).get<double>());
  }
  return model;
}

// What a design holds on purpose, which the saturation rules allow for (result.hpp): the
// deliveries waiting in a batch window at the window's end, the POSTs a link's round trip keeps
// in flight on every connection, the longest an event waits by design (T, the cap, the batch
// window), the link's round trip for whatever is in flight at the end, and a poll schedule that
// a poll's round trip cannot keep (one poll in flight per subscriber: the link paces it).
struct held_on_purpose {
  double deliveries = 0;
  double gap_s = 0;
  double link_rtt_s = 0;
  bool polls_paced_by_link = false;
  double fan_out_s = 0;  // one event's fan-out to every subscriber, as measured
};

held_on_purpose design_holds(const run_facts& f, const model_input& mi) {
  held_on_purpose h;
  const bool pull = f.mode.pull;
  h.link_rtt_s = f.config.contains("link") ? f.config.at("link").value("rtt_ms", 0.0) / 1e3 : 0.0;
  h.gap_s = std::max({pull ? f.interval_s : 0.0, mi.max_interval_s, mi.batch_window_s});
  if (mi.batch_window_s > 0 && f.realised_rate > 0) {
    // Each subscriber's open batch holds the events of up to one window: Poisson with mean
    // lambda W, allowed to its upper end (mean + 3 sd + 1), never more than a full batch.
    const double mean = f.realised_rate * mi.batch_window_s;
    double per_subscriber = mean + 3 * std::sqrt(mean) + 1;
    if (mi.batch_max > 0) per_subscriber = std::min(per_subscriber, mi.batch_max);
    h.deliveries += f.subscribers * per_subscriber;
  }
  if (f.mode.receiver && h.link_rtt_s > 0) {
    // Every connection of every subscriber holds one POST for a link round trip.
    h.deliveries += f.subscribers * f.config.value("webhook_concurrency", 1.0);
  }
  // A poll is late past a tenth of T or 1 ms (late_poll_threshold): a link round trip that eats
  // that slack makes every poll late by design.
  h.polls_paced_by_link = pull && h.link_rtt_s > 0 && h.link_rtt_s >= 0.9 * f.interval_s;
  // A push event waits behind the previous event's fan-out (one io thread writes to every
  // subscriber in turn): the design's own queue, not a producer that cannot keep up. Its length
  // is the measured first-to-last spread of an event's deliveries, (N - 1) x spacing.
  if (!pull && f.subscribers >= 2) {
    const json spacing = number_or_null(f.consumer.value("fan_out", json::object()), "spacing_us");
    if (spacing.is_number()) h.fan_out_s = (f.subscribers - 1) * spacing.get<double>() / 1e6;
    // The same fan-out may be going out as the window ends: its N deliveries are queued, and
    // the drain lasts as long as it does.
    if (h.fan_out_s > 0) h.deliveries += f.subscribers;
  }
  return h;
}

// The busier side's cores over the window (metrics.cpu, add_cpu), NaN when either is unmeasured.
double busiest_side_cores(const json& m) {
  double busiest = 0;
  for (const char* side : {"producer", "consumer"}) {
    const json cores = number_or_null(m.at("cpu").at(side), "cores");
    if (!cores.is_number()) return std::nan("");
    busiest = std::max(busiest, cores.get<double>());
  }
  return busiest;
}

// metrics.saturation, saturated and saturated_reason: did the system keep up (result.hpp)?
void add_saturation(const run_facts& f, const model_input& mi, json& m) {
  const json& lag = f.producer.at("generator_lag_us");
  const double lag_p99 = lag.value("count", 0) > 0 ? lag.value("p99", 0.0) : 0.0;
  // A tenth of the events late, not one hiccup: a shared machine stalls a timer now and then.
  const double lag_p90 = lag.value("count", 0) > 0 ? lag.value("p90", 0.0) : 0.0;
  const json queue_depth = number_or_null(f.producer, "queue_depth_end");
  const json drain_time = number_or_null(f.consumer, "drain_time_s");
  const bool pull = f.mode.pull;
  std::vector<std::string> reasons;
  // With faults, a backlog at the window's end, a long drain and late polls are the fault's
  // doing (metrics.faults measures them): not counted as saturation. Loss still is.
  const bool faulted = f.config.contains("faults");
  const held_on_purpose held = design_holds(f, mi);
  const double lag_allowed = kSaturationLagUs + held.fan_out_s * 1e6;
  if (lag_p90 > lag_allowed) {
    reasons.push_back("generator lag p90 " + fmt_g(lag_p90 / 1e3) + " ms (> " +
                      fmt_g(lag_allowed / 1e3) + " ms" +
                      (held.fan_out_s > 0 ? ", 5 ms + one fan-out" : "") + "): events left late");
  }
  if (!faulted && !pull && queue_depth.is_number()) {
    const double backlog = queue_depth.get<double>();
    const double allowed =
        std::max(10.0, kSaturationBacklogS * f.realised_rate * f.subscribers) + held.deliveries;
    if (backlog > allowed) {
      reasons.push_back(fmt_g(backlog) + " deliveries queued at the window's end (" +
                        fmt_g(backlog / std::max(f.realised_rate * f.subscribers, 1e-9)) +
                        " s of load; " + fmt_g(allowed) + " allowed)");
    }
  }
  const double drain_allowed = (held.gap_s > 0 ? 1.5 * held.gap_s + 0.1 : kSaturationDrainS) +
                               held.link_rtt_s + held.fan_out_s;
  if (!faulted && drain_time.is_number() && drain_time.get<double>() > drain_allowed) {
    reasons.push_back("the drain took " + fmt_g(drain_time.get<double>()) + " s (> " +
                      fmt_g(drain_allowed) + " s)");
  }
  if (f.lost() > 0) {
    reasons.push_back(std::to_string(f.lost()) + " of " + std::to_string(f.expected) +
                      " deliveries not made by the end of the drain");
  }
  // Late or missed (a whole interval skipped): more than 1% of the polls and more than two, while
  // a side is busy (half a core or more over the window, or its CPU unmeasured); more than 5% in
  // any case. One hiccup on a shared machine is not a consumer that cannot keep up: at T = 3 ms a
  // 10 ms stall of an idle VM costs 4 subscribers a dozen slots of a 1 s window, and the run's
  // mean still agrees with the model. Such stalls are a warning (schedule_stalls), not saturation.
  const auto& q = m.at("requests");
  const auto polls = q.at("polls").get<std::uint64_t>();
  const auto stalls =
      q.at("late_polls").get<std::uint64_t>() + q.at("missed_polls").get<std::uint64_t>();
  if (!faulted && !held.polls_paced_by_link && polls > 0 && stalls > 2 && stalls * 100 > polls) {
    const double busiest = busiest_side_cores(m);
    if (stalls * 20 > polls || !(busiest < kBusySideCores)) {
      reasons.push_back("the consumer could not keep its poll schedule (" +
                        std::to_string(q.at("late_polls").get<std::uint64_t>()) + " late, " +
                        std::to_string(q.at("missed_polls").get<std::uint64_t>()) + " missed of " +
                        std::to_string(polls) + " polls)");
    } else {
      m["schedule_stalls"] = {
          {"late_or_missed", stalls}, {"polls", polls}, {"busiest_side_cores", busiest}};
    }
  }
  std::string reason;
  for (const auto& r : reasons) reason += (reason.empty() ? "" : "; ") + r;
  m["saturation"] = {{"generator_lag_p99_us", lag_p99},
                     {"generator_lag_p90_us", lag_p90},
                     {"queue_depth_end", queue_depth},
                     {"drain_time_s", drain_time},
                     {"held_on_purpose",
                      {{"deliveries", held.deliveries},
                       {"gap_s", held.gap_s},
                       {"link_rtt_s", held.link_rtt_s},
                       {"polls_paced_by_link", held.polls_paced_by_link},
                       {"fan_out_s", held.fan_out_s}}}};
  m["saturated"] = !reasons.empty();
  m["saturated_reason"] = reason;
}

// metrics.faults: what the consumer measured of them (measure/fault_metrics.hpp); beside it the
// sender's side of a webhook run, its retry counters when the dispatcher has them, and what the
// receiver's own faults answered.
json faults_json(const run_facts& f) {
  json faults = f.consumer.at("faults");
  faults["saturation_note"] =
      "with faults, a backlog at the window's end, a long drain and late polls are not counted "
      "as saturation";
  if (f.mode.receiver) {
    json sender = json::object();
    for (auto key : {"posts", "failed", "posts_total", "delivered_total", "non_2xx", "timeouts",
                     "errors", "queue_overflow", "pending"}) {
      sender[key] = f.served.value(key, std::uint64_t{0});
    }
    faults["sender"] = sender;
    if (f.served.contains("retry") && f.served.at("retry").is_object()) {
      faults["retry"] = f.served.at("retry");
    }
  }
  if (f.traffic.contains("fault_answers")) faults["receiver"] = f.traffic.at("fault_answers");
  return faults;
}

// metrics.producer_restart: what a restarted producer's figures cover.
json restart_json(const run_facts& f) {
  return {{"restarts", f.restarts},
          {"cpu_covers", f.producer.value("cpu_covers", "")},
          {"cpu_window_s", producer_cpu_window(f)},
          {"counts_cover", f.producer.value("counts_cover", "")},
          {"caught_up_events", f.producer.value("caught_up_events", std::uint64_t{0})},
          {"consumer_counts_cover", "the whole window (lost, duplicates, latency)"}};
}

// metrics.tls: handshakes counted by each server for the whole run (control and probe
// connections included): the producer's API (pulls), the consumer's receiver (webhook POSTs).
json tls_json(const run_facts& f) {
  const auto producer_hs = f.producer.value("tls_handshakes", std::uint64_t{0});
  const auto consumer_hs = f.traffic.value("tls_handshakes", std::uint64_t{0});
  const json webhooks = f.producer.value("webhooks", json::object());
  return {{"handshakes", producer_hs + consumer_hs},
          {"handshakes_producer", producer_hs},
          {"handshakes_consumer", consumer_hs},
          {"handshake_failures", f.producer.value("tls_handshake_failures", std::uint64_t{0}) +
                                     f.traffic.value("tls_handshake_failures", std::uint64_t{0})},
          {"webhook_handshakes", webhooks.value("tls_handshakes", std::uint64_t{0})},
          {"webhook_connections_opened", webhooks.value("connections_opened", std::uint64_t{0})},
          {"handshakes_per_event",
           per_event(static_cast<double>(producer_hs + consumer_hs), f.delivered_events())}};
}

}  // namespace

// What the subscribers cost the producer in memory: its resident set once they are all there
// (the window's start) less before any came (its start), per subscriber; null when unmeasured.
json producer_memory_json(const run_facts& f) {
  const json& rss = f.producer.at("rss_bytes");
  const double idle = rss.value("idle", 0.0), start = rss.value("window_start", 0.0);
  json per = nullptr;
  if (idle > 0 && start > 0 && f.subscribers > 0) per = (start - idle) / f.subscribers;
  return {{"idle_rss_bytes", idle > 0 ? json(idle) : json(nullptr)},
          {"window_start_rss_bytes", start > 0 ? json(start) : json(nullptr)},
          {"per_subscriber_bytes", per}};
}

json build_result(const json& config, const json& environment, const json& producer,
                  const json& consumer) {
  const run_facts f = read_facts(config, producer, consumer);
  json m = {{"window_s", f.window_s},
            {"produced", f.produced},
            {"realised_rate", f.realised_rate},
            {"expected", f.expected},
            {"delivered", f.delivered},
            {"lost", f.lost()},
            {"generator_lag_us", producer.at("generator_lag_us")},
            {"webhook_round_trip_us", f.served.value("round_trip_us", json::object())}};
  if (consumer.contains("fan_out")) m["fan_out"] = consumer.at("fan_out");
  add_requests_and_bytes(f, m);
  add_cpu(f, m);
  add_statistics(f, m);
  model_sources sources;
  const model_input mi = model_inputs(f, m, sources);
  m["model"] = model_json(f, m, mi, sources);
  add_saturation(f, mi, m);
  m.update(json{{"duplicates", consumer.at("duplicates")},
                {"reordered", consumer.at("reordered")},
                {"negative_latencies", consumer.value("negative_latencies", std::uint64_t{0})},
                {"out_of_range", consumer.value("out_of_range", std::uint64_t{0})},
                {"rtt_us", consumer.at("rtt_us")},
                {"producer_rss_bytes", producer.at("rss_bytes")},
                {"drained", consumer.at("drained")},
                {"drain_s", consumer.at("drain_s")}});
  m["producer_memory"] = producer_memory_json(f);
  m["setup_s"] = number_or_null(consumer, "setup_s");
  if (consumer.contains("clock")) m["clock"] = consumer.at("clock");
  if (consumer.contains("faults")) m["faults"] = faults_json(f);
  if (f.restarts > 0) m["producer_restart"] = restart_json(f);
  if (config.value("tls", false)) m["tls"] = tls_json(f);
  if (!consumer.value("window_mismatch", std::string()).empty()) {
    m["window_mismatch"] = consumer.at("window_mismatch");
  }
  return {{"schema_version", kSchemaVersion},
          {"tool", "hookbench"},
          {"config", config},
          {"environment", environment},
          {"metrics", m},
          {"sides", {{"producer", producer}, {"consumer", consumer}}}};
}

void validate_result(const json& r) {
  auto need = [](const json& obj, const char* key, json::value_t type, const std::string& where) {
    if (!obj.is_object() || !obj.contains(key)) {
      throw std::runtime_error("result: missing " + where + key);
    }
    const auto& v = obj.at(key);
    bool ok = v.type() == type || (type == json::value_t::number_float && v.is_number()) ||
              (type == json::value_t::number_unsigned && v.is_number_integer() && v >= 0);
    if (!ok) throw std::runtime_error("result: " + where + key + " has the wrong type");
  };
  using t = json::value_t;
  need(r, "schema_version", t::number_unsigned, "");
  if (r.at("schema_version") != kSchemaVersion) {
    throw std::runtime_error("result: schema_version " + r.at("schema_version").dump() +
                             " is not " + std::to_string(kSchemaVersion));
  }
  need(r, "config", t::object, "");
  need(r, "environment", t::object, "");
  need(r, "metrics", t::object, "");
  const auto& m = r.at("metrics");
  for (auto key : {"produced", "expected", "delivered", "lost", "duplicates", "reordered"}) {
    need(m, key, t::number_unsigned, "metrics.");
  }
  need(m, "latency_us", t::object, "metrics.");
  for (auto key : {"p50", "p90", "p99", "p999", "max", "mean"}) {
    need(m.at("latency_us"), key, t::number_float, "metrics.latency_us.");
  }
  need(m.at("latency_us"), "count", t::number_unsigned, "metrics.latency_us.");
  need(m, "requests", t::object, "metrics.");
  for (auto key : {"total", "polls", "empty_polls", "webhook_posts", "failed"}) {
    need(m.at("requests"), key, t::number_unsigned, "metrics.requests.");
  }
  need(m, "bytes", t::object, "metrics.");
  for (auto key : {"sent", "received"})
    need(m.at("bytes"), key, t::number_unsigned, "metrics.bytes.");
  need(m, "cpu_s", t::object, "metrics.");
  for (auto key : {"producer", "consumer"}) {
    // null = not measured (said in metrics.unmeasured), never a made-up 0
    if (!m.at("cpu_s").contains(key)) {
      throw std::runtime_error(std::string("result: missing metrics.cpu_s.") + key);
    }
    if (!(m.at("cpu_s").at(key).is_number() || m.at("cpu_s").at(key).is_null())) {
      throw std::runtime_error(std::string("result: metrics.cpu_s.") + key + " has the wrong type");
    }
  }
  need(m, "realised_rate", t::number_float, "metrics.");
  need(m, "saturated", t::boolean, "metrics.");
  need(m, "saturated_reason", t::string, "metrics.");
  need(m, "saturation", t::object, "metrics.");
  need(m, "cpu", t::object, "metrics.");
  need(m, "unmeasured", t::array, "metrics.");
  for (auto key : {"mean_ci95"}) {
    if (!m.at("latency_us").contains(key)) {
      throw std::runtime_error(std::string("result: missing metrics.latency_us.") + key);
    }
  }
  if (!m.contains("empty_poll_fraction_ci95")) {
    throw std::runtime_error("result: missing metrics.empty_poll_fraction_ci95");
  }
  need(m, "cpu_us_per_event", t::object, "metrics.");
  need(m, "model", t::object, "metrics.");
  need(m.at("model"), "rtt_us", t::number_float, "metrics.model.");
  if (!m.at("model").contains("latency_mean_us") ||
      !(m.at("model").at("latency_mean_us").is_number() ||
        m.at("model").at("latency_mean_us").is_null())) {
    throw std::runtime_error("result: metrics.model.latency_mean_us must be a number or null");
  }
  for (auto key : {"requests_per_event", "bytes_per_event"}) {
    if (!m.contains(key)) throw std::runtime_error(std::string("result: missing metrics.") + key);
  }
  for (auto key : {"git_revision", "compiler", "cpu_model", "kernel", "cores"}) {
    if (!r.at("environment").contains(key)) {
      throw std::runtime_error(std::string("result: missing environment.") + key);
    }
  }
}

std::vector<std::string> result_warnings(const json& r) {
  std::vector<std::string> w;
  const auto& m = r.at("metrics");
  const auto lost = m.at("lost").get<std::uint64_t>();
  if (lost > 0) {
    w.push_back("LOST " + std::to_string(lost) + " of " + m.at("expected").dump() +
                " event deliveries (not received after the drain)");
  }
  if (m.contains("faults")) {
    const auto& f = m.at("faults");
    std::string policy = "no retries";
    if (f.contains("retry")) {
      const auto& retry = f.at("retry");
      policy = "--retry " + retry.value("policy", std::string("?"));
      // Not given up on: the policy's next attempt falls after the run's drain.
      if (const auto waiting = retry.value("pending_retry_window", std::uint64_t{0}); waiting > 0) {
        w.push_back(std::to_string(waiting) +
                    " window events were still waiting for a webhook retry when the run ended (the "
                    "policy's next attempt comes after the drain; --retry-scale compresses the "
                    "schedule): counted as lost here, though the sender had not given up");
      }
    }
    for (const auto& pf : f.value("per_fault", json::array())) {
      const auto fl = pf.value("lost", std::uint64_t{0});
      if (fl > 0) {
        w.push_back("FAULT " + pf.value("spec", std::string()) + ": LOST " + std::to_string(fl) +
                    " deliveries of events created around it (" + policy + ")");
      } else if (pf.contains("catch_up_s") && pf.at("catch_up_s").is_null()) {
        w.push_back("FAULT " + pf.value("spec", std::string()) +
                    ": the consumer never caught up with the events created before its end");
      }
    }
  }
  if (m.at("duplicates").get<std::uint64_t>() > 0) {
    w.push_back(m.at("duplicates").dump() + " duplicate deliveries");
  }
  if (m.at("requests").at("failed").get<std::uint64_t>() > 0) {
    w.push_back(m.at("requests").at("failed").dump() + " failed requests in the window");
  }
  if (m.contains("schedule_stalls")) {
    const auto& st = m.at("schedule_stalls");
    w.push_back(st.at("late_or_missed").dump() + " of " + st.at("polls").dump() +
                " polls late or missed while neither side was busy (" +
                fmt_g(st.at("busiest_side_cores").get<double>()) +
                " cores at most): stalls of the machine, not saturation");
  }
  if (!m.at("drained").get<bool>()) w.push_back("the consumer did not drain within the drain time");
  if (m.value("saturated", false)) {
    w.push_back("SATURATED: " + m.at("saturated_reason").get<std::string>());
  }
  for (const auto& u : m.value("unmeasured", json::array())) {
    w.push_back("not measured: " + u.get<std::string>() + " (reported as null)");
  }
  if (m.value("negative_latencies", std::uint64_t{0}) > 0) {
    w.push_back(m.at("negative_latencies").dump() +
                " negative latencies (clock offset between the sides larger than its bound?)");
  }
  if (m.value("out_of_range", std::uint64_t{0}) > 0) {
    w.push_back(m.at("out_of_range").dump() +
                " deliveries with an event id the producer never generates (rejected)");
  }
  if (m.contains("producer_restart")) {
    const auto& pr = m.at("producer_restart");
    const json covered = pr.at("cpu_window_s");
    w.push_back("the producer restarted " + pr.at("restarts").dump() +
                " time(s): its CPU covers only the restart to the window end (" +
                (covered.is_number() ? fmt_g(covered.get<double>()) : std::string("none")) +
                " s of " + fmt_g(m.at("window_s").get<double>()) +
                " s), its requests and bytes only the restart on; lost and duplicates cover the "
                "whole window");
  }
  if (m.contains("window_mismatch")) w.push_back(m.at("window_mismatch").get<std::string>());
  // A run's own requests met the producer's caps on what a token holds (serve --max-...):
  // its subscribers were not all served as configured.
  const json refusals =
      r.value("sides", json::object()).value("producer", json::object()).value("refusals", json());
  std::string refused;
  if (refusals.is_object()) {
    for (const auto& [reason, n] : refusals.items()) {
      if (n.is_number_integer() && n.get<std::int64_t>() > 0) {
        refused += (refused.empty() ? "" : ", ") + reason + " " + n.dump();
      }
    }
  }
  if (!refused.empty()) w.push_back("the producer refused requests at its caps: " + refused);
  if (m.at("produced").get<std::uint64_t>() == 0) {
    w.push_back("no events were scheduled in the window: raise --rate or --duration");
  }
  return w;
}

}  // namespace hookbench
