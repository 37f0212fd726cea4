// Bracket, then bisect: the highest rate whose run keeps up.
#include "orchestrator/capacity_search.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "core/parse.hpp"
#include "modes/mode.hpp"
#include "modes/tuning.hpp"
#include "orchestrator/runner.hpp"

namespace hookbench {

using json = nlohmann::json;

json find_max_rate(const scenario& s, const std::string& mode, const capacity_options& options,
                   const std::function<void(const std::string&)>& say) {
  const mode_descriptor* info = find_mode(mode);
  if (!info) throw usage_error("--find-max-rate: unknown mode " + mode);
  sweep_point base;
  base.mode = mode;
  base.pull = info->pull;
  base.interval_ms = info->pull && !s.intervals_ms.empty() ? s.intervals_ms.front() : 0;
  base.subscribers = s.subscribers.front();
  base.payload_bytes = s.payload_bytes.front();
  base.seed = s.seed;
  base.arrivals = s.arrivals;

  // A design that holds events on purpose (T for a poll, the cap for poll-adaptive, the window
  // for webhook-batch) gets that hold on top of the asked bound.
  const nanos hold =
      s.tuning.longest_gap(mode_of(mode), static_cast<nanos>(std::llround(base.interval_ms * 1e6)));
  const double bound_us = options.p99_bound_us + static_cast<double>(hold) / 1e3;
  json tried = json::array();
  // Rounded to 3 significant digits, so the reported rates read as what was run.
  auto round3 = [](double r) {
    const double scale = std::pow(10.0, std::floor(std::log10(r)) - 2);
    return std::round(r / scale) * scale;
  };
  auto sustained = [&](double rate) {
    sweep_point p = base;
    p.rate = rate;
    point_plan plan = plan_point(s, p);
    plan.duration_s = options.window_s;
    run_config cfg = make_run_config(s, p, plan);
    json probe = {{"rate", rate}};
    bool ok = false;
    try {
      const json r = run_once(cfg);
      const json& m = r.at("metrics");
      const auto& lat = m.at("latency_us");
      const double p99 = lat.value("count", 0) > 0 ? lat.value("p99", 0.0) : 0.0;
      const auto lost = m.at("lost").get<std::uint64_t>();
      std::string reason = m.at("saturated_reason").get<std::string>();
      if (p99 > bound_us) {
        reason += (reason.empty() ? "" : "; ") + std::string("p99 ") +
                  compact_number(std::round(p99 / 10) / 100) + " ms over the bound";
      }
      ok = reason.empty() && lost == 0 && lat.value("count", 0) > 0;
      probe.update({{"saturated", m.at("saturated")},
                    {"reason", reason},
                    {"p99_us", p99},
                    {"lost", lost},
                    {"realised_rate", m.at("realised_rate")}});
    } catch (const run_failure& e) {
      if (e.code == kExitInterrupted) throw;
      probe.update({{"saturated", true},
                    {"reason", std::string("run failed: ") + e.what()},
                    {"p99_us", nullptr},
                    {"lost", nullptr}});
    }
    probe["sustained"] = ok;
    tried.push_back(probe);
    say(mode + " at " + compact_number(rate) + "/s: " +
        (ok ? "sustained" : "NOT sustained (" + probe.value("reason", std::string()) + ")"));
    return ok;
  };

  std::optional<double> lo, hi;  // highest rate that held, lowest that did not
  double r = round3(std::max(options.min_rate, *std::max_element(s.rates.begin(), s.rates.end())));
  if (sustained(r)) {
    lo = r;
    while (!hi && r * 2 <= options.max_rate) {
      r = round3(r * 2);
      if (sustained(r))
        lo = r;
      else
        hi = r;
    }
  } else {
    hi = r;
    while (!lo && r / 2 >= options.min_rate) {
      r = round3(r / 2);
      if (sustained(r))
        lo = r;
      else
        hi = r;
    }
  }
  for (int i = 0; lo && hi && i < options.bisect_steps; ++i) {
    const double mid = round3(std::sqrt(*lo * *hi));
    if (mid <= *lo || mid >= *hi) break;
    if (sustained(mid))
      lo = mid;
    else
      hi = mid;
  }
  return {{"mode", mode},
          {"interval_ms", base.pull ? json(base.interval_ms) : json(nullptr)},
          {"subscribers", base.subscribers},
          {"payload_bytes", base.payload_bytes},
          {"p99_bound_us", bound_us},
          {"window_s", options.window_s},
          {"max_sustained_rate", lo ? json(*lo) : json(nullptr)},
          {"first_not_sustained", hi ? json(*hi) : json(nullptr)},
          {"tried", tried}};
}

}  // namespace hookbench
