// The registry of delivery modes (one line per mode), and which stack runs a mode's strategy.
#include "consumer/delivery_mode.hpp"

#include <algorithm>
#include <iterator>

#include "consumer/httplib_stack.hpp"
#include "consumer/poll_mode.hpp"
#include "consumer/webhook_mode.hpp"

namespace hookbench {

nlohmann::json consumer_config::to_json() const {
  return {{"producer", producer.to_string()},
          {"mode", mode},
          {"subscribers", subscribers},
          {"interval_ms", to_ms(interval)},
          {"poll_limit", poll_limit},
          {"listen", listen.to_string()},
          {"request_timeout_s", to_s(request_timeout)},
          {"drain_s", to_s(drain)},
          {"stack", stack}};
}

template <class Mode>
static std::unique_ptr<delivery_mode> make(mode_context& ctx) {
  return std::make_unique<Mode>(ctx);
}

const std::vector<mode_info>& delivery_modes() {
  static const std::vector<mode_info> modes = {
      {"poll", "subscribers poll GET /events every --interval", true, "polls", make<poll_mode>,
       model_poll, make<httplib_poll_mode>},
      {"webhook", "the producer POSTs each event to each subscriber's receiver", false, "webhooks",
       make<webhook_mode>, model_webhook, make<httplib_webhook_mode>},
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
