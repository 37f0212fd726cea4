// `hookbench validate DIR...`: predicts every measured point of saved sweeps from a calibration
// alone (model/predict.hpp), never looking at what the point measured, and counts per mode how
// often the measured mean (and p99) fell inside the prediction's interval. Repeats (runs that
// differ only in the seed) make one point; runs with faults, attacks, TLS, another consumer
// stack, a jittery or narrow link, or a durable log are left out (the calibration holds none
// of them). A report: it exits 0 whatever the coverage.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>

#include "commands.hpp"
#include "core/cli.hpp"
#include "model/calibration.hpp"
#include "model/predict.hpp"
#include "modes/mode.hpp"
#include "orchestrator/model_check.hpp"

namespace hookbench {
namespace {

using json = nlohmann::json;

// Why a run is left out, or "".
std::string left_out(const json& config) {
  if (config.contains("faults")) return "faults";
  if (number_at(config, "attack") > 0) return "attack";
  if (config.value("tls", false)) return "tls";
  if (config.value("consumer_stack", std::string("beast")) != "beast") return "consumer stack";
  if (config.contains("fsync")) return "durable log";
  if (config.contains("link")) {
    const json& l = config.at("link");
    if (number_at(l, "jitter_ms") > 0 || number_at(l, "bandwidth_bps") > 0)
      return "jitter or bandwidth";
  }
  if (config.value("timer", std::string("sleep")) != "sleep") return "spin timer";
  return "";
}

point_input point_of(const json& config, std::size_t repeats) {
  point_input in;
  in.mode = config.at("mode").get<std::string>();
  in.constant_arrivals = config.value("arrivals", std::string("poisson")) == "constant";
  in.rate = number_at(config, "rate");
  in.subscribers = number_at(config, "subscribers", 1);
  in.interval_s = number_at(config, "interval_ms", 100) / 1e3;
  in.payload_bytes = number_at(config, "payload_bytes", 256);
  if (config.contains("link")) in.rtt_s = number_at(config.at("link"), "rtt_ms") / 1e3;
  const json t = config.value("tuning", json::object());
  in.backoff = number_at(t, "backoff", 2);
  in.max_interval_s = number_at(t, "max_interval_ms") / 1e3;
  in.wait_s = number_at(t, "wait_ms", 30000) / 1e3;
  in.batch_window_s = number_at(t, "batch_window_ms", 50) / 1e3;
  in.batch_max = number_at(t, "batch_max", 100);
  in.webhook_concurrency = number_at(config, "webhook_concurrency", 4);
  in.events = in.rate * number_at(config, "duration_s") * static_cast<double>(repeats);
  in.window_s = number_at(config, "duration_s");
  in.warmup_s = number_at(config, "warmup_s");
  in.poll_limit = number_at(config, "poll_limit", 1000);
  return in;
}

struct point_row {
  std::string sweep, mode, label;
  point_input in;
  std::size_t repeats = 0, saturated_repeats = 0;
  double measured_mean = 0, measured_p99 = 0;
  forecast f;
  bool mean_covered = false, p99_covered = false;
};

std::string label_of(const point_input& in) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "r=%g N=%g", in.rate, in.subscribers);
  std::string s = buf;
  if (mode_of(in.mode).pull)
    s += " T=" + std::to_string(static_cast<int>(in.interval_s * 1e3)) + "ms";
  if (in.rtt_s > 0) s += " rtt=" + std::to_string(static_cast<int>(in.rtt_s * 1e3)) + "ms";
  if (in.mode == "webhook-batch") {
    s += " W=" + std::to_string(static_cast<int>(in.batch_window_s * 1e3)) + "ms";
  }
  return s;
}

json estimate_json(const estimate& e) {
  auto n = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  return {{"value", n(e.value)}, {"lo", n(e.lo)}, {"hi", n(e.hi)}};
}

bool covers(const estimate& e, double measured, bool measured_saturated, bool predicted_saturated) {
  if (predicted_saturated || measured_saturated) return predicted_saturated && measured_saturated;
  return measured >= e.lo && measured <= e.hi;
}

constexpr const char* kUsage =
    "usage: hookbench validate [--calibration FILE] [--json OUT] [--update-calibration FILE]\n"
    "                          DIR...\n\n"
    "Predicts every measured point of the sweeps in DIR (DIR/runs/*.json) from the calibration\n"
    "alone (default: the reference built into this binary), without looking at what the point\n"
    "measured, and prints per mode the fraction of points whose measured mean latency (over the\n"
    "point's repeats) lies inside the prediction's interval, and the same for the p99; then every\n"
    "miss. A point counts as covered when both prediction and measurement say saturated. Runs\n"
    "with faults, attacks, TLS, another consumer stack, link jitter or bandwidth, a durable log\n"
    "or --timer spin are left out. Exits 0 whatever the coverage: it is a report.\n\n"
    "  --json OUT                   every point, predicted and measured, for charts\n"
    "  --update-calibration FILE    write the validated range (rate, N, RTT) and the coverage\n"
    "                               into FILE's \"validated\" block (the calibration validated)\n";

}  // namespace

int validate_main(int argc, char** argv) {
  std::string calibration_path, json_out, update;
  std::vector<std::string> dirs;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) throw usage_error(std::string(name) + ": needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--calibration") {
      calibration_path = value("--calibration");
    } else if (a == "--json") {
      json_out = value("--json");
    } else if (a == "--update-calibration") {
      update = value("--update-calibration");
    } else if (a.starts_with("-")) {
      throw usage_error("unknown option " + a);
    } else {
      dirs.push_back(a);
    }
  }
  if (dirs.empty()) throw usage_error("name at least one sweep folder");
  // --update-calibration stamps FILE with its own validation, never another calibration's.
  if (!update.empty() && calibration_path.empty()) calibration_path = update;
  if (!update.empty() && std::filesystem::path(update) != std::filesystem::path(calibration_path)) {
    throw usage_error("--update-calibration FILE must be the --calibration validated");
  }
  const calibration cal =
      calibration_path.empty() ? reference_calibration() : read_calibration(calibration_path);
  // Named by its file alone in what is written (a scratch folder's path says nothing).
  const std::string cal_name = calibration_path.empty()
                                   ? cal.source
                                   : std::filesystem::path(calibration_path).filename().string();
  std::vector<point_row> rows;
  std::map<std::string, std::size_t> skipped;
  for (const auto& d : dirs) {
    const std::string sweep = std::filesystem::absolute(d).lexically_normal().filename().string();
    std::map<std::string, std::vector<const json*>> groups;
    std::vector<std::string> order;
    const std::vector<json> runs = read_sweep_runs(d);
    for (const json& r : runs) {
      const json& config = r.at("config");
      const std::string why = left_out(config);
      if (!why.empty()) {
        ++skipped[why];
        continue;
      }
      if (!cal.modes.contains(config.at("mode").get<std::string>())) {
        ++skipped["mode not calibrated"];
        continue;
      }
      json key = config;
      key.erase("seed");
      auto [it, added] = groups.try_emplace(key.dump());
      if (added) order.push_back(key.dump());
      it->second.push_back(&r);
    }
    for (const auto& key : order) {
      const auto& reps = groups.at(key);
      point_row row;
      row.sweep = sweep;
      row.in = point_of(reps.front()->at("config"), reps.size());
      row.mode = row.in.mode;
      row.label = label_of(row.in);
      row.repeats = reps.size();
      std::size_t measured = 0;
      for (const json* r : reps) {
        const json& m = r->at("metrics");
        if (m.value("saturated", false)) ++row.saturated_repeats;
        const json& l = m.at("latency_us");
        if (!l.contains("mean") || !l.at("mean").is_number()) continue;
        row.measured_mean += l.at("mean").get<double>();
        row.measured_p99 += number_at(l, "p99");
        ++measured;
      }
      if (measured == 0) {
        ++skipped["no latency sample"];
        continue;
      }
      row.measured_mean /= static_cast<double>(measured);
      row.measured_p99 /= static_cast<double>(measured);
      row.f = predict(cal, row.in);
      // Saturated when most repeats were flagged.
      const bool measured_saturated = 2 * row.saturated_repeats > row.repeats;
      row.mean_covered =
          covers(row.f.mean_us, row.measured_mean, measured_saturated, row.f.saturated);
      row.p99_covered = covers(row.f.p99_us, row.measured_p99, measured_saturated, row.f.saturated);
      rows.push_back(std::move(row));
    }
  }
  // The table: per mode, then overall.
  std::cout << "predictions from " << cal.source << " (" << cal.created << ") against "
            << rows.size() << " measured points of " << dirs.size() << " sweeps";
  for (const auto& [why, n] : skipped) std::cout << "; " << n << " runs left out (" << why << ")";
  std::cout << "\n";
  std::printf("  %-17s %7s %13s %13s %14s\n", "mode", "points", "mean covered", "p99 covered",
              "median error");
  json by_mode = json::object();
  std::size_t all_mean = 0, all_p99 = 0;
  double rate_lo = INFINITY, rate_hi = 0, n_lo = INFINITY, n_hi = 0, rtt_lo = INFINITY, rtt_hi = 0;
  for (const auto& mode : delivery_modes()) {
    std::size_t total = 0, mean = 0, p99 = 0;
    // The mode's own validated range (rate, N, RTT, and the most deliveries per second), and
    // how far its predictions sat from the measurements: the median |measured / predicted - 1|.
    double m_rate[2] = {INFINITY, 0}, m_n[2] = {INFINITY, 0}, m_rtt[2] = {INFINITY, 0}, m_d = 0;
    std::vector<double> errors;
    for (const auto& r : rows) {
      if (r.mode != mode.name) continue;
      ++total;
      mean += r.mean_covered;
      p99 += r.p99_covered;
      m_rate[0] = std::min(m_rate[0], r.in.rate), m_rate[1] = std::max(m_rate[1], r.in.rate);
      m_n[0] = std::min(m_n[0], r.in.subscribers), m_n[1] = std::max(m_n[1], r.in.subscribers);
      m_rtt[0] = std::min(m_rtt[0], r.in.rtt_s), m_rtt[1] = std::max(m_rtt[1], r.in.rtt_s);
      m_d = std::max(m_d, r.in.rate * r.in.subscribers);
      if (std::isfinite(r.f.mean_us.value) && r.f.mean_us.value > 0) {
        errors.push_back(std::abs(r.measured_mean / r.f.mean_us.value - 1));
      }
    }
    if (total == 0) continue;
    std::sort(errors.begin(), errors.end());
    const double median_error = errors.empty() ? 0 : errors[errors.size() / 2];
    all_mean += mean;
    all_p99 += p99;
    const auto pct = [&](std::size_t k) {
      return 100.0 * static_cast<double>(k) / static_cast<double>(total);
    };
    std::printf("  %-17s %7zu %12.0f%% %12.0f%% %13.0f%%\n", mode.name.c_str(), total, pct(mean),
                pct(p99), median_error * 100);
    by_mode[mode.name] = {{"points", total},
                          {"mean_covered", mean},
                          {"p99_covered", p99},
                          {"median_error", median_error},
                          {"rate", {m_rate[0], m_rate[1]}},
                          {"subscribers", {m_n[0], m_n[1]}},
                          {"rtt_s", {m_rtt[0], m_rtt[1]}},
                          {"deliveries_per_s", m_d}};
  }
  const auto all_pct = [&](std::size_t k) {
    return rows.empty() ? 0.0 : 100.0 * static_cast<double>(k) / static_cast<double>(rows.size());
  };
  std::printf("  %-17s %7zu %12.0f%% %12.0f%%\n", "all", rows.size(), all_pct(all_mean),
              all_pct(all_p99));
  json points = json::array();
  for (const auto& r : rows) {
    rate_lo = std::min(rate_lo, r.in.rate), rate_hi = std::max(rate_hi, r.in.rate);
    n_lo = std::min(n_lo, r.in.subscribers), n_hi = std::max(n_hi, r.in.subscribers);
    rtt_lo = std::min(rtt_lo, r.in.rtt_s), rtt_hi = std::max(rtt_hi, r.in.rtt_s);
    if (!r.mean_covered) {
      const bool measured_saturated = 2 * r.saturated_repeats > r.repeats;
      std::printf("    miss %s %s %s: measured mean %.0f us%s, predicted %.0f us [%.0f, %.0f]%s\n",
                  r.sweep.c_str(), r.mode.c_str(), r.label.c_str(), r.measured_mean,
                  measured_saturated ? " (flagged saturated)" : "", r.f.mean_us.value,
                  r.f.mean_us.lo, r.f.mean_us.hi, r.f.saturated ? " (predicted saturated)" : "");
    }
    points.push_back({{"sweep", r.sweep},
                      {"mode", r.mode},
                      {"label", r.label},
                      {"rate", r.in.rate},
                      {"subscribers", r.in.subscribers},
                      {"rtt_ms", r.in.rtt_s * 1e3},
                      {"repeats", r.repeats},
                      {"saturated_repeats", r.saturated_repeats},
                      {"measured_mean_us", r.measured_mean},
                      {"measured_p99_us", r.measured_p99},
                      {"measured_saturated", 2 * r.saturated_repeats > r.repeats},
                      {"predicted_mean_us", estimate_json(r.f.mean_us)},
                      {"predicted_p99_us", estimate_json(r.f.p99_us)},
                      {"predicted_saturated", r.f.saturated},
                      {"mean_covered", r.mean_covered},
                      {"p99_covered", r.p99_covered}});
  }
  const json validated = {{"rate", {rate_lo, rate_hi}}, {"subscribers", {n_lo, n_hi}},
                          {"rtt_s", {rtt_lo, rtt_hi}},  {"points", rows.size()},
                          {"mean_covered", all_mean},   {"p99_covered", all_p99},
                          {"by_mode", by_mode},         {"sweeps", dirs.size()}};
  if (!json_out.empty()) {
    std::ofstream out(json_out);
    out << json{{"calibration", cal_name},
                {"calibration_created", cal.created},
                {"machine_factor", kMachineFactor},
                {"validated", validated},
                {"points", points}}
               .dump(1)
        << "\n";
    if (!out) throw std::runtime_error(json_out + ": cannot write");
  }
  if (!update.empty() && rows.empty()) {
    throw std::runtime_error(update + ": not updated: no point to validate it with");
  }
  if (!update.empty()) {
    std::ifstream in(update);
    json c = json::parse(in, nullptr, false);
    if (c.is_discarded() || !c.is_object())
      throw std::runtime_error(update + ": not a calibration");
    c["validated"] = validated;
    std::ofstream out(update);
    out << c.dump(2) << "\n";
    if (!out) throw std::runtime_error(update + ": cannot write");
  }
  return 0;
}

}  // namespace hookbench
