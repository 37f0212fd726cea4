// How well the model fits saved runs: each run's model recomputed from the inputs it recorded
// (metrics.model), repeats grouped into points, and each point judged on its repeats: the model's
// mean inside the 95% t-interval over the repeats' mean latencies, or within a tolerance of their
// mean. `hookbench model-check DIR...` prints it; a report, not a test (it exits 0).
#pragma once

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "measure/stats.hpp"
#include "model/model.hpp"

namespace hookbench {

// A number in a saved run's JSON object, or `fallback` when the key is absent or not a number.
double number_at(const nlohmann::json& obj, const char* key, double fallback = 0);

// The run results of a sweep's folder: DIR/runs/*.json, or DIR/*.json, sorted by name; files
// that are not run results (a capacity search, a trace) are skipped. Throws usage_error when
// DIR is no folder, a file is not JSON, or no run result is there.
std::vector<nlohmann::json> read_sweep_runs(const std::filesystem::path& dir);

// The model's inputs as a saved run recorded them. Runs from before the fan-out measures (no
// metrics.model.delivery_cost_us) fall back to the busier side's net CPU per delivery for push
// modes and no measured D; `fallback` says so (empty when nothing was filled in).
// `without_fan_out_measures` treats every run so: how much the in-run measures carry.
model_input recorded_model_input(const nlohmann::json& result, std::string& fallback,
                                 bool without_fan_out_measures = false);

// The model's mean latency for a saved run, recomputed with today's formulas (infinite when the
// model predicts no bound).
double recomputed_latency_us(const nlohmann::json& result, std::string& fallback,
                             bool without_fan_out_measures = false);

struct check_point {
  std::string mode;
  std::string label;               // "r=10 N=4 T=100ms rtt=50ms"
  std::vector<double> measured;    // each repeat's mean latency, us
  std::vector<double> model;       // each repeat's recomputed model, us
  std::vector<double> recorded;    // each repeat's model as the run recorded it (NaN: none)
  std::size_t fallback_runs = 0;   // repeats whose inputs were filled in (recorded_model_input)
  std::size_t saturated_runs = 0;  // repeats the run flagged saturated (metrics.saturated)
};

struct check_input {
  std::vector<check_point> points;  // in the order their first repeat came
  std::size_t fault_runs = 0;       // runs with faults: left out (the model is of undisturbed runs)
  std::size_t empty_runs = 0;       // repeats with no latency sample: no sample, left out
};

// Groups runs whose configuration differs only in the seed.
check_input group_points(const std::vector<nlohmann::json>& results,
                         bool without_fan_out_measures = false);

struct point_verdict {
  double measured_mean = 0, model_mean = 0;
  std::optional<ci_interval> interval;  // over the repeats; none with one repeat
  bool agrees = false;                  // model inside the interval or within the tolerance
  double ratio = 0;                     // measured / model; 0 when the model has no bound
};
// `use_recorded`: judge the model the runs recorded instead of the recomputed one (what the
// formulas said when the runs were made: the "before" of a change to them).
point_verdict judge(const check_point& p, double tolerance, bool use_recorded = false);

// Per mode, the fraction of points that agree (and beside it the fraction with the recorded
// model), then every point that misses with its size.
void print_model_check(std::ostream& out, const std::string& sweep, const check_input& in,
                       double tolerance);

}  // namespace hookbench
