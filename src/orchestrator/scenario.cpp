// Scenario parsing and validation, the cross product of its axes, and each point's window.
#include "orchestrator/scenario.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "core/parse.hpp"
#include "modes/mode.hpp"
#include "modes/tuning.hpp"

namespace hookbench {

constexpr std::uint64_t kSeedStridePerRate = 1009;
namespace {

using json = nlohmann::json;

std::string shown(const json& v) {
  std::string s = v.dump();
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

[[noreturn]] void bad(const std::string& field, const std::string& expected, const json& got) {
  throw usage_error(field + ": expected " + expected + ", got " + shown(got));
}

double number(const json& v, const std::string& field, double min, const char* expected) {
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < min) {
    bad(field, expected, v);
  }
  return v.get<double>();
}

std::int64_t integer(const json& v, const std::string& field, std::int64_t min, std::int64_t max) {
  std::string expected = "an integer from ";
  expected += std::to_string(min);
  expected += " to ";
  expected += std::to_string(max);
  if (!v.is_number_integer()) bad(field, expected, v);
  // Unsigned JSON numbers beyond int64 cannot be in range either.
  if (v.is_number_unsigned() &&
      v.get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    bad(field, expected, v);
  }
  const auto x = v.get<std::int64_t>();
  if (x < min || x > max) bad(field, expected, v);
  return x;
}

// A non-empty array without repeated values; `item` converts and checks one element.
template <class T, class F>
std::vector<T> list(const json& v, const std::string& field, F item) {
  if (!v.is_array() || v.empty()) bad(field, "a non-empty array", v);
  std::vector<T> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    T x = item(v[i], field + "[" + std::to_string(i) + "]");
    if (std::find(out.begin(), out.end(), x) != out.end()) {
      throw usage_error(field + "[" + std::to_string(i) + "]: " + shown(v[i]) + " appears twice");
    }
    out.push_back(x);
  }
  return out;
}

// Hands out the fields of one JSON object and, at the end, rejects the ones nobody asked for:
// a misspelt "rate" must not silently fall back to a default.
class fields {
 public:
  fields(const json& obj, std::string prefix) : obj_(obj), prefix_(std::move(prefix)) {
    if (!obj_.is_object()) bad(prefix_.empty() ? "scenario" : prefix_, "a JSON object", obj_);
  }
  const json* optional(const char* key) {
    known_.insert(key);
    auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &*it;
  }
  const json& required(const char* key) {
    const json* v = optional(key);
    if (!v) throw usage_error(name(key) + ": required");
    return *v;
  }
  std::string name(const char* key) const { return prefix_.empty() ? key : prefix_ + "." + key; }
  void reject_unknown() const {
    for (const auto& [key, value] : obj_.items()) {
      if (!known_.contains(key)) throw usage_error(name(key.c_str()) + ": unknown field");
    }
  }

 private:
  const json& obj_;
  std::string prefix_;
  std::set<std::string, std::less<>> known_;
};

std::string text(const json& v, const std::string& field) {
  if (!v.is_string()) bad(field, "a string", v);
  return v.get<std::string>();
}

}  // namespace

std::string compact_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

namespace {

void parse_name(fields& f, const json& j, scenario& s) {
  s.name = text(f.required("name"), "name");
  // The name becomes the default results folder: keep it a plain file name.
  if (s.name.empty() || s.name.size() > 64 ||
      !std::all_of(s.name.begin(), s.name.end(),
                   [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                            c == '.';
                   }) ||
      s.name.front() == '.') {
    bad("name", "1-64 letters, digits, '-', '_' or '.' (not first)", j.at("name"));
  }
  if (const json* v = f.optional("description")) s.description = text(*v, "description");
}

std::string mode_item(const json& v, const std::string& n) {
  if (!v.is_string() || !find_mode(v.get<std::string>())) bad(n, "one of " + mode_names(), v);
  return v.get<std::string>();
}

double rate_item(const json& v, const std::string& n) {
  const double r = number(v, n, 0, "a rate > 0 (events/s)");
  if (r <= 0) bad(n, "a rate > 0 (events/s)", v);
  return r;
}

double interval_item(const json& v, const std::string& n) {
  return number(v, n, 1, "an interval of at least 1 (ms)");
}

double rtt_item(const json& v, const std::string& n) {
  const double r = number(v, n, 0, "a round trip >= 0 (ms)");
  if (r > 10'000) bad(n, "a round trip of at most 10000 ms", v);
  return r;
}

bool any_pull(const std::vector<std::string>& modes) {
  return std::any_of(modes.begin(), modes.end(),
                     [](const std::string& m) { return mode_of(m).pull; });
}

// The sweep's axes: modes, rates, intervals, subscribers, payloads, repeats.
void parse_axes(fields& f, scenario& s) {
  s.modes = list<std::string>(f.required("modes"), "modes", mode_item);
  s.rates = list<double>(f.required("rates"), "rates", rate_item);
  if (const json* v = f.optional("intervals_ms")) {
    s.intervals_ms = list<double>(*v, "intervals_ms", interval_item);
  } else if (any_pull(s.modes)) {
    throw usage_error("intervals_ms: required when modes has a poll mode");
  }
  if (const json* v = f.optional("subscribers")) {
    s.subscribers = list<std::size_t>(*v, "subscribers", [](const json& x, const std::string& n) {
      return static_cast<std::size_t>(integer(x, n, 1, 100'000));
    });
  }
  if (const json* v = f.optional("payload_bytes")) {
    s.payload_bytes =
        list<std::size_t>(*v, "payload_bytes", [](const json& x, const std::string& n) {
          return static_cast<std::size_t>(integer(x, n, 0, 1 << 20));
        });
  }
  if (const json* v = f.optional("repeats"))
    s.repeats = static_cast<int>(integer(*v, "repeats", 1, 1000));
}

// How every run goes: arrivals, seed, warm-up, drain, the minimum a point must reach, pinning.
void parse_run_settings(fields& f, scenario& s) {
  if (const json* v = f.optional("arrivals")) {
    try {
      s.arrivals = parse_arrival_kind(text(*v, "arrivals"));
    } catch (const usage_error& e) {
      if (std::string_view(e.what()).starts_with("arrivals:")) throw;
      throw usage_error(std::string("arrivals: ") + e.what());
    }
  }
  if (const json* v = f.optional("seed")) {
    s.seed = static_cast<std::uint64_t>(
        integer(*v, "seed", 0, std::numeric_limits<std::int64_t>::max() / 2));
  }
  if (const json* v = f.optional("warmup_s"))
    s.warmup_s = number(*v, "warmup_s", 0, "seconds >= 0");
  if (const json* v = f.optional("drain_s")) s.drain_s = number(*v, "drain_s", 0, "seconds >= 0");
  if (const json* v = f.optional("min_events")) {
    s.min_events = static_cast<std::uint64_t>(integer(*v, "min_events", 0, 1'000'000'000));
  }
  if (const json* v = f.optional("min_delivered")) {
    s.min_delivered = static_cast<std::uint64_t>(integer(*v, "min_delivered", 0, 1'000'000'000));
  }
  if (const json* v = f.optional("min_polls")) {
    s.min_polls = static_cast<std::uint64_t>(integer(*v, "min_polls", 0, 1'000'000'000));
  }
  if (const json* v = f.optional("min_duration_s")) {
    s.min_duration_s = number(*v, "min_duration_s", 0.1, "seconds >= 0.1");
  }
  if (const json* v = f.optional("max_point_s")) {
    s.max_point_s = number(*v, "max_point_s", 0.1, "seconds >= 0.1");
  }
  if (s.max_point_s < s.min_duration_s) {
    throw usage_error("max_point_s: " + compact_number(s.max_point_s) +
                      " is below min_duration_s " + compact_number(s.min_duration_s));
  }
  if (const json* v = f.optional("pin")) {
    if (!v->is_array() || v->size() != 2) bad("pin", "[producer core, consumer core]", *v);
    for (std::size_t i = 0; i < 2; ++i) {
      s.pin.push_back(
          static_cast<int>(integer((*v)[i], "pin[" + std::to_string(i) + "]", 0, 4095)));
    }
  }
}

void parse_tuning(const json& v, mode_tuning& tuning) {
  fields t(v, "tuning");
  auto ms = [](double m) { return static_cast<nanos>(std::llround(m * 1e6)); };
  if (const json* x = t.optional("backoff")) {
    tuning.backoff = number(*x, "tuning.backoff", 1, "a factor >= 1");
  }
  if (const json* x = t.optional("max_interval_ms")) {
    tuning.max_interval = ms(number(*x, "tuning.max_interval_ms", 1, "milliseconds >= 1"));
  }
  if (const json* x = t.optional("wait_ms")) {
    tuning.wait = ms(number(*x, "tuning.wait_ms", 1, "milliseconds >= 1"));
  }
  if (const json* x = t.optional("batch_window_ms")) {
    tuning.batch_window = ms(number(*x, "tuning.batch_window_ms", 1, "milliseconds >= 1"));
  }
  if (const json* x = t.optional("batch_max")) {
    tuning.batch_max = static_cast<std::size_t>(integer(*x, "tuning.batch_max", 1, 10'000));
  }
  t.reject_unknown();
}

std::vector<std::string> parse_faults(const json& v) {
  return list<std::string>(v, "faults", [](const json& x, const std::string& n) {
    const std::string e = text(x, n);
    try {
      parse_fault_list(e);
    } catch (const usage_error& err) {
      throw usage_error(n + ": " + err.what());
    }
    return e;
  });
}

// The round-trip block: its own round trips, modes, rates and (pull modes) intervals.
rtt_block parse_rtt_block(const json& v, const scenario& s) {
  fields b(v, "rtt");
  rtt_block rb;
  rb.rtts_ms = list<double>(b.required("rtt_ms"), "rtt.rtt_ms", rtt_item);
  rb.modes = list<std::string>(b.required("modes"), "rtt.modes", mode_item);
  rb.rates = list<double>(b.required("rates"), "rtt.rates", rate_item);
  rb.intervals_ms = s.intervals_ms;
  if (const json* x = b.optional("intervals_ms")) {
    rb.intervals_ms = list<double>(*x, "rtt.intervals_ms", interval_item);
  } else if (rb.intervals_ms.empty() && any_pull(rb.modes)) {
    throw usage_error("rtt.intervals_ms: required when rtt.modes has a poll mode");
  }
  b.reject_unknown();
  return rb;
}

trace_spec parse_trace(const json& v, const scenario& s) {
  fields t(v, "trace");
  trace_spec ts;
  ts.rate = number(t.required("rate"), "trace.rate", 0, "a rate > 0 (events/s)");
  if (ts.rate <= 0) bad("trace.rate", "a rate > 0 (events/s)", v.at("rate"));
  if (const json* x = t.optional("interval_ms")) {
    ts.interval_ms = number(*x, "trace.interval_ms", 1, "an interval of at least 1 (ms)");
  } else if (any_pull(s.modes)) {
    throw usage_error("trace.interval_ms: required when modes has a poll mode");
  }
  ts.duration_s = number(t.required("duration_s"), "trace.duration_s", 0.1, "seconds >= 0.1");
  if (ts.duration_s > 60)
    bad("trace.duration_s", "at most 60 s (a trace is a short run)", v.at("duration_s"));
  if (const json* x = t.optional("subscribers")) {
    ts.subscribers = static_cast<std::size_t>(integer(*x, "trace.subscribers", 1, 1000));
  }
  t.reject_unknown();
  return ts;
}

}  // namespace

namespace {

// What a sweep across hosts (the playbook's runs) cannot carry out: one line each.
void check_across_hosts(const scenario& s) {
  const auto refuse = [](const std::string& field, const std::string& why) {
    throw usage_error(field + ": not with an inventory (" + why + ")");
  };
  if (!s.pin.empty()) refuse("pin", "cores are the hosts' own");
  if (s.faults.size() != 1 || s.faults.front() != "none")
    refuse("faults", "faults are carried out by run on one host");
  if (s.rtt) refuse("rtt", "the hosts' own network is the link");
  if (s.rtts_ms.size() != 1 || s.rtts_ms.front() != 0)
    refuse("rtt_ms", "the hosts' own network is the link");
  if (s.trace) refuse("trace", "traces are merged by run on one host");
}

}  // namespace

scenario parse_scenario(const json& j) {
  scenario s;
  fields f(j, "");
  parse_name(f, j, s);
  parse_axes(f, s);
  parse_run_settings(f, s);
  if (const json* v = f.optional("tuning")) parse_tuning(*v, s.tuning);
  if (const json* v = f.optional("faults")) s.faults = parse_faults(*v);
  if (const json* v = f.optional("rtt_ms")) s.rtts_ms = list<double>(*v, "rtt_ms", rtt_item);
  if (const json* v = f.optional("rtt")) s.rtt = parse_rtt_block(*v, s);
  if (const json* v = f.optional("trace")) s.trace = parse_trace(*v, s);
  if (const json* v = f.optional("inventory")) {
    s.inventory = text(*v, "inventory");
    if (s.inventory.empty()) throw usage_error("inventory: an Ansible inventory's path, not \"\"");
  }
  if (const json* v = f.optional("playbook")) {
    if (s.inventory.empty()) throw usage_error("playbook: only with an inventory");
    s.playbook = text(*v, "playbook");
  }
  if (!s.inventory.empty()) check_across_hosts(s);
  f.reject_unknown();
  return s;
}

std::vector<fault_spec> parse_fault_list(const std::string& entry) {
  std::vector<fault_spec> faults;
  if (entry == "none") return faults;
  std::size_t start = 0;
  for (;;) {
    const auto comma = entry.find(',', start);
    faults.push_back(parse_fault(entry.substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  check_faults(faults);
  return faults;
}

std::string sweep_point::run_id() const {
  std::string id = mode + "-r" + compact_number(rate);
  if (pull) id += "-T" + compact_number(interval_ms);
  id += "-N" + std::to_string(subscribers) + "-p" + std::to_string(payload_bytes);
  if (rtt_ms > 0) id += "-R" + compact_number(rtt_ms);
  id += "-k" + std::to_string(repeat);
  if (fault != "none") {
    std::string f = fault;
    std::replace(f.begin(), f.end(), ':', '_');
    std::replace(f.begin(), f.end(), ',', '_');
    id += "-F" + f;
  }
  return id;
}

namespace {

// The cross product of these axes at repeat k, appended to `points`.
void expand_axes(const scenario& s, int k, double rtt_ms, const std::vector<std::string>& modes,
                 const std::vector<double>& rates, const std::vector<double>& intervals_ms,
                 const std::vector<std::string>& faults, std::vector<sweep_point>& points) {
  {
    for (const auto& mode : modes) {
      const bool pull = find_mode(mode)->pull;
      // A push point has no interval: one point per rate, not one per interval.
      const std::vector<double> intervals = pull ? intervals_ms : std::vector<double>{0};
      for (auto n : s.subscribers) {
        for (auto payload : s.payload_bytes) {
          for (double t : intervals) {
            for (std::size_t ri = 0; ri < rates.size(); ++ri) {
              for (const auto& fault : faults) {
                const auto specs = parse_fault_list(fault);
                if (!mode_of(mode).receiver &&
                    std::any_of(specs.begin(), specs.end(),
                                [](const fault_spec& f) { return is_receiver_fault(f.kind); })) {
                  continue;  // a receiver fault needs a webhook receiver
                }
                const double rate = rates[ri];
                sweep_point p;
                p.fault = fault;
                p.mode = mode;
                p.pull = pull;
                p.rate = rate;
                p.interval_ms = t;
                p.subscribers = n;
                p.payload_bytes = payload;
                p.repeat = k;
                // Each rate gets its own arrival sequence (one shared sequence stretched over
                // every rate would give all points the same sampling error); modes, intervals,
                // subscriber counts and faults at one rate share it, so they compare the same
                // events. A rate of the scenario's keeps its seed in the rtt block too.
                auto main_ri = static_cast<std::size_t>(
                    std::find(s.rates.begin(), s.rates.end(), rate) - s.rates.begin());
                if (main_ri == s.rates.size()) main_ri += ri;
                p.seed = s.seed + static_cast<std::uint64_t>(k) + kSeedStridePerRate * main_ri;
                p.arrivals = s.arrivals;
                p.rtt_ms = rtt_ms;
                points.push_back(std::move(p));
              }
            }
          }
        }
      }
    }
  }
}

}  // namespace

std::vector<sweep_point> expand_points(const scenario& s) {
  std::vector<sweep_point> points;
  for (int k = 0; k < s.repeats; ++k) {
    for (double rtt : s.rtts_ms)
      expand_axes(s, k, rtt, s.modes, s.rates, s.intervals_ms, s.faults, points);
    if (!s.rtt) continue;
    std::vector<sweep_point> block;
    for (double rtt : s.rtt->rtts_ms) {
      expand_axes(s, k, rtt, s.rtt->modes, s.rtt->rates, s.rtt->intervals_ms, {"none"}, block);
    }
    for (auto& p : block) {
      const auto id = p.run_id();
      if (std::none_of(points.begin(), points.end(),
                       [&](const sweep_point& q) { return q.run_id() == id; })) {
        points.push_back(std::move(p));
      }
    }
  }
  return points;
}

point_plan plan_point(const scenario& s, const sweep_point& p) {
  point_plan plan;
  const double n = static_cast<double>(p.subscribers);
  const double t_s = p.interval_ms / 1e3;
  const double for_events = static_cast<double>(s.min_events) / p.rate;
  const double for_deliveries = static_cast<double>(s.min_delivered) / (p.rate * n);
  const double for_polls = p.pull ? static_cast<double>(s.min_polls) * t_s / n : 0;
  const double needed = std::max({for_events, for_deliveries, for_polls});
  // Whole milliseconds, rounded up, so the window is what the name and the CSV say.
  double d = std::clamp(needed, s.min_duration_s, s.max_point_s);
  nanos fault_end = 0;
  const auto faults = parse_fault_list(p.fault);
  for (const auto& f : faults) fault_end = std::max(fault_end, f.end());
  if (!faults.empty()) d = std::max(d, to_s(fault_end) + 1);
  plan.duration_s = std::ceil(d * 1e3 - 1e-6) / 1e3;
  plan.expected_events = p.rate * plan.duration_s;
  plan.expected_deliveries = p.rate * n * plan.duration_s;
  plan.expected_polls = p.pull ? n * plan.duration_s / t_s : 0;
  // The last poll of the window answers within T of its end; a drain shorter than that would
  // count in-flight events as lost. The consumer stops draining as soon as all have arrived.
  plan.drain_s = to_s(fault_drain(
      effective_drain(std::llround(s.drain_s * 1e9),
                      s.tuning.longest_gap(mode_of(p.mode), std::llround(t_s * 1e9))),
      faults, std::llround(plan.duration_s * 1e9), retry_recovery(s.retry, p.mode, faults)));
  // Tolerance: a window that is the cap to the millisecond has reached what it could.
  if (needed > s.max_point_s + 1e-9) {
    plan.min_reached = false;
    std::vector<std::string> short_of;
    if (for_events > s.max_point_s) {
      short_of.push_back(compact_number(std::round(plan.expected_events)) + " events (min " +
                         std::to_string(s.min_events) + ")");
    }
    if (for_deliveries > s.max_point_s) {
      short_of.push_back(compact_number(std::round(plan.expected_deliveries)) +
                         " latency samples (min " + std::to_string(s.min_delivered) + ")");
    }
    if (for_polls > s.max_point_s) {
      short_of.push_back(compact_number(std::round(plan.expected_polls)) + " polls (min " +
                         std::to_string(s.min_polls) + ")");
    }
    std::string why;
    for (std::size_t i = 0; i < short_of.size(); ++i) {
      why += (i == 0 ? "" : (i + 1 == short_of.size() ? " and " : ", ")) + short_of[i];
    }
    plan.note = "minimum not reached: the window is capped at max_point_s = " +
                compact_number(s.max_point_s) + " s and expects " + why + "; it would need " +
                compact_number(std::ceil(needed * 10) / 10) + " s";
  }
  return plan;
}

run_config make_run_config(const scenario& s, const sweep_point& p, const point_plan& plan) {
  auto ns = [](double seconds) { return static_cast<nanos>(std::llround(seconds * 1e9)); };
  run_config cfg;
  cfg.mode = p.mode;
  cfg.generation.rate = p.rate;
  if (p.pull) cfg.interval = static_cast<nanos>(std::llround(p.interval_ms * 1e6));
  cfg.subscribers = p.subscribers;
  cfg.generation.duration = ns(plan.duration_s);
  cfg.generation.warmup = ns(s.warmup_s);
  cfg.drain = ns(plan.drain_s);
  cfg.generation.payload_bytes = p.payload_bytes;
  cfg.generation.seed = p.seed;
  cfg.generation.arrivals = p.arrivals;
  cfg.pin = s.pin;
  cfg.tuning = s.tuning;
  cfg.webhooks.signature = s.signature;
  cfg.faults = parse_fault_list(p.fault);
  cfg.webhooks.retry = s.retry;
  cfg.rtt = static_cast<nanos>(std::llround(p.rtt_ms * 1e6));
  if (cfg.rtt > 0 || s.link_jitter > 0 || s.link_bandwidth_bps > 0) {
    cfg.jitter = s.link_jitter;
    cfg.bandwidth_bps = s.link_bandwidth_bps;
  }
  cfg.quiet = true;
  return cfg;
}

double estimate_point_s(const scenario& s, const sweep_point& p, const point_plan& plan) {
  // Spawning both sides, the RTT probe and the readiness handshake cost about half a second on
  // a quiet machine; the drain usually ends with the last poll, T/2 after the window on average.
  constexpr double kStartupS = 1.0;  // includes both sides' idle baselines
  const double tail = p.pull ? p.interval_ms / 1e3 / 2 + 0.05 : 0.05;
  // Through a link: the probes (about 30 round trips), readiness and the last delivery.
  // Across hosts, the playbook's own steps (ssh, copies, starts and stops): about 40 s.
  const double deploy = s.inventory.empty() ? 0.0 : 40.0;
  return kStartupS + deploy + s.warmup_s + plan.duration_s + tail + 35 * p.rtt_ms / 1e3;
}

std::vector<sweep_point> trace_points(const scenario& s) {
  std::vector<sweep_point> out;
  if (!s.trace) return out;
  for (const auto& mode : s.modes) {
    sweep_point tp;
    tp.mode = mode;
    tp.pull = find_mode(mode)->pull;
    tp.rate = s.trace->rate;
    tp.interval_ms = tp.pull ? s.trace->interval_ms : 0;
    tp.subscribers = s.trace->subscribers;
    tp.payload_bytes = s.payload_bytes.front();
    tp.seed = s.seed;
    tp.arrivals = s.arrivals;
    out.push_back(tp);
  }
  return out;
}

point_plan trace_plan(const scenario& s, const sweep_point& p) {
  point_plan pl = plan_point(s, p);
  pl.duration_s = s.trace ? s.trace->duration_s : pl.duration_s;
  pl.expected_events = p.rate * pl.duration_s;
  pl.expected_deliveries = pl.expected_events * static_cast<double>(p.subscribers);
  pl.min_reached = true;  // a trace is for the timeline chart, not for statistics
  pl.note.clear();
  return pl;
}

double planned_sweep_s(const scenario& s) {
  double total = 0;
  for (const auto& p : expand_points(s)) total += estimate_point_s(s, p, plan_point(s, p));
  for (const auto& p : trace_points(s)) total += estimate_point_s(s, p, trace_plan(s, p));
  return total;
}

}  // namespace hookbench
