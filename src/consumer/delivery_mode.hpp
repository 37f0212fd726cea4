// A delivery mode, as one unit: the consumer's strategy (plugged into its shared machinery:
// tracker, window, report), the producer delivery that serves it (producer/delivery.hpp) and its
// model function (model/model.hpp). Adding a mode = one new file pair per side + one line in
// delivery_mode.cpp's registry (and one in producer.cpp when it needs a new producer delivery).
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/fault.hpp"
#include "core/parse.hpp"
#include "http/headers.hpp"
#include "http/tls.hpp"
#include "measure/delivery_tracker.hpp"
#include "measure/trace.hpp"
#include "measure/traffic.hpp"
#include "measure/window.hpp"
#include "model/model.hpp"
#include "security/signing.hpp"

namespace hookbench {

class option_parser;

// The knobs of the modes that have them, one place for `client`, `run` and `sweep`.
struct mode_tuning {
  double backoff = 2;                        // poll-adaptive: interval x this per empty poll
  nanos max_interval = 0;                    // poll-adaptive: the cap (0 = 8T)
  nanos wait = 30 * kNanosPerSecond;         // long-poll: how long a request may park
  nanos batch_window = 50 * kNanosPerMilli;  // webhook-batch: a batch waits at most this
  std::size_t batch_max = 100;
  std::string ack = "empty";  // webhook modes: empty (204) or json (200 {"received":N}) //
                              // webhook-batch: events per POST at most

  nanos cap(nanos interval) const { return max_interval > 0 ? max_interval : 8 * interval; }
  // The longest an event can wait by design before it is fetched or sent: T for polling, the
  // cap for poll-adaptive, the batch window for webhook-batch, 0 otherwise.
  nanos longest_gap(std::string_view mode, bool pull, nanos interval) const;
  // The options for `hookbench client`, as `run` passes them on.
  std::vector<std::string> to_args(std::string_view mode) const;
  // Only the knobs `mode` uses.
  nlohmann::json to_json(std::string_view mode, nanos interval) const;
};
// The model's knobs from a run's "tuning" JSON (mode_tuning::to_json): one reading for results
// and for the sweep's model curves.
void apply_tuning(const nlohmann::json& tuning, model_input& in);
// Adds --backoff, --max-interval, --wait, --batch-window, --batch-max to a command's options.
void add_tuning_options(option_parser& p, mode_tuning& t);
// Adds --consumer-stack (beast, httplib, httplib-nodelay).
void add_stack_option(option_parser& p, std::string& stack);
// Adds --signature (hmac, ed25519, none) and, for `run`/`sweep` (with_unsigned), --unsigned as
// its shorthand for none.
void add_signature_option(option_parser& p, security::signature_scheme& scheme,
                          bool with_unsigned = false);
// A knob given for a mode that does not use it is a usage_error naming both.
void check_tuning_options(const option_parser& p, std::string_view mode);

struct consumer_config {
  http_url producer;
  std::string mode = "poll";
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
  // TLS, set up once by `hookbench client`: towards an https:// producer (verified against
  // --tls-ca), and for the webhook receiver (--tls-cert/--tls-key; it registers https:// URLs).
  http::tls_context tls_client, tls_server;

  nlohmann::json to_json() const;
};

// What every mode gets from the consumer.
struct mode_context {
  boost::asio::io_context& ioc;
  const consumer_config& config;
  delivery_tracker& tracker;
  const measurement_window& window;  // known once the producer started
  trace_recorder* trace = nullptr;   // set only when tracing (modes record polls into it)
};

class delivery_mode {
 public:
  virtual ~delivery_mode() = default;
  // Blocking set-up before the run (bind a receiver, register subscriptions). Throws
  // std::runtime_error with a message for the user.
  virtual void setup() = 0;
  // Begin receiving (asynchronously, on ctx.ioc).
  virtual void start() = 0;
  virtual void stop() = 0;
  // The window is known (ctx.window): a mode that carries out faults arms them now.
  virtual void on_window() {}
  // Port of its push receiver (0: it has none).
  virtual std::uint16_t receiver_port() const { return 0; }
  // The requests this side sent in the window, by kind (result totals sum both sides' maps).
  virtual traffic_by_kind requests() const = 0;
  // Bytes this side put on / took off the wire for the window, all its exchanges.
  virtual traffic_counter bytes() const = 0;
  // Mode-specific counters. Poll-like modes report "polls", "empty_polls", "late_polls",
  // "missed_polls"; every mode reports "failed".
  virtual nlohmann::json stats() const = 0;
};

using mode_factory = std::function<std::unique_ptr<delivery_mode>(mode_context&)>;

struct mode_info {
  std::string name;
  std::string summary;
  bool pull;                  // paced by the consumer's --interval (drain at least 2T + 0.5 s)
  std::string producer_side;  // the producer delivery serving it: its key in the producer report
  mode_factory make;
  model_fn model;
  mode_factory make_httplib = nullptr;  // on cpp-httplib (httplib_stack.hpp); none: Beast only
};
const std::vector<mode_info>& delivery_modes();
const mode_info* find_mode(std::string_view name);
std::string mode_names();  // "poll|webhook"

// The consumer's HTTP stacks (--consumer-stack): "beast" (src/http) serves every mode;
// cpp-httplib's blocking client and server serve the modes with a make_httplib, with the
// library's defaults ("httplib") or with TCP_NODELAY and reused connections ("httplib-nodelay").
std::string consumer_stack_names();  // "beast|httplib|httplib-nodelay"
bool is_consumer_stack(std::string_view stack);
// Throws usage_error naming the stack and the mode unless the stack serves the mode.
void check_consumer_stack(std::string_view stack, const mode_info& mode);
// The mode's strategy on the stack ctx.config names (checked as above).
std::unique_ptr<delivery_mode> make_strategy(const mode_info& mode, mode_context& ctx);

}  // namespace hookbench
