// Timer-driven open-loop generation.
#include "producer/generator.hpp"

#include <algorithm>
#include <chrono>

#include "core/cli.hpp"
#include "core/parse.hpp"

namespace hookbench {

void add_generation_options(option_parser& p, generator_config& g) {
  p.add("--rate", "EVENTS/S", "mean event rate lambda", "100",
        [&g](std::string_view v) { g.rate = parse_positive_double(v); })
      .add("--arrivals", "KIND", "poisson or constant inter-arrival times", "poisson",
           [&g](std::string_view v) { g.arrivals = parse_arrival_kind(v); })
      .add("--seed", "N", "seed of the arrival schedule", "1",
           [&g](std::string_view v) {
             g.seed = static_cast<std::uint64_t>(parse_int(v, 0, INT64_MAX));
           })
      .add("--payload", "BYTES", "payload size of each event", "256",
           [&g](std::string_view v) {
             g.payload_bytes = static_cast<std::size_t>(parse_int(v, 0, 1 << 20));
           })
      .add("--warmup", "DURATION", "generation before the measured window (not measured)", "1s",
           [&g](std::string_view v) { g.warmup = parse_duration(v); })
      .add("--duration", "DURATION", "length of the measured window", "10s",
           [&g](std::string_view v) {
             g.duration = parse_duration(v);
             if (g.duration <= 0) throw usage_error("must be greater than 0");
           })
      .add("--timer", "KIND",
           "sleep (a timer per event) or spin (wake early, spin to the scheduled\n"
           "                            time: events leave on time, one core busy)",
           "sleep", [&g](std::string_view v) {
             if (v == "spin") {
               g.spin = kSpinAhead;
             } else if (v == "sleep") {
               g.spin = 0;
             } else {
               throw usage_error("expected sleep or spin, got '" + std::string(v) + "'");
             }
           });
}

planned_sequence plan_sequence(const generator_config& config) {
  // Replays the schedule the generator will follow: seq k is the k-th scheduled offset.
  arrival_schedule schedule(config.arrivals, config.rate, config.seed);
  const nanos window_start = config.warmup, window_end = config.warmup + config.duration;
  const nanos stop = window_end + std::max<nanos>(0, config.tail);
  planned_sequence p;
  for (seq_t seq = 1;; ++seq) {
    const nanos t = schedule.next_offset();
    if (t >= stop) break;
    p.limit = seq;
    if (t < window_start) {
      p.window_first = seq + 1;
    } else if (t < window_end) {
      p.window_last = seq;
    }
  }
  if (p.window_last < p.window_first) p.window_last = p.window_first - 1;
  return p;
}

generator::generator(boost::asio::io_context& ioc, generator_config config, event_log& log,
                     sink_fn sink)
    : timer_(ioc),
      config_(config),
      log_(log),
      sink_(std::move(sink)),
      schedule_(config.arrivals, config.rate, config.seed),
      plan_(plan_sequence(config)) {}

void generator::begin(nanos t0) {
  started_ = true;
  t0_ = t0;
  window_ = {t0 + config_.warmup, t0 + config_.warmup + config_.duration};
  lag_.reserve(static_cast<std::size_t>(config_.rate * to_s(config_.duration) * 1.2) + 16);
}

void generator::start(nanos t0) {
  begin(t0);
  next_ns_ = t0 + schedule_.next_offset();
  arm();
}

void generator::resume(nanos t0, seq_t done) {
  begin(t0);
  resumed_at_ = now_ns();
  // Walk the schedule past what the log holds, keeping the window's bookkeeping as if this
  // process had generated those events.
  for (seq_t seq = 1; seq <= done; ++seq) {
    const nanos created = t0 + schedule_.next_offset();
    if (window_.contains(created)) {
      if (window_last_ < window_first_) window_first_ = seq;
      window_last_ = seq;
      ++lag_skipped_;
    }
  }
  total_ = done;
  next_ns_ = t0 + schedule_.next_offset();
  arm();
}

bool generator::follows_schedule(seq_t seq, nanos created_ns) const {
  arrival_schedule replay(config_.arrivals, config_.rate, config_.seed);
  nanos offset = 0;
  for (seq_t i = 1; i <= seq; ++i) offset = replay.next_offset();
  return seq >= 1 && t0_ + offset == created_ns;
}

void generator::arm() {
  if (next_ns_ >= window_.end_ns) finished_ = true;
  if (next_ns_ >= window_.end_ns + std::max<nanos>(0, config_.tail)) return;  // tail over
  timer_.expires_at(steady_time_of(next_ns_ - config_.spin));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_tick();
  });
}

void generator::on_tick() {
  if (config_.spin > 0) {
    // Woken early on purpose: spin (bounded by the margin plus one tick's overrun) to the
    // scheduled time, so the event leaves when it is due.
    const nanos due = std::min(next_ns_, now_ns() + config_.spin);
    while (now_ns() < due) {
    }
  }
  const nanos now = now_ns();
  const nanos stop_ns = window_.end_ns + std::max<nanos>(0, config_.tail);
  while (next_ns_ <= now && next_ns_ < stop_ns) {
    const event& e =
        log_.append(next_ns_, make_payload(config_.payload_bytes, log_.last_seq() + 1));
    ++total_;
    // Due while the producer was down: its lag is the outage, not the generator's (counted).
    const bool caught_up = e.created_ns < resumed_at_;
    if (caught_up) ++caught_up_;
    if (window_.contains(e.created_ns)) {
      if (window_last_ < window_first_) window_first_ = e.seq;
      window_last_ = e.seq;
      if (!caught_up) lag_.push_back(now - e.created_ns);
    }
    sink_(e);
    next_ns_ = t0_ + schedule_.next_offset();
  }
  arm();
}

}  // namespace hookbench
