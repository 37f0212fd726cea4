// A calibration: the constants that the model and the simulation need for every mode, measured
// on one machine by `hookbench calibrate` (orchestrator/calibrate_command.cpp) and kept with
// the environment they came from. A prediction (model/predict.hpp) reads nothing else; a
// reference calibration is built into the binary (results/calibration/calibration.json) for
// users who have none.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hookbench {

inline constexpr const char* kCalibrationSchema = "hookbench-calibration/1";

// One mode's constants, all taken on loopback at the calibration's rate and payload.
struct mode_constants {
  double lag_us = 0;  // G: mean generator lag (scheduled -> sent)
  // The latency of one delivery to one subscriber with nothing queued (push) or beyond the
  // design's wait (pull: G + R0/2): its mean and its quantiles at 0.00, 0.01, ..., 1.00 (push
  // modes; empty for pull, where the wait dominates).
  double base_mean_us = 0;
  std::vector<double> base_quantiles_us;
  double wake_us = 0;  // D: generator to the first subscriber (push; 0 = not measured)
  // The same at calibration::hot_rate, where the threads never sleep between events (push):
  // a prediction interpolates between the two in log(rate).
  double hot_lag_us = 0, hot_base_mean_us = 0, hot_wake_us = 0;
  std::vector<double> hot_base_quantiles_us;
  double delivery_cost_us = 0;  // c: the fan-out's service time per delivery (push)
  double overhead_bytes = 0;    // bytes of one exchange (request + answer) that are not event data
  double event_bytes = 0;       // bytes of one event on the wire at the calibration's payload
  // CPU, net of idle upkeep: per request (a poll answer, a POST, a long-poll answer) and per
  // event delivered to one subscriber, on each side.
  double producer_us_per_request = 0, producer_us_per_event = 0;
  double consumer_us_per_request = 0, consumer_us_per_event = 0;
  double producer_idle_cores = 0, consumer_idle_cores = 0;
  double producer_base_rss_bytes = 0;      // the producer's resident memory with one subscriber
  double memory_per_subscriber_bytes = 0;  // growth of it per subscriber held
  // The relative half-width of the N = 1 mean's 95% interval (0.1 = 10%): a prediction scales
  // the machine terms by the larger of 1 + it and kMachineFactor.
  double spread = 0;
};

struct calibration {
  std::string source;              // the file it was read from, or "built-in reference"
  nlohmann::json environment;      // describe_environment() of the calibrating machine
  std::string created;             // ISO 8601, UTC
  double duration_s = 0;           // how long the calibration took
  double loopback_rtt_us = 0;      // R0: the back-to-back ping's p50 on loopback
  double rate = 0;                 // events/s of the calibration runs
  double hot_rate = 0;             // events/s of the push modes' hot runs (0: none)
  double hot_lag_us = 0;           // G at the hot rate: the median of the push modes'
  double payload_bytes = 0;        // payload of the calibration runs
  double fan_out_subscribers = 0;  // N of the runs that measured c
  std::map<std::string, mode_constants> modes;
  // Where predictions have been checked against measurements (hookbench validate
  // --update-calibration): per bound, the measured range; empty when never validated.
  nlohmann::json validated = nlohmann::json::object();

  const mode_constants& of(const std::string& mode) const;  // throws std::out_of_range
};

nlohmann::json to_json(const calibration& c);
// Throws std::runtime_error naming `source` and what is missing or malformed.
calibration calibration_from_json(const nlohmann::json& j, const std::string& source);
calibration read_calibration(const std::string& path);
// The reference calibration built into the binary (results/calibration/calibration.json of
// the tree it was built from).
const calibration& reference_calibration();

}  // namespace hookbench
