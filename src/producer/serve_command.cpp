// `hookbench serve`: run the producer alone, driven over its /control API (or --autostart). Its
// options come as flags or as one JSON document (--config FILE|-, as `run` starts it).
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "core/cli.hpp"
#include "core/fd_limit.hpp"
#include "core/private_files.hpp"
#include "producer/producer.hpp"
#include "producer/producer_options.hpp"
#include "security/certificates.hpp"

namespace hookbench {

namespace {

// What serve's flags set beyond the producer's config.
struct serve_settings {
  producer_config cfg;
  bool quiet = false;
  bool tls = false;  // --tls: a CA and a certificate generated for this run
  nanos clock_shift = 0;
  bool fsync_given = false;
};

void add_server_options(option_parser& p, producer_config& cfg) {
  p.add("--listen", "HOST:PORT", "address to serve on (port 0 = any free port)", "127.0.0.1:8080",
        [&](std::string_view v) { cfg.listen = parse_host_port(v); })
      .add("--tail", "DURATION",
           "keep generating, unmeasured, this long after the window (load during the drain)", "5s",
           [&](std::string_view v) {
             cfg.generation.tail = parse_duration(v);
             if (cfg.generation.tail < 0) throw usage_error("must be at least 0");
           });
  add_retention_option(p, cfg.retention);
  p.add_duration("--request-timeout",
                 "a request whose first byte has arrived must be complete within this,\n"
                 "                            or its connection is closed (slow clients)",
                 "10s", cfg.request_timeout, 1)
      .add_count("--max-connections", "N",
                 "open connections at most; past it a new one is closed at once\n"
                 "                            (lowered to the descriptor limit less a reserve)",
                 "50000", cfg.max_connections, 1, 10'000'000)
      .add_count("--max-connections-per-address", "N",
                 "open connections from one peer address at most (0 = no cap); past\n"
                 "                            it a new one is closed at once",
                 "16384", cfg.max_connections_per_address, 0, 10'000'000)
      .add_duration("--first-request-timeout",
                    "a new connection must send its first request's first byte within\n"
                    "                            this, or it is closed",
                    "5s", cfg.first_request_timeout, 1);
}

void add_delivery_options(option_parser& p, producer_config& cfg) {
  add_webhook_connection_options(p, cfg.webhooks);
  add_signature_option(p, cfg.webhooks.signature);
  p.add_duration("--webhook-timeout", "timeout of one webhook POST", "5s", cfg.webhooks.timeout, 1)
      .add_count("--webhook-queue", "EVENTS",
                 "pending deliveries per subscriber before counting drops", "1000000",
                 cfg.webhooks.queue_limit, 1, 100'000'000)
      .add_duration("--webhook-idle-timeout",
                    "a kept-alive webhook connection idle this long is closed (0 = never)", "30s",
                    cfg.webhooks.idle_timeout)
      .add_duration("--stream-heartbeat", "comment heartbeat on idle event streams", "15s",
                    cfg.streams.heartbeat, 10 * kNanosPerMilli);
  add_stream_lifetime_option(p, cfg.streams.lifetime);
}

void add_access_options(option_parser& p, access_options& access) {
  p.add("--token", "TOKEN",
        "API token for pulls, streams and subscriptions (repeat for several\n"
        "                            clients; default: $HOOKBENCH_TOKEN, several separated by\n"
        "                            commas, else one generated and printed in the ready line)",
        "", [&](std::string_view v) { access.tokens.push_back(parse_token(v)); })
      .add("--control-token", "TOKEN",
           "token for /control/start, /control/report, /control/shutdown\n"
           "                            (default: $HOOKBENCH_CONTROL_TOKEN, else generated and "
           "printed)",
           "", [&](std::string_view v) { access.control_token = parse_token(v); })
      .add("--allow-hosts", "HOST,...",
           "webhook target hosts allowed besides the subscriber's own address\n"
           "                            (and loopback, for a subscriber on loopback); * = any\n"
           "                            host, but link-local and cloud metadata addresses\n"
           "                            (169.254.169.254, ...) only when named here",
           "", [&](std::string_view v) { access.allow_hosts = split_list(v); });
}

void add_tls_options(option_parser& p, serve_settings& s) {
  auto& cfg = s.cfg;
  p.add_switch("--tls",
               "serve HTTPS with a CA and certificate generated for this run (in a\n"
               "                            temporary directory, removed on exit); the ready\n"
               "                            line names the CA file clients should trust",
               [&] { s.tls = true; })
      .add_text("--tls-cert", "FILE", "serve HTTPS with this PEM certificate (with --tls-key)",
                cfg.tls_cert)
      .add_text("--tls-key", "FILE", "the PEM private key of --tls-cert", cfg.tls_key)
      .add_text("--tls-ca", "FILE",
                "CA to verify https:// webhook receivers against (default with --tls:\n"
                "                            the generated CA)",
                cfg.tls_ca);
}

void add_state_options(option_parser& p, serve_settings& s) {
  auto& cfg = s.cfg;
  p.add_text("--state-dir", "DIR",
             "keep the event log in DIR/events.log (every event, append-only) and\n"
             "                            what a restart needs in DIR/producer.json; DIR must be\n"
             "                            new or empty unless --resume",
             cfg.state_dir)
      .add_switch("--resume",
                  "continue the run whose state is in --state-dir: serve its events\n"
                  "                            again and go on with the same schedule (same t0,\n"
                  "                            seed and window); events due while it was down\n"
                  "                            are generated at once, late (their latency\n"
                  "                            includes the outage)",
                  [&] { cfg.resume = true; })
      .add("--fsync", "POLICY",
           "with --state-dir: always (fdatasync each event), interval (at most\n"
           "                            every --fsync-interval: an OS crash may lose that much)\n"
           "                            or never (the kernel's writeback, ~30 s). A killed\n"
           "                            producer loses nothing with any of them",
           "interval",
           [&](std::string_view v) {
             cfg.durability.policy = parse_fsync_policy(v);
             s.fsync_given = true;
           })
      .add("--fsync-interval", "DURATION", "--fsync interval: the longest between two syncs",
           "10ms", [&](std::string_view v) {
             cfg.durability.interval = parse_duration(v);
             if (cfg.durability.interval < kNanosPerMilli)
               throw usage_error("must be at least 1ms");
             s.fsync_given = true;
           });
}

void add_process_options(option_parser& p, serve_settings& s) {
  p.add_switch("--quiet", "no startup message on stderr (errors are still printed)",
               [&] { s.quiet = true; })
      .add_switch("--autostart", "start generating at once instead of on POST /control/start",
                  [&] { s.cfg.autostart = true; })
      .add_text(
          "--trace", "FILE",
          "record events created and webhook POSTs sent in the window into\n"
          "                            FILE (JSON lines) when /control/report is fetched (run "
          "--trace)",
          s.cfg.trace_path)
      .add("--test-clock-shift", "DURATION",
           "(testing) read the clock as CLOCK_MONOTONIC + DURATION (may be\n"
           "                            negative, e.g. -5s), as another host's would: events'\n"
           "                            times, the window and /control/ping all move by it",
           "0s",
           [&](std::string_view v) {
             const bool negative = v.starts_with('-');
             const nanos d = parse_duration(negative ? v.substr(1) : v);
             s.clock_shift = negative ? -d : d;
           })
      .add_config_option();
}

// Tokens not given come from the environment (a command line is readable by every user).
void take_tokens_from_environment(access_options& access) {
  if (access.tokens.empty()) {
    if (const char* env = std::getenv("HOOKBENCH_TOKEN"); env && *env) {
      for (const auto& t : split_list(env)) access.tokens.push_back(parse_token(t));
    }
  }
  if (access.control_token.empty()) {
    if (const char* env = std::getenv("HOOKBENCH_CONTROL_TOKEN"); env && *env) {
      access.control_token = parse_token(env);
    }
  }
}

void check_settings(const serve_settings& s) {
  const auto& cfg = s.cfg;
  if (cfg.resume && cfg.state_dir.empty())
    throw usage_error("--resume: needs --state-dir (the directory of the run to continue)");
  if (s.fsync_given && cfg.state_dir.empty())
    throw usage_error(
        "--fsync/--fsync-interval: need --state-dir (there is no log file without it)");
  if (cfg.tls_cert.empty() != cfg.tls_key.empty())
    throw usage_error("--tls-cert and --tls-key: give both or neither");
  if (s.tls && !cfg.tls_cert.empty())
    throw usage_error("--tls: generates its own certificate; not with --tls-cert/--tls-key");
}

// --tls: a CA and a leaf for this run; the CA also verifies https:// receivers unless one was
// named. Returns the CA file to print in the ready line.
std::string generate_tls(producer_config& cfg, scratch_path& dir) {
  dir.path = security::make_temp_dir("hookbench-serve-tls-");
  const auto files = security::generate_run_certificates(dir.path);
  cfg.tls_cert = files.cert_file;
  cfg.tls_key = files.key_file;
  if (cfg.tls_ca.empty()) cfg.tls_ca = files.ca_file;
  return files.ca_file;
}

void announce(const serve_settings& s, producer& prod, const std::string& generated_ca) {
  const auto& cfg = s.cfg;
  nlohmann::json ready{
      {"event", "ready"}, {"role", "producer"}, {"port", prod.port()}, {"pid", getpid()}};
  // Only what was generated here: whoever supplied a token has it, and a log need not.
  if (prod.access().generated_token()) ready["token"] = prod.access().tokens().front();
  if (prod.access().generated_control_token()) {
    ready["control_token"] = prod.access().control_token();
  }
  if (!cfg.tls_cert.empty()) {
    ready["tls"] = true;
    if (s.tls) ready["ca_file"] = generated_ca;
  }
  std::cout << ready.dump() << std::endl;
  if (s.quiet) return;
  const nanos shift = s.clock_shift;
  const std::string shift_note =
      shift == 0 ? ""
                 : std::string(", clock shifted by ") + (shift < 0 ? "-" : "+") +
                       format_duration(shift < 0 ? -shift : shift) + " (testing)";
  std::cerr << "hookbench serve: listening on " << (cfg.tls_cert.empty() ? "" : "https://")
            << host_port{cfg.listen.host, prod.port()}.to_string()
            << (cfg.autostart ? " (generating)" : " (POST /control/start to generate)")
            << shift_note << "\n";
}

}  // namespace

int serve_main(int argc, char** argv) {
  serve_settings s;
  auto& cfg = s.cfg;
  option_parser p(
      "hookbench serve",
      "The producer (\"the server app\"): an open-loop event generator, a bounded event\n"
      "log, the HTTP API (GET /events, POST /subscriptions) and the webhook dispatcher.\n"
      "Generation starts on POST /control/start (or at once with --autostart); the first\n"
      "--warmup is not measured, the next --duration is. Prints one JSON line\n"
      "{\"event\":\"ready\",...} on stdout when listening.");
  add_server_options(p, cfg);
  add_generation_options(p, cfg.generation);
  add_delivery_options(p, cfg);
  add_access_options(p, cfg.access);
  p.add_section("What API tokens may hold open (per token; -total: the whole producer):");
  cfg.caps.add_options(p);
  add_tls_options(p, s);
  add_state_options(p, s);
  add_process_options(p, s);
  p.add_section("Webhook retries:");
  add_retry_options(p, cfg.webhooks.retry);
  if (!p.parse(argc, argv)) return 0;
  take_tokens_from_environment(cfg.access);
  check_settings(s);
  check_tokens(cfg.access);
  std::string clamp_note;
  cfg.max_connections = clamp_to_fd_limit(cfg.max_connections, clamp_note);
  scratch_path tls_dir;  // --tls: this run's certificates
  std::string generated_ca;
  if (s.tls) {
    try {
      generated_ca = generate_tls(cfg, tls_dir);
    } catch (const std::exception& e) {
      std::cerr << "hookbench serve: " << e.what() << "\n";
      return kExitFailure;
    }
  }
  // Before anything reads the clock, so that every time of this process is on the shifted one.
  set_test_clock_shift(s.clock_shift);

  boost::asio::io_context ioc(1);
  std::unique_ptr<producer> prod;
  try {
    prod = std::make_unique<producer>(ioc, cfg);  // loads the TLS files
    prod->start();
  } catch (const std::exception& e) {
    std::cerr << "hookbench serve: " << e.what() << "\n";
    return kExitFailure;
  }
  // Once serving (a refusal stays one line).
  if (!clamp_note.empty() && !s.quiet) std::cerr << "hookbench serve: " << clamp_note << "\n";
  prod->on_shutdown = [&] { ioc.stop(); };
  // The idle baseline comes before readiness, so nobody is talking to us yet.
  // A resumed producer is generating already: it keeps the first one's baseline (producer.json).
  if (!cfg.autostart && !cfg.resume) prod->measure_idle(250 * kNanosPerMilli);
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) ioc.stop();
  });
  announce(s, *prod, generated_ca);
  ioc.run();
  return 0;
}

}  // namespace hookbench
