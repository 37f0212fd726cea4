// The analytical model of DESIGN.md, drawn beside every measurement. Poisson arrivals at rate
// lambda, N subscribers, poll interval T, round trip R:
//   poll:    mean latency ~ T/2 + R/2; polls/s = N/T; P(empty poll) = e^(-lambda T);
//            events per non-empty poll = lambda T / (1 - e^(-lambda T)); requests/event = 1/(lambda T)
//   webhook: POSTs/s = lambda N; latency ~ R/2 + service; requests/event = 1
// Constant-rate arrivals change the empty-poll fraction to max(0, 1 - lambda T).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace hookbench {

struct model_input {
  std::string mode;        // "poll", "webhook"
  std::string arrivals;    // "poisson", "constant"
  double rate = 0;         // lambda, events/s
  double interval_s = 0;   // T (poll modes)
  double subscribers = 1;  // N
  double rtt_s = 0;        // R, measured by the consumer before the run
};

struct model_prediction {
  double lambda_t = 0;              // events per poll interval (0 for push modes)
  double latency_mean_us = 0;
  double requests_per_s = 0;        // N/T or lambda N
  double requests_per_event = 0;    // per delivered event-subscriber pair
  double empty_poll_fraction = 0;   // poll modes
  double events_per_nonempty_poll = 0;
};

model_prediction predict(const model_input& in);
void to_json(nlohmann::json& j, const model_prediction& p);

}  // namespace hookbench
