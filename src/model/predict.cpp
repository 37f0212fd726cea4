// A point's prediction from a calibration (model/predict.hpp).
#include "model/predict.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "modes/mode.hpp"

namespace hookbench {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// The point's constants with the machine terms (G, D, c, the base latency) scaled by f.
struct scaled {
  const calibration& cal;
  const point_input& in;
  const mode_descriptor& mode;
  const mode_constants& k;

  bool push() const { return !mode.pull; }
  double loopback_rtt_s(double f) const { return cal.loopback_rtt_us / 1e6 * f; }
  // How far the point's rate has gone from the calibration's towards its hot rate, in log
  // rate: 0 at or below the calibration's rate, 1 at or above the hot one.
  double hot_share(const mode_constants& c) const {
    if (mode.pull || cal.hot_rate <= cal.rate || c.hot_base_mean_us <= 0) return 0;
    return std::clamp(std::log(in.rate / cal.rate) / std::log(cal.hot_rate / cal.rate), 0.0, 1.0);
  }
  double lerp(double cold, double hot, const mode_constants& c) const {
    const double h = hot_share(c);
    return cold + (hot - cold) * h;
  }
  // G is the generator's: a pull mode, with no hot run of its own, moves towards the push
  // modes' hot G (calibration::hot_lag_us).
  double lag_us() const {
    if (mode.pull && cal.hot_rate > cal.rate && cal.hot_lag_us > 0) {
      const double h =
          std::clamp(std::log(in.rate / cal.rate) / std::log(cal.hot_rate / cal.rate), 0.0, 1.0);
      return k.lag_us + (cal.hot_lag_us - k.lag_us) * h;
    }
    return lerp(k.lag_us, k.hot_lag_us, k);
  }
  double base_mean_us(const mode_constants& c) const {
    return lerp(c.base_mean_us, c.hot_base_mean_us, c);
  }
  std::vector<double> base_quantiles_us(const mode_constants& c) const {
    std::vector<double> q = c.base_quantiles_us;
    if (c.hot_base_quantiles_us.size() == q.size()) {
      for (std::size_t i = 0; i < q.size(); ++i) q[i] = lerp(q[i], c.hot_base_quantiles_us[i], c);
    }
    return q;
  }
  // D, the trip to the first subscriber with nothing queued, less G.
  double wake_s(double f) const {
    const double d = mode.simulation == sim_design::webhook_batch
                         ? lerp(k.wake_us, k.hot_wake_us, k)
                         : base_mean_us(k) - lag_us();
    return std::max(1e-7, d / 1e6 * f + in.rtt_s / 2);
  }
  // What a poll answer's events add to its exchange (the exchange itself is in R0): each
  // event's CPU on both sides, for the events an answer holds.
  double answer_s(double f) const {
    if (!mode.pull) return 0;
    const double lt = in.rate * in.interval_s;
    const double per_answer = std::min(in.poll_limit, lt > 0 ? lt / -std::expm1(-lt) : 1.0);
    return (k.producer_us_per_event + k.consumer_us_per_event) * per_answer / 1e6 * f;
  }

  model_input model_in(double f) const {
    model_input mi;
    mi.mode = in.mode;
    mi.arrivals = in.constant_arrivals ? "constant" : "poisson";
    mi.rate = in.rate;
    mi.interval_s = in.interval_s;
    mi.backoff = in.backoff;
    mi.max_interval_s = in.max_interval_s;
    mi.batch_window_s = in.batch_window_s;
    mi.batch_max = in.batch_max;
    mi.wait_s = in.wait_s;
    mi.subscribers = in.subscribers;
    mi.lag_s = lag_us() / 1e6 * f + answer_s(f);
    mi.rtt_s = loopback_rtt_s(f) + in.rtt_s;
    if (push()) {
      mi.wake_s = wake_s(f);
      mi.wake_is_median = false;
      mi.delivery_cost_s = k.delivery_cost_us / 1e6 * f / std::max(1.0, in.cores);
    }
    mi.overhead_bytes = k.overhead_bytes;
    mi.event_bytes =
        std::max(in.payload_bytes, k.event_bytes - cal.payload_bytes + in.payload_bytes);
    return mi;
  }

  sim_input sim_in(double f) const {
    sim_input si;
    si.design = mode.simulation;
    si.constant_arrivals = in.constant_arrivals;
    si.rate = in.rate;
    si.subscribers = in.subscribers;
    si.interval_s = in.interval_s;
    si.backoff = in.backoff;
    si.max_interval_s = in.max_interval_s;
    si.wait_s = in.wait_s;
    si.round_trip_s = loopback_rtt_s(f) + in.rtt_s;
    si.batch_window_s = in.batch_window_s;
    si.batch_max = in.batch_max;
    si.seed = in.seed;
    si.events = in.sim_events;
    si.max_work = in.sim_max_work;
    if (in.window_s > 0) {
      // A measurement's own length, played as often as it takes for 4000 events.
      const double events = std::max(1.0, std::round(in.rate * in.window_s));
      si.events = static_cast<std::size_t>(events);
      si.warmup_events = static_cast<std::size_t>(std::max(1.0, std::round(in.rate * in.warmup_s)));
      si.replications = static_cast<std::size_t>(std::clamp(std::ceil(4000 / events), 1.0, 200.0));
    }
    if (!push()) {
      si.base_s = (lag_us() / 1e6 + loopback_rtt_s(1) / 2) * f + answer_s(f) + in.rtt_s / 2;
      return si;
    }
    si.delivery_cost_s = k.delivery_cost_us / 1e6 * f / std::max(1.0, in.cores);
    if (mode.receiver) {
      si.concurrency = std::max(1.0, in.webhook_concurrency);
      si.handshake_s = loopback_rtt_s(f) + in.rtt_s;
      si.post_round_trip_s = loopback_rtt_s(f) + in.rtt_s + k.delivery_cost_us / 1e6 * f;
    }
    // A batch's trip is a webhook's: the webhook's spread, moved to the batch's G + D.
    // (Without a webhook in the calibration, the batch's own quantiles, whose window wait is
    // taken off the same way.)
    const mode_constants* src = &k;
    double shift_us = 0;
    if (mode.simulation == sim_design::webhook_batch) {
      if (cal.modes.contains("webhook")) src = &cal.of("webhook");
      shift_us = lag_us() + lerp(k.wake_us, k.hot_wake_us, k) - base_mean_us(*src);
    }
    const std::vector<double> quantiles = base_quantiles_us(*src);
    if (quantiles.empty()) {
      si.base_s = (lag_us() / 1e6) * f + wake_s(f);
    } else {
      for (double q : quantiles) {
        si.base_quantiles_s.push_back(std::max(0.0, (q + shift_us) / 1e6 * f) + in.rtt_s / 2);
      }
    }
    return si;
  }
};

// The quantile q of a measurement of n samples, at its 95% bounds: q -+ 1.96 sqrt(q(1-q)/n).
double q_bound(double q, double n, double sign) {
  if (n <= 0) return q;
  return std::clamp(q + sign * 1.96 * std::sqrt(q * (1 - q) / n), 0.0, 1.0);
}

}  // namespace

forecast predict(const calibration& cal, const point_input& in) {
  const mode_descriptor& mode = mode_of(in.mode);
  const scaled s{cal, in, mode, cal.of(in.mode)};
  const mode_constants& k = s.k;
  const double m = std::max(kMachineFactor, 1 + k.spread);
  forecast out;
  out.mode = in.mode;

  const model_prediction nominal = mode.model(s.model_in(1));
  const double lo_mean = mode.model(s.model_in(1 / m)).latency_mean_us;
  const double hi_mean = mode.model(s.model_in(m)).latency_mean_us;
  // The io thread's load without a queue: its deliveries (or answers) x c per second. Past one
  // the latency has no bound, and nothing is simulated (which also bounds the work at huge N).
  const double cores = std::max(1.0, in.cores);
  const double per_s =
      mode.simulation == sim_design::long_poll || mode.simulation == sim_design::webhook_batch
          ? nominal.requests_per_s
          : in.rate * std::max(1.0, in.subscribers);
  const double load = mode.pull ? 0 : per_s * k.delivery_cost_us / 1e6 / cores;
  sim_output sim, sim_lo, sim_hi;
  if (in.latency && load < 1) {
    sim = simulate(s.sim_in(1));
    sim_lo = simulate(s.sim_in(1 / m));
    sim_hi = simulate(s.sim_in(m));
  } else {
    sim.utilization = load;
    sim.saturated = load >= 1;
  }

  // A measurement over n samples: pull subscribers' waits are independent (their own phases);
  // a fan-out's deliveries share their event's queueing, so push counts events alone. The
  // simulation's own samples are finite too: both spreads widen the interval.
  const double n = in.events * (mode.pull ? std::max(1.0, in.subscribers) : 1.0);
  const auto sim_n = static_cast<double>(sim.samples_s.size());
  const double n_both = n > 0 && sim_n > 0 ? 1 / (1 / n + 1 / sim_n) : std::max(n, sim_n);
  const double sd_us = sim.sd_s * 1e6;
  const double spread_us = n_both > 0 ? 1.96 * sd_us / std::sqrt(n_both) : 0;
  // lo <= value <= hi whatever the three simulations drew.
  const auto hold = [](double value, double lo, double hi) -> estimate {
    return {value, std::max(0.0, std::min({lo, value, hi})), std::max({lo, value, hi})};
  };
  // Push: the simulation's mean, which has what the closed form leaves out (a webhook pool's
  // handshakes, a short run's start); pull: the closed form, exact there.
  if (in.latency && (!mode.pull || mode.simulation == sim_design::poll_adaptive)) {
    out.mean_us =
        hold(sim.mean_s * 1e6, sim_lo.mean_s * 1e6 - spread_us, sim_hi.mean_s * 1e6 + spread_us);
  } else {
    out.mean_us = hold(nominal.latency_mean_us, lo_mean - spread_us, hi_mean + spread_us);
  }
  for (auto [q, e] : {std::pair{0.5, &out.p50_us}, std::pair{0.99, &out.p99_us}}) {
    *e = hold(sim.quantile(q) * 1e6, sim_lo.quantile(q_bound(q, n_both, -1)) * 1e6,
              sim_hi.quantile(q_bound(q, n_both, +1)) * 1e6);
  }

  // Costs at the nominal constants.
  const double deliveries = in.rate * std::max(1.0, in.subscribers);
  out.requests_per_s = nominal.requests_per_s;
  out.bytes_per_s = nominal.bytes_per_event * deliveries;
  out.producer_cores =
      k.producer_idle_cores +
      (out.requests_per_s * k.producer_us_per_request + deliveries * k.producer_us_per_event) / 1e6;
  out.consumer_cores =
      k.consumer_idle_cores +
      (out.requests_per_s * k.consumer_us_per_request + deliveries * k.consumer_us_per_event) / 1e6;
  const double subscribers = std::max(1.0, in.subscribers);
  out.connections = subscribers;
  const double round_trip_s = s.loopback_rtt_s(1) + in.rtt_s + k.delivery_cost_us / 1e6;
  if (mode.receiver) {
    // Connections in use per subscriber: the POSTs in flight, up to the concurrency.
    const double in_flight =
        std::ceil(std::max(1e-9, out.requests_per_s / subscribers * round_trip_s));
    out.connections =
        subscribers * std::clamp(in_flight, 1.0, std::max(1.0, in.webhook_concurrency));
  }
  out.producer_memory_bytes =
      k.producer_base_rss_bytes + (subscribers - 1) * k.memory_per_subscriber_bytes;

  // Saturation: the io thread's fan-out, a pull producer's one core, a subscriber's connections.
  if (mode.pull) {
    out.io_utilization = (out.producer_cores - k.producer_idle_cores) / std::max(1.0, in.cores);
    if (out.io_utilization >= 1) {
      out.saturated = true;
      out.saturated_reason = "the polls need " + fmt("%.2g", out.io_utilization) + " of " +
                             (in.cores > 1 ? fmt("%g", in.cores) + " io threads"
                                           : std::string("the producer's one io thread"));
    }
  } else {
    out.io_utilization = sim.utilization;
    if (sim.saturated || !std::isfinite(nominal.latency_mean_us)) {
      out.saturated = true;
      out.saturated_reason = "the fan-out needs " + fmt("%.2g", sim.utilization) + " of " +
                             (in.cores > 1 ? "each of " + fmt("%g", in.cores) + " io threads"
                                           : std::string("the producer's one io thread")) +
                             " (deliveries x c per second)";
    }
  }
  if (mode.receiver && in.webhook_concurrency > 0 &&
      out.requests_per_s / subscribers * round_trip_s >= in.webhook_concurrency) {
    out.saturated = true;
    out.saturated_reason = "a subscriber takes at most " + fmt("%.3g", in.webhook_concurrency) +
                           " POSTs per round trip (" + fmt("%.3g", round_trip_s * 1e3) + " ms)";
  }
  if (out.saturated && (in.unbounded_when_saturated || !mode.pull)) {
    out.mean_us = out.p50_us = out.p99_us = {kInf, kInf, kInf};
  }
  return out;
}

std::string projection_reason(const calibration& cal, const point_input& in) {
  const nlohmann::json& all = cal.validated;
  if (all.empty()) return "the calibration has not been validated against measured points";
  if (in.cores > 1) {
    return fmt("%g", in.cores) + " io threads (the harness measures one)";
  }
  // The mode's own range where the validation recorded one, else every mode's.
  const nlohmann::json* v = &all;
  auto by_mode = all.find("by_mode");
  if (by_mode != all.end() && by_mode->contains(in.mode) && by_mode->at(in.mode).contains("rate")) {
    v = &by_mode->at(in.mode);
  }
  auto outside = [&](const char* key, double x, const char* name, double scale,
                     const char* unit) -> std::string {
    auto it = v->find(key);
    if (it == v->end() || !it->is_array() || it->size() != 2) return "";
    const double lo = (*it)[0].get<double>(), hi = (*it)[1].get<double>();
    if (x >= lo * (1 - 1e-9) && x <= hi * (1 + 1e-9)) return "";
    return std::string(name) + " = " + fmt("%g", x * scale) + unit + " outside the validated " +
           fmt("%g", lo * scale) + unit + ".." + fmt("%g", hi * scale) + unit;
  };
  for (std::string r : {outside("rate", in.rate, "lambda", 1, "/s"),
                        outside("subscribers", in.subscribers, "N", 1, ""),
                        outside("rtt_s", in.rtt_s, "RTT", 1e3, " ms")}) {
    if (!r.empty()) return r;
  }
  const double d = in.rate * std::max(1.0, in.subscribers);
  auto most = v->find("deliveries_per_s");
  if (most != v->end() && most->is_number() && d > most->get<double>() * (1 + 1e-9)) {
    return "lambda N = " + fmt("%g", d) + " deliveries/s above the validated " +
           fmt("%g", most->get<double>());
  }
  return "";
}

}  // namespace hookbench
