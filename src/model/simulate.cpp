// The delivery designs as discrete-event simulations (model/simulate.hpp).
#include "model/simulate.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace hookbench {
namespace {

class sampler {
 public:
  explicit sampler(const sim_input& in) : in_(in), rng_(in.seed) {}

  double next_gap() {
    if (in_.constant_arrivals) return 1 / in_.rate;
    return std::exponential_distribution<double>(in_.rate)(rng_);
  }
  double uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  // One delivery's base latency: the inverse CDF of the quantiles, linear between them.
  double base() {
    const auto& q = in_.base_quantiles_s;
    if (q.size() < 2) return in_.base_s;
    const double x = uniform() * static_cast<double>(q.size() - 1);
    const auto i = std::min(q.size() - 2, static_cast<std::size_t>(x));
    return q[i] + (q[i + 1] - q[i]) * (x - static_cast<double>(i));
  }

 private:
  const sim_input& in_;
  std::mt19937_64 rng_;
};

// Keeps one delivery's latency in `stride`, drawn at random (a fixed pattern would keep the
// same places in every fan-out), once the warm-up has passed.
struct recorder {
  std::vector<double> samples;
  std::size_t stride = 1;
  bool on = false;
  std::mt19937_64 pick{12345};
  bool wants() { return on && (stride == 1 || pick() % stride == 0); }
  void add(double latency_s) {
    if (wants()) samples.push_back(latency_s);
  }
};

constexpr std::size_t kMaxSamples = 200'000;

std::vector<double> arrivals(sampler& s, std::size_t n) {
  std::vector<double> a(n);
  double t = 0;
  for (auto& x : a) x = (t += s.next_gap());
  return a;
}

// The subscribers a simulation follows: all of them up to kMaxFollowed, else that many spread
// evenly over the N (the fan-out still takes N c): the work stays bounded at any N.
constexpr std::size_t kMaxFollowed = 2000;
std::vector<std::size_t> followed(double subscribers) {
  const auto n = static_cast<std::size_t>(std::max(1.0, subscribers));
  const std::size_t k = std::min(n, kMaxFollowed);
  std::vector<std::size_t> out(k);
  for (std::size_t i = 0; i < k; ++i) out[i] = i * n / k;
  return out;
}

// A webhook subscriber's connections: a POST takes an idle one, or opens one (a handshake
// first) while fewer than the concurrency are open, or waits for the first to come free.
struct connection_pool {
  std::vector<double> free_at;  // per open connection
  // Returns when the POST ready at t leaves.
  double take(double t, const sim_input& in) {
    std::size_t best = free_at.size();
    for (std::size_t i = 0; i < free_at.size(); ++i) {
      if (free_at[i] <= t) {
        best = i;
        break;
      }
      if (best == free_at.size() || free_at[i] < free_at[best]) best = i;
    }
    double leaves = t;
    if (best < free_at.size() && free_at[best] <= t) {
    } else if (static_cast<double>(free_at.size()) < in.concurrency) {
      free_at.push_back(0);
      best = free_at.size() - 1;
      leaves = t + in.handshake_s;
    } else {
      leaves = free_at[best];
    }
    free_at[best] = leaves + in.post_round_trip_s;
    return leaves;
  }
};

// Every push design but long-poll: each fan-out (an event's, or a batch's) takes the io thread
// N c after it may start; its k-th delivery leaves k c after the start.
void fan_outs(const sim_input& in, sampler& s, const std::vector<double>& at, std::size_t warm,
              recorder& rec, double& busy_s) {
  const auto n = static_cast<std::size_t>(std::max(1.0, in.subscribers));
  const double c = in.delivery_cost_s;
  double free_at = 0;
  const std::vector<std::size_t> who = followed(in.subscribers);
  std::vector<connection_pool> pools(in.concurrency > 0 ? who.size() : 0);
  std::size_t i = 0;
  while (i < at.size()) {
    // The events that leave together, and when their fan-out may start.
    std::size_t j = i + 1;
    double ready = at[i];
    if (in.design == sim_design::webhook_batch) {
      const double close = at[i] + in.batch_window_s;
      const auto cap = in.batch_max > 0 ? static_cast<std::size_t>(in.batch_max) : SIZE_MAX;
      while (j < at.size() && at[j] <= close && j - i < cap) ++j;
      // A full batch leaves when its last event comes; others when the window closes.
      ready = (j - i == cap) ? at[j - 1] : close;
    }
    const double start = std::max(ready, free_at);
    free_at = start + static_cast<double>(n) * c;
    busy_s += static_cast<double>(n) * c;
    rec.on = i >= warm;
    for (std::size_t f = 0; f < who.size(); ++f) {
      const double leaves = start + static_cast<double>(who[f]) * c;
      const double waited = pools.empty() ? 0 : pools[f].take(leaves, in) - leaves;
      for (std::size_t e = i; e < j; ++e) {
        if (rec.wants()) rec.samples.push_back(leaves + waited - at[e] + s.base());
      }
    }
    i = j;
  }
}

void long_polls(const sim_input& in, sampler& s, const std::vector<double>& at, std::size_t warm,
                recorder& rec, double& busy_s) {
  // Past kMaxFollowed subscribers each followed one stands for `scale` alike: its place in a
  // fan-out, and the fan-out's length, are scaled by that.
  const std::size_t n = followed(in.subscribers).size();
  const double scale = std::max(1.0, in.subscribers) / static_cast<double>(n);
  const double c = in.delivery_cost_s, rt = in.round_trip_s;
  const double wait = in.wait_s > 0 ? in.wait_s : 30, cycle = wait + rt;
  // ready[k]: when subscriber k's request is (or will be) parked at the producer; pending[k]:
  // events wait for it to come back.
  std::vector<double> ready(n);
  for (auto& r : ready) r = s.uniform() * rt;
  std::vector<char> pending(n, 0);
  double free_at = 0;
  for (std::size_t i = 0; i < at.size(); ++i) {
    const double a = at[i];
    rec.on = i >= warm;
    std::size_t position = 0;
    const double start = std::max(a, free_at);
    for (std::size_t k = 0; k < n; ++k) {
      if (pending[k] && a >= ready[k]) {  // answered with what waited: back a round trip later
        ready[k] += rt;
        pending[k] = 0;
      }
      if (!pending[k] && ready[k] <= a) {
        // Parked since ready[k], expired and sent again every wait + rt.
        ready[k] += std::floor((a - ready[k]) / cycle) * cycle;
        if (a - ready[k] > wait) ready[k] += cycle;
      }
      if (ready[k] <= a) {  // parked: answered in this event's fan-out
        const double answered = start + static_cast<double>(position++) * scale * c;
        rec.add(answered - a + s.base());
        ready[k] = answered + rt;
      } else {  // on its way back: answered at once when it parks
        pending[k] = 1;
        rec.add(ready[k] - a + s.base());
      }
    }
    free_at = start + static_cast<double>(position) * scale * c;
    busy_s += static_cast<double>(position) * scale * c;
  }
}

// One subscriber's polls (every subscriber's are alike but for a phase): at T (poll) or at the
// adaptive interval, each event is fetched at the first poll after it.
void polls(const sim_input& in, sampler& s, const std::vector<double>& at, std::size_t warm,
           recorder& rec) {
  const double t0 = in.interval_s;
  const double cap = std::max(t0, in.max_interval_s > 0 ? in.max_interval_s : 8 * t0);
  const double backoff = std::max(1.0, in.backoff);
  const auto walkers = static_cast<std::size_t>(std::min(8.0, std::max(1.0, in.subscribers)));
  for (std::size_t w = 0; w < walkers; ++w) {
    double poll = s.uniform() * t0, interval = t0;
    std::size_t i = 0;
    while (i < at.size()) {
      bool any = false;
      for (; i < at.size() && at[i] <= poll; ++i) {
        any = true;
        rec.on = i >= warm;
        rec.add(poll - at[i] + s.base());
      }
      if (in.design == sim_design::poll_adaptive) {
        interval = any ? t0 : std::min(cap, interval * backoff);
      }
      poll += interval;
      // Nothing comes for a while (a low rate): jump to the last poll before the next event,
      // once the interval can grow no more, instead of stepping through every empty poll.
      const bool steady = in.design == sim_design::poll || interval >= cap;
      if (steady && i < at.size() && at[i] > poll + interval) {
        poll += std::floor((at[i] - poll) / interval) * interval;
      }
    }
  }
}

}  // namespace

double sim_output::quantile(double q) const {
  if (samples_s.empty()) return 0;
  const double x = std::clamp(q, 0.0, 1.0) * static_cast<double>(samples_s.size() - 1);
  const auto i = static_cast<std::size_t>(x);
  if (i + 1 >= samples_s.size()) return samples_s.back();
  return samples_s[i] + (samples_s[i + 1] - samples_s[i]) * (x - static_cast<double>(i));
}

sim_output simulate(const sim_input& in) {
  sim_output out;
  const bool pull = in.design == sim_design::poll || in.design == sim_design::poll_adaptive;
  if (!(in.rate > 0) || !std::isfinite(in.rate) || (pull && !(in.interval_s > 0))) return out;
  // Bound the work: fewer events when many subscribers are followed, never fewer than 200 in
  // all; at most kMaxFollowed are (see followed()).
  const double per_event = pull ? std::min(8.0, std::max(1.0, in.subscribers))
                                : static_cast<double>(followed(in.subscribers).size());
  const std::size_t reps = std::max<std::size_t>(1, in.replications);
  std::size_t events = in.events;
  const auto budget = static_cast<std::size_t>(static_cast<double>(in.max_work) / per_event);
  if (events * reps > budget) events = std::max<std::size_t>(200 / reps + 1, budget / reps);
  const std::size_t warm = in.warmup_events > 0 ? in.warmup_events : events / 10;
  recorder rec;
  rec.pick.seed(in.seed ^ 0x9e3779b97f4a7c15ULL);
  rec.stride = std::max<std::size_t>(
      1, static_cast<std::size_t>(static_cast<double>(events * reps) * per_event / kMaxSamples));
  double busy = 0, span = 0;
  for (std::size_t r = 0; r < reps; ++r) {
    sim_input one = in;
    one.seed = in.seed + r;
    sampler s(one);
    const std::vector<double> at = arrivals(s, events + warm);
    switch (in.design) {
      case sim_design::poll:
      case sim_design::poll_adaptive:
        polls(one, s, at, warm, rec);
        break;
      case sim_design::long_poll:
        long_polls(one, s, at, warm, rec, busy);
        break;
      default:
        fan_outs(one, s, at, warm, rec, busy);
        break;
    }
    span += at.empty() ? 0 : at.back();
  }
  out.utilization = span > 0 ? busy / span : 0;
  out.saturated = out.utilization >= 1;
  out.samples_s = std::move(rec.samples);
  std::sort(out.samples_s.begin(), out.samples_s.end());
  if (!out.samples_s.empty()) {
    double sum = 0, ss = 0;
    for (double x : out.samples_s) sum += x;
    out.mean_s = sum / static_cast<double>(out.samples_s.size());
    for (double x : out.samples_s) ss += (x - out.mean_s) * (x - out.mean_s);
    out.sd_s = std::sqrt(ss / static_cast<double>(out.samples_s.size()));
  }
  return out;
}

}  // namespace hookbench
