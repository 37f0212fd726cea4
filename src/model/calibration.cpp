// Reading and writing calibration.json (model/calibration.hpp).
#include "model/calibration.hpp"

#include <fstream>
#include <stdexcept>

#include "reference_calibration.hpp"  // generated: kReferenceCalibration (src/CMakeLists.txt)

namespace hookbench {
namespace {

using json = nlohmann::json;

// The fields of mode_constants by name, once for both directions.
template <class F>
void each_field(mode_constants& m, F&& f) {
  f("lag_us", m.lag_us);
  f("base_mean_us", m.base_mean_us);
  f("wake_us", m.wake_us);
  f("hot_lag_us", m.hot_lag_us);
  f("hot_base_mean_us", m.hot_base_mean_us);
  f("hot_wake_us", m.hot_wake_us);
  f("delivery_cost_us", m.delivery_cost_us);
  f("overhead_bytes", m.overhead_bytes);
  f("event_bytes", m.event_bytes);
  f("producer_us_per_request", m.producer_us_per_request);
  f("producer_us_per_event", m.producer_us_per_event);
  f("consumer_us_per_request", m.consumer_us_per_request);
  f("consumer_us_per_event", m.consumer_us_per_event);
  f("producer_idle_cores", m.producer_idle_cores);
  f("consumer_idle_cores", m.consumer_idle_cores);
  f("producer_base_rss_bytes", m.producer_base_rss_bytes);
  f("memory_per_subscriber_bytes", m.memory_per_subscriber_bytes);
  f("spread", m.spread);
}

double number(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) {
    throw std::runtime_error(where + ": '" + key + "' is missing or not a number");
  }
  return it->get<double>();
}

}  // namespace

const mode_constants& calibration::of(const std::string& mode) const {
  auto it = modes.find(mode);
  if (it == modes.end()) {
    throw std::out_of_range("calibration " + source + " has no constants for mode " + mode);
  }
  return it->second;
}

json to_json(const calibration& c) {
  json modes = json::object();
  for (auto [name, m] : c.modes) {
    json o = json::object();
    each_field(m, [&](const char* key, double& v) { o[key] = v; });
    o["base_quantiles_us"] = m.base_quantiles_us;
    o["hot_base_quantiles_us"] = m.hot_base_quantiles_us;
    modes[name] = std::move(o);
  }
  return {{"schema", kCalibrationSchema},
          {"created", c.created},
          {"duration_s", c.duration_s},
          {"network", "loopback"},
          {"loopback_rtt_us", c.loopback_rtt_us},
          {"rate", c.rate},
          {"hot_rate", c.hot_rate},
          {"hot_lag_us", c.hot_lag_us},
          {"payload_bytes", c.payload_bytes},
          {"fan_out_subscribers", c.fan_out_subscribers},
          {"modes", std::move(modes)},
          {"validated", c.validated},
          {"environment", c.environment}};
}

namespace {

calibration read_document(const json& j, const std::string& source);

}  // namespace

calibration calibration_from_json(const json& j, const std::string& source) {
  try {
    return read_document(j, source);
  } catch (const json::exception& e) {
    throw std::runtime_error(source + ": not a calibration (" + e.what() + ")");
  }
}

namespace {

calibration read_document(const json& j, const std::string& source) {
  if (!j.is_object() || j.value("schema", std::string()) != kCalibrationSchema) {
    throw std::runtime_error(source + ": not a calibration (schema " + kCalibrationSchema +
                             " expected)");
  }
  calibration c;
  c.source = source;
  c.environment = j.value("environment", json::object());
  c.created = j.value("created", std::string());
  c.duration_s = number(j, "duration_s", source);
  c.loopback_rtt_us = number(j, "loopback_rtt_us", source);
  c.rate = number(j, "rate", source);
  c.hot_rate = number(j, "hot_rate", source);
  c.hot_lag_us = number(j, "hot_lag_us", source);
  c.payload_bytes = number(j, "payload_bytes", source);
  c.fan_out_subscribers = number(j, "fan_out_subscribers", source);
  if (!(c.rate > 0) || !(c.loopback_rtt_us > 0) || c.hot_rate < 0 || c.payload_bytes < 0) {
    throw std::runtime_error(source + ": rate and loopback_rtt_us must be positive");
  }
  c.validated = j.value("validated", json::object());
  const json& modes = j.at("modes");
  if (!modes.is_object() || modes.empty()) throw std::runtime_error(source + ": no modes");
  for (const auto& item : modes.items()) {
    // Not a structured binding: clang 14 cannot capture one in the lambda below.
    const std::string& name = item.key();
    const json& o = item.value();
    mode_constants m;
    const std::string where = source + ": mode " + name;
    each_field(m, [&](const char* key, double& v) {
      v = number(o, key, where);
      if (v < 0) throw std::runtime_error(where + ": '" + key + "' is negative");
    });
    if (o.contains("base_quantiles_us")) {
      m.base_quantiles_us = o.at("base_quantiles_us").get<std::vector<double>>();
    }
    if (o.contains("hot_base_quantiles_us")) {
      m.hot_base_quantiles_us = o.at("hot_base_quantiles_us").get<std::vector<double>>();
    }
    for (const auto* q : {&m.base_quantiles_us, &m.hot_base_quantiles_us}) {
      if (!q->empty() && q->size() != 101) {
        throw std::runtime_error(where + ": base quantiles must hold 101 values");
      }
    }
    c.modes.emplace(name, std::move(m));
  }
  return c;
}

}  // namespace

calibration read_calibration(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the calibration");
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(path + ": not valid JSON");
  return calibration_from_json(j, path);
}

const calibration& reference_calibration() {
  static const calibration c = [] {
    if (std::string_view(kReferenceCalibration).empty()) {
      throw std::runtime_error(
          "this build has no reference calibration (results/calibration/calibration.json was "
          "missing when it was built): run `hookbench calibrate` and pass --calibration FILE");
    }
    calibration r = calibration_from_json(json::parse(kReferenceCalibration), "built-in reference");
    return r;
  }();
  return c;
}

}  // namespace hookbench
