// Consumer lifecycle: setup -> ready -> window -> drain -> report.
#include "consumer/consumer.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "measure/fault_metrics.hpp"
#include "measure/latency.hpp"

namespace hookbench {
namespace {

constexpr nanos kControlPeriod = 20 * kNanosPerMilli;
constexpr nanos kDrainCheckPeriod = 2 * kNanosPerMilli;
constexpr nanos kControlRetryPause = 100 * kNanosPerMilli;
constexpr std::size_t kRttProbes = 21;

// Sends `count` GET /control/ping one after another on `conn` and calls `done` with the
// exchanges (local send, producer's now_ns, local receive), or at the first failure with it.
using ping_done = std::function<void(std::vector<clock_sample>, std::string failure)>;
struct ping_run {
  http::client_connection& conn;
  std::size_t count;
  http::header_list auth;
  ping_done done;
  std::vector<clock_sample> samples;
};
void ping_step(std::shared_ptr<ping_run> run) {
  const nanos sent = now_ns();
  run->conn.async_send(
      {"GET", "/control/ping", {}, {}, run->auth},
      [run, sent](boost::system::error_code ec, http::client_response&& r) {
        const nanos received = now_ns();
        std::string failure;
        if (ec) {
          failure = http::describe(ec);
        } else if (r.status != 200) {
          failure = "HTTP " + std::to_string(r.status) + " from /control/ping";
          if (r.status == 401) {
            failure +=
                " (the producer wants its token: --token or $HOOKBENCH_TOKEN; `serve` "
                "prints it in its ready line)";
          }
        } else {
          auto j = nlohmann::json::parse(r.body, nullptr, false);
          if (j.is_object() && j.contains("now_ns") && j["now_ns"].is_number_integer()) {
            run->samples.push_back({sent, j["now_ns"].get<nanos>(), received});
            if (run->samples.size() < run->count) return ping_step(run);
          } else {
            failure = "no now_ns in the /control/ping reply";
          }
        }
        run->done(std::move(run->samples), std::move(failure));
      });
}
void ping_clock(http::client_connection& conn, std::size_t count, http::header_list auth,
                ping_done done) {
  ping_step(
      std::make_shared<ping_run>(ping_run{conn, count, std::move(auth), std::move(done), {}}));
}

}  // namespace

consumer::consumer(boost::asio::io_context& ioc, consumer_config config)
    : ioc_(ioc),
      config_(std::move(config)),
      info_(find_mode(config_.mode)),
      tracker_(config_.subscribers),
      ctx_{ioc, config_, tracker_, window_},
      control_timer_(ioc),
      cpu_timer_(ioc),
      drain_timer_(ioc) {
  if (!info_)
    throw usage_error("--mode: expected " + mode_names() + ", got '" + config_.mode + "'");
  if (!config_.faults.empty() || !config_.observed_faults.empty()) tracker_.keep_receive_times();
  if (!config_.trace_path.empty()) {
    trace_ = std::make_unique<trace_recorder>(window_);
    ctx_.trace = trace_.get();
    tracker_.set_trace(trace_.get());
  }
  mode_ = make_strategy(*info_, ctx_);
}

consumer::~consumer() = default;

std::uint16_t consumer::receiver_port() const { return mode_->receiver_port(); }

void consumer::setup() {
  // RTT probe on one keep-alive connection: the first exchange pays the connect. The same
  // exchanges give the clock offset to the producer (its minimum round trip bounds it).
  boost::asio::io_context probe_ioc;
  http::client_options co;
  co.tls = config_.tls_client;
  co.timeout = config_.request_timeout;
  http::client_connection conn(probe_ioc, config_.producer.address, co);
  std::vector<clock_sample> samples;
  std::string failure;
  ping_clock(conn, kRttProbes, config_.auth(), [&](std::vector<clock_sample> s, std::string f) {
    samples = std::move(s);
    failure = std::move(f);
  });
  probe_ioc.run_for(std::chrono::nanoseconds(config_.request_timeout + kNanosPerSecond));
  const auto estimate = estimate_clock(samples);
  if (samples.size() < kRttProbes || !estimate) {
    throw std::runtime_error("cannot reach producer at " + config_.producer.to_string() + ": " +
                             (failure.empty() ? "timed out" : failure));
  }
  clock_before_ = *estimate;
  tracker_.set_clock_offset(clock_before_.offset_ns);
  std::vector<nanos> rtts;
  for (std::size_t i = 1; i < samples.size(); ++i) rtts.push_back(samples[i].round_trip());
  std::sort(rtts.begin(), rtts.end());
  rtt_min_us_ = to_us(rtts.front());
  rtt_p50_us_ = to_us(percentile_sorted(rtts, 0.5));
  fetch_plan();
  const nanos started = now_ns();
  mode_->setup();
  setup_ns_ = now_ns() - started;
  measure_idle(250 * kNanosPerMilli);
}

// The window's sequence numbers are known before generation starts, so every delivery can be
// classified (window, warm-up, drain-time load, impossible id) the moment it arrives.
void consumer::fetch_plan() {
  http::client_request req;
  req.method = "GET";
  req.target = "/control/window";
  req.headers = config_.auth();
  http::client_response res;
  auto ec =
      http::fetch(config_.producer.address, req, res, config_.request_timeout, config_.tls_client);
  if (ec) throw std::runtime_error("producer /control/window: " + http::describe(ec));
  auto j = nlohmann::json::parse(res.body, nullptr, false);
  if (res.status != 200 || !j.is_object() || !j.contains("planned")) {
    throw std::runtime_error("producer /control/window: HTTP " + std::to_string(res.status) +
                             " without a planned window (is it a hookbench producer?)");
  }
  const auto& p = j.at("planned");
  planned_first_ = p.at("first_seq").get<seq_t>();
  planned_last_ = p.at("last_seq").get<seq_t>();
  tracker_.set_window(planned_first_, planned_last_, p.at("seq_limit").get<seq_t>());
}

// The mode is set up (a receiver bound) but nothing is flowing: the fixed cost of being up.
void consumer::measure_idle(nanos d) { idle_cores_ = measure_idle_cores(ioc_, d); }

void consumer::start() {
  http::client_options co;
  co.tls = config_.tls_client;
  co.timeout = config_.request_timeout;
  control_ = std::make_unique<http::client_connection>(ioc_, config_.producer.address, co);
  const nanos started = now_ns();
  mode_->start();
  setup_ns_ += now_ns() - started;
  start_deadline_ = now_ns() + config_.start_timeout;
  wait_for_start();
}

void consumer::arm_at(boost::asio::steady_timer& t, nanos at, std::function<void()> fn) {
  t.expires_at(steady_time_of(at));
  t.async_wait([this, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec && !done_) fn();
  });
}

void consumer::control_get(const char* target, std::function<void(const nlohmann::json&)> next) {
  control_->async_send(
      {"GET", target, {}, {}, config_.auth()},
      [this, target, next = std::move(next)](boost::system::error_code ec,
                                             http::client_response&& r) {
        if (done_) return;
        if (ec && unreachable_since_ == 0) unreachable_since_ = now_ns();
        if (ec && now_ns() - unreachable_since_ < config_.producer_grace) {
          // The producer may be restarting: ask again, for a bounded time.
          ++control_retries_;
          if (control_retries_ == 1) {
            std::cerr << "hookbench client: producer control request " << target
                      << " failed: " << http::describe(ec) << " (trying again for up to "
                      << format_duration(config_.producer_grace) << ")\n";
          }
          return arm_at(control_timer_, now_ns() + kControlRetryPause,
                        [this, target, next] { control_get(target, next); });
        }
        if (!ec) unreachable_since_ = 0;
        if (ec || r.status != 200) {
          done_ = true;
          mode_->stop();
          if (on_error) {
            on_error(std::string("producer control request ") + target +
                     " failed: " + (ec ? http::describe(ec) : "HTTP " + std::to_string(r.status)) +
                     (ec ? " (for " + format_duration(config_.producer_grace) + ")" : ""));
          }
          return;
        }
        auto j = nlohmann::json::parse(r.body, nullptr, false);
        next(j.is_object() ? j : nlohmann::json::object());
      });
}

void consumer::wait_for_start() {
  control_get("/control/window", [this](const nlohmann::json& w) {
    if (w.value("started", false)) return on_window(w);
    if (now_ns() > start_deadline_) {
      done_ = true;
      mode_->stop();
      if (on_error) {
        on_error("producer did not start generating within " +
                 format_duration(config_.start_timeout));
      }
      return;
    }
    arm_at(control_timer_, now_ns() + kControlPeriod, [this] { wait_for_start(); });
  });
}

void consumer::on_window(const nlohmann::json& w) {
  // The producer's window is on its clock: on ours it is shifted by the measured offset, so that
  // the timers below and every window.contains(now_ns()) of the modes use local times.
  window_.start_ns = clock_before_.to_local(w.value("window_start_ns", nanos{0}));
  window_.end_ns = clock_before_.to_local(w.value("window_end_ns", nanos{0}));
  mode_->on_window();
  arm_at(cpu_timer_, window_.start_ns, [this] {
    cpu_.start();
    arm_at(cpu_timer_, window_.end_ns, [this] { cpu_.end(); });
  });
  arm_at(control_timer_, window_.end_ns, [this] { wait_for_final(); });
}

void consumer::wait_for_final() {
  control_get("/control/window", [this](const nlohmann::json& w) {
    if (!w.value("finished", false)) {
      return arm_at(control_timer_, now_ns() + kControlPeriod, [this] { wait_for_final(); });
    }
    const auto first = w.value("first_seq", seq_t{1}), last = w.value("last_seq", seq_t{0});
    if (first != planned_first_ || last != planned_last_) {
      window_mismatch_ = "the producer generated window seqs " + std::to_string(first) + ".." +
                         std::to_string(last) + ", planned " + std::to_string(planned_first_) +
                         ".." + std::to_string(planned_last_);
    }
    drain_deadline_ = now_ns() + config_.drain;
    drain_check();
  });
}

void consumer::drain_check() {
  if (tracker_.complete()) {
    if (drained_at_ == 0) drained_at_ = now_ns();
    // A receiver that held its answers past the sender's timeout has every event already; the
    // sender's retries of those POSTs come later, as the duplicates of at-least-once delivery:
    // the drain runs to its bound (which allows for the delay and the retry) to count them.
    if (!waits_for_retries()) return finish();
  }
  if (now_ns() >= drain_deadline_) return finish();
  arm_at(drain_timer_, now_ns() + kDrainCheckPeriod, [this] { drain_check(); });
}

bool consumer::waits_for_retries() const {
  return std::any_of(config_.faults.begin(), config_.faults.end(),
                     [](const fault_spec& f) { return f.kind == fault_kind::receiver_slow; });
}

void consumer::finish() {
  if (done_) return;
  if (!clock_after_measured_) return measure_clock_after();
  mode_->stop();
  auto r = report();
  if (trace_ && !trace_->write(config_.trace_path, "consumer")) {
    r["trace_error"] = "cannot write the trace part " + config_.trace_path;
  }
  if (!config_.slots_path.empty() && !write_slots()) {
    r["slots_error"] = "cannot write the slots file " + config_.slots_path;
  }
  done_ = true;
  control_timer_.cancel();
  cpu_timer_.cancel();
  drain_timer_.cancel();
  if (on_done) on_done(std::move(r));
}

bool consumer::write_slots() const {
  if (!tracker_.window_known()) return false;
  std::ofstream out(config_.slots_path, std::ios::binary | std::ios::trunc);
  tracker_.save_slots(out);
  out.close();
  return static_cast<bool>(out);
}

void consumer::measure_clock_after() {
  clock_after_measured_ = true;
  mode_->stop();  // the drain is over: the pings must not compete with late deliveries
  ping_clock(*control_, kRttProbes, config_.auth(),
             [this](std::vector<clock_sample> s, std::string failure) {
               if (done_) return;
               if (failure.empty()) clock_after_ = estimate_clock(s);
               if (!clock_after_) {
                 clock_after_error_ =
                     "cannot ping the producer after the drain: " +
                     (failure.empty() ? std::string("no usable exchange") : failure);
               }
               finish();
             });
}

nlohmann::json consumer::clock_report() const {
  nlohmann::json after = nullptr, drift = nullptr;
  if (clock_after_) {
    after = to_json(*clock_after_);
    drift = to_us(clock_after_->offset_ns - clock_before_.offset_ns);
  }
  nlohmann::json j = {{"offset_us", to_us(clock_before_.offset_ns)},
                      {"error_bound_us", to_us(clock_before_.error_bound_ns)},
                      {"before", to_json(clock_before_)},
                      {"after", after},
                      {"drift_us", drift}};
  if (!clock_after_) {
    j["after_error"] = clock_after_error_.empty() ? "not measured" : clock_after_error_;
  }
  return j;
}

nlohmann::json consumer::report() {
  auto r = base_report();
  if (tracker_.keeps_receive_times() && tracker_.window_known() && window_.known()) {
    auto faults = config_.faults;
    faults.insert(faults.end(), config_.observed_faults.begin(), config_.observed_faults.end());
    r["faults"] = fault_metrics(tracker_, window_, faults);
  }
  return r;
}

nlohmann::json consumer::base_report() {
  auto totals = tracker_.window_totals();
  auto latency = summarize_latency(totals.latencies);
  const bool cpu_measured = cpu_.measured();
  const nlohmann::json cpu =
      cpu_measured ? nlohmann::json(cpu_.seconds()) : nlohmann::json(nullptr);
  const std::uint64_t expected = tracker_.expected();
  const nanos last = tracker_.last_delivery_ns();
  nlohmann::json drain_time = nullptr;  // window end -> the last window event delivered
  if (tracker_.complete()) drain_time = last > window_.end_ns ? to_s(last - window_.end_ns) : 0.0;
  return {
      {"role", "consumer"},
      {"config", config_.to_json()},
      {"window_known", tracker_.window_known()},
      {"expected", expected},
      {"delivered", totals.delivered},
      {"lost", expected - std::min<std::uint64_t>(expected, totals.delivered)},
      {"duplicates", totals.duplicates},
      {"reordered", totals.reordered},
      {"negative_latencies", totals.negative_latencies},
      {"received_total", tracker_.received_total()},
      {"outside_window", tracker_.outside_window()},
      {"out_of_range", tracker_.out_of_range()},
      {"before_window", tracker_.before_window()},
      {"tracker_bytes_per_subscriber", tracker_.bytes_per_subscriber()},
      {"latency_us", latency},
      {"fan_out", fan_out_json(tracker_)},
      {"traffic", mode_->stats()},
      {"requests", to_json(mode_->requests())},
      {"bytes",
       {{"sent", mode_->bytes().bytes_sent},
        {"received", mode_->bytes().bytes_received},
        {"exchanges", mode_->bytes().requests}}},
      {"cpu_s", cpu},
      {"cpu_measured", cpu_measured},
      {"cpu_idle_cores", idle_cores_ >= 0 ? nlohmann::json(idle_cores_) : nlohmann::json(nullptr)},
      {"drained", tracker_.complete()},
      {"drain_s", drained_at_ ? to_s(drained_at_ - window_.end_ns) : to_s(config_.drain)},
      {"drain_time_s", drain_time},
      {"window_mismatch", window_mismatch_},
      {"control_retries", control_retries_},
      {"rtt_us", {{"min", rtt_min_us_}, {"p50", rtt_p50_us_}}},
      {"clock", clock_report()},
      // The mode's setup and start: registering webhook subscriptions and starting the
      // receiver, or sending the pollers' and streams' first requests (which complete during
      // the warm-up).
      {"setup_s", to_s(setup_ns_)},
  };
}

}  // namespace hookbench
