// Flattening a run's result JSON into one runs.csv row.
#include "orchestrator/runs_csv.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "core/parse.hpp"
#include "model/model.hpp"
#include "modes/mode.hpp"
#include "modes/tuning.hpp"
#include "producer/arrivals.hpp"

namespace hookbench {
namespace {

using json = nlohmann::json;

// Shortest text that reads back as the same double (nlohmann's round-trip formatting).
std::string num(double v) { return json(v).dump(); }

// The value at a path of keys, or nullptr when any step is missing.
const json* at_path(const json& j, std::initializer_list<const char*> path) {
  const json* v = &j;
  for (const char* key : path) {
    if (!v->is_object()) return nullptr;
    auto it = v->find(key);
    if (it == v->end()) return nullptr;
    v = &*it;
  }
  return v;
}

// A scalar JSON value as text: numbers in their shortest form, null (or anything else) empty.
std::string text_of(const json& v) {
  if (v.is_number_integer()) return v.dump();
  if (v.is_number()) return num(v.get<double>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_string()) return v.get<std::string>();
  return "";
}

// A JSON value as a cell: numbers as numbers, null or absent as an empty cell.
std::string cell(const json& j, std::initializer_list<const char*> path) {
  const json* v = at_path(j, path);
  return v ? text_of(*v) : "";
}

// A flat JSON object as one cell, "key=value;key=value" with the keys sorted (nlohmann's
// objects iterate in key order); empty when absent or empty.
std::string key_values(const json& j, std::initializer_list<const char*> path) {
  const json* v = at_path(j, path);
  std::string out;
  if (!v || !v->is_object()) return out;
  for (const auto& [key, value] : v->items()) {
    if (!out.empty()) out += ';';
    out += key + "=" + text_of(value);
  }
  return out;
}

// One end of a [lo, hi] interval, or an empty cell.
std::string ci(const json& j, std::initializer_list<const char*> path, int end) {
  const json* v = at_path(j, path);
  return v && v->is_array() && v->size() == 2 ? num(v->at(end).get<double>()) : "";
}

// A row in the making: one cell per column, in runs_csv_columns()'s order.
class row_cells {
 public:
  void add(std::string text) { cells_.push_back(std::move(text)); }
  // The cell at `group`.key of `j`, for each key in turn.
  void add_under(const json& j, const char* group, std::initializer_list<const char*> keys) {
    for (const char* key : keys) add(cell(j, {group, key}));
  }
  // `group`.producer.key, then `group`.consumer.key.
  void add_sides(const json& j, const char* group, const char* key) {
    add(cell(j, {group, "producer", key}));
    add(cell(j, {group, "consumer", key}));
  }
  // The cells as one CSV line, ending in "\n".
  std::string line() const {
    std::string row;
    for (std::size_t i = 0; i < cells_.size(); ++i) {
      std::string f = cells_[i];
      // A row is one line: resume and `wc -l` both rely on it.
      for (char& c : f) {
        if (c == '\n' || c == '\r') c = ' ';
      }
      if (i) row += ',';
      row += csv_field(f);
    }
    row += '\n';
    return row;
  }

 private:
  std::vector<std::string> cells_;
};

// run_id .. lambda_t: the point's own values, from the plan (known even when the run failed).
void add_point(row_cells& row, const std::string& scenario_name, const sweep_point& point,
               const point_plan& plan) {
  row.add(point.run_id());
  row.add(scenario_name);
  row.add(point.mode);
  row.add(num(point.rate));
  row.add(point.pull ? num(point.interval_ms) : "");
  row.add(std::to_string(point.subscribers));
  row.add(std::to_string(point.payload_bytes));
  row.add(to_string(point.arrivals));
  row.add(std::to_string(point.repeat));
  row.add(std::to_string(point.seed));
  row.add(num(plan.duration_s));
  row.add(point.pull ? num(point.lambda_t()) : "");
}

// produced .. model_empty_poll_fraction: the first version's measures.
void add_first_measures(row_cells& row, const json& m, const sweep_point& point, bool measured) {
  for (const char* key : {"produced", "expected", "delivered", "lost", "duplicates", "reordered"})
    row.add(cell(m, {key}));
  row.add(cell(m, {"latency_us", "count"}));
  const bool have_latency = measured && m.at("latency_us").value("count", 0) > 0;
  for (const char* key : {"p50", "p90", "p99", "p999", "max", "mean"})
    row.add(have_latency ? cell(m, {"latency_us", key}) : "");
  std::string low;
  if (measured) {
    for (const auto& name : m.at("latency_us").value("low_sample", json::array())) {
      if (!low.empty()) low += ';';
      low += name.get<std::string>();
    }
  }
  row.add(low);
  row.add_under(m, "requests",
                {"total", "polls", "empty_polls", "late_polls", "webhook_posts", "failed"});
  row.add(cell(m, {"requests_per_event"}));
  row.add(cell(m, {"empty_poll_fraction"}));
  row.add_under(m, "bytes", {"sent", "received"});
  row.add(cell(m, {"bytes_per_event"}));
  row.add_under(m, "cpu_s", {"producer", "consumer"});
  row.add_under(m, "cpu_us_per_event", {"producer", "consumer"});
  row.add(cell(m, {"rtt_us", "p50"}));
  row.add_under(m, "model", {"latency_mean_us", "requests_per_event"});
  row.add(point.pull ? cell(m, {"model", "empty_poll_fraction"}) : "");
}

// realised_rate .. clock_error_bound_us: schema 2's statistics, saturation, CPU cores, model
// agreement and clock.
void add_schema2_measures(row_cells& row, const json& m, const sweep_point& point, bool measured) {
  row.add(cell(m, {"realised_rate"}));
  row.add(ci(m, {"latency_us", "mean_ci95"}, 0));
  row.add(ci(m, {"latency_us", "mean_ci95"}, 1));
  row.add(ci(m, {"empty_poll_fraction_ci95"}, 0));
  row.add(ci(m, {"empty_poll_fraction_ci95"}, 1));
  row.add(cell(m, {"requests_per_s"}));
  row.add_sides(m, "cpu", "cores");
  row.add_sides(m, "cpu", "idle_cores");
  row.add_sides(m, "cpu", "net_us_per_event");
  row.add_under(m, "saturation", {"generator_lag_p99_us", "queue_depth_end", "drain_time_s"});
  row.add(cell(m, {"saturated"}));
  row.add(cell(m, {"saturated_reason"}));
  row.add(cell(m, {"model", "rtt_us"}));
  row.add(point.pull ? cell(m, {"model", "lambda_t"}) : (measured ? "0" : ""));
  row.add_under(m, "model",
                {"requests_per_s", "bytes_per_event", "latency_agreement", "latency_ratio"});
  row.add(point.pull ? cell(m, {"model", "empty_agreement"}) : "");
  row.add_under(m, "clock", {"offset_us", "error_bound_us"});
}

// consumer_stack .. link_rtt_measured_us: the stack and knobs, the requests by kind, the
// point's fault with its first fault's measures, and the link.
void add_later_measures(row_cells& row, const json& whole, const json& m, const sweep_point& point,
                        bool measured) {
  static const json empty = json::object();
  // A result from before the stack was recorded ran on the default one.
  row.add(measured && !at_path(whole, {"config", "consumer_stack"})
              ? "beast"
              : cell(whole, {"config", "consumer_stack"}));
  row.add(key_values(whole, {"config", "tuning"}));
  row.add(key_values(m, {"requests", "by_kind"}));
  row.add(point.fault == "none" ? "" : point.fault);
  const json* per_fault = at_path(m, {"faults", "per_fault"});
  const json& first_fault =
      per_fault && per_fault->is_array() && !per_fault->empty() ? per_fault->front() : empty;
  row.add(cell(first_fault, {"lost"}));
  row.add(cell(first_fault, {"duplicates"}));
  row.add_under(first_fault, "delay_us", {"p99", "max"});
  row.add(cell(first_fault, {"catch_up_s"}));
  for (const char* key : {"policy", "retry_requests", "dead_letters"})
    row.add(cell(m, {"faults", "retry", key}));
  row.add(num(point.rtt_ms));
  row.add(cell(whole, {"link", "round_trip_us", "through_link", "p50"}));
  row.add(cell(m, {"producer_memory", "window_start_rss_bytes"}));
  row.add(cell(m, {"producer_memory", "per_subscriber_bytes"}));
  row.add(cell(m, {"setup_s"}));
  row.add(cell(whole, {"config", "hosts"}));
}

}  // namespace

const std::vector<std::string>& runs_csv_columns() {
  static const std::vector<std::string> columns = {
      "run_id", "scenario", "mode", "rate", "interval_ms", "subscribers", "payload_bytes",
      "arrivals", "repeat", "seed", "duration_s", "lambda_t", "produced", "expected", "delivered",
      "lost", "duplicates", "reordered", "latency_count", "latency_p50_us", "latency_p90_us",
      "latency_p99_us", "latency_p999_us", "latency_max_us", "latency_mean_us",
      "latency_low_sample", "requests_total", "polls", "empty_polls", "late_polls", "webhook_posts",
      "failed", "requests_per_event", "empty_poll_fraction", "bytes_sent", "bytes_received",
      "bytes_per_event", "cpu_s_producer", "cpu_s_consumer", "cpu_us_per_event_producer",
      "cpu_us_per_event_consumer", "rtt_us", "model_latency_mean_us", "model_requests_per_event",
      "model_empty_poll_fraction", "min_reached", "note", "result_file",
      // schema 2: statistics, saturation, CPU cores
      "realised_rate", "latency_mean_ci95_lo_us", "latency_mean_ci95_hi_us",
      "empty_poll_fraction_ci95_lo", "empty_poll_fraction_ci95_hi", "requests_per_s",
      "cpu_cores_producer", "cpu_cores_consumer", "cpu_idle_cores_producer",
      "cpu_idle_cores_consumer", "cpu_us_per_event_net_producer", "cpu_us_per_event_net_consumer",
      "generator_lag_p99_us", "queue_depth_end", "drain_time_s", "saturated", "saturated_reason",
      "model_rtt_us", "model_lambda_t", "model_requests_per_s", "model_bytes_per_event",
      "model_latency_agreement", "model_latency_ratio", "model_empty_agreement", "clock_offset_us",
      "clock_error_bound_us",
      // the consumer's HTTP stack, the mode's knobs and the requests by kind
      "consumer_stack", "tuning", "requests_by_kind",
      // faults: the point's entry, then its first fault's measures (all in the run's JSON)
      "fault", "fault_lost", "fault_duplicates", "fault_delay_p99_us", "fault_delay_max_us",
      "fault_catch_up_s", "retry_policy", "retry_requests", "dead_letters",
      // the emulated link's round trip (0 = loopback) and the one measured through it
      "rtt_ms", "link_rtt_measured_us",
      // what the subscribers cost the producer in memory, and the consumer's setup time
      "producer_rss_bytes", "producer_bytes_per_subscriber", "setup_s",
      // the consumer hosts of a run across hosts (empty: one host)
      "hosts"};
  return columns;
}

std::string runs_csv_header() {
  std::string h;
  for (const auto& c : runs_csv_columns()) {
    if (!h.empty()) h += ',';
    h += c;
  }
  h += '\n';
  return h;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string runs_csv_row(const std::string& scenario_name, const sweep_point& point,
                         const point_plan& plan, const json* result, const std::string& note,
                         const std::string& result_file) {
  static const json empty = json::object();
  const json& m = result ? result->at("metrics") : empty;
  const json& whole = result ? *result : empty;
  const bool measured = result != nullptr;
  // The point's own values come from the plan; the measured ones from the result, so the row
  // and runs/<run_id>.json never disagree.
  row_cells row;
  add_point(row, scenario_name, point, plan);
  add_first_measures(row, m, point, measured);
  row.add(plan.min_reached ? "true" : "false");
  row.add(note);
  row.add(result_file);
  add_schema2_measures(row, m, point, measured);
  add_later_measures(row, whole, m, point, measured);
  return row.line();
}

std::string model_csv(const scenario& s, const std::vector<std::pair<sweep_point, json>>& results,
                      int points) {
  std::string out =
      "mode,interval_ms,subscribers,payload_bytes,rtt_us,rate,lambda_t,latency_mean_us,"
      "requests_per_s,requests_per_event,empty_poll_fraction,bytes_per_event\n";
  if (s.rates.empty()) return out;
  const double lo = *std::min_element(s.rates.begin(), s.rates.end()) / 3;
  const double hi = *std::max_element(s.rates.begin(), s.rates.end()) * 3;
  auto median = [](std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const auto n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  };
  // Series in the scenario's own order of modes, then by interval, subscribers, payload.
  using key = std::tuple<std::size_t, double, std::size_t, std::size_t>;
  struct inputs {
    std::string mode;
    bool pull = false;
    std::vector<double> rtt, lag, overhead, event, delivery_cost, wake;
  };
  std::map<key, inputs> series;
  for (const auto& [p, r] : results) {
    if (p.fault != "none") continue;  // the model is of undisturbed runs
    // The curves are over the rate on loopback; the rtt block's points are another axis.
    if (p.rtt_ms > 0) continue;
    const auto mode_at = static_cast<std::size_t>(
        std::find(s.modes.begin(), s.modes.end(), p.mode) - s.modes.begin());
    auto& in = series[{mode_at, p.pull ? p.interval_ms : 0.0, p.subscribers, p.payload_bytes}];
    in.mode = p.mode;
    in.pull = p.pull;
    const json& mo = r.at("metrics").at("model");
    in.rtt.push_back(mo.value("rtt_us", 0.0));
    in.lag.push_back(mo.value("lag_us", 0.0));
    in.delivery_cost.push_back(mo.value("delivery_cost_us", 0.0));
    if (mo.contains("wake_us") && mo.at("wake_us").is_number()) {
      in.wake.push_back(mo.at("wake_us").get<double>());
    }
    if (mo.value("overhead_bytes", 0.0) > 0) {
      in.overhead.push_back(mo.at("overhead_bytes").get<double>());
      in.event.push_back(mo.value("event_bytes", 0.0));
    }
  }
  for (const auto& [k, in] : series) {
    model_input mi;
    mi.arrivals = to_string(s.arrivals);
    mi.interval_s = std::get<1>(k) / 1e3;
    mi.subscribers = static_cast<double>(std::get<2>(k));
    mi.rtt_s = median(in.rtt) / 1e6;
    mi.lag_s = median(in.lag) / 1e6;
    mi.delivery_cost_s = median(in.delivery_cost) / 1e6;
    mi.wake_s = median(in.wake) / 1e6;
    mi.overhead_bytes = median(in.overhead);
    mi.event_bytes = median(in.event);
    apply_tuning(s.tuning.to_json(mode_of(in.mode), std::llround(std::get<1>(k) * 1e6)), mi);
    for (const auto& [rate, p] : model_curve(find_mode(in.mode)->model, mi, lo, hi, points)) {
      out += in.mode + "," + (in.pull ? num(std::get<1>(k)) : "") + "," +
             std::to_string(std::get<2>(k)) + "," + std::to_string(std::get<3>(k)) + "," +
             num(mi.rtt_s * 1e6) + "," + num(rate) + "," + num(p.lambda_t) + "," +
             (std::isfinite(p.latency_mean_us) ? num(p.latency_mean_us) : "") + "," +
             num(p.requests_per_s) + "," + num(p.requests_per_event) + "," +
             (in.pull ? num(p.empty_poll_fraction) : "") + "," +
             (p.bytes_per_event > 0 ? num(p.bytes_per_event) : "") + "\n";
    }
  }
  return out;
}

std::set<std::string> completed_run_ids(const std::string& csv_text) {
  std::set<std::string> ids;
  if (csv_text.empty()) return ids;
  const auto header_end = csv_text.find('\n');
  const std::string header = runs_csv_header();
  if (header_end == std::string::npos || csv_text.compare(0, header_end + 1, header) != 0) {
    throw usage_error("its header is not hookbench's runs.csv header (" +
                      std::to_string(runs_csv_columns().size()) + " columns starting with run_id)");
  }
  std::size_t pos = header_end + 1;
  // Only lines that end in a newline are complete rows; a torn last line is not a run.
  for (auto nl = csv_text.find('\n', pos); nl != std::string::npos;
       pos = nl + 1, nl = csv_text.find('\n', pos)) {
    const auto comma = csv_text.find(',', pos);
    if (comma == std::string::npos || comma > nl) continue;
    ids.insert(csv_text.substr(pos, comma - pos));
  }
  return ids;
}

}  // namespace hookbench
