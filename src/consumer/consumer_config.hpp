// What the consumer is asked to do: the producer, the mode and its knobs, the receiver, the
// bounds of each wait, and the faults it carries out or measures. `hookbench client` fills it
// from its flags; its JSON form (to_json) goes into the consumer's report.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/fault.hpp"
#include "core/parse.hpp"
#include "http/headers.hpp"
#include "http/tls.hpp"
#include "modes/tuning.hpp"
#include "security/signing.hpp"

namespace hookbench {

struct consumer_config {
  http_url producer;
  std::string mode = delivery_modes().front().name;
  std::size_t subscribers = 1;
  nanos interval = 100 * kNanosPerMilli;  // poll modes
  std::size_t poll_limit = 1000;
  mode_tuning tuning;
  host_port listen{"127.0.0.1", 0};  // push modes: where the receiver listens
  std::string advertise_host;        // host put in webhook URLs (default: listen host)
  std::uint16_t advertise_port = 0;  // port put in them (0: the receiver's own; a link's else)
  nanos request_timeout = 5 * kNanosPerSecond;
  nanos drain = 5 * kNanosPerSecond;
  // --linger: after its report the consumer keeps its webhook receiver answering (nothing more
  // is measured) until SIGTERM or this passes, so that the producer's unmeasured tail never
  // meets a closed port (which it would count as a failure, and retry) before its own report.
  nanos linger = 0;
  nanos start_timeout = 60 * kNanosPerSecond;
  // A control request that cannot reach the producer is tried again for this long (a producer
  // restarting) before the consumer gives up on it (a producer gone).
  nanos producer_grace = 10 * kNanosPerSecond;
  std::string trace_path;       // --trace: write this side's trace part before reporting
  std::string slots_path;       // --slots: write the window's latency slots before reporting
  std::string stack = "beast";  // --consumer-stack: the HTTP stack of its strategy
  std::string token;            // --token: the producer's API token (bearer)
  std::string tap_path;         // --tap: webhook modes append sampled accepted deliveries
  std::uint64_t tap_every = 1;  // --tap-every: one in this many
  // --fault: receiver-* faults the webhook receiver carries out (times from the window's start);
  // --observe-fault: faults others carry out (the orchestrator's consumer-down, ...), only
  // measured. Both get a block in the report's "faults".
  std::vector<fault_spec> faults, observed_faults;
  std::uint64_t seed = 1;  // --seed: the receiver-5xx draws

  // "Authorization: Bearer <token>" for every request to the producer, plus `more`.
  http::header_list auth(http::header_list more = {}) const {
    http::add_bearer(more, token);
    return more;
  }
  // --signature: what the webhook receivers verify (keys from the producer's 201 answers)
  security::signature_scheme signature = security::signature_scheme::hmac;
  // TLS, set up once by `hookbench client` from its files: towards an https:// producer
  // (verified against --tls-ca), and for the webhook receiver (--tls-cert/--tls-key; it
  // registers https:// URLs).
  std::string tls_ca_file, tls_cert_file, tls_key_file;
  http::tls_context tls_client, tls_server;

  // What the consumer's report records (the token left out).
  nlohmann::json to_json() const;
  // The whole config as `client --config` reads it: keys are client's flag names, values exact
  // (the token left out: it goes in the environment).
  nlohmann::json to_document() const;
};

}  // namespace hookbench
