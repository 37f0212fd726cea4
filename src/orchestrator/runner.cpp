// Carries out one run: the orchestration behind `hookbench run` and `hookbench sweep`.
#include "orchestrator/runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>

#include "http/client.hpp"
#include "http/tls.hpp"
#include "link/link.hpp"
#include "link/probe.hpp"
#include "measure/environment.hpp"
#include "measure/trace.hpp"
#include "orchestrator/attacker.hpp"
#include "orchestrator/child_process.hpp"
#include "orchestrator/result.hpp"
#include "security/tls.hpp"
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

nlohmann::json run_config::to_json(bool pull) const {
  json j = {{"mode", mode},
            {"rate", rate},
            {"subscribers", subscribers},
            {"duration_s", to_s(duration)},
            {"warmup_s", to_s(warmup)},
            {"drain_s",
             to_s(fault_drain(effective_drain(drain, tuning.longest_gap(mode_of(mode), interval)),
                              faults, duration, retry_recovery(retry, mode, faults)))},
            {"payload_bytes", payload},
            {"seed", seed},
            {"arrivals", to_string(arrivals)},
            {"pin", pin},
            {"retention", retention},
            {"timer", spin_timer ? "spin" : "sleep"},
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
    j["webhook_connection"] = to_string(webhook_connection);
    j["webhook_concurrency"] = webhook_concurrency;
    j["retry"] = retry.to_json();
    j["signature"] = security::to_string(signature);
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

json run_once(const run_config& cfg) {
  const mode_descriptor& info = *find_mode(cfg.mode);
  const nanos drain =
      fault_drain(effective_drain(cfg.drain, cfg.tuning.longest_gap(info, cfg.interval)),
                  cfg.faults, cfg.duration, retry_recovery(cfg.retry, cfg.mode, cfg.faults));
  // Load keeps arriving, unmeasured, for as long as the consumer may drain (and a margin).
  const nanos tail = drain + kNanosPerSecond;
  const bool tty = isatty(STDERR_FILENO);
  auto say = [&](const std::string& s) {
    if (!cfg.quiet) std::cerr << (tty ? "\r\033[K" : "") << "hookbench run: " << s << "\n";
  };
  std::vector<std::string> serve_args = {
      "serve",
      "--listen",
      "127.0.0.1:" + std::to_string(cfg.port),
      "--rate",
      std::to_string(cfg.rate),
      "--arrivals",
      to_string(cfg.arrivals),
      "--seed",
      std::to_string(cfg.seed),
      "--payload",
      std::to_string(cfg.payload),
      "--warmup",
      std::to_string(cfg.warmup / kNanosPerMicro) + "us",
      "--duration",
      std::to_string(cfg.duration / kNanosPerMicro) + "us",
      "--tail",
      std::to_string(tail / kNanosPerMicro) + "us",
      "--retention",
      std::to_string(cfg.retention),
      "--webhook-connection",
      to_string(cfg.webhook_connection),
      "--webhook-concurrency",
      std::to_string(cfg.webhook_concurrency),
      "--timer",
      cfg.spin_timer ? "spin" : "sleep",
      "--stream-lifetime",
      std::to_string(cfg.stream_lifetime / kNanosPerMicro) + "us",
      "--signature",
      std::string(security::to_string(cfg.signature)),
      "--quiet"};
  for (auto& a : cfg.retry.serve_args()) serve_args.push_back(std::move(a));
  // --trace: each side writes its part beside the file; both are merged into it at the end.
  const std::string trace_parts[2] = {cfg.trace + ".producer.part", cfg.trace + ".consumer.part"};
  // The parts are scratch files: gone after the merge, and after a failed run too.
  struct remove_parts {
    const std::string* parts;
    bool armed;
    ~remove_parts() {
      std::error_code ec;
      for (int i = 0; armed && i < 2; ++i) std::filesystem::remove(parts[i], ec);
    }
  } cleanup{trace_parts, !cfg.trace.empty()};
  if (!cfg.trace.empty()) {
    std::error_code ec;
    auto parent = std::filesystem::path(cfg.trace).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    serve_args.insert(serve_args.end(), {"--trace", trace_parts[0]});
  }
  // --tls: the run's CA and the leaf both sides serve (it names 127.0.0.1), in a private
  // directory that goes when the run does.
  struct remove_dir {
    std::string dir;
    ~remove_dir() {
      std::error_code ec;
      if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    }
  } tls_dir;
  security::tls_files tls_files;
  http::tls_context tls;
  if (cfg.tls) {
    try {
      tls_dir.dir = security::make_temp_dir("hookbench-run-tls-");
      tls_files = security::generate_run_certificates(tls_dir.dir);
      tls = http::make_client_tls(tls_files.ca_file);
    } catch (const std::exception& e) {
      throw run_failure(e.what());
    }
    serve_args.insert(serve_args.end(), {"--tls-cert", tls_files.cert_file, "--tls-key",
                                         tls_files.key_file, "--tls-ca", tls_files.ca_file});
  }
  // producer-restart: the event log and what a restart needs live in a private directory that
  // goes when the run does; the restarted producer resumes from it on the same port.
  remove_dir state_dir;
  const bool restarts = std::any_of(cfg.faults.begin(), cfg.faults.end(), [](const fault_spec& f) {
    return f.kind == fault_kind::producer_restart;
  });
  if (restarts || !cfg.fsync.empty()) {
    try {
      state_dir.dir = security::make_temp_dir("hookbench-run-state-");
    } catch (const std::exception& e) {
      throw run_failure(e.what());
    }
    serve_args.insert(serve_args.end(), {"--state-dir", state_dir.dir});
    if (!cfg.fsync.empty()) serve_args.insert(serve_args.end(), {"--fsync", cfg.fsync});
  }
  const int pin_p = cfg.pin.empty() ? -1 : cfg.pin[0];
  const int pin_c = cfg.pin.empty() ? -1 : cfg.pin[1];
  // Fresh tokens per run, handed to the children in their environment.
  const std::string api_token = security::random_token();
  const std::string control_token = security::random_token();
  const std::vector<std::string> producer_env = {"HOOKBENCH_TOKEN=" + api_token,
                                                 "HOOKBENCH_CONTROL_TOKEN=" + control_token};
  std::optional<child_process> producer;  // a producer-restart replaces it
  producer.emplace("producer", serve_args, pin_p, producer_env);
  auto ready = read_json_line(*producer, "ready", now_ns() + 10 * kNanosPerSecond, "become ready");
  const host_port producer_addr{"127.0.0.1", ready.at("port").get<std::uint16_t>()};
  // --rtt/--jitter/--bandwidth or a link-cut: the consumer reaches the producer (route 0) and
  // the producer the webhook receiver (route 1, target known once the consumer is ready)
  // through a link on this process's own thread, so its CPU is charged to neither side.
  // Control calls and the attacker stay direct.
  std::unique_ptr<wan_link> link;
  host_port producer_seen = producer_addr;
  std::vector<std::string> advertise_args;
  const bool link_receiver = info.receiver;
  if (cfg.uses_link()) {
    link_config lc;
    lc.forward = {cfg.rtt / 2, cfg.jitter, cfg.bandwidth_bps};
    lc.backward = {cfg.rtt - cfg.rtt / 2, cfg.jitter, cfg.bandwidth_bps};
    lc.seed = cfg.seed;
    try {
      link = std::make_unique<wan_link>(lc);
      producer_seen = link->address(link->add_route({"127.0.0.1", 0}, producer_addr));
      if (link_receiver) {
        advertise_args = {"--advertise",
                          link->address(link->add_route({"127.0.0.1", 0})).to_string()};
      }
    } catch (const std::exception& e) {
      throw run_failure(e.what());
    }
    link->start();
  }

  std::vector<std::string> client_args = {
      "client", "--producer", (cfg.tls ? "https://" : "http://") + producer_seen.to_string(),
      "--mode", cfg.mode, "--subscribers", std::to_string(cfg.subscribers), "--drain",
      std::to_string(drain / kNanosPerMicro) + "us",
      // Its receiver answers on after its report until the producer's is taken (below).
      "--linger", "60s", "--consumer-stack", cfg.consumer_stack, "--signature",
      std::string(security::to_string(cfg.signature))};
  if (info.pull) {
    client_args.insert(client_args.end(),
                       {"--interval", std::to_string(cfg.interval / kNanosPerMicro) + "us",
                        "--poll-limit", std::to_string(cfg.poll_limit)});
  } else {
    client_args.insert(client_args.end(), {"--listen", "127.0.0.1:0"});
  }
  if (restarts) {
    // The consumer's control requests wait out the longest planned outage, and 10 s more.
    nanos longest = 0;
    for (const auto& f : cfg.faults) {
      if (f.kind == fault_kind::producer_restart) longest = std::max(longest, f.length);
    }
    client_args.insert(client_args.end(),
                       {"--producer-grace",
                        std::to_string((longest + 10 * kNanosPerSecond) / kNanosPerMicro) + "us"});
  }
  const auto tuning_args = cfg.tuning.to_args(info);
  client_args.insert(client_args.end(), tuning_args.begin(), tuning_args.end());
  if (!cfg.trace.empty()) client_args.insert(client_args.end(), {"--trace", trace_parts[1]});
  // Receiver faults are the consumer's to carry out; the rest it only measures.
  for (const auto& f : cfg.faults) {
    client_args.insert(client_args.end(),
                       {is_receiver_fault(f.kind) ? "--fault" : "--observe-fault", f.to_string()});
  }
  if (!cfg.faults.empty())
    client_args.insert(client_args.end(), {"--seed", std::to_string(cfg.seed)});
  // --attack: the consumer samples accepted deliveries into a tap file for the attacker (about
  // one per attack request), a scratch file removed with the run.
  const std::string tap_path = cfg.attack > 0
                                   ? std::filesystem::temp_directory_path().string() +
                                         "/hookbench-tap-" + security::random_token(8) + ".jsonl"
                                   : std::string();
  struct remove_file {
    std::string path;
    ~remove_file() {
      std::error_code ec;
      if (!path.empty()) std::filesystem::remove(path, ec);
    }
  } tap_cleanup{tap_path};
  if (cfg.attack > 0) {
    const auto every = static_cast<std::uint64_t>(std::max(1.0, std::floor(1 / cfg.attack)));
    client_args.insert(client_args.end(),
                       {"--tap", tap_path, "--tap-every", std::to_string(every)});
  }
  if (cfg.tls) {
    client_args.insert(client_args.end(), {"--tls-ca", tls_files.ca_file});
    if (info.receiver) {
      client_args.insert(client_args.end(),
                         {"--tls-cert", tls_files.cert_file, "--tls-key", tls_files.key_file});
    }
  }
  client_args.insert(client_args.end(), advertise_args.begin(), advertise_args.end());
  child_process client("consumer", client_args, pin_c, {"HOOKBENCH_TOKEN=" + api_token});
  const json client_ready = read_json_line(
      client, "ready",
      now_ns() + cfg.ready_timeout + static_cast<nanos>(cfg.subscribers) * 5 * kNanosPerMilli,
      "become ready");
  json link_block;  // the link's measured figures, for the result
  if (link) {
    try {
      if (link_receiver) {
        link->set_target(1, {"127.0.0.1", client_ready.value("receiver_port", std::uint16_t{0})});
      }
      // The round trip through the link against the direct one, on keep-alive connections.
      constexpr std::size_t kProbes = 15;
      auto direct =
          round_trip_summary(ping_round_trips(producer_addr, control_token, tls, kProbes));
      auto through =
          round_trip_summary(ping_round_trips(producer_seen, control_token, tls, kProbes));
      link_block = {
          {"settings", link_settings_json(link->config())},
          {"round_trip_us",
           {{"method",
             "GET /control/ping on one keep-alive connection, before the "
             "window, through the link and direct"},
            {"through_link", through},
            {"direct", direct},
            {"added_p50", through.at("p50").get<double>() - direct.at("p50").get<double>()},
            {"setting", to_us(cfg.rtt)}}}};
    } catch (const std::exception& e) {
      throw run_failure(std::string("link: ") + e.what());
    }
  }

  const json window = control(producer_addr, control_token, "POST", "/control/start", tls);
  const nanos started = now_ns();
  // The producer's window start (same host, same clock): the origin of fault times.
  const nanos window_start = window.value("window_start_ns", started + cfg.warmup);
  const nanos window_end = started + cfg.warmup + cfg.duration;
  std::unique_ptr<attacker> attack;
  if (cfg.attack > 0) {
    attack_config ac;
    ac.rate = cfg.attack * cfg.rate;
    ac.receiver = {"127.0.0.1", client_ready.value("receiver_port", std::uint16_t{0})};
    ac.tap_path = tap_path;
    ac.tls = tls;
    ac.start_ns = started + cfg.warmup;
    // It stops 50 ms before the window ends: the consumer may finish as soon as the last real
    // event is in, and a request to a receiver that has gone is no test of it.
    ac.end_ns = window_end - 50 * kNanosPerMilli;
    attack = std::make_unique<attacker>(ac);
    attack->start();
  }
  const nanos deadline = window_end + drain + 30 * kNanosPerSecond;
  // What the orchestrator itself does to the run at set times (--fault kinds it carries out),
  // each at the window's start + its offset, in time order, from the wait loop below.
  struct timed_action {
    nanos at;
    std::string what;
    std::function<void()> act;
  };
  std::vector<timed_action> actions;
  // consumer-down: SIGSTOP at AT, SIGCONT at AT+FOR. Whatever happens to the run, a stopped
  // consumer is continued when run_once leaves (then stopped by its destructor as usual).
  struct continue_on_exit {
    child_process& child;
    ~continue_on_exit() { child.resume(); }
  } continue_consumer{client};
  for (const auto& f : cfg.faults) {
    if (f.kind != fault_kind::consumer_down) continue;
    const nanos at = window_start + f.at;
    actions.push_back(
        {at, "consumer-down: SIGSTOP to the consumer", [&client] { client.suspend(); }});
    actions.push_back({at + f.length, "consumer-down over: SIGCONT to the consumer",
                       [&client] { client.resume(); }});
  }
  bool producer_down = false;  // between a producer-restart's kill and its start
  for (const auto& f : cfg.faults) {
    if (f.kind != fault_kind::producer_restart) continue;
    actions.push_back(
        {window_start + f.at, "producer-restart: killing the producer (SIGKILL)", [&] {
           producer->kill_now();
           producer_down = true;
         }});
    actions.push_back(
        {window_start + f.end(), "producer-restart: starting it again with --resume", [&] {
           auto args = serve_args;
           args[2] = producer_addr.to_string();  // "--listen": the port the first one bound
           args.push_back("--resume");
           producer.emplace("producer", args, pin_p, producer_env);
           read_json_line(*producer, "ready", now_ns() + 10 * kNanosPerSecond,
                          "become ready again after its restart");
           producer_down = false;
         }});
  }
  for (const auto& f : cfg.faults) {
    if (f.kind != fault_kind::link_cut) continue;
    actions.push_back({window_start + f.at, "link cut for " + format_duration(f.length),
                       [&link, length = f.length] { link->cut(length); }});
  }
  std::sort(actions.begin(), actions.end(),
            [](const timed_action& a, const timed_action& b) { return a.at < b.at; });
  std::size_t next_action = 0;
  say("warm-up " + format_duration(cfg.warmup) + ", measuring " + format_duration(cfg.duration) +
      " (" + cfg.mode + ", " + std::to_string(static_cast<long long>(cfg.rate)) + " events/s, " +
      std::to_string(cfg.subscribers) + " subscriber" + (cfg.subscribers > 1 ? "s" : "") + ")");

  // Wait for the consumer's report, showing progress and checking that the producer lives.
  std::optional<json> consumer_report;
  nanos next_progress = started + kNanosPerSecond;
  while (!consumer_report) {
    if (!producer_down && !producer->running()) {
      throw run_failure("the producer " + producer->status_text() + " during the run");
    }
    while (next_action < actions.size() && now_ns() >= actions[next_action].at) {
      if (!cfg.quiet) say(actions[next_action].what);
      actions[next_action++].act();
    }
    std::string line;
    nanos wake = std::min(deadline, next_progress);
    if (next_action < actions.size()) wake = std::min(wake, actions[next_action].at);
    switch (client.read_line(line, wake)) {
      case child_process::wait_status::ok: {
        auto j = json::parse(line, nullptr, false);
        if (j.is_object() && j.value("event", "") == "report") consumer_report = j.at("report");
        break;
      }
      case child_process::wait_status::timeout: {
        const nanos now = now_ns();
        if (now >= deadline) throw run_failure("the consumer did not report in time");
        next_progress = now + kNanosPerSecond;
        if (tty && !cfg.quiet) {
          const nanos t = now - started;
          std::string phase = t < cfg.warmup     ? "warm-up"
                              : now < window_end ? "measuring"
                                                 : "draining";
          std::cerr << "\r\033[K  " << phase << " "
                    << format_duration(t / 100'000'000 * 100'000'000) << " / "
                    << format_duration(cfg.warmup + cfg.duration) << std::flush;
        }
        break;
      }
      case child_process::wait_status::exited:
        // A consumer gives up when its producer vanishes: name the side that failed first.
        if (producer_down || !producer->wait_exit(now_ns() + 200 * kNanosPerMilli)) {
          throw run_failure("the consumer " + client.status_text() + " before reporting");
        }
        throw run_failure("the producer " + producer->status_text() + " during the run");
      case child_process::wait_status::interrupted:
        throw run_failure("interrupted", kExitInterrupted);
    }
  }
  if (tty && !cfg.quiet) std::cerr << "\r\033[K";
  json producer_report = control(producer_addr, control_token, "GET", "/control/report", tls);
  try {
    control(producer_addr, control_token, "POST", "/control/shutdown", tls);
  } catch (const run_failure&) {
    // The report is in hand; a failed shutdown only means we stop it by signal below.
  }
  if (!producer->wait_exit(now_ns() + 5 * kNanosPerSecond)) producer->terminate();
  client.terminate(10 * kNanosPerSecond);  // ends its linger

  if (!cfg.trace.empty()) {
    if (consumer_report->contains("trace_error")) {
      throw run_failure("the consumer: " + consumer_report->at("trace_error").get<std::string>());
    }
    trace_header h{cfg.mode,  cfg.rate,        to_ms(cfg.interval),
                   info.pull, cfg.subscribers, to_s(cfg.duration)};
    try {
      merge_trace(h, {trace_parts[0], trace_parts[1]}, cfg.trace);
    } catch (const std::exception& e) {
      throw run_failure(e.what());
    }
  }

  json env = describe_environment();
  env["pinning"] =
      cfg.pin.empty() ? json("none") : json({{"producer", cfg.pin[0]}, {"consumer", cfg.pin[1]}});
  auto result = build_result(cfg.to_json(info.pull), env, producer_report, *consumer_report);
  if (attack) result["attack"] = attack_outcome(attack->stop(), *consumer_report);
  if (link) {
    link->stop();
    const json stats = link->stats();
    link_block["scheduling"] = stats.at("scheduling");
    link_block["cuts"] = stats.at("cuts");
    link_block["routes"] = stats.at("routes");
    result["link"] = link_block;
  }
  validate_result(result);
  return result;
}

}  // namespace hookbench
