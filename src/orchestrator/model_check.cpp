// The model against saved runs, point by point (model_check.hpp).
#include "orchestrator/model_check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/parse.hpp"
#include "modes/mode.hpp"
#include "modes/tuning.hpp"

namespace hookbench {
namespace {

using json = nlohmann::json;

std::string fmt(const char* format, double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string point_label(const json& config) {
  std::string s = "r=" + fmt("%g", number_at(config, "rate")) +
                  " N=" + fmt("%g", number_at(config, "subscribers", 1));
  if (config.contains("interval_ms"))
    s += " T=" + fmt("%g", number_at(config, "interval_ms")) + "ms";
  if (config.contains("link"))
    s += " rtt=" + fmt("%g", number_at(config.at("link"), "rtt_ms")) + "ms";
  if (config.contains("payload_bytes")) s += " p=" + fmt("%g", number_at(config, "payload_bytes"));
  const json tuning = config.value("tuning", json::object());
  if (tuning.contains("batch_window_ms")) {
    s += " W=" + fmt("%g", number_at(tuning, "batch_window_ms")) + "ms";
  }
  return s;
}

}  // namespace

double number_at(const json& obj, const char* key, double fallback) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_number() ? it->get<double>() : fallback;
}

// DIR/runs/*.json (a sweep's folder), or DIR/*.json; sorted by name.
std::vector<json> read_sweep_runs(const std::filesystem::path& dir) {
  const std::filesystem::path runs =
      std::filesystem::is_directory(dir / "runs") ? dir / "runs" : dir;
  if (!std::filesystem::is_directory(runs)) throw usage_error(dir.string() + ": not a folder");
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(runs)) {
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<json> results;
  for (const auto& f : files) {
    std::ifstream in(f);
    json j = json::parse(in, nullptr, false);
    if (j.is_discarded()) throw usage_error(f.string() + ": not valid JSON");
    if (!j.is_object() || !j.contains("config") || !j.contains("metrics") ||
        !j.at("metrics").contains("model") || !j.at("metrics").contains("latency_us")) {
      continue;  // not a run result (a capacity search, a trace)
    }
    results.push_back(std::move(j));
  }
  if (results.empty()) throw usage_error(dir.string() + ": no run results (runs/*.json)");
  return results;
}

model_input recorded_model_input(const json& result, std::string& fallback,
                                 bool without_fan_out_measures) {
  const json& config = result.at("config");
  const json& m = result.at("metrics");
  const json& mo = m.at("model");
  const mode_descriptor& mode = mode_of(config.at("mode").get<std::string>());
  model_input mi;
  mi.mode = mode.name;
  mi.arrivals = mo.value("arrivals", config.value("arrivals", std::string("poisson")));
  mi.rate = number_at(mo, "rate", number_at(config, "rate"));
  mi.interval_s = number_at(config, "interval_ms") / 1e3;
  mi.subscribers = number_at(config, "subscribers", 1);
  apply_tuning(config.value("tuning", json::object()), mi);
  mi.rtt_s = number_at(mo, "rtt_us") / 1e6;
  mi.lag_s = number_at(mo, "lag_us") / 1e6;
  mi.overhead_bytes = number_at(mo, "overhead_bytes");
  mi.event_bytes = number_at(mo, "event_bytes");
  fallback.clear();
  if (mo.contains("delivery_cost_us") && !without_fan_out_measures) {
    mi.delivery_cost_s = number_at(mo, "delivery_cost_us") / 1e6;
    mi.wake_s = number_at(mo, "wake_us") / 1e6;
  } else if (!mode.pull) {
    // Recorded before the fan-out measures: its post_cost_us was gross CPU per POST, idle
    // upkeep included. The net CPU per delivery stands in, and D is the formula's fallback.
    const json& cpu = m.value("cpu", json::object());
    for (const char* side : {"producer", "consumer"}) {
      const double net = number_at(cpu.value(side, json::object()), "net_us_per_event");
      mi.delivery_cost_s = std::max(mi.delivery_cost_s, net / 1e6);
    }
    fallback = "no fan-out measures: net CPU per delivery, D unmeasured";
  }
  return mi;
}

double recomputed_latency_us(const json& result, std::string& fallback,
                             bool without_fan_out_measures) {
  const model_input mi = recorded_model_input(result, fallback, without_fan_out_measures);
  return mode_of(mi.mode).model(mi).latency_mean_us;
}

check_input group_points(const std::vector<json>& results, bool without_fan_out_measures) {
  check_input out;
  std::map<std::string, std::size_t> index;
  for (const json& r : results) {
    const json& config = r.at("config");
    if (config.contains("faults")) {
      ++out.fault_runs;
      continue;
    }
    const json& latency = r.at("metrics").at("latency_us");
    if (number_at(latency, "count") <= 0 || !latency.contains("mean") ||
        !latency.at("mean").is_number()) {
      ++out.empty_runs;
      continue;
    }
    json key = config;
    key.erase("seed");
    auto [it, added] = index.emplace(key.dump(), out.points.size());
    if (added) {
      out.points.push_back(
          {config.at("mode").get<std::string>(), point_label(config), {}, {}, {}, 0, 0});
    }
    check_point& p = out.points[it->second];
    std::string fallback;
    p.model.push_back(recomputed_latency_us(r, fallback, without_fan_out_measures));
    p.measured.push_back(latency.at("mean").get<double>());
    const json& recorded = r.at("metrics").at("model").value("latency_mean_us", json(nullptr));
    p.recorded.push_back(recorded.is_number() ? recorded.get<double>() : std::nan(""));
    if (!fallback.empty()) ++p.fallback_runs;
    if (r.at("metrics").value("saturated", false)) ++p.saturated_runs;
  }
  return out;
}

point_verdict judge(const check_point& p, double tolerance, bool use_recorded) {
  const std::vector<double>& model = use_recorded ? p.recorded : p.model;
  point_verdict v;
  const double n = static_cast<double>(p.measured.size());
  if (p.measured.empty()) return v;
  for (double x : p.measured) v.measured_mean += x / n;
  bool bounded = true;
  if (model.size() != p.measured.size()) return v;
  for (double x : model) {
    if (std::isnan(x)) return v;  // not recorded: no verdict
    bounded = bounded && std::isfinite(x);
    v.model_mean += x / n;
  }
  if (p.measured.size() >= 2) {
    double ss = 0;
    for (double x : p.measured) ss += (x - v.measured_mean) * (x - v.measured_mean);
    v.interval = mean_ci95(v.measured_mean, std::sqrt(ss / (n - 1)), p.measured.size());
  }
  // No bound (rho >= 1) is the model's claim of an overload: it holds where a repeat was
  // flagged saturated.
  if (!bounded) {
    v.agrees = p.saturated_runs > 0;
    return v;
  }
  if (v.model_mean <= 0) return v;
  v.ratio = v.measured_mean / v.model_mean;
  const bool inside =
      v.interval && v.model_mean >= v.interval->lo && v.model_mean <= v.interval->hi;
  v.agrees = inside || std::abs(v.ratio - 1) <= tolerance;
  return v;
}

void print_model_check(std::ostream& out, const std::string& sweep, const check_input& in,
                       double tolerance) {
  out << sweep << ": " << in.points.size() << " points";
  if (in.fault_runs > 0) out << "; " << in.fault_runs << " fault runs left out";
  if (in.empty_runs > 0) out << "; " << in.empty_runs << " runs with no event left out";
  out << "\n";
  // Modes in the registry's order.
  for (const auto& mode : delivery_modes()) {
    std::size_t total = 0, agree = 0, agree_recorded = 0, fallback = 0;
    std::vector<std::string> misses;
    for (const auto& p : in.points) {
      if (p.mode != mode.name) continue;
      ++total;
      fallback += p.fallback_runs;
      if (judge(p, tolerance, true).agrees) ++agree_recorded;
      const point_verdict v = judge(p, tolerance);
      if (v.agrees) {
        ++agree;
        continue;
      }
      std::string line =
          "    miss " + p.label + ": measured " + fmt("%.0f", v.measured_mean) + " us";
      line += v.interval
                  ? " [" + fmt("%.0f", v.interval->lo) + ", " + fmt("%.0f", v.interval->hi) + "]"
                  : std::string(" (one repeat)");
      line += ", model ";
      line += v.ratio > 0
                  ? fmt("%.0f", v.model_mean) + " us: measured " +
                        fmt("%+.0f%%", (v.ratio - 1) * 100) + " (" + fmt("%.2f", v.ratio) + "x)"
                  : std::string("no bound, but no repeat was flagged saturated");
      if (p.saturated_runs > 0) {
        line += "; " + std::to_string(p.saturated_runs) + "/" + std::to_string(p.measured.size()) +
                " repeats flagged saturated";
      }
      misses.push_back(line);
    }
    if (total == 0) continue;
    out << "  " << mode.name << ": " << agree << "/" << total << " points agree ("
        << fmt("%.0f", 100.0 * static_cast<double>(agree) / static_cast<double>(total))
        << "%); as recorded " << agree_recorded << "/" << total;
    if (fallback > 0)
      out << "; " << fallback << " runs without fan-out measures (c from net CPU, D from R)";
    out << "\n";
    for (const auto& l : misses) out << l << "\n";
  }
}

}  // namespace hookbench
