// The registry of delivery modes: one descriptor per mode.
#include "modes/mode.hpp"

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/cli.hpp"
#include "core/enum_names.hpp"
#include "core/parse.hpp"

namespace hookbench {

namespace {

constexpr auto kDesignGaps =
    make_enum_names<design_gap>({{design_gap::none, "none"},
                                 {design_gap::interval, "interval"},
                                 {design_gap::adaptive_cap, "adaptive_cap"},
                                 {design_gap::batch_window, "batch_window"}});

constexpr const char* kStreamClaim =
    "hold{s} one connection per subscriber and send{s} no request per event; the latency is "
    "about G + R/2, the one-way trip.";

// Each entry names the fields it sets; the rest keep the defaults of mode_descriptor, on purpose
// (g++ would warn of every field a designated initializer leaves out).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
std::vector<mode_descriptor> make_registry() {
  const std::vector<std::string> all_stacks = {"beast", "httplib", "httplib-nodelay"};
  const std::vector<std::string> beast = {"beast"};
  std::vector<mode_descriptor> m;
  m.push_back({.name = "poll",
               .summary = "subscribers poll GET /events every --interval",
               .family = "poll",
               .pull = true,
               .producer_side = "polls",
               .gap = design_gap::interval,
               .request_kinds = {"poll"},
               .model = model_poll,
               .simulation = sim_design::poll,
               .reference = "pull",
               .palette = {{"Blues"}, "o"},
               .stacks = all_stacks});
  m.push_back({.name = "poll-conditional",
               .summary = "polls carry If-None-Match: nothing new is 304 Not Modified with no body",
               .family = "poll",
               .pull = true,
               .producer_side = "polls",
               .gap = design_gap::interval,
               .request_kinds = {"poll"},
               .model = model_poll,
               .simulation = sim_design::poll,
               .model_claim = "polls like poll (the same latency and requests in the model); an "
                              "unchanged answer is a 304 with no body, so its bytes follow the "
                              "run's own per-exchange overhead.",
               .variation = mode_variation{"poll", "bytes_per_event"},
               .palette = {{"Greens"}, "s"},
               .stacks = beast});
  m.push_back({.name = "poll-adaptive",
               .summary = "the interval grows by --backoff after each empty poll (to "
                          "--max-interval) and resets to --interval when events come",
               .family = "poll",
               .pull = true,
               .producer_side = "polls",
               .gap = design_gap::adaptive_cap,
               .knobs = {"--backoff", "--max-interval"},
               .request_kinds = {"poll"},
               .model = model_poll_adaptive,
               .simulation = sim_design::poll_adaptive,
               .model_claim = "is a Markov chain over the intervals T, Tb, Tb², … up to the cap: "
                              "an empty poll moves one step up, a poll with events back to T; "
                              "its polls per second and latency follow from the chain's "
                              "stationary distribution.",
               .variation = mode_variation{"poll", "requests_per_event"},
               .palette = {{"#f0d9b5", "#8c5a2b", "#3b2108"}, "D"},
               .stacks = beast});
  m.push_back({.name = "long-poll",
               .summary = "each subscriber keeps one GET /events?wait= parked at the producer, "
                          "answered when an event arrives (or empty after --wait) and sent again "
                          "at once",
               .family = "long-poll",
               .producer_side = "polls",
               .knobs = {"--wait"},
               .request_kinds = {"long_poll"},
               .model = model_long_poll,
               .simulation = sim_design::long_poll,
               .model_claim = "sends about one request per event while λR ≪ 1, batching as λR "
                              "grows; its latency is about G + R/2 (plus R/2 for the events that "
                              "arrive during a round trip).",
               .palette = {{"Purples"}, "v"},
               .stacks = beast});
  m.push_back({.name = "sse",
               .summary = "each subscriber holds one text/event-stream (GET /stream), one message "
                          "per event; it resumes with Last-Event-ID after a drop",
               .family = "stream",
               .producer_side = "streams",
               .request_kinds = {"sse_connect"},
               .model = model_stream,
               .simulation = sim_design::stream,
               .model_claim = kStreamClaim,
               .palette = {{"RdPu"}, "^"},
               .stacks = beast});
  m.push_back({.name = "websocket",
               .summary = "each subscriber holds one WebSocket (GET /ws), one text message per "
                          "event; it resumes with ?after= its last id after a drop",
               .family = "stream",
               .producer_side = "websockets",
               .request_kinds = {"ws_connect"},
               .model = model_stream,
               .simulation = sim_design::stream,
               .model_claim = kStreamClaim,
               .palette = {{"Greys"}, "P"},
               .stacks = beast});
  m.push_back({.name = "webhook",
               .summary = "the producer POSTs each event to each subscriber's receiver",
               .family = "webhook",
               .producer_side = "webhooks",
               .receiver = true,
               .knobs = {"--ack"},
               .request_kinds = {"webhook_post"},
               .model = model_webhook,
               .simulation = sim_design::webhook,
               .reference = "push",
               .palette = {{"Oranges"}, "p"},
               .stacks = all_stacks});
  m.push_back({.name = "webhook-batch",
               .summary = "the producer POSTs each subscriber its events in batches: at most "
                          "--batch-window after a batch's first event, at most --batch-max events",
               .family = "webhook",
               .producer_side = "webhooks",
               .receiver = true,
               .gap = design_gap::batch_window,
               .knobs = {"--batch-window", "--batch-max", "--ack"},
               .request_kinds = {"webhook_post"},
               .model = model_webhook_batch,
               .simulation = sim_design::webhook_batch,
               .model_claim = "sends a batch W after its first event (sooner when it is full): "
                              "1/(1 + λW) requests per event and a latency of about G + R_post + "
                              "W(1 + λW/2)/(1 + λW), so about R + W/2 once λW ≫ 1.",
               .variation = mode_variation{"webhook", "requests_per_event"},
               .palette = {{"Reds"}, "X"},
               .stacks = beast});
  return m;
}
#pragma GCC diagnostic pop

}  // namespace

bool mode_descriptor::uses_knob(std::string_view flag) const {
  return std::find(knobs.begin(), knobs.end(), flag) != knobs.end();
}

bool mode_descriptor::carried_by(std::string_view stack) const {
  return std::find(stacks.begin(), stacks.end(), stack) != stacks.end();
}

nlohmann::json mode_descriptor::to_json() const {
  nlohmann::json j{
      {"name", name},
      {"summary", summary},
      {"family", family},
      {"pull", pull},
      {"producer_side", producer_side},
      {"receiver", receiver},
      {"design_gap", kDesignGaps.name(gap)},
      {"knobs", knobs},
      {"request_kinds", request_kinds},
      {"reference", reference.empty() ? nlohmann::json(nullptr) : nlohmann::json(reference)},
      {"model_claim", model_claim.empty() ? nlohmann::json(nullptr) : nlohmann::json(model_claim)},
      {"variation_of", nullptr},
      {"palette", nlohmann::json{{"cmap", palette.cmap}, {"marker", palette.marker}}},
      {"stacks", stacks}};
  if (variation) j["variation_of"] = {{"mode", variation->of}, {"saves", variation->saves}};
  return j;
}

const std::vector<mode_descriptor>& delivery_modes() {
  static const std::vector<mode_descriptor> modes = make_registry();
  return modes;
}

const mode_descriptor* find_mode(std::string_view name) {
  for (const auto& m : delivery_modes()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const mode_descriptor& mode_of(std::string_view name) {
  if (const auto* m = find_mode(name)) return *m;
  throw std::logic_error("no delivery mode '" + std::string(name) + "'");
}

std::string mode_names() {
  std::string out;
  for (const auto& m : delivery_modes()) out += (out.empty() ? "" : "|") + m.name;
  return out;
}

nlohmann::json modes_json() {
  auto list = nlohmann::json::array();
  for (const auto& m : delivery_modes()) list.push_back(m.to_json());
  return list;
}

namespace {
constexpr std::string_view kStacks[] = {"beast", "httplib", "httplib-nodelay"};
}

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

void check_consumer_stack(std::string_view stack, const mode_descriptor& mode) {
  if (!is_consumer_stack(stack)) {
    throw usage_error("--consumer-stack: expected " + consumer_stack_names() + ", got '" +
                      std::string(stack) + "'");
  }
  if (mode.carried_by(stack)) return;
  std::string served;
  for (const auto& m : delivery_modes()) {
    if (m.carried_by(stack)) served += (served.empty() ? "" : "|") + m.name;
  }
  throw usage_error("--consumer-stack " + std::string(stack) + " serves --mode " + served +
                    ", not --mode " + mode.name);
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

}  // namespace hookbench
