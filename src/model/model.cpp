// Closed-form predictions.
#include "model/model.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

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

model_prediction model_webhook(const model_input& in) {
  model_prediction p;
  p.latency_mean_us = (in.lag_s + in.rtt_s) * 1e6;
  p.requests_per_s = in.rate * in.subscribers;
  p.requests_per_event = 1;
  return with_bytes(p, in);
}

void to_json(nlohmann::json& j, const model_prediction& p) {
  j = {{"lambda_t", p.lambda_t},
       {"latency_mean_us", p.latency_mean_us},
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
