// The registry of delivery modes (one line per mode), and which stack runs a mode's strategy.
#include "consumer/delivery_mode.hpp"

#include <algorithm>
#include <iterator>

#include "consumer/httplib_stack.hpp"
#include "consumer/long_poll_mode.hpp"
#include "consumer/poll_mode.hpp"
#include "consumer/sse_mode.hpp"
#include "consumer/webhook_mode.hpp"
#include "consumer/ws_mode.hpp"
#include "core/cli.hpp"

namespace hookbench {

std::vector<std::string> mode_tuning::to_args(std::string_view mode) const {
  auto us = [](nanos d) { return std::to_string(d / kNanosPerMicro) + "us"; };
  std::vector<std::string> args;
  if (mode == "poll-adaptive") {
    args = {"--backoff", std::to_string(backoff)};
    if (max_interval > 0) args.insert(args.end(), {"--max-interval", us(max_interval)});
  } else if (mode == "long-poll") {
    args = {"--wait", us(wait)};
  } else if (mode == "webhook-batch") {
    args = {"--batch-window", us(batch_window), "--batch-max", std::to_string(batch_max)};
  }
  if (mode.starts_with("webhook") && ack != "empty") args.insert(args.end(), {"--ack", ack});
  return args;
}

nanos mode_tuning::longest_gap(std::string_view mode, bool pull, nanos interval) const {
  if (mode == "poll-adaptive") return cap(interval);
  if (mode == "webhook-batch") return batch_window;
  return pull ? interval : 0;
}

nlohmann::json mode_tuning::to_json(std::string_view mode, nanos interval) const {
  if (mode == "poll-adaptive") {
    return {{"backoff", backoff}, {"max_interval_ms", to_ms(cap(interval))}};
  }
  if (mode == "long-poll") return {{"wait_ms", to_ms(wait)}};
  nlohmann::json j = nlohmann::json::object();
  if (mode == "webhook-batch")
    j = {{"batch_window_ms", to_ms(batch_window)}, {"batch_max", batch_max}};
  if (mode.starts_with("webhook") && ack != "empty") j["ack"] = ack;
  return j;
}

void apply_tuning(const nlohmann::json& tuning, model_input& in) {
  if (!tuning.is_object()) return;
  in.backoff = tuning.value("backoff", in.backoff);
  in.max_interval_s = tuning.value("max_interval_ms", 0.0) / 1e3;
  in.batch_window_s = tuning.value("batch_window_ms", 0.0) / 1e3;
  in.batch_max = tuning.value("batch_max", 0.0);
  in.wait_s = tuning.value("wait_ms", 0.0) / 1e3;
}

void add_tuning_options(option_parser& p, mode_tuning& t) {
  p.add("--backoff", "FACTOR", "poll-adaptive: the interval grows by FACTOR after an empty poll",
        "2",
        [&t](std::string_view v) {
          t.backoff = parse_positive_double(v);
          if (t.backoff < 1) throw usage_error("must be at least 1");
        })
      .add("--max-interval", "DURATION", "poll-adaptive: the interval's cap", "8 x --interval",
           [&t](std::string_view v) {
             t.max_interval = parse_duration(v);
             if (t.max_interval < kNanosPerMilli) throw usage_error("must be at least 1ms");
           })
      .add("--wait", "DURATION", "long-poll: how long the producer holds a request", "30s",
           [&t](std::string_view v) {
             t.wait = parse_duration(v);
             if (t.wait < kNanosPerMilli || t.wait > 300 * kNanosPerSecond) {
               throw usage_error("must be from 1ms to 300s");
             }
           })
      .add("--batch-window", "DURATION",
           "webhook-batch: a batch is sent at most this long after "
           "its first event",
           "50ms",
           [&t](std::string_view v) {
             t.batch_window = parse_duration(v);
             if (t.batch_window < kNanosPerMilli) throw usage_error("must be at least 1ms");
           })
      .add("--ack", "KIND",
           "webhook modes: how the receiver acknowledges: empty (204) or json\n"
           "                            (200 with a small JSON body, as many receivers do)",
           "empty",
           [&t](std::string_view v) {
             if (v != "empty" && v != "json") {
               throw usage_error("expected empty or json, got '" + std::string(v) + "'");
             }
             t.ack = std::string(v);
           })
      .add("--batch-max", "EVENTS", "webhook-batch: events per POST at most", "100",
           [&t](std::string_view v) {
             t.batch_max = static_cast<std::size_t>(parse_int(v, 1, 10'000));
           });
}

void add_stack_option(option_parser& p, std::string& stack) {
  p.add("--consumer-stack", "STACK",
        "the consumer's HTTP stack: beast, or cpp-httplib's blocking client\n"
        "                            and server with its defaults (httplib) or with\n"
        "                            TCP_NODELAY and reused connections (httplib-nodelay)",
        "beast", [&stack](std::string_view v) {
          if (!is_consumer_stack(v)) {
            throw usage_error("expected " + consumer_stack_names() + ", got '" + std::string(v) +
                              "'");
          }
          stack = std::string(v);
        });
}

void check_tuning_options(const option_parser& p, std::string_view mode) {
  static const std::pair<const char*, const char*> owners[] = {
      {"--backoff", "poll-adaptive"},   {"--max-interval", "poll-adaptive"},
      {"--wait", "long-poll"},          {"--batch-window", "webhook-batch"},
      {"--batch-max", "webhook-batch"}, {"--ack", "webhook"}};
  for (const auto& [flag, owner] : owners) {
    // --ack belongs to both webhook modes.
    const bool owns =
        mode == owner || (std::string_view(flag) == "--ack" && mode == "webhook-batch");
    if (p.given(flag) && !owns) {
      throw usage_error(std::string(flag) + ": applies to --mode " + owner + ", not " +
                        std::string(mode));
    }
  }
}

namespace {
nlohmann::json faults_json(const std::vector<fault_spec>& faults) {
  auto j = nlohmann::json::array();
  for (const auto& f : faults) j.push_back(f.to_json());
  return j;
}
}  // namespace

nlohmann::json consumer_config::to_json() const {
  return {{"producer", producer.to_string()},
          {"mode", mode},
          {"subscribers", subscribers},
          {"interval_ms", to_ms(interval)},
          {"poll_limit", poll_limit},
          {"tuning", tuning.to_json(mode, interval)},
          {"listen", listen.to_string()},
          {"request_timeout_s", to_s(request_timeout)},
          {"producer_grace_s", to_s(producer_grace)},
          {"drain_s", to_s(drain)},
          {"stack", stack},
          {"signature", security::to_string(signature)},
          {"tls", producer.tls || tls_server != nullptr},
          {"faults", faults_json(faults)},
          {"observed_faults", faults_json(observed_faults)},
          {"seed", seed}};
}

void add_signature_option(option_parser& p, security::signature_scheme& scheme,
                          bool with_unsigned) {
  p.add("--signature", "SCHEME",
        "webhook signatures (Standard Webhooks): hmac (v1, HMAC-SHA256\n"
        "                            with a secret per subscription), ed25519 (v1a) or none",
        "hmac", [&scheme](std::string_view v) {
          try {
            scheme = security::parse_signature_scheme(v);
          } catch (const std::invalid_argument& e) {
            throw usage_error(e.what());
          }
        });
  if (with_unsigned) {
    p.add_switch("--unsigned", "same as --signature none: webhooks carry no signature",
                 [&scheme] { scheme = security::signature_scheme::none; });
  }
}

template <class Mode>
static std::unique_ptr<delivery_mode> make(mode_context& ctx) {
  return std::make_unique<Mode>(ctx);
}

template <bool Conditional, bool Adaptive>
static std::unique_ptr<delivery_mode> make_poll(mode_context& ctx) {
  return std::make_unique<poll_mode>(ctx, poll_flavour{Conditional, Adaptive});
}

static std::unique_ptr<delivery_mode> make_batch(mode_context& ctx) {
  return std::make_unique<webhook_mode>(ctx, true);
}

const std::vector<mode_info>& delivery_modes() {
  static const std::vector<mode_info> modes = {
      {"poll", "subscribers poll GET /events every --interval", true, "polls",
       make_poll<false, false>, model_poll, make<httplib_poll_mode>},
      {"poll-conditional",
       "polls carry If-None-Match: nothing new is 304 Not Modified with no body", true, "polls",
       make_poll<true, false>, model_poll},
      {"poll-adaptive",
       "the interval grows by --backoff after each empty poll (to --max-interval) and resets "
       "to --interval when events come",
       true, "polls", make_poll<false, true>, model_poll_adaptive},
      {"long-poll",
       "each subscriber keeps one GET /events?wait= parked at the producer, answered when an "
       "event arrives (or empty after --wait) and sent again at once",
       false, "polls", make<long_poll_mode>, model_long_poll},
      {"sse",
       "each subscriber holds one text/event-stream (GET /stream), one message per event; it "
       "resumes with Last-Event-ID after a drop",
       false, "streams", make<sse_mode>, model_stream},
      {"websocket",
       "each subscriber holds one WebSocket (GET /ws), one text message per event; it resumes "
       "with ?after= its last id after a drop",
       false, "websockets", make<ws_mode>, model_stream},
      {"webhook", "the producer POSTs each event to each subscriber's receiver", false, "webhooks",
       make<webhook_mode>, model_webhook, make<httplib_webhook_mode>},
      {"webhook-batch",
       "the producer POSTs each subscriber its events in batches: at most --batch-window after "
       "a batch's first event, at most --batch-max events",
       false, "webhooks", make_batch, model_webhook_batch},
  };
  return modes;
}

const mode_info* find_mode(std::string_view name) {
  for (const auto& m : delivery_modes()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string mode_names() {
  std::string out;
  for (const auto& m : delivery_modes()) out += (out.empty() ? "" : "|") + m.name;
  return out;
}

static constexpr std::string_view kStacks[] = {"beast", "httplib", "httplib-nodelay"};

std::string consumer_stack_names() {
  std::string out;
  for (auto s : kStacks) {
    if (!out.empty()) out += '|';
    out += s;
  }
  return out;
}

bool is_consumer_stack(std::string_view stack) {
  return std::find(std::begin(kStacks), std::end(kStacks), stack) != std::end(kStacks);
}

void check_consumer_stack(std::string_view stack, const mode_info& mode) {
  if (!is_consumer_stack(stack)) {
    throw usage_error("--consumer-stack: expected " + consumer_stack_names() + ", got '" +
                      std::string(stack) + "'");
  }
  if (stack == "beast" || mode.make_httplib) return;
  std::string served;
  for (const auto& m : delivery_modes()) {
    if (m.make_httplib) served += (served.empty() ? "" : "|") + m.name;
  }
  throw usage_error("--consumer-stack " + std::string(stack) + " serves --mode " + served +
                    ", not --mode " + mode.name);
}

std::unique_ptr<delivery_mode> make_strategy(const mode_info& mode, mode_context& ctx) {
  check_consumer_stack(ctx.config.stack, mode);
  return ctx.config.stack == "beast" ? mode.make(ctx) : mode.make_httplib(ctx);
}

}  // namespace hookbench
