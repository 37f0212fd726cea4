// `hookbench link`: the WAN link emulator alone, between any TCP client and server (for
// example a `client` on one side and a `serve` on the other, by hand or on two hosts).
#include <signal.h>
#include <unistd.h>

#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "core/cli.hpp"
#include "link/link.hpp"

namespace hookbench {

namespace {

struct cut_spec {
  nanos at = 0, length = 0;
};

cut_spec parse_cut(std::string_view v) {
  const auto colon = v.find(':');
  if (colon == std::string_view::npos) {
    throw usage_error("expected AT:FOR (e.g. 2s:1s), got '" + std::string(v) + "'");
  }
  cut_spec c{parse_duration(v.substr(0, colon)), parse_duration(v.substr(colon + 1))};
  if (c.length <= 0) throw usage_error("FOR must be greater than 0 in '" + std::string(v) + "'");
  return c;
}

// What link's flags ask for.
struct link_settings {
  link_config cfg;
  std::vector<host_port> listens, targets;
  std::vector<cut_spec> cuts;
  nanos run_for = 0;
  bool quiet = false;
};

void add_link_command_options(option_parser& p, link_settings& s) {
  p.add("--listen", "HOST:PORT",
        "where a route listens (required, repeatable; port 0 = any free\n"
        "                            port)",
        "", [&](std::string_view v) { s.listens.push_back(parse_host_port(v)); })
      .add("--to", "HOST:PORT", "the target of the --listen before it (required, one per --listen)",
           "", [&](std::string_view v) { s.targets.push_back(parse_host_port(v)); })
      .add("--delay", "DURATION", "one-way delay in each direction (round trip = 2 x this)", "0ms",
           [&](std::string_view v) {
             s.cfg.forward.delay = s.cfg.backward.delay = parse_duration(v);
           })
      .add("--jitter", "DURATION",
           "each chunk's delay varies uniformly by +- this (never below 0;\n"
           "                            bytes are held back rather than reordered)",
           "0ms",
           [&](std::string_view v) {
             s.cfg.forward.jitter = s.cfg.backward.jitter = parse_duration(v);
           })
      .add("--rate", "RATE",
           "bandwidth per direction of each route, e.g. 500kbit, 10mbit, 1gbit\n"
           "                            (0 or unset = unlimited)",
           "unlimited",
           [&](std::string_view v) {
             s.cfg.forward.rate_bps = s.cfg.backward.rate_bps = v == "0" ? 0 : parse_bit_rate(v);
           })
      .add("--cut", "AT:FOR",
           "AT after start, reset every connection and refuse new ones for FOR\n"
           "                            (repeatable; e.g. 2s:1s)",
           "", [&](std::string_view v) { s.cuts.push_back(parse_cut(v)); })
      .add_duration("--for", "stop after this long (default: until SIGINT or SIGTERM)", "",
                    s.run_for, 1)
      .add_count("--buffer", "BYTES",
                 "bytes a connection may hold per direction before the link\n"
                 "                            stops reading from that side",
                 "4194304", s.cfg.buffer_limit, 1024, 1LL << 32)
      .add_switch("--no-handshake",
                  "let a new connection's first bytes leave at once, instead of one round\n"
                  "                            trip after connecting (as TCP's handshake would)",
                  [&] { s.cfg.handshake = false; })
      .add_switch("--no-realtime",
                  "run the link's thread at normal priority (default: SCHED_FIFO 1\n"
                  "                            where allowed, so a busy machine does not make\n"
                  "                            its releases late)",
                  [&] { s.cfg.realtime = false; })
      .add_count("--seed", "N", "seed of the jitter samples", "1", s.cfg.seed, 0, INT64_MAX)
      .add_duration("--idle-timeout",
                    "close a connection with no byte either way for this long\n"
                    "                            (0 = never)",
                    "10m", s.cfg.idle_timeout)
      .add_count("--max-connections", "N",
                 "open connections at most, over every --listen; past it a new one is\n"
                 "                            reset at once",
                 "50000", s.cfg.max_connections, 1, 10'000'000)
      .add_switch("--quiet", "no startup message on stderr", [&] { s.quiet = true; });
}

void check_settings(const link_settings& s) {
  if (s.listens.empty())
    throw usage_error(
        "--listen: required (with --to), e.g. --listen "
        "127.0.0.1:9000 --to 127.0.0.1:8080");
  if (s.listens.size() != s.targets.size()) {
    throw usage_error("--listen/--to: give them in pairs (" + std::to_string(s.listens.size()) +
                      " --listen, " + std::to_string(s.targets.size()) + " --to)");
  }
  for (const auto& c : s.cuts) {
    if (s.run_for > 0 && c.at + c.length > s.run_for) {
      throw usage_error("--cut " + format_duration(c.at) + ":" + format_duration(c.length) +
                        ": ends after --for " + format_duration(s.run_for));
    }
  }
}

// Until SIGINT, SIGTERM or --for.
void wait_for_stop(const sigset_t& stop_signals, nanos started, nanos run_for) {
  for (;;) {
    timespec wait{1, 0};
    if (run_for > 0) {
      const nanos left = started + run_for - now_ns();
      if (left <= 0) return;
      wait = {static_cast<time_t>(left / kNanosPerSecond),
              static_cast<long>(left % kNanosPerSecond)};
    }
    const int sig = sigtimedwait(&stop_signals, nullptr, &wait);
    if (sig == SIGINT || sig == SIGTERM) return;
  }
}

}  // namespace

int link_main(int argc, char** argv) {
  link_settings s;
  option_parser p(
      "hookbench link",
      "A WAN link emulator (this machine has no netem): a TCP proxy from each --listen\n"
      "address to its --to address that adds one-way delay and jitter in each direction,\n"
      "limits bandwidth, and can cut every connection for a while (open ones are reset,\n"
      "new ones refused). Bytes are never reordered; TLS passes through untouched.\n"
      "Prints {\"event\":\"ready\",\"routes\":[{\"listen\",\"port\",\"to\"}],...} on stdout when\n"
      "listening, and {\"event\":\"report\",\"link\":{...counters...}} when it stops (SIGINT,\n"
      "SIGTERM or --for).");
  add_link_command_options(p, s);
  if (!p.parse(argc, argv)) return 0;
  check_settings(s);
  const link_config& cfg = s.cfg;

  // The link's thread inherits this mask, so the signals reach only sigtimedwait below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  wan_link link(cfg);
  nlohmann::json routes = nlohmann::json::array();
  try {
    for (std::size_t i = 0; i < s.listens.size(); ++i) {
      const auto r = link.add_route(s.listens[i], s.targets[i]);
      routes.push_back({{"listen", link.address(r).to_string()},
                        {"port", link.port(r)},
                        {"to", s.targets[i].to_string()}});
    }
  } catch (const std::exception& e) {
    std::cerr << "hookbench link: " << e.what() << "\n";
    return kExitFailure;
  }
  link.start();
  const nanos started = now_ns();
  for (const auto& c : s.cuts) link.cut_at(started + c.at, c.length);
  // started_ns (CLOCK_MONOTONIC): the origin of --cut times, for whoever wants to watch one.
  std::cout << nlohmann::json{{"event", "ready"},     {"role", "link"},
                              {"pid", getpid()},      {"port", link.port(0)},
                              {"routes", routes},     {"settings", link_settings_json(cfg)},
                              {"started_ns", started}}
                   .dump()
            << std::endl;
  if (!s.quiet) {
    std::cerr << "hookbench link: " << routes.size() << " route" << (routes.size() > 1 ? "s" : "")
              << ", delay " << format_duration(cfg.forward.delay) << " each way, jitter "
              << format_duration(cfg.forward.jitter) << ", rate "
              << (cfg.forward.rate_bps > 0 ? format_bit_rate(cfg.forward.rate_bps) : "unlimited")
              << (s.cuts.empty() ? "" : ", " + std::to_string(s.cuts.size()) + " cut(s) scheduled")
              << "\n";
  }
  wait_for_stop(stop_signals, started, s.run_for);
  link.stop();
  std::cout << nlohmann::json{{"event", "report"}, {"link", link.stats()}}.dump() << std::endl;
  return 0;
}

}  // namespace hookbench
