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

nlohmann::json consumer_config::to_document() const {
  const mode_descriptor& info = mode_of(mode);
  nlohmann::json d{{"producer", producer.to_string()},
                   {"mode", mode},
                   {"subscribers", subscribers},
                   {"consumer-stack", stack},
                   {"signature", security::to_string(signature)},
                   {"timeout", exact_duration(request_timeout)},
                   {"drain", exact_duration(drain)},
                   {"linger", exact_duration(linger)},
                   {"start-timeout", exact_duration(start_timeout)},
                   {"producer-grace", exact_duration(producer_grace)}};
  if (info.pull) {
    d["interval"] = exact_duration(interval);
    d["poll-limit"] = poll_limit;
  } else {
    d["listen"] = listen.to_string();
    if (!advertise_host.empty()) {
      d["advertise"] =
          advertise_port ? host_port{advertise_host, advertise_port}.to_string() : advertise_host;
    }
  }
  for (auto [key, value] : {std::pair{"tls-ca", &tls_ca_file},
                            {"tls-cert", &tls_cert_file},
                            {"tls-key", &tls_key_file},
                            {"tap", &tap_path},
                            {"trace", &trace_path},
                            {"slots", &slots_path}}) {
    if (!value->empty()) d[key] = *value;
  }
  if (!tap_path.empty()) d["tap-every"] = tap_every;
  auto as_specs = [](const std::vector<fault_spec>& list) {
    auto specs = nlohmann::json::array();
    for (const auto& f : list) specs.push_back(f.to_string());
    return specs;
  };
  if (!faults.empty()) d["fault"] = as_specs(faults);
  if (!observed_faults.empty()) d["observe-fault"] = as_specs(observed_faults);
  if (!faults.empty() || !observed_faults.empty()) d["seed"] = seed;
  const auto knobs = tuning.to_args(info);
  for (std::size_t i = 0; i + 1 < knobs.size(); i += 2) d[knobs[i].substr(2)] = knobs[i + 1];
  return d;
}

}  // namespace hookbench
