// `hookbench project`: the calibration carried past what one machine holds, to N = 1 000 000
// subscribers and lambda = 100 000 events/s: per mode the requests, bandwidth, connections and
// producer cores each point needs, the mean latency it gives when that many cores share the
// fan-out, and where one core saturates. Every figure is the model's, and says which measured
// range backs it (the calibration's validated range).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "core/cli.hpp"
#include "core/parse.hpp"
#include "model/calibration.hpp"
#include "model/predict.hpp"
#include "modes/mode.hpp"

namespace hookbench {
namespace {

using json = nlohmann::json;

// The load a core is run at when sizing: past it the fan-out's queue grows quickly.
constexpr double kTargetLoad = 0.7;

std::string si_text(double v) {
  char buf[32];
  if (v >= 1e9)
    std::snprintf(buf, sizeof buf, "%.3gG", v / 1e9);
  else if (v >= 1e6)
    std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  else if (v >= 1e3)
    std::snprintf(buf, sizeof buf, "%.3gk", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::vector<double> parse_numbers(std::string_view v, double most, bool whole) {
  std::vector<double> out;
  for (const auto& s : split_list(v)) {
    const double x = parse_positive_double(s);
    if (x > most) throw usage_error(s + " is above " + si_text(most));
    if (whole && x != std::floor(x)) throw usage_error(s + " is not a whole number");
    out.push_back(x);
  }
  if (out.empty()) throw usage_error("expected a comma-separated list of numbers");
  return out;
}

std::string latency_text(double us) {
  if (!std::isfinite(us)) return "saturated";
  char buf[32];
  if (us >= 1e6)
    std::snprintf(buf, sizeof buf, "%.3g s", us / 1e6);
  else if (us >= 1e3)
    std::snprintf(buf, sizeof buf, "%.3g ms", us / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.3g us", us);
  return buf;
}

}  // namespace

int project_main(int argc, char** argv) {
  std::string calibration_path;
  std::vector<double> subscribers{1e3, 1e4, 1e5, 1e6};
  std::vector<double> rates{1, 100, 1e4, 1e5};
  nanos interval = kNanosPerSecond, window = kNanosPerSecond;
  bool as_json = false;
  option_parser p("project",
                  "The calibration carried to N = 1 000 000 subscribers and 100 000 events/s:\n"
                  "per mode and point the requests/s, Gbit/s, connections and producer cores\n"
                  "needed (each core at 70% load), the mean latency when that many cores share\n"
                  "the fan-out, and the deliveries/s at which one core saturates. The model's\n"
                  "projection, not a measurement: each row says whether the validated range\n"
                  "backs it.");
  p.add("--subscribers", "LIST", "the N to project", "1000,10000,100000,1000000",
        [&](std::string_view v) { subscribers = parse_numbers(v, 1e9, true); })
      .add("--rates", "LIST", "the event rates (events/s) to project", "1,100,10000,100000",
           [&](std::string_view v) { rates = parse_numbers(v, 1e7, false); })
      .add_duration("--interval", "T of the pull modes", "1s", interval, kNanosPerMilli)
      .add_duration("--batch-window", "W of webhook-batch", "1s", window, kNanosPerMilli)
      .add_text("--calibration", "FILE", "a calibration (default: built in)", calibration_path)
      .add_switch("--json", "print the projection as JSON", [&] { as_json = true; });
  if (!p.parse(argc, argv)) return 0;
  const calibration cal =
      calibration_path.empty() ? reference_calibration() : read_calibration(calibration_path);
  json rows = json::array();
  json saturation = json::object();
  if (!as_json) {
    std::cout << "projection from " << cal.source << " (" << cal.created
              << ", loopback): the model's claim, each core at " << kTargetLoad * 100
              << "% load; pull modes at T = " << format_duration(interval)
              << ", webhook-batch at W = " << format_duration(window) << "\n";
  }
  for (const auto& mode : delivery_modes()) {
    if (!cal.modes.contains(mode.name)) continue;
    const mode_constants& k = cal.of(mode.name);
    // One core's deliveries per second: at lambda N = 10k/s, the producer's net CPU or its io
    // thread's fan-out work (deliveries or answers x c), the larger, per delivery.
    point_input one;
    one.mode = mode.name;
    one.rate = 100;
    one.subscribers = 100;
    one.interval_s = to_s(interval);
    one.batch_window_s = to_s(window);
    one.latency = false;
    const double deliveries1 = one.rate * one.subscribers;
    const auto work_of = [&](const forecast& f) {
      return std::max(f.producer_cores - k.producer_idle_cores, f.io_utilization);
    };
    const double per_delivery_us = work_of(predict(cal, one)) / deliveries1 * 1e6;
    const double core_saturates = per_delivery_us > 0 ? 1e6 / per_delivery_us : 0;
    saturation[mode.name] = {{"deliveries_per_s_per_core", core_saturates},
                             {"producer_us_per_delivery", per_delivery_us}};
    if (!as_json) {
      std::printf(
          "\n%s: one core saturates near %s deliveries/s (%.3g us of producer per "
          "delivery at lambda N = 10k/s)\n",
          mode.name.c_str(), si_text(core_saturates).c_str(), per_delivery_us);
      std::printf("  %9s %9s %11s %10s %9s %10s %7s %12s  %s\n", "N", "lambda", "deliveries",
                  "req/s", "Gbit/s", "conns", "cores", "mean latency", "backed by");
    }
    for (double n : subscribers) {
      for (double rate : rates) {
        point_input in = one;
        in.rate = rate;
        in.subscribers = n;
        forecast f = predict(cal, in);
        const double cores = std::max(1.0, std::ceil(work_of(f) / kTargetLoad));
        in.cores = cores;
        f = predict(cal, in);
        const std::string projection = projection_reason(cal, in);
        const double gbit = f.bytes_per_s * 8 / 1e9;
        rows.push_back({{"mode", mode.name},
                        {"subscribers", n},
                        {"rate", rate},
                        {"deliveries_per_s", rate * n},
                        {"requests_per_s", f.requests_per_s},
                        {"gbit_per_s", gbit},
                        {"connections", f.connections},
                        {"producer_cores", cores},
                        {"latency_mean_us",
                         std::isfinite(f.mean_us.value) ? json(f.mean_us.value) : json(nullptr)},
                        {"projection", projection.empty() ? json(nullptr) : json(projection)}});
        if (!as_json) {
          std::printf(
              "  %9s %9s %11s %10s %9.3g %10s %7s %12s  %s\n", si_text(n).c_str(),
              si_text(rate).c_str(), si_text(rate * n).c_str(), si_text(f.requests_per_s).c_str(),
              gbit, si_text(f.connections).c_str(), si_text(cores).c_str(),
              latency_text(f.mean_us.value).c_str(),
              projection.empty() ? "validated range" : ("projection: " + projection).c_str());
        }
      }
    }
  }
  if (as_json) {
    std::cout << json{{"calibration", cal.source},        {"created", cal.created},
                      {"target_load", kTargetLoad},       {"interval_ms", to_ms(interval)},
                      {"batch_window_ms", to_ms(window)}, {"validated", cal.validated},
                      {"saturation", saturation},         {"rows", rows}}
                     .dump(1)
              << "\n";
  }
  return 0;
}

}  // namespace hookbench
