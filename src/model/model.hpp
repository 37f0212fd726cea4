// The analytical model, drawn beside every measurement: the one home of its formulas (the
// scripts read its columns and curves, never recompute them). Poisson arrivals at rate lambda,
// N subscribers, poll interval T, in-run round trip R, generator lag G (scheduled -> sent):
//   poll:    mean latency ~ G + T/2 + R/2; polls/s = N/T; P(empty poll) = e^(-lambda T);
//            events per non-empty poll = lambda T / (1 - e^(-lambda T)); requests/event = 1/(lambda
//            T)
//   webhook: POSTs/s = lambda N; latency ~ G + D + F: the event leaves G late, reaches the
//            first of its N subscribers D later (the trip to a waiting receiver, its wake-up
//            included), and the others after the fan-out's wait F. D is measured in the run from
//            the consumer's receive times (the median of each event's earliest delivery, less the
//            generator lag's median). Without it (runs before that measure) D falls back to the
//            first subscriber's POST round trip R_post, a whole exchange where the delivery only
//            pays the way there. requests/event = 1.
//   fan-out (every push design: webhook, webhook-batch, long-poll, SSE, WebSocket): one io
//            thread writes an event's N POSTs, stream messages or parked answers one after
//            another, and one consumer thread takes them one after another; each delivery costs
//            the pipeline c, so the k-th waits k c: on average F0 = (N - 1) c / 2. Events'
//            fan-outs (N c of work each) queue behind each other as an M/D/1 queue at load rho =
//            d c, d the deliveries per second: W = rho N c / (2 (1 - rho)); F = F0 + W, and no
//            bound at rho >= 1. c is the measured service time per delivery: the mean spacing
//            of an event's deliveries at the consumer ((last - first) / (N - 1)); without it
//            (N = 1, older runs) the busier side's net CPU per delivery (idle upkeep removed),
//            never gross CPU. (Connections per subscriber cap one subscriber at k / R_post POSTs
//            per second; past that it queues.)
//   bytes/event = requests/event x per-exchange overhead (headers, framing) + the event's bytes
//   poll-adaptive: a Markov chain over the intervals T, Tb, Tb^2, ..., cap: an empty poll (prob
//            e^(-lambda I_k)) moves up a step, a poll with events back to T. With its stationary
//            pi_k: polls/s = N / sum(pi I), latency ~ G + R/2 + sum(pi I^2) / (2 sum(pi I))
//            (events land in intervals in proportion to their length and wait half of one).
//   webhook-batch: a batch opens at its first event and is sent W later (or when batch_max
//            events are in it: W_eff = min(W, (max - 1)/lambda)); the first event waits W_eff,
//            the lambda W_eff others W_eff/2 on average: latency ~ G + D +
//            W_eff (1 + lambda W_eff / 2) / (1 + lambda W_eff) + F_batch; requests/event =
//            1/(1 + lambda W_eff). Every subscriber's batch opens and closes at the same events,
//            so a batch's N POSTs are one fan-out: F_batch = (N - 1) c / 2 plus the wait behind
//            the previous batch's fan-out. Batches the window closes leave W_eff plus an
//            exponential wait for the next opener apart, so that queue is an M/D/1 queue at
//            lambda whose service is what of N c the window does not cover, max(0, N c - W_eff):
//            none while N c <= W_eff. (Batches the cap closes fill in a random time of mean
//            (max - 1)/lambda, sometimes sooner: there the term is an approximation.) D is the trip
//            of a batch to its first subscriber: the consumer's least latency of each batch's
//            opener less W (of its last event when the cap closed it), less the generator lag;
//            without it R_post.
//   long-poll: a request parks until an event (or the wait w), then the answer and the next
//            request take a round trip R, in which events queue. A request finds events waiting
//            with prob 1 - e^(-lambda R); otherwise it parks (1 - e^(-lambda w))/lambda on
//            average. Cycle C = R + e^(-lambda R)(1 - e^(-lambda w))/lambda; requests/event =
//            1/(lambda C): about 1 while lambda R << 1, batching as lambda R grows. Latency ~
//            G + D + F (answering N parked requests is a fan-out, at d = N / C answers per
//            second), plus R/2 for the events that land in the round trip (a share q = R/C of
//            time). D is the trip to a parked request: the measured median of the earliest
//            deliveries mixes in the events that waited out the round trip, so once q > 1/2
//            (lambda R near 1 and above, e.g. 10/s through a 100 ms link) the median sits
//            R (q - 1/2)/q higher and the model takes that off. D falls back to R/2, the ping's
//            one-way trip.
//   stream (SSE, WebSocket): latency ~ G + D + F (one message per subscriber per event, d =
//            lambda N); no request per event. D falls back to R/2.
// At N = 1 with no measured D the push formulas are the earlier ones (G + R_post, G + R/2) plus
// the M/D/1 wait of single deliveries, which is 0 when c is unknown.
// Constant-rate arrivals change the empty-poll fraction to max(0, 1 - lambda T).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace hookbench {

struct model_input {
  std::string mode;            // "poll", "webhook"
  std::string arrivals;        // "poisson", "constant"
  double rate = 0;             // lambda, events/s (the realised rate when judging a run)
  double interval_s = 0;       // T (poll modes)
  double backoff = 2;          // poll-adaptive: interval x this after an empty poll
  double max_interval_s = 0;   // poll-adaptive: the cap (0 = 8T)
  double batch_window_s = 0;   // webhook-batch: W
  double batch_max = 0;        // webhook-batch: events per POST at most (0 = no cap)
  double wait_s = 0;           // long-poll: how long a request parks at most
  double delivery_cost_s = 0;  // push: c, the fan-out's service time per delivery
  double wake_s = 0;           // push: D, generator to first subscriber (0 = not measured)
  // long-poll: D is the median of a run's earliest deliveries (which mixes in the events that
  // waited out a round trip); false when it is the parked trip itself (a calibration's).
  bool wake_is_median = true;
  double subscribers = 1;  // N
  double rtt_s = 0;        // R: the ping's p50; for webhooks the first POST's round trip in the run
  double lag_s = 0;        // G: mean generator lag measured in the run
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
model_prediction model_poll_adaptive(const model_input& in);
model_prediction model_webhook_batch(const model_input& in);
model_prediction model_long_poll(const model_input& in);
// SSE and WebSocket: one held connection per subscriber, one message per event.
model_prediction model_stream(const model_input& in);
// The fan-out's wait F at `deliveries_per_s` (the header's fan-out term); infinite at rho >= 1.
double fan_out_wait_s(const model_input& in, double deliveries_per_s);
void to_json(nlohmann::json& j, const model_prediction& p);

// How a measured mean with its 95% CI [lo, hi] stands against the model's value:
// "within" (model inside the CI), "above" (measured CI above the model), "below".
std::string agreement(double model_value, double lo, double hi);

// The model's curve over `points` log-spaced rates from rate_lo to rate_hi (inclusive).
std::vector<std::pair<double, model_prediction>> model_curve(model_fn model, model_input in,
                                                             double rate_lo, double rate_hi,
                                                             int points);

}  // namespace hookbench
