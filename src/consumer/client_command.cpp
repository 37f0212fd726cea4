// `hookbench client`: run the consumer alone against a producer given by URL. Its options come
// as flags or as one JSON document (--config FILE|-, as `run` starts it).
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "consumer/consumer.hpp"
#include "core/cli.hpp"
#include "http/tls.hpp"

namespace hookbench {

namespace {

void add_mode_options(option_parser& p, consumer_config& cfg) {
  p.add("--producer", "URL", "the producer, e.g. http://127.0.0.1:8080 or https://... (required)",
        "", [&](std::string_view v) { cfg.producer = parse_http_url(v); })
      .add("--mode", "MODE", "delivery mode: " + mode_names(), delivery_modes().front().name,
           [&](std::string_view v) {
             if (!find_mode(v)) {
               throw usage_error("expected " + mode_names() + ", got '" + std::string(v) + "'");
             }
             cfg.mode = std::string(v);
           })
      .add_count("--subscribers", "N", "number of subscribers", "1", cfg.subscribers, 1, 100'000)
      .add_duration("--interval", "poll interval T (modes paced by T)", "100ms", cfg.interval,
                    kNanosPerMilli)
      .add_count("--poll-limit", "N", "events per poll response at most (more: poll again at once)",
                 "1000", cfg.poll_limit, 1, 10'000)
      .add("--listen", "HOST:PORT", "where the webhook receiver listens (webhook modes)",
           "127.0.0.1:0", [&](std::string_view v) { cfg.listen = parse_host_port(v); })
      .add("--advertise", "HOST[:PORT]",
           "host (and port) put in the webhook URL given to the producer: an\n"
           "                            address that reaches the receiver, e.g. through a link",
           "the --listen address", [&](std::string_view v) {
             // HOST:PORT or [V6]:PORT; a bare HOST (an IPv6 one too) keeps the receiver's port.
             const bool has_port = v.starts_with('[') || std::count(v.begin(), v.end(), ':') == 1;
             if (has_port) {
               const auto a = parse_host_port(v);
               cfg.advertise_host = a.host;
               cfg.advertise_port = a.port;
             } else {
               cfg.advertise_host = std::string(v);
             }
           });
  add_stack_option(p, cfg.stack);
  add_signature_option(p, cfg.signature);
}

void add_timing_options(option_parser& p, consumer_config& cfg) {
  p.add_duration("--timeout", "timeout of one request", "5s", cfg.request_timeout, 1)
      .add_duration("--drain", "after the window, wait at most this long for stragglers", "5s",
                    cfg.drain)
      .add_duration(
          "--linger",
          "after the report, keep the webhook receiver answering (unmeasured)\n"
          "                            until SIGTERM or this passes, then exit 0 (run uses it:\n"
          "                            the producer's tail then never meets a closed port)",
          "0s (exit at once)", cfg.linger)
      .add_duration("--start-timeout", "give up if the producer has not started by then", "60s",
                    cfg.start_timeout)
      .add_duration(
          "--producer-grace",
          "keep trying the producer's control API this long when it cannot be\n"
          "                            reached (a restart), then give up; the modes retry\n"
          "                            their own requests from their cursors meanwhile",
          "10s", cfg.producer_grace, 1);
}

void add_security_options(option_parser& p, consumer_config& cfg) {
  p.add_text("--tls-ca", "FILE",
             "the CA that signed the producer's certificate (for an https://\n"
             "                            producer; serve --tls prints it as ca_file)",
             cfg.tls_ca_file)
      .add_text("--tls-cert", "FILE",
                "webhook modes: the receiver serves HTTPS with this PEM certificate\n"
                "                            (with --tls-key) and registers https:// URLs",
                cfg.tls_cert_file)
      .add_text("--tls-key", "FILE", "the PEM private key of --tls-cert", cfg.tls_key_file)
      .add("--token", "TOKEN",
           "the producer's API token, sent as a bearer token (default:\n"
           "                            $HOOKBENCH_TOKEN; `serve` prints its token in the ready "
           "line)",
           "", [&](std::string_view v) { cfg.token = parse_token(v); });
}

void add_output_options(option_parser& p, consumer_config& cfg, std::string& out_path) {
  p.add_text("--out", "FILE", "also write the report JSON to FILE", out_path)
      .add_text(
          "--tap", "FILE",
          "(webhook modes) append one in --tap-every accepted deliveries, with\n"
          "                            their webhook-* headers, to FILE as JSON lines: what an\n"
          "                            observer of the traffic would hold (run --attack uses it)",
          cfg.tap_path)
      .add_count("--tap-every", "N", "see --tap", "1", cfg.tap_every, 1, 1'000'000)
      .add_text("--trace", "FILE",
                "record polls answered and events delivered in the window into FILE\n"
                "                            (JSON lines), written before the report (run --trace)",
                cfg.trace_path)
      .add_text(
          "--slots", "FILE",
          "write every (subscriber, window event) latency into FILE before the\n"
          "                            report (binary; hookbench hosts merge reads the files\n"
          "                            of several consumer hosts into one result)",
          cfg.slots_path);
}

void add_fault_options(option_parser& p, consumer_config& cfg) {
  p.add("--fault", "KIND:AT:FOR[:PARAM]",
        "(webhook modes, beast stack; repeatable) a fault the receiver carries\n"
        "                            out, AT and FOR from the window's start: receiver-down (port\n"
        "                            and connections closed, then the same port again),\n"
        "                            receiver-5xx:P (503 with probability P), receiver-429:D\n"
        "                            (429, Retry-After D whole seconds), receiver-slow:D (answer\n"
        "                            after D; its events count as received then). Faulted answers\n"
        "                            record nothing. The report's \"faults\" measures each one",
        "",
        [&](std::string_view v) {
          auto f = parse_fault(v);
          if (!is_receiver_fault(f.kind)) {
            throw usage_error(to_string(f.kind) +
                              " is not carried out by the consumer (receiver-down, receiver-5xx, "
                              "receiver-429, receiver-slow are; --observe-fault measures others)");
          }
          cfg.faults.push_back(f);
        })
      .add("--observe-fault", "KIND:AT:FOR[:PARAM]",
           "(repeatable) a fault someone else carries out (run's consumer-down,\n"
           "                            link-cut, producer-restart): only measured in \"faults\"",
           "", [&](std::string_view v) { cfg.observed_faults.push_back(parse_fault(v)); })
      .add_count("--seed", "N", "seed of the receiver-5xx draws", "1", cfg.seed, 0, INT64_MAX);
}

// Whatever the flags cannot say alone: the mode decides which flags apply.
void check_config(const option_parser& p, const consumer_config& cfg) {
  if (!p.given("--producer"))
    throw usage_error("--producer: required (e.g. http://127.0.0.1:8080)");
  const mode_descriptor& info = mode_of(cfg.mode);
  if (p.given("--tap") && (!info.receiver || cfg.stack != "beast")) {
    throw usage_error("--tap: only for the webhook modes on the beast consumer stack");
  }
  check_tuning_options(p, info);
  check_consumer_stack(cfg.stack, info);
  if (!cfg.faults.empty() && (!info.receiver || cfg.stack != "beast")) {
    throw usage_error(
        "--fault " + cfg.faults.front().to_string() +
        ": receiver faults need a webhook mode on the beast consumer stack, not --mode " +
        cfg.mode + " --consumer-stack " + cfg.stack);
  }
  check_faults(cfg.faults);
  if (info.pull && (p.given("--listen") || p.given("--advertise"))) {
    throw usage_error("--listen/--advertise: only for push modes, not --mode " + cfg.mode);
  }
  if (!info.pull && (p.given("--interval") || p.given("--poll-limit"))) {
    throw usage_error("--interval/--poll-limit: only for poll modes, not --mode " + cfg.mode);
  }
  if (cfg.producer.tls != !cfg.tls_ca_file.empty()) {
    throw usage_error(cfg.producer.tls ? "--tls-ca: required for an https:// producer"
                                       : "--tls-ca: only for an https:// producer");
  }
  if (cfg.tls_cert_file.empty() != cfg.tls_key_file.empty())
    throw usage_error("--tls-cert and --tls-key: give both or neither");
  if (!cfg.tls_cert_file.empty() && !info.receiver)
    throw usage_error("--tls-cert/--tls-key: only for webhook modes, not --mode " + cfg.mode);
  if ((cfg.producer.tls || !cfg.tls_cert_file.empty()) && cfg.stack != "beast")
    throw usage_error("--consumer-stack " + cfg.stack + ": no TLS support; use beast");
}

// Runs the consumer until its report (and its linger, if any) or a signal.
int run_consumer(const consumer_config& cfg, const std::string& out_path) {
  boost::asio::io_context ioc(1);
  consumer c(ioc, cfg);
  try {
    c.setup();
  } catch (const std::exception& e) {
    std::cerr << "hookbench client: " << e.what() << "\n";
    return kExitFailure;
  }
  int rc = 0;
  bool reported = false;
  boost::asio::steady_timer linger(ioc);
  c.on_done = [&](nlohmann::json report) {
    if (!out_path.empty()) {
      std::ofstream f(out_path);
      f << report.dump(2) << "\n";
      if (!f) {
        std::cerr << "hookbench client: cannot write " << out_path << "\n";
        rc = kExitFailure;
      }
    }
    std::cout << nlohmann::json{{"event", "report"}, {"report", report}}.dump() << std::endl;
    reported = true;
    if (cfg.linger <= 0) return ioc.stop();
    linger.expires_after(std::chrono::nanoseconds(cfg.linger));
    linger.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) ioc.stop();
    });
  };
  c.on_error = [&](std::string error) {
    std::cerr << "hookbench client: " << error << "\n";
    rc = kExitFailure;
    ioc.stop();
  };
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    // Once the report is out, a signal only ends the linger.
    if (!reported) rc = kExitInterrupted;
    ioc.stop();
  });
  c.start();
  std::cout << nlohmann::json{{"event", "ready"},
                              {"role", "consumer"},
                              {"mode", cfg.mode},
                              {"receiver_port", c.receiver_port()},
                              {"pid", getpid()}}
                   .dump()
            << std::endl;
  ioc.run();
  return rc;
}

}  // namespace

int client_main(int argc, char** argv) {
  consumer_config cfg;
  std::string out_path;
  option_parser p(
      "hookbench client",
      "The consumer (\"the client app\"): N subscribers receiving the producer's events\n"
      "by one delivery mode. It waits for the producer to start generating, follows its\n"
      "measured window, drains, then prints {\"event\":\"report\",...} on stdout and exits.\n"
      "Prints {\"event\":\"ready\",...} once its subscribers are set up.\n"
      "The producer may be on another host: the consumer measures its clock offset\n"
      "to it (NTP-style pings before and after the run), converts the producer's\n"
      "times to its own clock and reports the offset and its bound under \"clock\".");
  add_mode_options(p, cfg);
  add_timing_options(p, cfg);
  add_security_options(p, cfg);
  add_output_options(p, cfg, out_path);
  add_fault_options(p, cfg);
  p.add_config_option();
  p.add_section("Mode knobs (used by the modes named):");
  add_tuning_options(p, cfg.tuning);
  if (!p.parse(argc, argv)) return 0;
  if (cfg.token.empty()) {
    if (const char* env = std::getenv("HOOKBENCH_TOKEN"); env && *env) cfg.token = parse_token(env);
  }
  check_config(p, cfg);
  try {
    if (cfg.producer.tls) cfg.tls_client = http::make_client_tls(cfg.tls_ca_file);
    if (!cfg.tls_cert_file.empty()) {
      cfg.tls_server = http::make_server_tls(cfg.tls_cert_file, cfg.tls_key_file);
    }
  } catch (const std::exception& e) {
    std::cerr << "hookbench client: " << e.what() << "\n";
    return kExitFailure;
  }
  return run_consumer(cfg, out_path);
}

}  // namespace hookbench
