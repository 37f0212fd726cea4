// Result assembly and validation, and the warnings for stderr. The printed table is
// result_table.cpp's.
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

}  // namespace

json build_result(const json& config, const json& environment, const json& producer,
                  const json& consumer) {
  const std::string mode = config.at("mode");
  const mode_descriptor* info = find_mode(mode);
  if (!info) throw std::runtime_error("result: unknown mode '" + mode + "'");
  const auto& traffic = consumer.at("traffic");
  // The producer delivery that served this mode.
  const json& served = producer.value(info->producer_side, json::object());
  const double window_s = config.at("duration_s").get<double>();
  const std::uint64_t produced = producer.at("produced").get<std::uint64_t>();
  const double subscribers = config.at("subscribers").get<double>();
  const std::uint64_t expected = produced * static_cast<std::uint64_t>(subscribers);
  const std::uint64_t delivered_u = consumer.at("delivered").get<std::uint64_t>();
  const double delivered = static_cast<double>(delivered_u);
  const bool pull = info->pull;
  const double interval_s = config.value("interval_ms", 0.0) / 1e3;
  const double realised_rate = window_s > 0 ? static_cast<double>(produced) / window_s : 0;

  // Requests by kind: each side reports the kinds it sent, so the total sums both maps.
  json by_kind = json::object();
  std::uint64_t total_requests = 0;
  for (const json* side : {&producer, &consumer}) {
    const json kinds = side->value("requests", json::object());
    for (const auto& [kind, t] : kinds.items()) {
      const auto count = t.at("count").get<std::uint64_t>();
      by_kind[kind] = by_kind.value(kind, std::uint64_t{0}) + count;
      total_requests += count;
    }
  }
  const std::uint64_t n_polls = traffic.value("polls", std::uint64_t{0});
  const std::uint64_t n_empty = traffic.value("empty_polls", std::uint64_t{0});
  const std::uint64_t n_late = traffic.value("late_polls", std::uint64_t{0});
  const std::uint64_t n_missed = traffic.value("missed_polls", std::uint64_t{0});
  const std::uint64_t n_posts = by_kind.value("webhook_post", std::uint64_t{0});
  const std::uint64_t failed =
      traffic.value("failed", std::uint64_t{0}) + served.value("failed", std::uint64_t{0});

  // Bytes each side put on / took off the wire for the window, headers included.
  const auto side_bytes = [](const json& side, const char* key) {
    return side.at("bytes").at(key).get<std::uint64_t>();
  };
  const std::uint64_t producer_sent = side_bytes(producer, "sent");
  const std::uint64_t producer_received = side_bytes(producer, "received");
  const std::uint64_t consumer_sent = side_bytes(consumer, "sent");
  const std::uint64_t consumer_received = side_bytes(consumer, "received");
  const double bytes_sent = static_cast<double>(producer_sent + consumer_sent);

  std::vector<std::string> unmeasured;
  // A restarted producer's report is its second process's: CPU from the restart to the window's
  // end (a rate over that part; no per-event figure, the events were not all its own).
  const auto restarts = producer.value("restarts", std::uint64_t{0});
  const json cpu_window_p =
      restarts > 0 ? number_or_null(producer, "cpu_window_s") : json(window_s);
  json cpu_p = side_cpu(producer, cpu_window_p.is_number() ? cpu_window_p.get<double>() : 0.0,
                        restarts > 0 ? 0.0 : delivered, unmeasured, "producer");
  if (restarts > 0) {
    unmeasured.push_back(
        "producer CPU per event (it restarted: its CPU covers only the restart to the window end)");
  }
  json cpu_c = side_cpu(consumer, window_s, delivered, unmeasured, "consumer");

  // --- statistics ------------------------------------------------------------------------------
  json latency = consumer.at("latency_us");
  if (!latency.contains("mean_ci95")) latency["mean_ci95"] = nullptr;
  json empty_fraction = nullptr, empty_ci = nullptr;
  if (n_polls > 0) {
    empty_fraction = static_cast<double>(n_empty) / static_cast<double>(n_polls);
    empty_ci = ci_json(wilson_ci95(n_empty, n_polls));
  }

  // --- the model, at the realised rate and the in-run round trip --------------------------------
  const json& lag = producer.at("generator_lag_us");
  const json& push_rtt = served.value("round_trip_us", json::object());
  model_input mi;
  mi.arrivals = config.at("arrivals");
  mi.rate = realised_rate > 0 ? realised_rate : config.at("rate").get<double>();
  mi.interval_s = interval_s;
  mi.subscribers = subscribers;
  apply_tuning(config.value("tuning", json::object()), mi);
  mi.lag_s = lag.value("count", 0) > 0 ? lag.value("mean", 0.0) / 1e6 : 0.0;
  std::string rtt_source = "back-to-back ping before the run (p50)";
  mi.rtt_s = consumer.at("rtt_us").at("p50").get<double>() / 1e6;
  const json& first_rtt = served.value("first_round_trip_us", json::object());
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
  if (!pull && info->receiver && config.contains("link") &&
      rtt_source != "back-to-back ping before the run (p50)") {
    mi.rtt_s = std::max(0.0, mi.rtt_s - config.at("link").value("rtt_ms", 0.0) / 2e3);
    rtt_source += ", less the link's answer-way delay";
  }
  // The fan-out's service time: CPU per POST on the busier side (both sides are one thread).
  const std::uint64_t posts = by_kind.value("webhook_post", std::uint64_t{0});
  if (posts > 0) {
    for (const json* side : {&producer, &consumer}) {
      if (side == &producer && restarts > 0) continue;  // partial CPU, not per POST
      const json cpu = number_or_null(*side, "cpu_s");
      if (cpu.is_number()) {
        mi.post_cost_s = std::max(mi.post_cost_s, cpu.get<double>() / static_cast<double>(posts));
      }
    }
  }
  // Per-exchange overhead and bytes per event, from the serving delivery's window exchanges.
  const json& wire = served.value("wire", json::object());
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
  json model = info->model(mi);
  model["rate"] = mi.rate;
  model["rtt_us"] = mi.rtt_s * 1e6;
  model["rtt_source"] = rtt_source;
  model["lag_us"] = mi.lag_s * 1e6;
  model["post_cost_us"] = mi.post_cost_s * 1e6;
  model["overhead_bytes"] = mi.overhead_bytes;
  model["event_bytes"] = mi.event_bytes;
  model["arrivals"] = mi.arrivals;
  // null: the model predicts saturation (an unbounded queue) at this load.
  const double model_latency =
      model.at("latency_mean_us").is_number() ? model.at("latency_mean_us").get<double>() : 0.0;
  model["latency_agreement"] = nullptr;
  model["latency_ratio"] = nullptr;
  if (latency.at("mean_ci95").is_array() && model_latency > 0) {
    model["latency_agreement"] = agreement(model_latency, latency["mean_ci95"][0].get<double>(),
                                           latency["mean_ci95"][1].get<double>());
    model["latency_ratio"] = latency.at("mean").get<double>() / model_latency;
  }
  model["empty_agreement"] = nullptr;
  if (empty_ci.is_array()) {
    model["empty_agreement"] = agreement(model.at("empty_poll_fraction").get<double>(),
                                         empty_ci[0].get<double>(), empty_ci[1].get<double>());
  }

  // --- saturation: did the system keep up? -------------------------------------------------------
  const double lag_p99 = lag.value("count", 0) > 0 ? lag.value("p99", 0.0) : 0.0;
  // A tenth of the events late, not one hiccup: a shared machine stalls a timer now and then.
  const double lag_p90 = lag.value("count", 0) > 0 ? lag.value("p90", 0.0) : 0.0;
  const json queue_depth = number_or_null(producer, "queue_depth_end");
  const json drain_time = number_or_null(consumer, "drain_time_s");
  const std::uint64_t lost = expected > delivered_u ? expected - delivered_u : 0;
  std::vector<std::string> reasons;
  // With faults, a backlog at the window's end, a long drain and late polls are the fault's
  // doing (metrics.faults measures them): not counted as saturation. Loss still is.
  const bool faulted = config.contains("faults");
  if (lag_p90 > kSaturationLagUs) {
    reasons.push_back("generator lag p90 " + fmt_g(lag_p90 / 1e3) + " ms (> " +
                      fmt_g(kSaturationLagUs / 1e3) + " ms): events left late");
  }
  if (!faulted && !pull && queue_depth.is_number()) {
    const double backlog = queue_depth.get<double>();
    const double allowed = std::max(10.0, kSaturationBacklogS * realised_rate * subscribers);
    if (backlog > allowed) {
      reasons.push_back(fmt_g(backlog) + " deliveries queued at the window's end (" +
                        fmt_g(backlog / std::max(realised_rate * subscribers, 1e-9)) +
                        " s of load)");
    }
  }
  // A design that holds events on purpose (a long interval, a batch window) drains that much
  // longer.
  const double gap_s = std::max({pull ? interval_s : 0.0, mi.max_interval_s, mi.batch_window_s});
  const double drain_allowed = gap_s > 0 ? 1.5 * gap_s + 0.1 : kSaturationDrainS;
  if (!faulted && drain_time.is_number() && drain_time.get<double>() > drain_allowed) {
    reasons.push_back("the drain took " + fmt_g(drain_time.get<double>()) + " s (> " +
                      fmt_g(drain_allowed) + " s)");
  }
  if (lost > 0) {
    reasons.push_back(std::to_string(lost) + " of " + std::to_string(expected) +
                      " deliveries not made by the end of the drain");
  }
  // Late: more than 1% of the polls and more than two (one hiccup on a shared machine is not a
  // consumer that cannot keep up). A missed slot, a whole interval skipped, always counts.
  if (!faulted && n_polls > 0 && ((n_late * 100 > n_polls && n_late > 2) || n_missed > 0)) {
    reasons.push_back("the consumer could not keep its poll schedule (" + std::to_string(n_late) +
                      " late, " + std::to_string(n_missed) + " missed of " +
                      std::to_string(n_polls) + " polls)");
  }
  std::string reason;
  for (const auto& r : reasons) reason += (reason.empty() ? "" : "; ") + r;

  json cpu_s = {{"producer", cpu_p.at("cpu_s")}, {"consumer", cpu_c.at("cpu_s")}};
  json metrics = {
      {"window_s", window_s},
      {"produced", produced},
      {"realised_rate", realised_rate},
      {"expected", expected},
      {"delivered", delivered_u},
      {"lost", lost},
      {"duplicates", consumer.at("duplicates")},
      {"reordered", consumer.at("reordered")},
      {"negative_latencies", consumer.value("negative_latencies", std::uint64_t{0})},
      {"out_of_range", consumer.value("out_of_range", std::uint64_t{0})},
      {"latency_us", latency},
      {"generator_lag_us", lag},
      {"requests",
       {{"total", total_requests},
        {"polls", n_polls},
        {"empty_polls", n_empty},
        {"late_polls", n_late},
        {"missed_polls", n_missed},
        {"webhook_posts", n_posts},
        {"failed", failed},
        {"by_kind", by_kind}}},
      {"requests_per_event", per_event(static_cast<double>(total_requests), delivered)},
      {"requests_per_s",
       window_s > 0 ? json(static_cast<double>(total_requests) / window_s) : json(nullptr)},
      {"empty_poll_fraction", empty_fraction},
      {"empty_poll_fraction_ci95", empty_ci},
      {"bytes",
       {{"sent", producer_sent + consumer_sent},
        {"received", producer_received + consumer_received},
        {"producer_sent", producer_sent},
        {"producer_received", producer_received},
        {"consumer_sent", consumer_sent},
        {"consumer_received", consumer_received}}},
      {"bytes_per_event", per_event(bytes_sent, delivered)},
      {"cpu", {{"producer", cpu_p}, {"consumer", cpu_c}}},
      {"cpu_s", cpu_s},
      {"cpu_us_per_event",
       {{"producer", cpu_p.at("us_per_event")}, {"consumer", cpu_c.at("us_per_event")}}},
      {"unmeasured", unmeasured},
      {"rtt_us", consumer.at("rtt_us")},
      {"webhook_round_trip_us", push_rtt},
      {"producer_rss_bytes", producer.at("rss_bytes")},
      {"drained", consumer.at("drained")},
      {"drain_s", consumer.at("drain_s")},
      {"saturation",
       {{"generator_lag_p99_us", lag_p99},
        {"generator_lag_p90_us", lag_p90},
        {"queue_depth_end", queue_depth},
        {"drain_time_s", drain_time}}},
      {"saturated", !reasons.empty()},
      {"saturated_reason", reason},
      {"model", model},
  };
  if (consumer.contains("clock")) metrics["clock"] = consumer.at("clock");
  if (consumer.contains("faults")) {
    // The consumer measured them (measure/fault_metrics.hpp); the sender's side of a webhook
    // run, and its retry counters when the dispatcher has them, sit beside.
    json faults = consumer.at("faults");
    faults["saturation_note"] =
        "with faults, a backlog at the window's end, a long drain and late polls are not counted "
        "as saturation";
    if (info->receiver) {
      json sender = json::object();
      for (auto key : {"posts", "failed", "posts_total", "delivered_total", "non_2xx", "timeouts",
                       "errors", "queue_overflow", "pending"}) {
        sender[key] = served.value(key, std::uint64_t{0});
      }
      faults["sender"] = sender;
      if (served.contains("retry") && served.at("retry").is_object()) {
        faults["retry"] = served.at("retry");
      }
    }
    if (traffic.contains("fault_answers")) faults["receiver"] = traffic.at("fault_answers");
    metrics["faults"] = faults;
  }
  if (restarts > 0) {
    metrics["producer_restart"] = {
        {"restarts", restarts},
        {"cpu_covers", producer.value("cpu_covers", "")},
        {"cpu_window_s", cpu_window_p},
        {"counts_cover", producer.value("counts_cover", "")},
        {"caught_up_events", producer.value("caught_up_events", std::uint64_t{0})},
        {"consumer_counts_cover", "the whole window (lost, duplicates, latency)"}};
  }
  if (config.value("tls", false)) {
    // Counted by each server for the whole run (control and probe connections included): the
    // producer's API (pulls), the consumer's receiver (webhook POSTs).
    const auto producer_hs = producer.value("tls_handshakes", std::uint64_t{0});
    const auto consumer_hs = traffic.value("tls_handshakes", std::uint64_t{0});
    const json webhooks = producer.value("webhooks", json::object());
    metrics["tls"] = {
        {"handshakes", producer_hs + consumer_hs},
        {"handshakes_producer", producer_hs},
        {"handshakes_consumer", consumer_hs},
        {"handshake_failures", producer.value("tls_handshake_failures", std::uint64_t{0}) +
                                   traffic.value("tls_handshake_failures", std::uint64_t{0})},
        {"webhook_handshakes", webhooks.value("tls_handshakes", std::uint64_t{0})},
        {"webhook_connections_opened", webhooks.value("connections_opened", std::uint64_t{0})},
        {"handshakes_per_event",
         per_event(static_cast<double>(producer_hs + consumer_hs), delivered)}};
  }
  if (!consumer.value("window_mismatch", std::string()).empty()) {
    metrics["window_mismatch"] = consumer.at("window_mismatch");
  }
  return {{"schema_version", kSchemaVersion},
          {"tool", "hookbench"},
          {"config", config},
          {"environment", environment},
          {"metrics", metrics},
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
  const auto polls = m.at("requests").at("polls").get<std::uint64_t>();
  const auto late = m.at("requests").at("late_polls").get<std::uint64_t>();
  if (polls > 0 && late * 100 > polls) {
    w.push_back(std::to_string(late) + " of " + std::to_string(polls) +
                " polls were late (the consumer could not keep the schedule)");
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
  if (m.at("produced").get<std::uint64_t>() == 0) {
    w.push_back("no events were scheduled in the window: raise --rate or --duration");
  }
  return w;
}

}  // namespace hookbench
