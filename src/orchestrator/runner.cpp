// Carries out one run: the orchestration behind `hookbench run` and `hookbench sweep`.
#include "orchestrator/runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>

#include "consumer/consumer_config.hpp"
#include "core/private_files.hpp"
#include "http/client.hpp"
#include "http/tls.hpp"
#include "link/link.hpp"
#include "link/probe.hpp"
#include "measure/environment.hpp"
#include "measure/trace.hpp"
#include "orchestrator/attacker.hpp"
#include "orchestrator/child_process.hpp"
#include "orchestrator/result.hpp"
#include "producer/producer.hpp"
#include "security/certificates.hpp"
#include "security/token.hpp"

namespace hookbench {

using json = nlohmann::json;

nanos effective_drain(nanos drain, nanos longest_gap) {
  return longest_gap > 0 ? std::max(drain, 2 * longest_gap + kNanosPerSecond / 2) : drain;
}

nanos fault_drain(nanos drain, const std::vector<fault_spec>& faults, nanos duration,
                  nanos recovery) {
  for (const auto& f : faults) {
    drain = std::max(drain, std::max<nanos>(f.end() - duration, 0) + f.delay +
                                std::max(kFaultRecoveryMargin, recovery));
  }
  return drain;
}

nanos retry_recovery(const retry_options& retry, std::string_view mode,
                     const std::vector<fault_spec>& faults) {
  const mode_descriptor* info = find_mode(mode);
  if (faults.empty() || !info || !info->receiver) return 0;
  nanos longest = 0;
  for (const auto& f : faults) longest = std::max(longest, f.length + f.delay);
  const double scale = retry.policy.scale * (1 + retry.policy.jitter);
  double waited = 0;  // ns, scaled and at the most jitter
  for (std::size_t failed = 1; waited <= static_cast<double>(longest); ++failed) {
    const auto d = retry.policy.nominal_delay(failed);
    if (!d) break;
    waited += static_cast<double>(*d) * scale;
    if (waited > static_cast<double>(kMaxRetryWait)) break;
  }
  if (waited == 0) return 0;  // --retry none
  waited += static_cast<double>(retry.breaker.cooldown) * retry.policy.scale;
  return std::min(kMaxRetryWait, static_cast<nanos>(waited)) + kNanosPerSecond;
}

nanos run_drain(const run_config& cfg) {
  return fault_drain(
      effective_drain(cfg.drain, cfg.tuning.longest_gap(mode_of(cfg.mode), cfg.interval)),
      cfg.faults, cfg.generation.duration,
      retry_recovery(cfg.webhooks.retry, cfg.mode, cfg.faults));
}

producer_config base_producer_config(const run_config& cfg, std::size_t subscribers) {
  producer_config p;
  p.generation = cfg.generation;
  // Load keeps arriving, unmeasured, for as long as the consumers may drain (and a margin).
  p.generation.tail = run_drain(cfg) + kNanosPerSecond;
  p.retention = cfg.retention;
  p.webhooks = cfg.webhooks;
  p.streams.lifetime = cfg.stream_lifetime;
  // All of a run's subscribers share one token: its caps make room for them twice over (readers
  // that reconnect overlap their old connection), however many there are.
  for (holding_cap* cap : {&p.caps.long_polls, &p.caps.streams, &p.caps.subscriptions}) {
    cap->per_token = std::max(cap->per_token, 2 * subscribers);
    cap->per_process = std::max(cap->per_process, 2 * subscribers);
  }
  return p;
}

consumer_config base_consumer_config(const run_config& cfg) {
  consumer_config c;
  c.mode = cfg.mode;
  c.subscribers = cfg.subscribers;
  c.drain = run_drain(cfg);
  c.stack = cfg.consumer_stack;
  c.signature = cfg.webhooks.signature;
  c.interval = cfg.interval;
  c.poll_limit = cfg.poll_limit;
  c.tuning = cfg.tuning;
  c.seed = cfg.generation.seed;
  return c;
}

nlohmann::json run_config::to_json(bool pull) const {
  json j = {{"mode", mode},
            {"rate", generation.rate},
            {"subscribers", subscribers},
            {"duration_s", to_s(generation.duration)},
            {"warmup_s", to_s(generation.warmup)},
            {"drain_s", to_s(run_drain(*this))},
            {"payload_bytes", generation.payload_bytes},
            {"seed", generation.seed},
            {"arrivals", to_string(generation.arrivals)},
            {"pin", pin},
            {"retention", retention},
            {"timer", generation.spin > 0 ? "spin" : "sleep"},
            {"transport", "http"},
            {"tls", tls},
            {"consumer_stack", consumer_stack},
            {"host", "127.0.0.1"}};
  if (attack > 0) j["attack"] = attack;
  const bool restarts = std::any_of(faults.begin(), faults.end(), [](const fault_spec& f) {
    return f.kind == fault_kind::producer_restart;
  });
  // Where the producer's events also went: a file, synced as named (durable_log.hpp).
  if (restarts || !fsync.empty())
    j["event_log_file"] = {{"fsync", fsync.empty() ? "interval" : fsync}};
  if (uses_link()) {
    j["link"] = {
        {"rtt_ms", to_ms(rtt)}, {"jitter_ms", to_ms(jitter)}, {"bandwidth_bps", bandwidth_bps}};
  }
  if (!faults.empty()) {
    j["faults"] = json::array();
    for (const auto& f : faults) j["faults"].push_back(f.to_json());
  }
  if (auto t = tuning.to_json(mode_of(mode), interval); !t.empty()) j["tuning"] = t;
  if (pull) {
    j["interval_ms"] = to_ms(interval);
    j["poll_limit"] = poll_limit;
  } else {
    j["webhook_connection"] = to_string(webhooks.connections);
    j["webhook_concurrency"] = webhooks.concurrency;
    j["retry"] = webhooks.retry.to_json();
    j["signature"] = security::to_string(webhooks.signature);
  }
  return j;
}

bool run_config::uses_link() const {
  return rtt > 0 || jitter > 0 || bandwidth_bps > 0 ||
         std::any_of(faults.begin(), faults.end(),
                     [](const fault_spec& f) { return f.kind == fault_kind::link_cut; });
}

void add_link_options(option_parser& p, run_config& cfg) {
  p.add("--rtt", "DURATION",
        "an emulated WAN link between the two sides with this round trip\n"
        "                            (half each way; link/link.hpp), every mode",
        "0ms (loopback)", [&](std::string_view v) { cfg.rtt = parse_duration(v); })
      .add("--jitter", "DURATION", "the link's delay varies by +- this each way (never reorders)",
           "0ms", [&](std::string_view v) { cfg.jitter = parse_duration(v); })
      .add("--bandwidth", "RATE", "the link's bandwidth each way, e.g. 500kbit, 10mbit, 1gbit",
           "unlimited", [&](std::string_view v) { cfg.bandwidth_bps = parse_bit_rate(v); });
}

namespace {

json read_json_line(child_process& child, const char* expected_event, nanos deadline,
                    const std::string& waiting_for) {
  for (;;) {
    std::string line;
    switch (child.read_line(line, deadline)) {
      case child_process::wait_status::ok: {
        auto j = json::parse(line, nullptr, false);
        if (j.is_object() && j.value("event", "") == expected_event) return j;
        continue;  // not ours: ignore stray output
      }
      case child_process::wait_status::timeout:
        throw run_failure("the " + child.role() + " did not " + waiting_for + " in time");
      case child_process::wait_status::exited:
        throw run_failure("the " + child.role() + " " + child.status_text() + " before it could " +
                          waiting_for);
      case child_process::wait_status::interrupted:
        throw run_failure("interrupted", kExitInterrupted);
    }
  }
}

json control(const host_port& producer, const std::string& token, const char* method,
             const char* target, const http::tls_context& tls) {
  http::client_response res;
  http::client_request req;
  req.method = method;
  req.target = target;
  http::add_bearer(req.headers, token);
  auto ec = http::fetch(producer, req, res, 10 * kNanosPerSecond, tls);
  if (ec) throw run_failure(std::string("producer ") + target + ": " + http::describe(ec));
  if (res.status != 200) {
    throw run_failure(std::string("producer ") + target + ": HTTP " + std::to_string(res.status) +
                      " " + res.body);
  }
  auto j = json::parse(res.body, nullptr, false);
  if (!j.is_object()) throw run_failure(std::string("producer ") + target + ": malformed JSON");
  return j;
}

}  // namespace

void check_fault_support(const run_config& cfg) {
  const mode_descriptor* info = find_mode(cfg.mode);
  for (const auto& f : cfg.faults) {
    const std::string what = "--fault " + f.to_string() + ": ";
    if (is_receiver_fault(f.kind)) {
      // Carried out by the consumer's own Beast webhook receiver (consumer/webhook_mode.cpp).
      if (!info || !info->receiver) {
        throw usage_error(what +
                          "a receiver fault needs a webhook mode (webhook, webhook-batch), "
                          "not --mode " +
                          cfg.mode);
      }
      if (cfg.consumer_stack != "beast") {
        throw usage_error(what + "receiver faults run on the beast consumer stack only, not " +
                          cfg.consumer_stack);
      }
    } else if (f.kind == fault_kind::producer_restart) {
      // The killed producer's trace part is never written.
      if (!cfg.trace.empty()) {
        throw usage_error(what + "not with --trace (the killed producer's trace part is lost)");
      }
    } else if (f.kind != fault_kind::consumer_down && f.kind != fault_kind::link_cut) {
      throw usage_error(what + to_string(f.kind) + " is not carried out yet");
    }
  }
}

namespace {

void write_document(const std::string& path, const json& document) {
  std::ofstream out(path);
  out << document.dump(2) << "\n";
  if (!out) throw run_failure("cannot write " + path);
}

// What the orchestrator itself does to the run at a set time (a --fault kind it carries out).
struct timed_action {
  nanos at;
  std::string what;
  std::function<void()> act;
};

// One run, as an object: its children, link, attacker and scratch files are members, gone
// with it whatever ends the run. run() carries it out step by step.
class run_session {
 public:
  explicit run_session(const run_config& cfg);
  ~run_session();
  run_session(const run_session&) = delete;
  run_session& operator=(const run_session&) = delete;

  json run();

 private:
  void say(const std::string& s) const;
  void prepare_scratch();
  producer_config producer_side() const;
  consumer_config consumer_side() const;
  void start_producer();
  void start_link();
  void start_consumer();
  json measure_link() const;
  void start_window();
  void plan_faults();
  json wait_for_report();
  void show_progress(nanos now) const;
  json collect(const json& consumer_report, json link_block);

  const run_config& cfg_;
  const mode_descriptor& info_;
  const nanos drain_;
  const bool tty_;
  const bool restarts_;
  // Fresh tokens per run, handed to the children in their environment (never in a document);
  // the attacker's is a second API token holder's (--attack), never the consumer's.
  const std::string api_token_, control_token_, attacker_token_;
  // The producer's tokens: the consumer's API token, the attacker's (--attack) and the control
  // token. The consumer is handed its API token only.
  std::vector<std::string> producer_environment() const;
  scratch_path scratch_;  // documents, certificates, the state dir, the tap file (mode 0700)
  scratch_path trace_parts_[2];
  security::tls_files tls_files_;
  http::tls_context tls_;
  std::string tap_path_;
  producer_config producer_cfg_;
  std::optional<child_process> producer_;  // a producer-restart replaces it
  bool producer_down_ = false;             // between a producer-restart's kill and its start
  host_port producer_addr_, producer_seen_;
  std::unique_ptr<wan_link> link_;
  std::optional<child_process> client_;
  json client_ready_;
  std::unique_ptr<attacker> attack_;
  nanos started_ = 0, window_start_ = 0, window_end_ = 0, deadline_ = 0;
  std::vector<timed_action> actions_;
  std::size_t next_action_ = 0;
};

bool has_restart(const std::vector<fault_spec>& faults) {
  return std::any_of(faults.begin(), faults.end(),
                     [](const fault_spec& f) { return f.kind == fault_kind::producer_restart; });
}

run_session::run_session(const run_config& cfg)
    : cfg_(cfg),
      info_(mode_of(cfg.mode)),
      drain_(run_drain(cfg)),
      tty_(isatty(STDERR_FILENO) != 0),
      restarts_(has_restart(cfg.faults)),
      api_token_(security::random_token()),
      control_token_(security::random_token()),
      attacker_token_(security::random_token()) {}

std::vector<std::string> run_session::producer_environment() const {
  return {"HOOKBENCH_TOKEN=" + api_token_ + (cfg_.attack > 0 ? "," + attacker_token_ : ""),
          "HOOKBENCH_CONTROL_TOKEN=" + control_token_};
}

run_session::~run_session() {
  // A consumer stopped by consumer-down is continued, so that its SIGTERM is handled.
  if (client_) client_->resume();
}

void run_session::say(const std::string& s) const {
  if (!cfg_.quiet) std::cerr << (tty_ ? "\r\033[K" : "") << "hookbench run: " << s << "\n";
}

// The run's private directory, the TLS files (--tls), the state dir (a restart or --fsync),
// the trace parts (--trace: merged into the file at the end) and the tap file (--attack).
void run_session::prepare_scratch() {
  try {
    scratch_.path = security::make_temp_dir("hookbench-run-");
    if (cfg_.tls) {
      tls_files_ = security::generate_run_certificates(scratch_.path);
      tls_ = http::make_client_tls(tls_files_.ca_file);
    }
  } catch (const std::exception& e) {
    throw run_failure(e.what());
  }
  if (!cfg_.trace.empty()) {
    std::error_code ec;
    auto parent = std::filesystem::path(cfg_.trace).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    trace_parts_[0].path = cfg_.trace + ".producer.part";
    trace_parts_[1].path = cfg_.trace + ".consumer.part";
  }
  if (cfg_.attack > 0) tap_path_ = scratch_.path + "/tap.jsonl";
}

producer_config run_session::producer_side() const {
  producer_config p = base_producer_config(cfg_, cfg_.subscribers);
  p.listen = {"127.0.0.1", cfg_.port};
  p.trace_path = trace_parts_[0].path;
  if (cfg_.tls) {
    p.tls_cert = tls_files_.cert_file;
    p.tls_key = tls_files_.key_file;
    p.tls_ca = tls_files_.ca_file;
  }
  if (restarts_ || !cfg_.fsync.empty()) {
    p.state_dir = scratch_.path + "/state";
    if (!cfg_.fsync.empty()) p.durability.policy = parse_fsync_policy(cfg_.fsync);
  }
  return p;
}

consumer_config run_session::consumer_side() const {
  consumer_config c = base_consumer_config(cfg_);
  c.producer = parse_http_url((cfg_.tls ? "https://" : "http://") + producer_seen_.to_string());
  // Its receiver answers on after its report until the producer's is taken (collect()).
  c.linger = 60 * kNanosPerSecond;
  c.trace_path = trace_parts_[1].path;
  if (restarts_) {
    // Its control requests wait out the longest planned outage, and 10 s more.
    nanos longest = 0;
    for (const auto& f : cfg_.faults) {
      if (f.kind == fault_kind::producer_restart) longest = std::max(longest, f.length);
    }
    c.producer_grace = longest + 10 * kNanosPerSecond;
  }
  // Receiver faults are the consumer's to carry out; the rest it only measures.
  for (const auto& f : cfg_.faults)
    (is_receiver_fault(f.kind) ? c.faults : c.observed_faults).push_back(f);
  if (cfg_.attack > 0) {
    // It samples accepted deliveries into the tap file for the attacker: about one per attack
    // request.
    c.tap_path = tap_path_;
    c.tap_every = static_cast<std::uint64_t>(std::max(1.0, std::floor(1 / cfg_.attack)));
  }
  if (cfg_.tls) {
    c.tls_ca_file = tls_files_.ca_file;
    if (info_.receiver) {
      c.tls_cert_file = tls_files_.cert_file;
      c.tls_key_file = tls_files_.key_file;
    }
  }
  return c;
}

void run_session::start_producer() {
  producer_cfg_ = producer_side();
  json doc = producer_cfg_.to_document();
  doc["quiet"] = true;
  const std::string path = scratch_.path + "/producer.json";
  write_document(path, doc);
  producer_.emplace("producer", std::vector<std::string>{"serve", "--config", path},
                    cfg_.pin.empty() ? -1 : cfg_.pin[0], producer_environment());
  auto ready = read_json_line(*producer_, "ready", now_ns() + 10 * kNanosPerSecond, "become ready");
  producer_addr_ = {"127.0.0.1", ready.at("port").get<std::uint16_t>()};
  producer_seen_ = producer_addr_;
}

// --rtt/--jitter/--bandwidth or a link-cut: the consumer reaches the producer (route 0) and the
// producer the webhook receiver (route 1, its target known once the consumer is ready) through a
// link on this process's own thread, so its CPU is charged to neither side. Control calls and
// the attacker stay direct.
void run_session::start_link() {
  if (!cfg_.uses_link()) return;
  link_config lc;
  lc.forward = {cfg_.rtt / 2, cfg_.jitter, cfg_.bandwidth_bps};
  lc.backward = {cfg_.rtt - cfg_.rtt / 2, cfg_.jitter, cfg_.bandwidth_bps};
  lc.seed = cfg_.generation.seed;
  try {
    link_ = std::make_unique<wan_link>(lc);
    producer_seen_ = link_->address(link_->add_route({"127.0.0.1", 0}, producer_addr_));
    if (info_.receiver) link_->add_route({"127.0.0.1", 0});
  } catch (const std::exception& e) {
    throw run_failure(e.what());
  }
  link_->start();
}

void run_session::start_consumer() {
  consumer_config c = consumer_side();
  if (link_ && info_.receiver) {
    const host_port advertised = link_->address(1);
    c.advertise_host = advertised.host;
    c.advertise_port = advertised.port;
  }
  const std::string path = scratch_.path + "/consumer.json";
  write_document(path, c.to_document());
  client_.emplace("consumer", std::vector<std::string>{"client", "--config", path},
                  cfg_.pin.empty() ? -1 : cfg_.pin[1],
                  std::vector<std::string>{"HOOKBENCH_TOKEN=" + api_token_});
  client_ready_ = read_json_line(
      *client_, "ready",
      now_ns() + cfg_.ready_timeout + static_cast<nanos>(cfg_.subscribers) * 5 * kNanosPerMilli,
      "become ready");
}

// The round trip through the link against the direct one, on keep-alive connections, before
// the window: what the result's "link" block says was measured.
json run_session::measure_link() const {
  if (!link_) return nullptr;
  try {
    if (info_.receiver) {
      link_->set_target(1, {"127.0.0.1", client_ready_.value("receiver_port", std::uint16_t{0})});
    }
    constexpr std::size_t kProbes = 15;
    auto direct =
        round_trip_summary(ping_round_trips(producer_addr_, control_token_, tls_, kProbes));
    auto through =
        round_trip_summary(ping_round_trips(producer_seen_, control_token_, tls_, kProbes));
    return {{"settings", link_settings_json(link_->config())},
            {"round_trip_us",
             {{"method",
               "GET /control/ping on one keep-alive connection, before the "
               "window, through the link and direct"},
              {"through_link", through},
              {"direct", direct},
              {"added_p50", through.at("p50").get<double>() - direct.at("p50").get<double>()},
              {"setting", to_us(cfg_.rtt)}}}};
  } catch (const std::exception& e) {
    throw run_failure(std::string("link: ") + e.what());
  }
}

void run_session::start_window() {
  const json window = control(producer_addr_, control_token_, "POST", "/control/start", tls_);
  started_ = now_ns();
  // The producer's window start (same host, same clock): the origin of fault times.
  window_start_ = window.value("window_start_ns", started_ + cfg_.generation.warmup);
  window_end_ = started_ + cfg_.generation.warmup + cfg_.generation.duration;
  deadline_ = window_end_ + drain_ + 30 * kNanosPerSecond;
  if (cfg_.attack <= 0) return;
  attack_config ac;
  ac.rate = cfg_.attack * cfg_.generation.rate;
  ac.receiver = {"127.0.0.1", client_ready_.value("receiver_port", std::uint16_t{0})};
  ac.producer = producer_addr_;
  ac.producer_token = attacker_token_;
  ac.subscribers = cfg_.subscribers;
  ac.tap_path = tap_path_;
  ac.tls = tls_;
  ac.start_ns = started_ + cfg_.generation.warmup;
  // It stops 50 ms before the window ends: the consumer may finish as soon as the last real
  // event is in, and a request to a receiver that has gone is no test of it.
  ac.end_ns = window_end_ - 50 * kNanosPerMilli;
  attack_ = std::make_unique<attacker>(ac);
  attack_->start();
}

// consumer-down: SIGSTOP at AT, SIGCONT at AT+FOR. producer-restart: SIGKILL at AT, serve
// --resume on the same port at AT+FOR. link-cut: the link resets and refuses for FOR. Each at
// the window's start + its offset, in time order, from the wait loop.
void run_session::plan_faults() {
  for (const auto& f : cfg_.faults) {
    const nanos at = window_start_ + f.at;
    if (f.kind == fault_kind::consumer_down) {
      actions_.push_back(
          {at, "consumer-down: SIGSTOP to the consumer", [this] { client_->suspend(); }});
      actions_.push_back({at + f.length, "consumer-down over: SIGCONT to the consumer",
                          [this] { client_->resume(); }});
    } else if (f.kind == fault_kind::producer_restart) {
      actions_.push_back({at, "producer-restart: killing the producer (SIGKILL)", [this] {
                            producer_->kill_now();
                            producer_down_ = true;
                          }});
      actions_.push_back(
          {at + f.length, "producer-restart: starting it again with --resume", [this] {
             json doc = producer_cfg_.to_document();
             doc["quiet"] = true;
             doc["listen"] = producer_addr_.to_string();  // the port it bound
             doc["resume"] = true;
             const std::string path = scratch_.path + "/producer-resume.json";
             write_document(path, doc);
             producer_.emplace("producer", std::vector<std::string>{"serve", "--config", path},
                               cfg_.pin.empty() ? -1 : cfg_.pin[0], producer_environment());
             read_json_line(*producer_, "ready", now_ns() + 10 * kNanosPerSecond,
                            "become ready again after its restart");
             producer_down_ = false;
           }});
    } else if (f.kind == fault_kind::link_cut) {
      actions_.push_back({at, "link cut for " + format_duration(f.length),
                          [this, length = f.length] { link_->cut(length); }});
    }
  }
  std::sort(actions_.begin(), actions_.end(),
            [](const timed_action& a, const timed_action& b) { return a.at < b.at; });
}

void run_session::show_progress(nanos now) const {
  if (!tty_ || cfg_.quiet) return;
  const nanos t = now - started_;
  const std::string phase = t < cfg_.generation.warmup ? "warm-up"
                            : now < window_end_        ? "measuring"
                                                       : "draining";
  std::cerr << "\r\033[K  " << phase << " " << format_duration(t / 100'000'000 * 100'000'000)
            << " / " << format_duration(cfg_.generation.warmup + cfg_.generation.duration)
            << std::flush;
}

// Waits for the consumer's report, carrying out the timed actions, showing progress and
// checking that the producer lives.
json run_session::wait_for_report() {
  nanos next_progress = started_ + kNanosPerSecond;
  for (;;) {
    if (!producer_down_ && !producer_->running()) {
      throw run_failure("the producer " + producer_->status_text() + " during the run");
    }
    while (next_action_ < actions_.size() && now_ns() >= actions_[next_action_].at) {
      say(actions_[next_action_].what);
      actions_[next_action_++].act();
    }
    std::string line;
    nanos wake = std::min(deadline_, next_progress);
    if (next_action_ < actions_.size()) wake = std::min(wake, actions_[next_action_].at);
    switch (client_->read_line(line, wake)) {
      case child_process::wait_status::ok: {
        auto j = json::parse(line, nullptr, false);
        if (j.is_object() && j.value("event", "") == "report") {
          if (tty_ && !cfg_.quiet) std::cerr << "\r\033[K";
          return j.at("report");
        }
        break;
      }
      case child_process::wait_status::timeout: {
        const nanos now = now_ns();
        if (now >= deadline_) throw run_failure("the consumer did not report in time");
        next_progress = now + kNanosPerSecond;
        show_progress(now);
        break;
      }
      case child_process::wait_status::exited:
        // A consumer gives up when its producer vanishes: name the side that failed first.
        if (producer_down_ || !producer_->wait_exit(now_ns() + 200 * kNanosPerMilli)) {
          throw run_failure("the consumer " + client_->status_text() + " before reporting");
        }
        throw run_failure("the producer " + producer_->status_text() + " during the run");
      case child_process::wait_status::interrupted:
        throw run_failure("interrupted", kExitInterrupted);
    }
  }
}

// The producer's report (the consumer's receiver still answering), both children stopped, the
// trace merged, the result assembled.
json run_session::collect(const json& consumer_report, json link_block) {
  json producer_report = control(producer_addr_, control_token_, "GET", "/control/report", tls_);
  try {
    control(producer_addr_, control_token_, "POST", "/control/shutdown", tls_);
  } catch (const run_failure&) {
    // The report is in hand; a failed shutdown only means we stop it by signal below.
  }
  if (!producer_->wait_exit(now_ns() + 5 * kNanosPerSecond)) producer_->terminate();
  client_->terminate(10 * kNanosPerSecond);  // ends its linger
  if (!cfg_.trace.empty()) {
    if (consumer_report.contains("trace_error")) {
      throw run_failure("the consumer: " + consumer_report.at("trace_error").get<std::string>());
    }
    trace_header h{cfg_.mode,  cfg_.generation.rate, to_ms(cfg_.interval),
                   info_.pull, cfg_.subscribers,     to_s(cfg_.generation.duration)};
    try {
      merge_trace(h, {trace_parts_[0].path, trace_parts_[1].path}, cfg_.trace);
    } catch (const std::exception& e) {
      throw run_failure(e.what());
    }
  }
  json env = describe_environment();
  env["pinning"] = cfg_.pin.empty() ? json("none")
                                    : json({{"producer", cfg_.pin[0]}, {"consumer", cfg_.pin[1]}});
  auto result = build_result(cfg_.to_json(info_.pull), env, producer_report, consumer_report);
  if (attack_) result["attack"] = attack_outcome(attack_->stop(), consumer_report);
  if (link_) {
    link_->stop();
    const json stats = link_->stats();
    link_block["scheduling"] = stats.at("scheduling");
    link_block["cuts"] = stats.at("cuts");
    link_block["routes"] = stats.at("routes");
    result["link"] = link_block;
  }
  validate_result(result);
  return result;
}

json run_session::run() {
  prepare_scratch();
  start_producer();
  start_link();
  start_consumer();
  json link_block = measure_link();
  start_window();
  plan_faults();
  say("warm-up " + format_duration(cfg_.generation.warmup) + ", measuring " +
      format_duration(cfg_.generation.duration) + " (" + cfg_.mode + ", " +
      std::to_string(static_cast<long long>(cfg_.generation.rate)) + " events/s, " +
      std::to_string(cfg_.subscribers) + " subscriber" + (cfg_.subscribers > 1 ? "s" : "") + ")");
  const json report = wait_for_report();
  return collect(report, std::move(link_block));
}

}  // namespace

json run_once(const run_config& cfg) { return run_session(cfg).run(); }

}  // namespace hookbench
