// The registry of delivery modes: one line per mode.
#include "consumer/delivery_mode.hpp"

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
          {"drain_s", to_s(drain)}};
}

template <class Mode>
static std::unique_ptr<delivery_mode> make(mode_context& ctx) {
  return std::make_unique<Mode>(ctx);
}

const std::vector<mode_info>& delivery_modes() {
  static const std::vector<mode_info> modes = {
      {"poll", "subscribers poll GET /events every --interval", true, "polls", make<poll_mode>,
       model_poll},
      {"webhook", "the producer POSTs each event to each subscriber's receiver", false, "webhooks",
       make<webhook_mode>, model_webhook},
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

}  // namespace hookbench
