// The analytical model, drawn beside every measurement: the one home of its formulas (the
// scripts read its columns and curves, never recompute them). Poisson arrivals at rate lambda,
// N subscribers, poll interval T, in-run round trip R, generator lag G (scheduled -> sent):
//   poll:    mean latency ~ G + T/2 + R/2; polls/s = N/T; P(empty poll) = e^(-lambda T);
//            events per non-empty poll = lambda T / (1 - e^(-lambda T)); requests/event = 1/(lambda
//            T)
//   webhook: POSTs/s = lambda N; latency ~ G + R_post: the event leaves G late, then rides one
//            POST exchange, R_post being the POST round trip measured in the same run (its
//            median); requests/event = 1. Not R/2 of an idle ping: the delivery pays the
//            receiver's wake-up and the fan-out's writes, which on a real machine cost about the
//            return half, so push latency tracks the whole in-run exchange (an empirical model).
//   bytes/event = requests/event x per-exchange overhead (headers, framing) + the event's bytes
// Constant-rate arrivals change the empty-poll fraction to max(0, 1 - lambda T).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace hookbench {

struct model_input {
  std::string mode;           // "poll", "webhook"
  std::string arrivals;       // "poisson", "constant"
  double rate = 0;            // lambda, events/s (the realised rate when judging a run)
  double interval_s = 0;      // T (poll modes)
  double subscribers = 1;     // N
  double rtt_s = 0;           // R: for webhooks the POST round trip measured in the run (median)
  double lag_s = 0;           // G: mean generator lag measured in the run
  double overhead_bytes = 0;  // bytes of one exchange that are not event data (request + response)
  double event_bytes = 0;     // bytes of one event on the wire
};

struct model_prediction {
  double lambda_t = 0;  // events per poll interval (0 for push modes)
  double latency_mean_us = 0;
  double requests_per_s = 0;       // N/T or lambda N
  double requests_per_event = 0;   // per delivered event-subscriber pair
  double empty_poll_fraction = 0;  // poll modes
  double events_per_nonempty_poll = 0;
  double bytes_per_event = 0;  // 0 when the overhead is unknown
};

// One function per delivery design; the mode registry (consumer/delivery_mode.cpp) names each
// mode's function, so nothing here branches on a mode's name.
using model_fn = model_prediction (*)(const model_input&);
model_prediction model_poll(const model_input& in);
model_prediction model_webhook(const model_input& in);
void to_json(nlohmann::json& j, const model_prediction& p);

// How a measured mean with its 95% CI [lo, hi] stands against the model's value:
// "within" (model inside the CI), "above" (measured CI above the model), "below".
std::string agreement(double model_value, double lo, double hi);

// The model's curve over `points` log-spaced rates from rate_lo to rate_hi (inclusive).
std::vector<std::pair<double, model_prediction>> model_curve(model_fn model, model_input in,
                                                             double rate_lo, double rate_hi,
                                                             int points);

}  // namespace hookbench
