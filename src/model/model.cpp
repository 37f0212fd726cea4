// Closed-form predictions.
#include "model/model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

namespace hookbench {

namespace {

// Bytes per event = requests per event x the per-exchange overhead + the event's own bytes.
model_prediction with_bytes(model_prediction p, const model_input& in) {
  if (in.overhead_bytes > 0) {
    p.bytes_per_event = p.requests_per_event * in.overhead_bytes + in.event_bytes;
  }
  return p;
}

}  // namespace

model_prediction model_poll(const model_input& in) {
  model_prediction p;
  const double lt = in.rate * in.interval_s;
  p.lambda_t = lt;
  p.latency_mean_us = (in.lag_s + in.interval_s / 2 + in.rtt_s / 2) * 1e6;
  p.requests_per_s = in.subscribers / in.interval_s;
  p.requests_per_event = lt > 0 ? 1.0 / lt : 0;
  p.empty_poll_fraction = in.arrivals == "constant" ? std::max(0.0, 1.0 - lt) : std::exp(-lt);
  p.events_per_nonempty_poll =
      in.arrivals == "constant" ? std::max(1.0, lt) : (lt > 0 ? lt / -std::expm1(-lt) : 1.0);
  return with_bytes(p, in);
}

namespace {

// The M/D/1 queue's mean wait: Poisson arrivals at `per_s`, each served in `service_s`.
double md1_wait_s(double per_s, double service_s) {
  const double rho = per_s * service_s;
  if (rho >= 1) return std::numeric_limits<double>::infinity();
  return rho * service_s / (2 * (1 - rho));
}

// F: an event's k-th delivery waits k c, (N - 1) c / 2 on average, behind the fan-outs queued
// ahead of it: an M/D/1 queue of `fan_outs_per_s`, each holding the pipeline `queued_s`. 0 when c
// is unknown.
double fan_out_s(const model_input& in, double fan_outs_per_s, double queued_s) {
  const double c = in.delivery_cost_s, n = std::max(1.0, in.subscribers);
  if (c <= 0) return 0;
  return (n - 1) * c / 2 + md1_wait_s(fan_outs_per_s, queued_s);
}

}  // namespace

double fan_out_wait_s(const model_input& in, double deliveries_per_s) {
  const double n = std::max(1.0, in.subscribers);
  return fan_out_s(in, deliveries_per_s / n, n * in.delivery_cost_s);
}

namespace {

// D: the measured trip to the first subscriber, or the formula's fallback when not measured.
double first_delivery_s(const model_input& in, double fallback_s) {
  return in.wake_s > 0 ? in.wake_s : fallback_s;
}

}  // namespace

model_prediction model_webhook(const model_input& in) {
  model_prediction p;
  p.latency_mean_us =
      (in.lag_s + first_delivery_s(in, in.rtt_s) + fan_out_wait_s(in, in.rate * in.subscribers)) *
      1e6;
  p.requests_per_s = in.rate * in.subscribers;
  p.requests_per_event = 1;
  return with_bytes(p, in);
}

model_prediction model_poll_adaptive(const model_input& in) {
  // The chain's states: I_0 = T, I_k = min(T b^k, cap) until the cap is reached.
  std::vector<double> intervals{in.interval_s};
  const double cap = in.max_interval_s > 0 ? in.max_interval_s : 8 * in.interval_s;
  while (in.backoff > 1 && intervals.back() < cap && intervals.size() < 64) {
    intervals.push_back(std::min(cap, intervals.back() * in.backoff));
  }
  const auto empty = [&](double i) {
    return in.arrivals == "constant" ? std::max(0.0, 1.0 - in.rate * i) : std::exp(-in.rate * i);
  };
  // Unnormalised stationary weights: each step up is an empty poll; the last state holds.
  std::vector<double> pi(intervals.size(), 1.0);
  for (std::size_t k = 1; k < intervals.size(); ++k) pi[k] = pi[k - 1] * empty(intervals[k - 1]);
  const double stay = empty(intervals.back());
  if (intervals.size() > 1) pi.back() = stay < 1 ? pi.back() / (1 - stay) : pi.back() * 1e9;
  double sum_pi = 0, sum_i = 0, sum_i2 = 0, sum_empty = 0;
  for (std::size_t k = 0; k < pi.size(); ++k) {
    sum_pi += pi[k];
    sum_i += pi[k] * intervals[k];
    sum_i2 += pi[k] * intervals[k] * intervals[k];
    sum_empty += pi[k] * empty(intervals[k]);
  }
  const double mean_interval = sum_i / sum_pi;
  model_prediction p;
  p.lambda_t = in.rate * in.interval_s;
  p.latency_mean_us = (in.lag_s + in.rtt_s / 2 + sum_i2 / (2 * sum_i)) * 1e6;
  p.requests_per_s = in.subscribers / mean_interval;
  p.requests_per_event = in.rate > 0 ? 1.0 / (in.rate * mean_interval) : 0;
  p.empty_poll_fraction = sum_empty / sum_pi;
  const double nonempty = 1 - p.empty_poll_fraction;
  p.events_per_nonempty_poll = nonempty > 0 ? in.rate * mean_interval / nonempty : 1.0;
  return with_bytes(p, in);
}

model_prediction model_webhook_batch(const model_input& in) {
  double w = in.batch_window_s;
  if (in.batch_max > 1 && in.rate > 0) w = std::min(w, (in.batch_max - 1) / in.rate);
  if (in.batch_max == 1) w = 0;
  const double others = in.rate * w;  // events joining a batch after the one that opened it
  model_prediction p;
  p.requests_per_event = 1 / (1 + others);
  p.requests_per_s = in.rate * in.subscribers * p.requests_per_event;
  // The batches' fan-outs (N c each) leave W_eff plus an exponential wait for the next opener
  // apart: the queue of fan-outs is an M/D/1 queue at lambda whose service is the part of N c
  // that the window does not cover (Lindley's recursion with the W_eff taken off each gap).
  const double fan_out =
      fan_out_s(in, in.rate, std::max(0.0, std::max(1.0, in.subscribers) * in.delivery_cost_s - w));
  p.latency_mean_us =
      (in.lag_s + first_delivery_s(in, in.rtt_s) + w * (1 + others / 2) / (1 + others) + fan_out) *
      1e6;
  return with_bytes(p, in);
}

model_prediction model_long_poll(const model_input& in) {
  model_prediction p;
  const double l = in.rate, r = in.rtt_s;
  const double w = in.wait_s > 0 ? in.wait_s : 30;
  const double parks = std::exp(-l * r);  // the request finds nothing waiting
  const double cycle = l > 0 ? r + parks * -std::expm1(-l * w) / l : w + r;
  p.requests_per_s = in.subscribers / cycle;
  // The measured D is the median of each event's earliest delivery. The share q = R/C of events
  // that land in the round trip after an answer wait on top a uniform residual of it: once q
  // passes one half the median lies among them, R (q - 1/2)/q above the parked trip D0.
  const double gap = cycle > 0 ? r / cycle : 0;
  const double parked_trip =
      in.wake_s > 0
          ? std::max(0.0,
                     in.wake_s - (in.wake_is_median && gap > 0.5 ? r * (gap - 0.5) / gap : 0.0))
          : r / 2;
  p.latency_mean_us = (in.lag_s + parked_trip + fan_out_wait_s(in, p.requests_per_s) +
                       (cycle > 0 ? r / cycle * r / 2 : 0)) *
                      1e6;
  p.requests_per_event = l > 0 ? 1 / (l * cycle) : 0;
  p.empty_poll_fraction = parks * std::exp(-l * w);  // answered empty when the wait ends
  return with_bytes(p, in);
}

model_prediction model_stream(const model_input& in) {
  model_prediction p;
  p.latency_mean_us = (in.lag_s + first_delivery_s(in, in.rtt_s / 2) +
                       fan_out_wait_s(in, in.rate * in.subscribers)) *
                      1e6;
  // One message per event: its framing is the per-message overhead.
  if (in.overhead_bytes > 0) p.bytes_per_event = in.overhead_bytes + in.event_bytes;
  return p;
}

void to_json(nlohmann::json& j, const model_prediction& p) {
  j = {{"lambda_t", p.lambda_t},
       // Past saturation the model's latency is unbounded: null, never a made-up number.
       {"latency_mean_us", std::isfinite(p.latency_mean_us) ? nlohmann::json(p.latency_mean_us)
                                                            : nlohmann::json(nullptr)},
       {"requests_per_s", p.requests_per_s},
       {"requests_per_event", p.requests_per_event},
       {"empty_poll_fraction", p.empty_poll_fraction},
       {"events_per_nonempty_poll", p.events_per_nonempty_poll},
       {"bytes_per_event",
        p.bytes_per_event > 0 ? nlohmann::json(p.bytes_per_event) : nlohmann::json(nullptr)}};
}

std::string agreement(double model_value, double lo, double hi) {
  if (model_value < lo) return "above";
  if (model_value > hi) return "below";
  return "within";
}

std::vector<std::pair<double, model_prediction>> model_curve(model_fn model, model_input in,
                                                             double rate_lo, double rate_hi,
                                                             int points) {
  std::vector<std::pair<double, model_prediction>> out;
  if (points < 2 || rate_lo <= 0 || rate_hi <= rate_lo) return out;
  const double step = std::log(rate_hi / rate_lo) / (points - 1);
  for (int i = 0; i < points; ++i) {
    in.rate = rate_lo * std::exp(step * i);
    out.emplace_back(in.rate, model(in));
  }
  return out;
}

}  // namespace hookbench
