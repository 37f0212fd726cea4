// `hookbench calibrate`: measures on this machine, in about two minutes, the constants that the
// model and the simulation need for every mode (model/calibration.hpp), with real runs of the
// harness on loopback, and writes them with the environment. `--check` runs a few points
// against a calibration's predictions instead and reports how far each measurement fell.
#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "core/cli.hpp"
#include "core/clock.hpp"
#include "measure/environment.hpp"
#include "model/calibration.hpp"
#include "model/predict.hpp"
#include "modes/mode.hpp"
#include "orchestrator/runner.hpp"

namespace hookbench {
namespace {

using json = nlohmann::json;

double num(const json& j, std::initializer_list<const char*> path, double fallback = 0) {
  const json* at = &j;
  for (const char* key : path) {
    auto it = at->find(key);
    if (it == at->end()) return fallback;
    at = &*it;
  }
  return at->is_number() ? at->get<double>() : fallback;
}

struct calibrate_options {
  std::string out = "calibration.json";
  double rate = 20;
  double hot_rate = 1000;
  std::size_t subscribers = 32;
  nanos duration = 3 * kNanosPerSecond;
  nanos interval = 50 * kNanosPerMilli;
  std::vector<int> pin;
  std::vector<std::string> modes;  // empty: every mode
  bool check = false;
  std::string calibration;  // --check: the calibration to check (default: the built-in one)
};

struct runner_progress {
  std::size_t done = 0, total = 0;
  nanos started = now_ns();
  json run(const run_config& cfg, const std::string& what) {
    ++done;
    const double elapsed = to_s(now_ns() - started);
    std::cerr << "hookbench calibrate: [" << done << "/" << total << "] " << what << " (elapsed "
              << static_cast<int>(elapsed) << " s)\n";
    return run_once(cfg);
  }
};

run_config base_run(const calibrate_options& o, const std::string& mode, double rate,
                    std::size_t subscribers, std::uint64_t seed) {
  run_config cfg;
  cfg.mode = mode;
  cfg.generation.rate = rate;
  cfg.generation.seed = seed;
  cfg.generation.warmup = kNanosPerSecond / 2;
  cfg.generation.duration = o.duration;
  cfg.subscribers = subscribers;
  cfg.interval = o.interval;
  cfg.drain = 2 * kNanosPerSecond;
  cfg.pin = o.pin;
  cfg.quiet = true;
  return cfg;
}

// A run's latency quantiles at 0, 0.01, ..., 1 from its result's quantile list.
std::vector<double> hundredths(const json& latency) {
  std::vector<double> out;
  const json& qs = latency.value("quantiles", json::array());
  for (int i = 0; i <= 100; ++i) {
    const double q = i / 100.0;
    double value = i == 0 ? num(latency, {"min"}) : num(latency, {"max"});
    for (const auto& pair : qs) {
      if (std::abs(pair.at(0).get<double>() - q) < 1e-9) value = pair.at(1).get<double>();
    }
    out.push_back(value);
  }
  for (std::size_t i = 1; i < out.size(); ++i) out[i] = std::max(out[i], out[i - 1]);
  return out;
}

double net_cores(const json& r, const char* side) {
  return std::max(0.0, num(r, {"metrics", "cpu", side, "net_cores"}));
}
double deliveries_per_s(const json& r) {
  return num(r, {"metrics", "realised_rate"}) * num(r, {"config", "subscribers"}, 1);
}

mode_constants measure_mode(const calibrate_options& o, const mode_descriptor& mode,
                            runner_progress& progress, std::vector<double>& pings) {
  const std::string n_text = "N=" + std::to_string(o.subscribers);
  const json one = progress.run(base_run(o, mode.name, o.rate, 1, 11), mode.name + " N=1");
  // The fan-out's c is the mean spacing of an event's deliveries: push modes measure it over
  // five times the events (one preempted fan-out moves a 60-event mean by tens of percent).
  const double many_rate = mode.pull ? o.rate : 5 * o.rate;
  const json many = progress.run(base_run(o, mode.name, many_rate, o.subscribers, 12),
                                 mode.name + " " + n_text + (mode.pull ? "" : " at 5x the rate"));
  mode_constants k;
  const json& m1 = one.at("metrics");
  pings.push_back(num(m1, {"rtt_us", "p50"}));
  pings.push_back(num(many, {"metrics", "rtt_us", "p50"}));
  k.lag_us = num(m1, {"model", "lag_us"});
  k.base_mean_us = num(m1, {"latency_us", "mean"});
  k.wake_us = num(m1, {"model", "wake_us"});
  k.delivery_cost_us = num(many, {"metrics", "model", "delivery_cost_us"});
  k.overhead_bytes = num(many, {"metrics", "model", "overhead_bytes"});
  k.event_bytes = num(many, {"metrics", "model", "event_bytes"});
  k.producer_idle_cores = num(many, {"metrics", "cpu", "producer", "idle_cores"});
  k.consumer_idle_cores = num(many, {"metrics", "cpu", "consumer", "idle_cores"});
  k.producer_base_rss_bytes = num(one, {"metrics", "producer_memory", "window_start_rss_bytes"});
  k.memory_per_subscriber_bytes =
      std::max(0.0, num(many, {"metrics", "producer_memory", "per_subscriber_bytes"}));
  if (m1.at("latency_us").contains("mean_ci95") && k.base_mean_us > 0) {
    const json& ci = m1.at("latency_us").at("mean_ci95");
    k.spread = (ci.at(1).get<double>() - ci.at(0).get<double>()) / 2 / k.base_mean_us;
  }
  const double requests = num(many, {"metrics", "requests_per_s"});
  const double deliveries = deliveries_per_s(many);
  if (mode.pull) {
    // The base is G + R0/2: the wait dominates a pull latency, its spread is the design's.
    k.base_mean_us = k.lag_us + num(m1, {"rtt_us", "p50"}) / 2;
    k.spread = 0;
    // Two runs with the same polls but ten times the events part the CPU per answer from the
    // CPU per event.
    const json dense = progress.run(base_run(o, mode.name, o.rate * 10, o.subscribers, 13),
                                    mode.name + " " + n_text + " at ten times the rate");
    const double requests2 = num(dense, {"metrics", "requests_per_s"});
    const double deliveries2 = deliveries_per_s(dense);
    for (const char* side : {"producer", "consumer"}) {
      const double c1 = net_cores(many, side), c2 = net_cores(dense, side);
      // c = a requests + b deliveries over the two runs, solved; where noise makes one term
      // negative it is held at 0 and the other fitted by least squares over both runs (said).
      const double det = requests * deliveries2 - requests2 * deliveries;
      double a = 0, b = 0;
      if (std::abs(det) > 1e-9) {
        a = (c1 * deliveries2 - c2 * deliveries) / det;
        b = (requests * c2 - requests2 * c1) / det;
      }
      if (!(a >= 0 && b >= 0)) {
        const bool events_only = a < 0;
        const double x1 = events_only ? deliveries : requests;
        const double x2 = events_only ? deliveries2 : requests2;
        const double fit = x1 * x1 + x2 * x2 > 0 ? (c1 * x1 + c2 * x2) / (x1 * x1 + x2 * x2) : 0;
        a = events_only ? 0 : fit;
        b = events_only ? fit : 0;
        std::cerr << "hookbench calibrate: " << mode.name << ", " << side
                  << ": the CPU of the two runs does not part into per-request and per-event "
                     "costs (noise); all of it is put "
                  << (events_only ? "on the events" : "on the requests") << "\n";
      }
      double& per_request = side[0] == 'p' ? k.producer_us_per_request : k.consumer_us_per_request;
      double& per_event = side[0] == 'p' ? k.producer_us_per_event : k.consumer_us_per_event;
      per_request = a * 1e6;
      per_event = b * 1e6;
    }
    return k;
  }
  k.base_quantiles_us = hundredths(m1.at("latency_us"));
  // At a high rate the threads never sleep: the trip without the wake-ups.
  const json hot =
      progress.run(base_run(o, mode.name, o.hot_rate, 1, 14),
                   mode.name + " N=1 at " + std::to_string(static_cast<int>(o.hot_rate)) + "/s");
  const json& mh = hot.at("metrics");
  k.hot_lag_us = num(mh, {"model", "lag_us"});
  k.hot_base_mean_us = num(mh, {"latency_us", "mean"});
  k.hot_wake_us = num(mh, {"model", "wake_us"});
  k.hot_base_quantiles_us = hundredths(mh.at("latency_us"));
  // Push: a stream costs per message; the request designs per POST or answer.
  const bool streams = mode.request_kinds.empty() || requests <= 0;
  for (const char* side : {"producer", "consumer"}) {
    const double cores = net_cores(many, side);
    double& per_request = side[0] == 'p' ? k.producer_us_per_request : k.consumer_us_per_request;
    double& per_event = side[0] == 'p' ? k.producer_us_per_event : k.consumer_us_per_event;
    if (streams) {
      per_event = deliveries > 0 ? cores / deliveries * 1e6 : 0;
    } else {
      per_request = cores / requests * 1e6;
    }
  }
  return k;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int calibrate(const calibrate_options& o) {
  {
    // Before two minutes of runs, not after them.
    std::ofstream probe(o.out, std::ios::app);
    if (!probe) throw usage_error("--out " + o.out + ": cannot write there");
  }
  std::vector<const mode_descriptor*> modes;
  for (const auto& m : delivery_modes()) {
    if (o.modes.empty() || std::find(o.modes.begin(), o.modes.end(), m.name) != o.modes.end()) {
      modes.push_back(&m);
    }
  }
  runner_progress progress;
  progress.total = 3 * modes.size();
  std::cerr << "hookbench calibrate: " << progress.total << " runs of "
            << format_duration(o.duration) << " at " << o.rate << "/s on loopback"
            << (o.pin.empty() ? " (unpinned)" : "") << ", about "
            << static_cast<int>(
                   std::ceil(static_cast<double>(progress.total) * (to_s(o.duration) + 1.2) / 60))
            << " minutes\n";
  calibration cal;
  cal.rate = o.rate;
  cal.hot_rate = o.hot_rate;
  cal.payload_bytes = 256;
  cal.fan_out_subscribers = static_cast<double>(o.subscribers);
  std::vector<double> pings;
  for (const auto* m : modes) cal.modes[m->name] = measure_mode(o, *m, progress, pings);
  std::vector<double> hot_lags;
  for (const auto& [name, k] : cal.modes) {
    if (k.hot_lag_us > 0) hot_lags.push_back(k.hot_lag_us);
  }
  std::sort(hot_lags.begin(), hot_lags.end());
  cal.hot_lag_us = hot_lags.empty() ? 0 : hot_lags[hot_lags.size() / 2];
  std::sort(pings.begin(), pings.end());
  cal.loopback_rtt_us = pings.empty() ? 0 : pings[pings.size() / 2];
  cal.duration_s = to_s(now_ns() - progress.started);
  cal.created = utc_now();
  cal.environment = describe_environment();
  cal.environment["pinning"] =
      o.pin.empty() ? json("none") : json{{"producer", o.pin[0]}, {"consumer", o.pin[1]}};
  std::ofstream out(o.out);
  out << to_json(cal).dump(2) << "\n";
  if (!out) throw std::runtime_error(o.out + ": cannot write the calibration");
  std::cout << "calibration of " << modes.size() << " modes in " << static_cast<int>(cal.duration_s)
            << " s -> " << o.out << "\n";
  std::printf("  %-17s %9s %9s %9s %9s %10s\n", "mode", "G us", "base us", "c us", "cpu/req",
              "mem/sub B");
  for (const auto& [name, k] : cal.modes) {
    std::printf("  %-17s %9.0f %9.0f %9.1f %9.1f %10.0f\n", name.c_str(), k.lag_us, k.base_mean_us,
                k.delivery_cost_us, k.producer_us_per_request + k.producer_us_per_event,
                k.memory_per_subscriber_bytes);
  }
  return 0;
}

// --check: a handful of points, each predicted from the calibration and then measured.
int check(const calibrate_options& o) {
  const calibration cal =
      o.calibration.empty() ? reference_calibration() : read_calibration(o.calibration);
  struct probe {
    const char* mode;
    double rate, subscribers, interval_ms, rtt_ms;
  };
  const std::vector<probe> probes = {{"poll", 20, 4, 100, 0},   {"long-poll", 10, 8, 0, 0},
                                     {"sse", 50, 16, 0, 0},     {"webhook", 20, 16, 0, 0},
                                     {"webhook", 10, 4, 0, 20}, {"webhook-batch", 40, 4, 0, 0}};
  runner_progress progress;
  for (const auto& p : probes) progress.total += cal.modes.contains(p.mode) ? 1 : 0;
  std::cout << "checking " << cal.source << " (" << cal.created << ") against " << probes.size()
            << " runs on this machine:\n";
  std::size_t inside = 0, ran = 0;
  for (const auto& p : probes) {
    if (!cal.modes.contains(p.mode)) {
      std::cout << "  " << p.mode << ": skipped (not in the calibration)\n";
      continue;
    }
    ++ran;
    run_config cfg = base_run(o, p.mode, p.rate, static_cast<std::size_t>(p.subscribers), 21);
    if (p.interval_ms > 0) cfg.interval = static_cast<nanos>(p.interval_ms * kNanosPerMilli);
    cfg.rtt = static_cast<nanos>(p.rtt_ms * kNanosPerMilli);
    point_input in;
    in.mode = p.mode;
    in.rate = p.rate;
    in.subscribers = p.subscribers;
    in.interval_s = to_s(cfg.interval);
    in.rtt_s = p.rtt_ms / 1e3;
    in.batch_window_s = to_s(cfg.tuning.batch_window);
    in.batch_max = static_cast<double>(cfg.tuning.batch_max);
    in.wait_s = to_s(cfg.tuning.wait);
    in.events = p.rate * to_s(o.duration);
    in.window_s = to_s(o.duration);
    in.warmup_s = to_s(cfg.generation.warmup);
    const forecast f = predict(cal, in);
    char label[96];
    std::snprintf(
        label, sizeof label, "%s r=%g N=%g%s", p.mode, p.rate, p.subscribers,
        p.rtt_ms > 0 ? (" rtt=" + std::to_string(static_cast<int>(p.rtt_ms)) + "ms").c_str() : "");
    const json r = progress.run(cfg, label);
    const double measured = num(r, {"metrics", "latency_us", "mean"});
    const bool ok = measured >= f.mean_us.lo && measured <= f.mean_us.hi;
    inside += ok;
    std::printf("  %-32s predicted mean %8.0f us [%.0f, %.0f], measured %8.0f us: %s (%+.0f%%)\n",
                label, f.mean_us.value, f.mean_us.lo, f.mean_us.hi, measured,
                ok ? "inside" : "OUTSIDE", (measured / f.mean_us.value - 1) * 100);
  }
  std::cout << inside << "/" << ran << " measurements inside the predicted interval"
            << (inside == ran ? ": the calibration still describes this machine\n"
                              : ": calibrate again (hookbench calibrate) if many miss\n");
  return 0;
}

}  // namespace

int calibrate_main(int argc, char** argv) {
  calibrate_options o;
  option_parser p(
      "calibrate",
      "Measures on this machine, in about two minutes, the constants that the model\n"
      "and the simulation need for every mode (generator lag, the trip of one delivery,\n"
      "the fan-out's cost per delivery, CPU per request and per event, bytes per\n"
      "exchange, memory per subscriber, idle upkeep), with real runs of the harness on\n"
      "loopback, and writes them with the environment to --out. `hookbench advise` and\n"
      "`hookbench validate` read it (--calibration FILE).");
  p.add_text("--out", "FILE", "where to write the calibration [default: calibration.json]", o.out)
      .add("--rate", "EVENTS/S", "event rate of the calibration runs", "20",
           [&](std::string_view v) { o.rate = parse_positive_double(v); })
      .add("--hot-rate", "EVENTS/S", "rate of the push modes' runs with threads kept busy", "1000",
           [&](std::string_view v) { o.hot_rate = parse_positive_double(v); })
      .add_count("--subscribers", "N", "subscribers of the runs that measure the fan-out", "32",
                 o.subscribers, 2, 1000)
      .add_duration("--duration", "window of each run", "3s", o.duration, kNanosPerSecond / 2,
                    60 * kNanosPerSecond)
      .add("--pin", "P,C", "pin the producer to core P and the consumer to core C", "no pinning",
           [&](std::string_view v) {
             o.pin = parse_int_list(v);
             if (o.pin.size() != 2) throw usage_error("expected two cores P,C");
           })
      .add("--modes", "LIST", "calibrate only these modes (comma-separated)", "every mode",
           [&](std::string_view v) {
             o.modes = split_list(v);
             for (const auto& name : o.modes) {
               if (!find_mode(name)) throw usage_error("unknown mode '" + name + "'");
             }
           })
      .add_switch("--check",
                  "instead of calibrating, run six points and report how far each\n"
                  "                            measurement falls from the calibration's prediction",
                  [&] { o.check = true; })
      .add_text("--calibration", "FILE", "--check: the calibration to check (default: built in)",
                o.calibration);
  if (!p.parse(argc, argv)) return 0;
  return o.check ? check(o) : calibrate(o);
}

}  // namespace hookbench
