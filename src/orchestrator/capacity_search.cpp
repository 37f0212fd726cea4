// Bracket, bisect, then confirm: the highest rate whose runs keep up, every time.
#include "orchestrator/capacity_search.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "core/parse.hpp"
#include "measure/environment.hpp"
#include "modes/mode.hpp"
#include "modes/tuning.hpp"
#include "orchestrator/runner.hpp"

namespace hookbench {

using json = nlohmann::json;

namespace detail {

// /proc/loadavg's 1, 5 and 15 minute figures, or null where it cannot be read.
json load_average() {
  std::ifstream in("/proc/loadavg");
  double one = 0, five = 0, fifteen = 0;
  if (!(in >> one >> five >> fifteen)) return nullptr;
  return json::array({one, five, fifteen});
}

}  // namespace detail

double round_rate(double rate) {
  const double scale = std::pow(10.0, std::floor(std::log10(rate)) - 2);
  return std::round(rate / scale) * scale;
}

rate_search bracket_max_rate(double start_rate, const capacity_options& options,
                             const std::function<bool(double)>& sustains) {
  std::optional<double> lo, hi;  // highest rate that held, lowest that did not
  double r = round_rate(std::max(options.min_rate, start_rate));
  if (sustains(r)) {
    lo = r;
    while (!hi && r * 2 <= options.max_rate) {
      r = round_rate(r * 2);
      if (sustains(r))
        lo = r;
      else
        hi = r;
    }
  } else {
    hi = r;
    while (!lo && r / 2 >= options.min_rate) {
      r = round_rate(r / 2);
      if (sustains(r))
        lo = r;
      else
        hi = r;
    }
  }
  for (int i = 0; lo && hi && i < options.bisect_steps; ++i) {
    const double mid = round_rate(std::sqrt(*lo * *hi));
    if (mid <= *lo || mid >= *hi) break;
    if (sustains(mid))
      lo = mid;
    else
      hi = mid;
  }
  rate_search out;
  out.max_sustained = lo;
  out.first_not_sustained = hi;
  return out;
}

rate_search confirm_max_rate(const rate_search& found, const capacity_options& options,
                             const std::function<bool(double)>& sustains) {
  std::optional<double> lo = found.max_sustained, hi = found.first_not_sustained;
  rate_search out = found;
  if (options.confirm_repeats <= 0 || !lo) return out;

  // One run per rate can be lucky or unlucky: run the answer and the step above again. The step
  // is the final bracket's ratio (at least 2%), so a move lands on the next rate of the grid.
  const double step = hi ? std::max(*hi / *lo, 1.02) : 2.0;
  // A rate's confirmation runs are run once: a rate that failed one of them stays failed, one
  // that held all of them stays held, so the verdicts cannot contradict each other.
  std::map<double, bool> verdict;
  auto holds_every_time = [&](double rate) {
    if (auto it = verdict.find(rate); it != verdict.end()) return it->second;
    bool held = true;
    for (int i = 0; held && i < options.confirm_repeats; ++i) {
      held = sustains(rate);  // one failure decides: no need to run the rest
    }
    verdict[rate] = held;
    return held;
  };
  // A move is allowed while moves remain; out of moves, the answer is the last rate that held all
  // its runs (or none) and the search says it is not confirmed.
  bool lo_held = false;  // lo passed its confirmation runs
  while (lo) {
    if (!lo_held) {
      if (!holds_every_time(*lo)) {
        hi = lo;
        lo.reset();
        if (out.moves == options.confirm_moves) break;
        const double down = std::min(round_rate(*hi / step), round_rate(*hi * 0.98));
        if (down >= options.min_rate) lo = down;
        ++out.moves;
        continue;
      }
      lo_held = true;
    }
    if (!hi) {  // nothing above it could be tried (max_rate)
      out.confirmed = true;
      break;
    }
    if (holds_every_time(*hi)) {  // the step above holds after all: the answer moves up
      lo = hi;
      hi.reset();
      if (out.moves == options.confirm_moves) break;
      const double up = std::max(round_rate(*lo * step), round_rate(*lo * 1.02));
      if (up <= options.max_rate) hi = up;
      ++out.moves;
      continue;
    }
    out.confirmed = true;
    break;
  }
  out.max_sustained = lo;
  out.first_not_sustained = hi;
  return out;
}

rate_search search_max_rate(double start_rate, const capacity_options& options,
                            const std::function<bool(double)>& sustains) {
  return confirm_max_rate(bracket_max_rate(start_rate, options, sustains), options, sustains);
}

json search_fields(const rate_search& found, const capacity_options& options) {
  auto rate_or_null = [](const std::optional<double>& r) { return r ? json(*r) : json(nullptr); };
  return {{"max_sustained_rate", rate_or_null(found.max_sustained)},
          {"first_not_sustained", rate_or_null(found.first_not_sustained)},
          {"confirmation",
           {{"repeats", options.confirm_repeats},
            {"confirmed", found.confirmed},
            {"moves", found.moves},
            {"rule",
             "the answer held in every one of its confirmation runs; the rate above failed in at "
             "least one"}}}};
}

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

  json environment = describe_environment();
  environment["pinning"] =
      s.pin.empty() ? json("none") : json({{"producer", s.pin[0]}, {"consumer", s.pin[1]}});
  environment["load_average_start"] = detail::load_average();

  // A design that holds events on purpose (T for a poll, the cap for poll-adaptive, the window
  // for webhook-batch) gets that hold on top of the asked bound.
  const nanos hold =
      s.tuning.longest_gap(mode_of(mode), static_cast<nanos>(std::llround(base.interval_ms * 1e6)));
  const double bound_us = options.p99_bound_us + static_cast<double>(hold) / 1e3;
  json tried = json::array();
  bool searching = true;  // the first phase; then the confirmation runs
  auto sustained = [&](double rate) {
    sweep_point p = base;
    p.rate = rate;
    point_plan plan = plan_point(s, p);
    plan.duration_s = options.window_s;
    run_config cfg = make_run_config(s, p, plan);
    json probe = {{"rate", rate}, {"phase", searching ? "search" : "confirm"}};
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
    say(mode + " at " + compact_number(rate) + "/s" + (searching ? "" : " (confirming)") + ": " +
        (ok ? "sustained" : "NOT sustained (" + probe.value("reason", std::string()) + ")"));
    return ok;
  };

  const double start = *std::max_element(s.rates.begin(), s.rates.end());
  const rate_search bracketed = bracket_max_rate(start, options, sustained);
  searching = false;
  const rate_search found = confirm_max_rate(bracketed, options, sustained);
  environment["load_average_end"] = detail::load_average();
  json out = {{"mode", mode},
              {"interval_ms", base.pull ? json(base.interval_ms) : json(nullptr)},
              {"subscribers", base.subscribers},
              {"payload_bytes", base.payload_bytes},
              {"p99_bound_us", bound_us},
              {"window_s", options.window_s}};
  out.update(search_fields(found, options));
  out["environment"] = environment;
  out["tried"] = tried;
  return out;
}

}  // namespace hookbench
