// The human-readable table of one or several results, one column per result: what `run`
// prints after a run and `compare` prints of saved ones.
#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <string>

#include "orchestrator/result.hpp"

namespace hookbench {
namespace {

using json = nlohmann::json;

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
  std::string h =
      c.at("mode").get<std::string>() + " " + fmt_num(c.at("rate").get<double>(), 0) + "/s";
  if (c.contains("interval_ms")) h += " T=" + fmt_num(c.at("interval_ms").get<double>(), 0) + "ms";
  if (c.at("subscribers").get<int>() != 1)
    h += " N=" + std::to_string(c.at("subscribers").get<int>());
  if (c.value("consumer_stack", "beast") != "beast") h += " " + c.value("consumer_stack", "");
  return h;
}

const json& metrics_of(const json& r) { return r.at("metrics"); }

// Writes one row per call: the label, then one cell per result.
class table {
 public:
  table(std::ostream& out, const std::vector<json>& results) : out_(out), results_(results) {
    for (const auto& r : results)
      col_w_ = std::max<int>(col_w_, static_cast<int>(header_of(r).size()) + 2);
  }

  const std::vector<json>& results() const { return results_; }

  // `cell` makes the text of one result's cell.
  template <class Cell>
  void row(const std::string& label, Cell&& cell) {
    out_ << std::left << std::setw(kLabelWidth) << label;
    for (const auto& r : results_) out_ << std::right << std::setw(col_w_) << cell(r);
    out_ << "\n";
  }

 private:
  static constexpr int kLabelWidth = 28;
  std::ostream& out_;
  const std::vector<json>& results_;
  int col_w_ = 14;
};

// The events: produced, delivered, lost.
void print_counts(table& t) {
  const auto m = metrics_of;
  t.row("", [&](const json& r) { return header_of(r); });
  t.row("events produced (window)", [&](const json& r) { return fmt_opt(m(r).at("produced"), 0); });
  t.row("  realised rate /s", [&](const json& r) { return fmt_opt(m(r).at("realised_rate"), 2); });
  t.row("delivered / expected", [&](const json& r) {
    return fmt_opt(m(r).at("delivered"), 0) + "/" + fmt_opt(m(r).at("expected"), 0);
  });
  t.row("lost / dup / reordered", [&](const json& r) {
    return fmt_opt(m(r).at("lost"), 0) + "/" + fmt_opt(m(r).at("duplicates"), 0) + "/" +
           fmt_opt(m(r).at("reordered"), 0);
  });
}

// The latency percentiles (a * where too few samples lie at or beyond one), its mean's
// interval and the model's mean.
void print_latency(table& t) {
  const auto m = metrics_of;
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
  t.row("latency p50", lat("p50"));
  t.row("latency p90", lat("p90"));
  t.row("latency p99", lat("p99"));
  t.row("latency p99.9", lat("p999"));
  t.row("latency max", lat("max"));
  t.row("latency mean", lat("mean"));
  t.row("  mean 95% CI", [&](const json& r) {
    const auto& ci = m(r).at("latency_us").at("mean_ci95");
    if (!ci.is_array()) return std::string("-");
    return fmt_us(ci[0].get<double>()) + ".." + fmt_us(ci[1].get<double>());
  });
  t.row("  model mean (agreement)", [&](const json& r) {
    const auto& mo = m(r).at("model");
    std::string s = mo.at("latency_mean_us").is_number()
                        ? fmt_us(mo.at("latency_mean_us").get<double>())
                        : std::string("saturated");
    if (mo.value("latency_agreement", json()).is_string()) {
      s += " (" + mo.at("latency_agreement").get<std::string>() + ")";
    }
    return s;
  });
}

// The requests by kind, per event against the model, and the bytes per event.
void print_requests(table& t) {
  const auto m = metrics_of;
  t.row("requests (window)",
        [&](const json& r) { return fmt_opt(m(r).at("requests").at("total"), 0); });
  t.row("  polls / empty", [&](const json& r) {
    const auto& q = m(r).at("requests");
    if (q.at("polls") == 0) return std::string("-");
    return fmt_opt(q.at("polls"), 0) + "/" + fmt_opt(q.at("empty_polls"), 0);
  });
  t.row("  empty fraction (model)", [&](const json& r) {
    if (!m(r).at("empty_poll_fraction").is_number()) return std::string("-");
    return fmt_opt(m(r).at("empty_poll_fraction"), 3) + " (" +
           fmt_opt(m(r).at("model").at("empty_poll_fraction"), 3) + ")";
  });
  t.row("  webhook POSTs", [&](const json& r) {
    const auto& q = m(r).at("requests");
    return q.at("webhook_posts") == 0 ? std::string("-") : fmt_opt(q.at("webhook_posts"), 0);
  });
  t.row("  failed", [&](const json& r) { return fmt_opt(m(r).at("requests").at("failed"), 0); });
  t.row("requests/event (model)", [&](const json& r) {
    return fmt_opt(m(r).at("requests_per_event"), 3) + " (" +
           fmt_opt(m(r).at("model").at("requests_per_event"), 3) + ")";
  });
  t.row("bytes/event", [&](const json& r) { return fmt_opt(m(r).at("bytes_per_event"), 0); });
}

// The CPU of each side, whether the run kept up, and the round trips.
void print_cpu_and_timing(table& t) {
  const auto m = metrics_of;
  t.row("CPU us/event producer",
        [&](const json& r) { return fmt_opt(m(r).at("cpu_us_per_event").at("producer"), 1); });
  t.row("CPU us/event consumer",
        [&](const json& r) { return fmt_opt(m(r).at("cpu_us_per_event").at("consumer"), 1); });
  t.row("CPU cores producer/consumer", [&](const json& r) {
    return fmt_opt(m(r).at("cpu").at("producer").at("cores"), 3) + "/" +
           fmt_opt(m(r).at("cpu").at("consumer").at("cores"), 3);
  });
  t.row("  idle baseline (cores)", [&](const json& r) {
    return fmt_opt(m(r).at("cpu").at("producer").at("idle_cores"), 3) + "/" +
           fmt_opt(m(r).at("cpu").at("consumer").at("idle_cores"), 3);
  });
  t.row("saturated", [&](const json& r) {
    return std::string(m(r).at("saturated").get<bool>() ? "YES" : "no");
  });
  t.row("generator lag p50",
        [&](const json& r) { return fmt_us(m(r).at("generator_lag_us").value("p50", 0.0)); });
  t.row("RTT p50 (back-to-back)",
        [&](const json& r) { return fmt_us(m(r).at("rtt_us").at("p50").get<double>()); });
  t.row("webhook POST RTT p50", [&](const json& r) {
    const auto& w = m(r).value("webhook_round_trip_us", json::object());
    return w.value("count", 0) ? fmt_us(w.at("p50").get<double>()) : std::string("-");
  });
}

// One fault per column (the first; every fault is in metrics.faults.per_fault), when any result
// has faults.
void print_faults(table& t) {
  const auto m = metrics_of;
  if (std::none_of(t.results().begin(), t.results().end(),
                   [&](const json& r) { return m(r).contains("faults"); })) {
    return;
  }
  auto first_fault = [&](const json& r) -> json {
    const auto& pf = m(r).value("faults", json::object()).value("per_fault", json::array());
    return pf.empty() ? json(nullptr) : pf.front();
  };
  t.row("fault", [&](const json& r) {
    const json f = first_fault(r);
    if (f.is_null()) return std::string("-");
    const auto n = m(r).at("faults").at("per_fault").size();
    return f.value("spec", std::string()) + (n > 1 ? " +" + std::to_string(n - 1) : "");
  });
  t.row("  lost / dup around it", [&](const json& r) {
    const json f = first_fault(r);
    return f.is_null() ? std::string("-")
                       : fmt_opt(f.at("lost"), 0) + "/" + fmt_opt(f.at("duplicates"), 0);
  });
  t.row("  delay p99/max after AT", [&](const json& r) {
    const json f = first_fault(r);
    if (f.is_null() || !f.at("delay_us").at("max").is_number()) return std::string("-");
    return fmt_us(f.at("delay_us").at("p99").get<double>()) + "/" +
           fmt_us(f.at("delay_us").at("max").get<double>());
  });
  t.row("  catch-up after its end", [&](const json& r) {
    const json f = first_fault(r);
    if (f.is_null()) return std::string("-");
    return f.at("catch_up_s").is_number() ? fmt_us(f.at("catch_up_s").get<double>() * 1e6)
                                          : std::string("never");
  });
}

}  // namespace

void print_table(std::ostream& out, const std::vector<json>& results) {
  table t(out, results);
  print_counts(t);
  print_latency(t);
  print_requests(t);
  print_cpu_and_timing(t);
  print_faults(t);
  out << "(* = fewer than 10 samples at or beyond this percentile; latency = parsed by the consumer"
         " - scheduled creation; the model uses the realised rate and the in-run round trip)\n";
}

}  // namespace hookbench
