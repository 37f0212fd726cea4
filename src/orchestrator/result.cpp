// Result assembly, validation and the printed table.
#include "orchestrator/result.hpp"

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "model/model.hpp"

namespace hookbench {
namespace {

using json = nlohmann::json;

double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

json per_event(double value, double delivered) {
  return delivered > 0 ? json(value / delivered) : json(nullptr);
}

}  // namespace

json build_result(const json& config, const json& environment, const json& producer,
                  const json& consumer) {
  const auto& traffic = consumer.at("traffic");
  const auto& hooks = producer.at("webhooks");
  const auto& polls = producer.at("polls");
  const double produced = producer.at("produced").get<double>();
  const double subscribers = config.at("subscribers").get<double>();
  const double delivered = consumer.at("delivered").get<double>();
  const std::uint64_t expected =
      static_cast<std::uint64_t>(produced) * static_cast<std::uint64_t>(subscribers);
  const std::uint64_t delivered_u = consumer.at("delivered").get<std::uint64_t>();
  const std::string mode = config.at("mode");

  const std::uint64_t n_polls = traffic.value("polls", std::uint64_t{0});
  const std::uint64_t n_empty = traffic.value("empty_polls", std::uint64_t{0});
  const std::uint64_t n_posts = hooks.at("posts").get<std::uint64_t>();
  const std::uint64_t failed =
      traffic.value("failed", std::uint64_t{0}) + hooks.at("failed").get<std::uint64_t>();
  const std::uint64_t total_requests = n_polls + n_posts;

  // Bytes each side put on / took off the wire inside the window, headers included.
  const std::uint64_t producer_sent =
      polls.at("bytes_sent").get<std::uint64_t>() + hooks.at("bytes_sent").get<std::uint64_t>();
  const std::uint64_t producer_received = polls.at("bytes_received").get<std::uint64_t>() +
                                          hooks.at("bytes_received").get<std::uint64_t>();
  const std::uint64_t consumer_sent = traffic.at("bytes_sent").get<std::uint64_t>();
  const std::uint64_t consumer_received = traffic.at("bytes_received").get<std::uint64_t>();
  const double bytes_sent = static_cast<double>(producer_sent + consumer_sent);

  const double cpu_p = producer.at("cpu_s").get<double>();
  const double cpu_c = consumer.at("cpu_s").get<double>();

  model_input mi;
  mi.mode = mode;
  mi.arrivals = config.at("arrivals");
  mi.rate = config.at("rate");
  mi.interval_s = config.value("interval_ms", 0.0) / 1e3;
  mi.subscribers = subscribers;
  mi.rtt_s = consumer.at("rtt_us").at("p50").get<double>() / 1e6;
  json model = predict(mi);
  model["rtt_us"] = consumer.at("rtt_us").at("p50");
  model["arrivals"] = mi.arrivals;

  json metrics = {
      {"produced", producer.at("produced")},
      {"expected", expected},
      {"delivered", delivered_u},
      {"lost", expected > delivered_u ? expected - delivered_u : 0},
      {"duplicates", consumer.at("duplicates")},
      {"reordered", consumer.at("reordered")},
      {"latency_us", consumer.at("latency_us")},
      {"generator_lag_us", producer.at("generator_lag_us")},
      {"requests",
       {{"total", total_requests},
        {"polls", n_polls},
        {"empty_polls", n_empty},
        {"late_polls", traffic.value("late_polls", std::uint64_t{0})},
        {"missed_polls", traffic.value("missed_polls", std::uint64_t{0})},
        {"webhook_posts", n_posts},
        {"failed", failed}}},
      {"requests_per_event", per_event(static_cast<double>(total_requests), delivered)},
      {"empty_poll_fraction", n_polls ? json(ratio(static_cast<double>(n_empty),
                                                   static_cast<double>(n_polls)))
                                      : json(nullptr)},
      {"bytes",
       {{"sent", producer_sent + consumer_sent},
        {"received", producer_received + consumer_received},
        {"producer_sent", producer_sent},
        {"producer_received", producer_received},
        {"consumer_sent", consumer_sent},
        {"consumer_received", consumer_received}}},
      {"bytes_per_event", per_event(bytes_sent, delivered)},
      {"cpu_s", {{"producer", cpu_p}, {"consumer", cpu_c}}},
      {"cpu_us_per_event",
       {{"producer", per_event(cpu_p * 1e6, delivered)},
        {"consumer", per_event(cpu_c * 1e6, delivered)}}},
      {"rtt_us", consumer.at("rtt_us")},
      {"webhook_round_trip_us", hooks.value("round_trip_us", json::object())},
      {"producer_rss_bytes", producer.at("rss_bytes")},
      {"drained", consumer.at("drained")},
      {"drain_s", consumer.at("drain_s")},
      {"model", model},
  };
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
  for (auto key : {"sent", "received"}) need(m.at("bytes"), key, t::number_unsigned, "metrics.bytes.");
  need(m, "cpu_s", t::object, "metrics.");
  for (auto key : {"producer", "consumer"}) need(m.at("cpu_s"), key, t::number_float, "metrics.cpu_s.");
  need(m, "cpu_us_per_event", t::object, "metrics.");
  need(m, "model", t::object, "metrics.");
  for (auto key : {"requests_per_event", "bytes_per_event"}) {
    if (!m.contains(key)) throw std::runtime_error(std::string("result: missing metrics.") + key);
  }
  for (auto key : {"git_revision", "compiler", "cpu_model", "kernel", "cores"}) {
    if (!r.at("environment").contains(key)) {
      throw std::runtime_error(std::string("result: missing environment.") + key);
    }
  }
}

namespace {

std::string fmt_us(double us) {
  char buf[32];
  if (us < 1000) {
    std::snprintf(buf, sizeof buf, "%.0f us", us);
  } else if (us < 10'000) {
    std::snprintf(buf, sizeof buf, "%.2f ms", us / 1e3);
  } else if (us < 1e6) {
    std::snprintf(buf, sizeof buf, "%.1f ms", us / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f s", us / 1e6);
  }
  return buf;
}

std::string fmt_num(double v, int decimals = 0) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string fmt_opt(const json& v, int decimals) {
  return v.is_number() ? fmt_num(v.get<double>(), decimals) : "-";
}

std::string header_of(const json& r) {
  const auto& c = r.at("config");
  std::string h = c.at("mode").get<std::string>() + " " + fmt_num(c.at("rate").get<double>(), 0) + "/s";
  if (c.at("mode") == "poll") h += " T=" + fmt_num(c.at("interval_ms").get<double>(), 0) + "ms";
  if (c.at("subscribers").get<int>() != 1) h += " N=" + std::to_string(c.at("subscribers").get<int>());
  return h;
}

}  // namespace

void print_table(std::ostream& out, const std::vector<json>& results) {
  constexpr int label_w = 28;
  int col_w = 14;
  for (const auto& r : results) col_w = std::max<int>(col_w, static_cast<int>(header_of(r).size()) + 2);
  auto row = [&](const std::string& label, auto&& cell) {
    out << std::left << std::setw(label_w) << label;
    for (const auto& r : results) out << std::right << std::setw(col_w) << cell(r);
    out << "\n";
  };
  auto m = [](const json& r) -> const json& { return r.at("metrics"); };
  auto lat = [&](const char* key) {
    return [&m, key](const json& r) {
      const auto& l = m(r).at("latency_us");
      std::string s = l.at("count").get<std::size_t>() ? fmt_us(l.at(key).get<double>()) : "-";
      for (const auto& flag : l.value("low_sample", json::array())) {
        if (flag == key) s += "*";
      }
      return s;
    };
  };
  row("", [&](const json& r) { return header_of(r); });
  row("events produced (window)", [&](const json& r) { return fmt_opt(m(r).at("produced"), 0); });
  row("delivered / expected", [&](const json& r) {
    return fmt_opt(m(r).at("delivered"), 0) + "/" + fmt_opt(m(r).at("expected"), 0);
  });
  row("lost / dup / reordered", [&](const json& r) {
    return fmt_opt(m(r).at("lost"), 0) + "/" + fmt_opt(m(r).at("duplicates"), 0) + "/" +
           fmt_opt(m(r).at("reordered"), 0);
  });
  row("latency p50", lat("p50"));
  row("latency p90", lat("p90"));
  row("latency p99", lat("p99"));
  row("latency p99.9", lat("p999"));
  row("latency max", lat("max"));
  row("latency mean", lat("mean"));
  row("  model mean", [&](const json& r) {
    return fmt_us(m(r).at("model").at("latency_mean_us").get<double>());
  });
  row("requests (window)", [&](const json& r) { return fmt_opt(m(r).at("requests").at("total"), 0); });
  row("  polls / empty", [&](const json& r) {
    const auto& q = m(r).at("requests");
    if (q.at("polls") == 0) return std::string("-");
    return fmt_opt(q.at("polls"), 0) + "/" + fmt_opt(q.at("empty_polls"), 0);
  });
  row("  empty fraction (model)", [&](const json& r) {
    if (!m(r).at("empty_poll_fraction").is_number()) return std::string("-");
    return fmt_opt(m(r).at("empty_poll_fraction"), 3) + " (" +
           fmt_opt(m(r).at("model").at("empty_poll_fraction"), 3) + ")";
  });
  row("  webhook POSTs", [&](const json& r) {
    const auto& q = m(r).at("requests");
    return q.at("webhook_posts") == 0 ? std::string("-") : fmt_opt(q.at("webhook_posts"), 0);
  });
  row("  failed", [&](const json& r) { return fmt_opt(m(r).at("requests").at("failed"), 0); });
  row("requests/event (model)", [&](const json& r) {
    return fmt_opt(m(r).at("requests_per_event"), 3) + " (" +
           fmt_opt(m(r).at("model").at("requests_per_event"), 3) + ")";
  });
  row("bytes/event", [&](const json& r) { return fmt_opt(m(r).at("bytes_per_event"), 0); });
  row("CPU us/event producer", [&](const json& r) {
    return fmt_opt(m(r).at("cpu_us_per_event").at("producer"), 1);
  });
  row("CPU us/event consumer", [&](const json& r) {
    return fmt_opt(m(r).at("cpu_us_per_event").at("consumer"), 1);
  });
  row("CPU s producer/consumer", [&](const json& r) {
    return fmt_opt(m(r).at("cpu_s").at("producer"), 2) + "/" +
           fmt_opt(m(r).at("cpu_s").at("consumer"), 2);
  });
  row("generator lag p50", [&](const json& r) {
    return fmt_us(m(r).at("generator_lag_us").value("p50", 0.0));
  });
  row("RTT p50 (back-to-back)", [&](const json& r) { return fmt_us(m(r).at("rtt_us").at("p50").get<double>()); });
  row("webhook POST RTT p50", [&](const json& r) {
    const auto& w = m(r).value("webhook_round_trip_us", json::object());
    return w.value("count", 0) ? fmt_us(w.at("p50").get<double>()) : std::string("-");
  });
  out << "(* = fewer than 10 samples at or beyond this percentile; latency = parsed by the consumer"
         " - scheduled creation)\n";
}

std::vector<std::string> result_warnings(const json& r) {
  std::vector<std::string> w;
  const auto& m = r.at("metrics");
  const auto lost = m.at("lost").get<std::uint64_t>();
  if (lost > 0) {
    w.push_back("LOST " + std::to_string(lost) + " of " + m.at("expected").dump() +
                " event deliveries (not received after the drain)");
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
  if (m.at("produced").get<std::uint64_t>() == 0) {
    w.push_back("no events were scheduled in the window: raise --rate or --duration");
  }
  return w;
}

}  // namespace hookbench
