// The consumer's configuration as JSON (the report's "config").
#include "consumer/consumer_config.hpp"

namespace hookbench {

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
          {"tuning", tuning.to_json(mode_of(mode), interval)},
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

}  // namespace hookbench
