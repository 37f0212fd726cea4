// `hookbench run`: start `serve` and `client` as child processes on loopback, wait until both
// are ready, start generation, follow warm-up / window / drain, collect both reports, print the
// table and write the JSON result.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "core/cli.hpp"
#include "modes/mode.hpp"
#include "modes/tuning.hpp"
#include "orchestrator/child_process.hpp"
#include "orchestrator/result.hpp"
#include "orchestrator/runner.hpp"
#include "producer/producer_options.hpp"

namespace hookbench {

using json = nlohmann::json;

namespace {

void add_run_options(option_parser& p, run_config& cfg) {
  p.add("--mode", "MODE",
        "delivery mode (hookbench modes lists them), or all: every mode in\n"
        "                            turn on the same arrival sequence, one table",
        delivery_modes().front().name,
        [&](std::string_view v) {
          if (!find_mode(v) && v != "all")
            throw usage_error("expected " + mode_names() + "|all, got '" + std::string(v) + "'");
          cfg.mode = std::string(v);
        })
      .add_duration("--interval", "poll interval T (modes paced by T)", "100ms", cfg.interval,
                    kNanosPerMilli)
      .add_count("--subscribers", "N", "subscribers N (pollers, or webhook subscriptions)", "1",
                 cfg.subscribers, 1, 100'000)
      .add_duration("--drain",
                    "after the window, wait at most this long for deliveries (load goes\n"
                    "                            on meanwhile; poll modes: at least 2T + 0.5s)",
                    "5s", cfg.drain);
  add_generation_options(p, cfg.generation);
  p.add("--pin", "P,C", "pin the producer to core P and the consumer to core C", "no pinning",
        [&](std::string_view v) {
          cfg.pin = parse_int_list(v);
          if (cfg.pin.size() != 2)
            throw usage_error("expected two cores P,C, got '" + std::string(v) + "'");
          const long cores = sysconf(_SC_NPROCESSORS_ONLN);
          for (int c : cfg.pin) {
            if (c >= cores) {
              throw usage_error("core " + std::to_string(c) + " does not exist (this machine has " +
                                std::to_string(cores) + ")");
            }
          }
        })
      .add_text("--out", "FILE", "write the JSON result to FILE", cfg.out)
      .add_text(
          "--trace", "FILE",
          "record the window's timeline (events created, polls, webhook POSTs,\n"
          "                            deliveries) as JSON lines in FILE; keep such runs short",
          cfg.trace);
}

void add_advanced_options(option_parser& p, run_config& cfg) {
  p.add_section("Advanced:")
      .add_count("--port", "PORT", "producer port on 127.0.0.1 (0 = any free port)", "0", cfg.port,
                 0, 65535)
      .add_count("--poll-limit", "N", "events per poll response at most (modes paced by T)", "1000",
                 cfg.poll_limit, 1, 10'000);
  add_retention_option(p, cfg.retention);
  add_webhook_connection_options(p, cfg.webhooks);
  add_stream_lifetime_option(p, cfg.stream_lifetime);
  p.add("--attack", "FRACTION",
        "a third party POSTs forged, tampered, replayed, expired and\n"
        "                            unsigned webhooks to the receiver at FRACTION x --rate\n"
        "                            during the window (webhook modes; e.g. 0.2)",
        "0",
        [&](std::string_view v) {
          cfg.attack = parse_non_negative_double(v);
          if (cfg.attack > 10) throw usage_error("at most 10 (ten attack requests per event)");
        })
      .add("--fault", "KIND:AT:FOR[:P]",
           "inject a fault AT into the window FOR this long (repeatable):\n"
           "                            receiver-down, receiver-5xx[:P], "
           "receiver-429[:RETRY_AFTER],\n"
           "                            receiver-slow[:DELAY], consumer-down, link-cut,\n"
           "                            producer-restart (e.g. receiver-down:1s:2s). Receiver\n"
           "                            faults need a webhook mode (beast stack); consumer-down\n"
           "                            (SIGSTOP, then SIGCONT) works for every mode. With faults\n"
           "                            the drain is at least 5 s (+ the slow/429 delay) past\n"
           "                            them; metrics.faults has lost, duplicates, delay after\n"
           "                            AT, catch-up time and a recovery timeline",
           "", [&](std::string_view v) { cfg.faults.push_back(parse_fault(v)); })
      .add("--fsync", "POLICY",
           "keep the producer's event log in a file (a temporary --state-dir)\n"
           "                            synced always, every 10 ms (interval) or never: its cost\n"
           "                            shows in the producer's CPU (producer-restart: interval)",
           "", [&](std::string_view v) { cfg.fsync = to_string(parse_fsync_policy(v)); })
      .add_section("Network (default: loopback):");
  add_link_options(p, cfg);
  p.add_section("More:")
      .add_duration("--ready-timeout", "how long each side may take to become ready", "30s",
                    cfg.ready_timeout)
      .add_switch("--tls",
                  "HTTPS everywhere: a CA and a certificate made for the run (removed\n"
                  "                            after it); both sides verify their peer",
                  [&] { cfg.tls = true; })
      .add_switch("--quiet", "no progress on stderr", [&] { cfg.quiet = true; });
  add_stack_option(p, cfg.consumer_stack);
  add_signature_option(p, cfg.webhooks.signature, true);
  p.add_section("Webhook retries (webhook modes):");
  add_retry_options(p, cfg.webhooks.retry);
  p.add_section("Mode knobs (used by the modes named):");
  add_tuning_options(p, cfg.tuning);
}

// What holds for every mode of the run.
void check_run(const option_parser& p, const run_config& cfg) {
  if (cfg.generation.duration < 100 * kNanosPerMilli) {
    throw usage_error("--duration: must be at least 100ms");
  }
  if (p.given("--unsigned") && p.given("--signature")) {
    throw usage_error("--unsigned: means --signature none; give one of the two");
  }
  check_faults(cfg.faults);
  for (const auto& f : cfg.faults) {
    if (f.end() > cfg.generation.duration) {
      throw usage_error("--fault " + f.to_string() + ": ends at " + format_duration(f.end()) +
                        ", after the " + format_duration(cfg.generation.duration) +
                        " window (--duration); a fault must end inside it");
    }
  }
  check_fault_support(cfg);
  if (cfg.tls && cfg.consumer_stack != "beast") {
    throw usage_error("--tls: the " + cfg.consumer_stack +
                      " consumer stack has no TLS support; use --consumer-stack beast");
  }
}

// What holds for the one mode asked: the flags that apply to it.
void check_mode(const option_parser& p, const run_config& cfg, const mode_descriptor& info) {
  check_tuning_options(p, info);
  check_consumer_stack(cfg.consumer_stack, info);
  if (!info.pull) {
    for (auto flag : {"--interval", "--poll-limit"}) {
      if (p.given(flag))
        throw usage_error(std::string(flag) + ": applies to poll modes, not --mode " + cfg.mode);
    }
  } else {
    for (auto flag : {"--webhook-connection", "--webhook-concurrency", "--retry", "--retry-jitter",
                      "--retry-scale", "--circuit-breaker", "--ordered"}) {
      if (p.given(flag))
        throw usage_error(std::string(flag) + ": applies to webhook modes, not --mode " + cfg.mode);
    }
  }
  if (cfg.attack > 0 && (!info.receiver || cfg.consumer_stack != "beast")) {
    throw usage_error(
        "--attack: needs hookbench's own webhook receiver (a mode with a receiver, "
        "--consumer-stack beast), not --mode " +
        cfg.mode + " on " + cfg.consumer_stack);
  }
}

}  // namespace

void add_run_command_options(option_parser& p, run_config& cfg) {
  add_run_options(p, cfg);
  add_advanced_options(p, cfg);
}

void check_run_command(const option_parser& p, const run_config& cfg) {
  check_run(p, cfg);
  if (cfg.mode != "all") check_mode(p, cfg, mode_of(cfg.mode));
}

namespace {

// The modes to run: the one asked, or (--mode all) every mode the stack carries.
std::vector<const mode_descriptor*> modes_to_run(const option_parser& p, const run_config& cfg) {
  std::vector<const mode_descriptor*> modes;
  if (cfg.mode != "all") {
    const mode_descriptor& info = mode_of(cfg.mode);
    check_mode(p, cfg, info);
    modes.push_back(&info);
    return modes;
  }
  if (!cfg.trace.empty()) throw usage_error("--trace: one mode at a time, not --mode all");
  if (cfg.attack > 0) throw usage_error("--attack: webhook modes only, not --mode all");
  for (const auto& m : delivery_modes()) {
    if (m.carried_by(cfg.consumer_stack)) modes.push_back(&m);
  }
  return modes;
}

// The table, the warnings, and (--out) the result: one, or with --mode all an array of them.
int report(const run_config& cfg, const std::vector<json>& results, bool all) {
  print_table(std::cout, results);
  for (const auto& result : results) {
    for (const auto& w : result_warnings(result)) {
      std::cerr << "hookbench run: WARNING: "
                << (all ? result.at("config").at("mode").get<std::string>() + ": " : "") << w
                << "\n";
    }
  }
  if (!cfg.out.empty()) {
    std::error_code ec;
    auto parent = std::filesystem::path(cfg.out).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    std::ofstream f(cfg.out);
    f << (all ? json(results) : results.front()).dump(2) << "\n";
    f.close();
    if (!f) {
      std::cerr << "hookbench run: cannot write " << cfg.out << "\n";
      return kExitFailure;
    }
    if (!cfg.quiet) std::cerr << "hookbench run: wrote " << cfg.out << "\n";
  }
  if (!cfg.trace.empty() && !cfg.quiet) std::cerr << "hookbench run: wrote " << cfg.trace << "\n";
  return 0;
}

}  // namespace

int run_main(int argc, char** argv) {
  run_config cfg;
  option_parser p(
      "hookbench run",
      "Runs one delivery mode end to end: starts `hookbench serve` and `hookbench client` as\n"
      "child processes on loopback, waits until both are ready, warms up, measures the window,\n"
      "drains, prints a table and writes the JSON result (--out). Latency is measured from each\n"
      "event's scheduled creation time (open loop) to the moment the consumer has it parsed.");
  add_run_command_options(p, cfg);
  if (!p.parse(argc, argv)) return 0;
  check_run(p, cfg);
  const auto modes = modes_to_run(p, cfg);
  const bool all = cfg.mode == "all";
  if (!cfg.pin.empty() && cfg.pin[0] == cfg.pin[1]) {
    std::cerr << "hookbench run: note: producer and consumer share core " << cfg.pin[0] << "\n";
  }

  install_interrupt_handlers();
  // Every mode gets the same seed, hence the same arrival sequence.
  std::vector<json> results;
  for (std::size_t i = 0; i < modes.size(); ++i) {
    run_config one = cfg;
    one.mode = modes[i]->name;
    if (all && !cfg.quiet) {
      std::cerr << "hookbench run: [" << i + 1 << "/" << modes.size() << "] " << one.mode << "\n";
    }
    try {
      results.push_back(run_once(one));
    } catch (const run_failure& e) {
      std::cerr << "hookbench run: " << (all ? one.mode + ": " : "") << e.what() << "\n";
      return e.code;
    } catch (const std::exception& e) {
      std::cerr << "hookbench run: " << (all ? one.mode + ": " : "") << e.what() << "\n";
      return kExitFailure;
    }
  }
  return report(cfg, results, all);
}

}  // namespace hookbench
