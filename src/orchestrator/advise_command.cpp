// `hookbench advise`: the user's question answered from a calibration. For a rate, a number of
// subscribers, a round trip and a latency budget it predicts every mode at its best setting
// (the cheapest T, window or wait that meets the budget), ranks them, recommends one with the
// runner-up and what would change the answer, says whether the point is inside the validated
// range, and with --verify measures the two best at the point (or a scaled-down one).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <optional>

#include "commands.hpp"
#include "core/cli.hpp"
#include "core/parse.hpp"
#include "model/calibration.hpp"
#include "model/predict.hpp"
#include "modes/mode.hpp"
#include "orchestrator/runner.hpp"

namespace hookbench {
namespace {

using json = nlohmann::json;
constexpr double kInf = std::numeric_limits<double>::infinity();

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// 0.0034 -> "3.4 ms", 2 -> "2 s", 0.00005 -> "50 us".
std::string seconds_text(double s) {
  if (!std::isfinite(s)) return "unbounded";
  if (s >= 1) return fmt("%.3g s", s);
  if (s >= 1e-3) return fmt("%.3g ms", s * 1e3);
  return fmt("%.3g us", s * 1e6);
}

std::string rate_text(double r) { return fmt("%.3g", r) + "/s"; }

struct budget {
  std::string stat = "p99";  // p50, p99 or mean
  double limit_us = 0;
  std::string text() const { return stat + " <= " + seconds_text(limit_us / 1e6); }
  double of(const forecast& f, bool upper) const {
    const estimate& e = stat == "p50" ? f.p50_us : stat == "mean" ? f.mean_us : f.p99_us;
    return upper ? e.hi : e.value;
  }
};

budget parse_budget(std::string_view v) {
  const auto at = v.find("<=");
  if (at == std::string_view::npos) {
    throw usage_error("expected STAT<=DURATION (p50, p99 or mean), e.g. p99<=2s, got '" +
                      std::string(v) + "'");
  }
  budget b;
  b.stat = std::string(v.substr(0, at));
  if (b.stat != "p50" && b.stat != "p99" && b.stat != "mean") {
    throw usage_error("the budget's statistic must be p50, p99 or mean, got '" + b.stat + "'");
  }
  const nanos limit = parse_duration(v.substr(at + 2));
  if (limit <= 0) throw usage_error("the budget must be greater than 0");
  b.limit_us = to_us(limit);
  return b;
}

struct advise_options {
  double rate = 0;
  double subscribers = 0;
  nanos rtt = 0;
  budget goal;
  double payload = 256;
  std::string minimize = "requests";
  std::string calibration;
  bool json_out = false;
  bool verify = false;
  std::size_t repeats = 3;
};

double cost_of(const forecast& f, const std::string& what) {
  if (what == "bytes") return f.bytes_per_s;
  if (what == "cpu") return f.producer_cores + f.consumer_cores;
  if (what == "connections") return f.connections;
  return f.requests_per_s;
}
std::string cost_words(const std::string& what) {
  if (what == "bytes") return "bytes on the wire";
  if (what == "cpu") return "CPU";
  if (what == "connections") return "connections";
  return "requests";
}

// A mode at a setting: which knob the advice turned, and to what.
struct candidate {
  const mode_descriptor* mode = nullptr;
  point_input in;
  forecast f;
  std::string knob;  // "interval_ms", "batch_window_ms", "wait_ms" or ""
  double knob_s = 0;
  double knob_hi_s = 0;  // the largest value that meets the budget (0: none does)
  double knob_lo_s = 0;  // the smallest that does not saturate the producer (pull modes)
  bool meets = false;
  std::string projection;  // projection_reason
  std::string reason;
};

point_input base_point(const advise_options& o, const mode_descriptor& mode) {
  point_input in;
  in.mode = mode.name;
  in.rate = o.rate;
  in.subscribers = o.subscribers;
  in.rtt_s = to_s(o.rtt);
  in.payload_bytes = o.payload;
  return in;
}

void set_knob(point_input& in, const std::string& knob, double s) {
  if (knob == "interval_ms") {
    in.interval_s = s;
    in.max_interval_s = 8 * s;
  } else if (knob == "batch_window_ms") {
    in.batch_window_s = s;
  }
}

// The search's predictions: shorter simulations (the chosen setting is predicted in full).
forecast quick(const calibration& cal, point_input in) {
  in.sim_events = 1500;
  in.sim_max_work = 1'000'000;
  return predict(cal, in);
}

// The mode at its best setting: for a knob, the largest value whose predicted interval meets
// the budget (found by bisection over log time: latency grows with it, cost falls).
candidate best_setting(const calibration& cal, const advise_options& o,
                       const mode_descriptor& mode) {
  candidate c;
  c.mode = &mode;
  c.in = base_point(o, mode);
  if (mode.pull) c.knob = "interval_ms";
  if (mode.uses_knob("--batch-window")) c.knob = "batch_window_ms";
  if (mode.uses_knob("--wait")) {
    c.knob = "wait_ms";
    c.knob_s = c.in.wait_s;
  }
  const auto meets = [&](const forecast& f) {
    return !f.saturated && o.goal.of(f, true) <= o.goal.limit_us;
  };
  if (c.knob == "interval_ms" || c.knob == "batch_window_ms") {
    // Latency grows with the knob and cost falls, but a small knob can also overload the
    // producer (too many polls, a batch per event): the setting that meets the budget is a
    // range, found on a log grid and refined at its upper end, which costs least.
    const double floor_s = c.knob == "interval_ms" ? 1e-3 : 1e-4;
    double top_s = 3600;
    // A poll answer holds at most poll_limit events; past T = limit/lambda it chains
    // follow-ups the model leaves out.
    if (mode.pull) top_s = std::clamp(c.in.poll_limit / c.in.rate, 2 * floor_s, top_s);
    // A batch fills at batch_max events in (max - 1)/lambda: past that the window never
    // closes one.
    if (c.knob == "batch_window_ms" && c.in.batch_max > 1) {
      top_s = std::clamp(1.5 * (c.in.batch_max - 1) / c.in.rate, 2 * floor_s, top_s);
    }
    const auto ok_at = [&](double knob) {
      set_knob(c.in, c.knob, knob);
      return meets(quick(cal, c.in));
    };
    constexpr int kGrid = 28;
    double first = 0, last = 0, above_last = 0;
    for (int g = 0; g <= kGrid; ++g) {
      const double x = floor_s * std::pow(top_s / floor_s, static_cast<double>(g) / kGrid);
      if (ok_at(x)) {
        if (first == 0) first = x;
        last = x;
        above_last = g < kGrid ? floor_s * std::pow(top_s / floor_s, (g + 1.0) / kGrid) : 0;
      } else if (last > 0) {
        break;  // past the range's upper end
      }
    }
    if (last == 0) {
      c.knob_s = floor_s;  // nothing meets it: shown at the smallest
    } else {
      double lo = last, hi = above_last;
      for (int k = 0; hi > 0 && k < 16; ++k) {
        const double mid = std::sqrt(lo * hi);
        (ok_at(mid) ? lo : hi) = mid;
      }
      c.knob_s = c.knob_hi_s = lo;
      // The lower end: where the producer stops being overloaded (pull: by polls).
      c.knob_lo_s = first;
      if (first > floor_s) {
        double a = first / std::pow(top_s / floor_s, 1.0 / kGrid), z = first;
        for (int k = 0; k < 16; ++k) {
          const double mid = std::sqrt(a * z);
          (ok_at(mid) ? z : a) = mid;
        }
        c.knob_lo_s = z;
      }
    }
    set_knob(c.in, c.knob, c.knob_s);
  }
  c.f = predict(cal, c.in);
  // The search ran shorter simulations: where the full one lands just past the budget, step
  // the knob down until it meets (a few percent at most).
  for (int i = 0; i < 20 && c.knob_hi_s > 0 && !meets(c.f) && !c.f.saturated; ++i) {
    c.knob_s *= 0.98;
    c.knob_hi_s = c.knob_s;
    set_knob(c.in, c.knob, c.knob_s);
    c.f = predict(cal, c.in);
  }
  c.meets = meets(c.f);
  c.projection = projection_reason(cal, c.in);
  return c;
}

std::string setting_text(const candidate& c) {
  if (c.knob == "interval_ms") return "T = " + seconds_text(c.knob_s);
  if (c.knob == "batch_window_ms") return "W = " + seconds_text(c.knob_s);
  if (c.knob == "wait_ms") return "wait " + seconds_text(c.knob_s);
  return "-";
}

// The range of the knob that meets the budget, in the knob's unit (ms): [lo, hi], or null.
json setting_range_json(const candidate& c) {
  if (c.knob_hi_s <= 0) return nullptr;
  return json::array({c.knob_lo_s * 1e3, c.knob_hi_s * 1e3});
}

json setting_json(const candidate& c) {
  json s = json::object();
  if (!c.knob.empty()) s[c.knob] = c.knob_s * 1e3;
  if (c.knob == "interval_ms" && c.mode->uses_knob("--max-interval")) {
    s["max_interval_ms"] = c.in.max_interval_s * 1e3;
  }
  return s;
}

std::string why(const candidate& c, const advise_options& o) {
  const std::string b = o.goal.text();
  const std::string verdict = c.meets ? "yes" : "no";
  if (c.f.saturated) return "saturated at this point: " + c.f.saturated_reason;
  const mode_descriptor& m = *c.mode;
  const std::string stat = o.goal.stat;
  const char* share = stat == "p99" ? "0.99" : stat == "p50" ? "0.5" : "0.5";
  if (m.pull) {
    if (c.knob_hi_s <= 0) {
      return "no T meets " + b + ": even at T = " + seconds_text(c.knob_s) + " the " + stat +
             " is " + seconds_text(o.goal.of(c.f, true) / 1e6) + " (" + stat + " ~ " + share +
             " T + R/2)";
    }
    return "polling at " + setting_text(c) + " meets " + b + "? " + verdict + " (T from " +
           seconds_text(c.knob_lo_s) + " to " + seconds_text(c.knob_hi_s) +
           " meets it; the largest polls least): " + stat + " ~ " + share + " T + R/2" +
           (m.simulation == sim_design::poll_adaptive ? " (T grows to 8T while nothing comes)"
                                                      : "") +
           "; " + fmt("%.3g", c.f.requests_per_s) + " polls/s for N = " + fmt("%g", o.subscribers);
  }
  const std::string fan_out =
      o.subscribers > 1 ? " + a fan-out of N deliveries on one io thread" : "";
  switch (m.simulation) {
    case sim_design::long_poll:
      return "one parked request per subscriber, answered at each event: " + stat + " ~ R/2" +
             fan_out + " (+ R for events in the round trip); meets " + b + "? " + verdict;
    case sim_design::stream:
      return "one held stream per subscriber, one message per event: " + stat + " ~ R/2" + fan_out +
             "; meets " + b + "? " + verdict;
    case sim_design::webhook_batch:
      if (c.knob_hi_s <= 0) return "no window meets " + b + ": the delivery alone takes longer";
      return "a batch leaves at most " + setting_text(c) + " after its first event: " + stat +
             " ~ W + R/2" + fan_out + "; meets " + b + "? " + verdict;
    default:
      return "one POST per event and subscriber (" + fmt("%.3g", c.f.requests_per_s) +
             "/s): " + stat + " ~ R/2" + fan_out + "; meets " + b + "? " + verdict;
  }
}

// The rate at which b's cost crosses a's (their settings fixed), searched over lambda / 1000 ..
// lambda x 1000; nullopt when the order holds over all of it.
std::optional<double> crossover(const calibration& cal, const candidate& a, const candidate& b,
                                const std::string& what) {
  auto diff = [&](double rate) {
    point_input pa = a.in, pb = b.in;
    pa.rate = pb.rate = rate;
    pa.latency = pb.latency = false;
    return cost_of(predict(cal, pa), what) - cost_of(predict(cal, pb), what);
  };
  const double r = a.in.rate;
  const double here = diff(r);
  double prev = r, step = std::pow(10.0, 0.125);
  for (int dir : {+1, -1}) {
    prev = r;
    for (int i = 1; i <= 24; ++i) {
      const double x = dir > 0 ? r * std::pow(step, i) : r / std::pow(step, i);
      if ((diff(x) > 0) != (here > 0)) {
        double lo = prev, hi = x;
        for (int k = 0; k < 30; ++k) {
          const double mid = std::sqrt(lo * hi);
          ((diff(mid) > 0) == (here > 0) ? lo : hi) = mid;
        }
        return std::sqrt(lo * hi);
      }
      prev = x;
    }
  }
  return std::nullopt;
}

json estimate_json(const estimate& e) {
  auto n = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  return json::array({n(e.lo), n(e.hi)});
}
json num_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json mode_json(const candidate& c) {
  return {{"mode", c.mode->name},
          {"setting", setting_json(c)},
          {"setting_range", setting_range_json(c)},
          {"latency_us",
           {{"mean", num_or_null(c.f.mean_us.value)},
            {"mean_interval", estimate_json(c.f.mean_us)},
            {"p50", num_or_null(c.f.p50_us.value)},
            {"p50_interval", estimate_json(c.f.p50_us)},
            {"p99", num_or_null(c.f.p99_us.value)},
            {"p99_interval", estimate_json(c.f.p99_us)}}},
          {"requests_per_s", c.f.requests_per_s},
          {"bytes_per_s", c.f.bytes_per_s},
          {"producer_cores", c.f.producer_cores},
          {"consumer_cores", c.f.consumer_cores},
          {"connections", c.f.connections},
          {"producer_memory_bytes", c.f.producer_memory_bytes},
          {"saturated", c.f.saturated},
          {"meets_budget", c.meets},
          {"projection", !c.projection.empty()}};
}

std::string bytes_rate_text(double b) {
  if (b >= 1e9) return fmt("%.3g GB/s", b / 1e9);
  if (b >= 1e6) return fmt("%.3g MB/s", b / 1e6);
  if (b >= 1e3) return fmt("%.3g kB/s", b / 1e3);
  return fmt("%.3g B/s", b);
}

std::string interval_text(const estimate& e) {
  if (!std::isfinite(e.value)) return "saturated";
  return seconds_text(e.value / 1e6) + " [" + seconds_text(e.lo / 1e6) + ", " +
         seconds_text(e.hi / 1e6) + "]";
}

// --verify: the recommended mode and the runner-up measured at the point, or at the largest
// scaled-down version of it that this machine holds.
void verify(const calibration& cal, const advise_options& o, const std::vector<candidate*>& which,
            std::ostream& out) {
  constexpr double kMaxSubscribers = 200, kMaxDeliveries = 4000;
  const double n = std::min(o.subscribers, kMaxSubscribers);
  const double rate = std::min(o.rate, kMaxDeliveries / n);
  const bool scaled = n < o.subscribers || rate < o.rate;
  const double window_s = std::clamp(200 / rate, 5.0, 30.0);
  out << "\nverify: " << (scaled ? "at the scaled-down point" : "at the point") << " lambda "
      << rate_text(rate) << ", N " << n << ", RTT " << seconds_text(to_s(o.rtt)) << ", "
      << o.repeats << " repeats of a " << window_s << " s window on loopback"
      << (scaled ? " (this machine holds at most N = 200 and 4000 deliveries/s here)" : "") << "\n";
  for (candidate* c : which) {
    point_input in = c->in;
    in.rate = rate;
    in.subscribers = n;
    in.events = rate * window_s * static_cast<double>(o.repeats);
    in.window_s = window_s;  // a short run's own start, as validate predicts one
    in.warmup_s = 1;
    const forecast f = predict(cal, in);
    double mean = 0, p99 = 0;
    std::size_t got = 0, saturated = 0;
    for (std::size_t k = 0; k < o.repeats; ++k) {
      run_config cfg;
      cfg.mode = c->mode->name;
      cfg.generation.rate = rate;
      cfg.generation.seed = 100 + k;
      cfg.generation.payload_bytes = static_cast<std::size_t>(o.payload);
      cfg.generation.warmup = kNanosPerSecond;
      cfg.generation.duration = static_cast<nanos>(window_s * 1e9);
      cfg.subscribers = static_cast<std::size_t>(n);
      cfg.rtt = o.rtt;
      cfg.quiet = true;
      if (c->knob == "interval_ms") {
        cfg.interval = std::max<nanos>(kNanosPerMilli, static_cast<nanos>(c->knob_s * 1e9));
        if (c->mode->uses_knob("--max-interval")) cfg.tuning.max_interval = 8 * cfg.interval;
      }
      if (c->knob == "batch_window_ms") {
        cfg.tuning.batch_window =
            std::max<nanos>(kNanosPerMilli, static_cast<nanos>(c->knob_s * 1e9));
      }
      std::cerr << "hookbench advise: verify " << cfg.mode << " repeat " << k + 1 << "/"
                << o.repeats << "\n";
      const json r = run_once(cfg);
      const json& l = r.at("metrics").at("latency_us");
      if (r.at("metrics").value("saturated", false)) ++saturated;
      if (!l.contains("mean") || !l.at("mean").is_number()) continue;
      mean += l.at("mean").get<double>();
      p99 += l.value("p99", 0.0);
      ++got;
    }
    if (got == 0) {
      out << "  " << c->mode->name << ": no event delivered in the window (rate too low for "
          << window_s << " s)\n";
      continue;
    }
    mean /= static_cast<double>(got);
    p99 /= static_cast<double>(got);
    auto inside = [](const estimate& e, double x) {
      return x >= e.lo && x <= e.hi ? "inside" : "OUTSIDE";
    };
    out << "  " << c->mode->name << " (" << setting_text(*c) << "): mean predicted "
        << interval_text(f.mean_us) << ", measured " << seconds_text(mean / 1e6) << " ("
        << inside(f.mean_us, mean) << "); p99 predicted " << interval_text(f.p99_us)
        << ", measured " << seconds_text(p99 / 1e6) << " (" << inside(f.p99_us, p99) << ")"
        << (saturated > 0 ? "; " + std::to_string(saturated) + " repeats flagged saturated" : "")
        << "\n";
  }
}

}  // namespace

int advise_main(int argc, char** argv) {
  advise_options o;
  bool have_budget = false;
  option_parser p(
      "advise",
      "Answers: with lambda events/s, N subscribers, a round trip R and a latency budget, which\n"
      "delivery design, at which setting, what it costs, and how sure that is. Every mode is\n"
      "predicted from a calibration (hookbench calibrate; default: the reference built in) at\n"
      "its cheapest setting that meets the budget, ranked, and one is recommended with the\n"
      "runner-up and the rate at which the answer would change. Latencies carry intervals;\n"
      "points outside the validated range are marked as projections.\n\n"
      "  e.g. hookbench advise --rate 5/s --subscribers 2000 --rtt 80ms --budget p99<=2s");
  p.add("--rate", "EVENTS/S", "event rate lambda: 5, 5/s, 300/min or 2/h", "required",
        [&](std::string_view v) { o.rate = parse_event_rate(v); })
      .add("--subscribers", "N", "subscribers N", "required",
           [&](std::string_view v) {
             o.subscribers = static_cast<double>(parse_int(v, 1, 10'000'000));
           })
      .add_duration("--rtt", "the network round trip between producer and subscribers", "0ms",
                    o.rtt, 0, 10 * kNanosPerSecond)
      .add("--budget", "STAT<=DURATION", "the latency budget: p50, p99 or mean, e.g. p99<=2s",
           "required",
           [&](std::string_view v) {
             o.goal = parse_budget(v);
             have_budget = true;
           })
      .add("--payload", "SIZE", "event payload: bytes, or with kB, KiB, MB, MiB (1 MiB at most)",
           "256", [&](std::string_view v) { o.payload = parse_byte_size(v, 1 << 20); })
      .add("--minimize", "WHAT", "what the best setting saves: requests, bytes, cpu, connections",
           "requests",
           [&](std::string_view v) {
             if (v != "requests" && v != "bytes" && v != "cpu" && v != "connections") {
               throw usage_error("expected requests, bytes, cpu or connections, got '" +
                                 std::string(v) + "'");
             }
             o.minimize = std::string(v);
           })
      .add_text("--calibration", "FILE",
                "a calibration from hookbench calibrate (default: built in)", o.calibration)
      .add_switch("--json", "print the advice as JSON (docs/RESULTS.md)",
                  [&] { o.json_out = true; })
      .add_switch("--verify",
                  "measure the recommended mode and the runner-up (3 repeats, real\n"
                  "                            processes on loopback, the RTT emulated)",
                  [&] { o.verify = true; });
  if (!p.parse(argc, argv)) return 0;
  if (o.rate <= 0) throw usage_error("--rate is required (e.g. --rate 5/s)");
  if (o.subscribers <= 0) throw usage_error("--subscribers is required (e.g. --subscribers 2000)");
  if (!have_budget) throw usage_error("--budget is required (e.g. --budget p99<=2s)");
  const calibration cal =
      o.calibration.empty() ? reference_calibration() : read_calibration(o.calibration);
  std::vector<candidate> all;
  for (const auto& mode : delivery_modes()) {
    if (!cal.modes.contains(mode.name)) continue;
    all.push_back(best_setting(cal, o, mode));
  }
  if (all.empty()) throw std::runtime_error(cal.source + ": no mode calibrated");
  // Meeting modes by the cost to minimize; then the rest by how close they come.
  // Costs within 0.5% of each other tie, and the budget's statistic breaks the tie.
  const auto same_cost = [&](const candidate& a, const candidate& b) {
    const double x = cost_of(a.f, o.minimize), y = cost_of(b.f, o.minimize);
    return std::abs(x - y) <= 0.005 * std::max(std::abs(x), std::abs(y));
  };
  std::stable_sort(all.begin(), all.end(), [&](const candidate& a, const candidate& b) {
    if (a.meets != b.meets) return a.meets;
    if (a.meets && !same_cost(a, b)) return cost_of(a.f, o.minimize) < cost_of(b.f, o.minimize);
    return o.goal.of(a.f, false) < o.goal.of(b.f, false);
  });
  candidate* best = all.front().meets ? &all[0] : nullptr;
  // The runner-up is the best of another family (a design the user would weigh against the
  // winner, not its twin: WebSocket behind SSE says little), or the next one when none meets.
  candidate* runner = nullptr;
  if (best) {
    for (auto& c : all) {
      if (&c != best && c.meets && c.mode->family != best->mode->family) {
        runner = &c;
        break;
      }
    }
    if (!runner && all.size() > 1) runner = &all[1];
  }
  // The answer.
  std::string reason, change;
  if (best) {
    reason = best->mode->name + (best->knob.empty() ? "" : " at " + setting_text(*best)) +
             " meets " + o.goal.text() + " with the fewest " + cost_words(o.minimize) + " (" +
             fmt("%.3g", cost_of(best->f, o.minimize)) + (o.minimize == "cpu" ? " cores" : "") +
             (o.minimize == "requests" ? "/s"
              : o.minimize == "bytes"  ? " B/s"
                                       : "") +
             ")";
    std::size_t ties = 0;
    for (const auto& c : all) ties += (&c != best && c.meets && same_cost(c, *best)) ? 1 : 0;
    if (ties > 0) {
      reason += ", tied with " + std::to_string(ties) + " other mode" + (ties > 1 ? "s" : "") +
                " on " + cost_words(o.minimize) + " and first on " + o.goal.stat;
    }
    if (runner && runner->meets) {
      const auto x = crossover(cal, *best, *runner, o.minimize);
      change = x ? std::string(*x > o.rate ? "above" : "below") + " lambda ~ " + rate_text(*x) +
                       " " + runner->mode->name +
                       (runner->knob.empty() ? "" : " at " + setting_text(*runner)) +
                       " costs fewer " + cost_words(o.minimize) + " than " + best->mode->name
                 : "no rate from " + rate_text(o.rate / 1000) + " to " + rate_text(o.rate * 1000) +
                       " changes the order of the two on " + cost_words(o.minimize);
    } else {
      change = "no other mode meets the budget";
    }
  } else if (std::all_of(all.begin(), all.end(),
                         [](const candidate& c) { return c.f.saturated; })) {
    reason = "no mode meets " + o.goal.text() + ": every mode saturates the producer's one io " +
             "thread here (lambda N = " + fmt("%.3g", o.rate * o.subscribers) +
             " deliveries/s); hookbench project sizes the cores each would need";
  } else {
    double floor_us = kInf;
    for (const auto& c : all) floor_us = std::min(floor_us, o.goal.of(c.f, false));
    reason = "no mode meets " + o.goal.text() + " at " +
             (o.rtt > 0 ? "a " + seconds_text(to_s(o.rtt)) + " RTT" : std::string("loopback")) +
             ": the floor is the one-way time (" + seconds_text(to_s(o.rtt) / 2) +
             ") plus the delivery, and the best mode's " + o.goal.stat + " is " +
             seconds_text(floor_us / 1e6);
  }
  point_input asked = base_point(o, *all.front().mode);
  const std::string projection = projection_reason(cal, asked);
  const json& pinning = cal.environment.value("pinning", json("not recorded"));
  const std::string cal_text =
      cal.source + " (" + cal.created + ", " +
      cal.environment.value("cpu_model", std::string("unknown CPU")) + ", " +
      (pinning.is_object() ? "pinned " + pinning.value("producer", json(0)).dump() + "," +
                                 pinning.value("consumer", json(1)).dump()
       : pinning.get<std::string>() == "none" ? std::string("unpinned")
                                              : pinning.get<std::string>()) +
      ")";
  if (o.json_out) {
    json modes = json::array();
    for (const auto& c : all) {
      json m = mode_json(c);
      m["reason"] = why(c, o);
      modes.push_back(std::move(m));
    }
    json rec = {{"mode", best ? json(best->mode->name) : json(nullptr)},
                {"setting", best ? setting_json(*best) : json::object()},
                {"reason", reason},
                {"runner_up", runner ? json(runner->mode->name) : json(nullptr)},
                {"what_would_change", change}};
    json doc = {{"input",
                 {{"rate", o.rate},
                  {"subscribers", o.subscribers},
                  {"rtt_ms", to_ms(o.rtt)},
                  {"budget", {{"stat", o.goal.stat}, {"limit_us", o.goal.limit_us}}},
                  {"payload_bytes", o.payload},
                  {"minimize", o.minimize}}},
                {"calibration",
                 {{"source", cal.source},
                  {"created", cal.created},
                  {"network", "loopback"},
                  {"machine_factor", kMachineFactor},
                  {"validated", !cal.validated.empty()},
                  {"projection", projection.empty() ? json(nullptr) : json(projection)}}},
                {"modes", modes},
                {"recommendation", rec}};
    std::cout << doc.dump(2) << "\n";
  } else {
    std::cout << "hookbench advise: lambda " << rate_text(o.rate) << ", N "
              << fmt("%g", o.subscribers) << ", RTT " << seconds_text(to_s(o.rtt)) << ", budget "
              << o.goal.text() << ", payload " << fmt("%g", o.payload) << " B, minimizing "
              << cost_words(o.minimize) << "\n";
    std::cout << "calibration: " << cal_text << "; "
              << (projection.empty() ? "the point lies inside the validated range"
                                     : "a projection: " + projection)
              << "\n\n";
    std::printf("  %-16s %-12s %-30s %10s %10s %13s %9s  %s\n", "mode", "setting",
                (o.goal.stat + " [interval]").c_str(), "req/s", "bytes/s", "cores p+c", "conns",
                "meets");
    for (const auto& c : all) {
      const estimate& e = o.goal.stat == "p50"    ? c.f.p50_us
                          : o.goal.stat == "mean" ? c.f.mean_us
                                                  : c.f.p99_us;
      const std::string cores =
          fmt("%.3g", c.f.producer_cores) + "+" + fmt("%.3g", c.f.consumer_cores);
      std::printf("  %-16s %-12s %-30s %10.4g %10s %13s %9.0f  %s\n", c.mode->name.c_str(),
                  setting_text(c).c_str(), interval_text(e).c_str(), c.f.requests_per_s,
                  bytes_rate_text(c.f.bytes_per_s).c_str(), cores.c_str(), c.f.connections,
                  c.meets ? "yes" : "no");
    }
    std::cout << "\n";
    for (const auto& c : all) std::cout << "  " << c.mode->name << ": " << why(c, o) << "\n";
    std::cout << "\nrecommendation: " << reason << ".\n";
    if (runner) std::cout << "runner-up: " << runner->mode->name << ". " << change << ".\n";
    std::cout << "(the model's claim from " << cal.source
              << ", taken on loopback; latency intervals span the machine's constants x/"
              << kMachineFactor << ")\n";
  }
  if (o.verify) {
    std::vector<candidate*> which;
    if (best) which.push_back(best);
    if (runner) which.push_back(runner);
    if (which.empty()) which.push_back(&all.front());
    verify(cal, o, which, o.json_out ? std::cerr : std::cout);
  }
  return 0;
}

}  // namespace hookbench
