// `hookbench sweep SCENARIO.json`: run every point of a scenario (one run_once() each), append
// one runs.csv row per run and keep each run's JSON beside it, show progress, resume an
// interrupted sweep, and record the scenario's short traced runs. Layout: docs/RESULTS.md.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "commands.hpp"
#include "core/cli.hpp"
#include "modes/mode.hpp"
#include "orchestrator/capacity_search.hpp"
#include "orchestrator/child_process.hpp"
#include "orchestrator/hosts.hpp"
#include "orchestrator/result.hpp"
#include "orchestrator/runner.hpp"
#include "orchestrator/runs_csv.hpp"
#include "orchestrator/scenario.hpp"

namespace hookbench {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  }
  return buf;
}

// "about 13 min" (or "about 40 s" below a minute): the sweep's planned wall time.
std::string planned_text(double seconds) {
  if (seconds < 60) return "about " + compact_number(std::ceil(seconds)) + " s";
  return "about " + compact_number(std::ceil(seconds / 60)) + " min";
}

std::string describe(const sweep_point& p, const point_plan& plan) {
  std::string d = p.mode + " rate " + compact_number(p.rate) + "/s";
  if (p.pull)
    d +=
        " T " + compact_number(p.interval_ms) + "ms (lambdaT " + compact_number(p.lambda_t()) + ")";
  d += " N " + std::to_string(p.subscribers) + " payload " + std::to_string(p.payload_bytes) +
       "B repeat " + std::to_string(p.repeat) + ", window " + compact_number(plan.duration_s) + "s";
  if (p.fault != "none") d += ", fault " + p.fault;
  if (p.rtt_ms > 0) d += ", RTT " + compact_number(p.rtt_ms) + "ms";
  return d;
}

// Written to a temporary name and renamed, so an interrupted write never leaves half a file.
void write_file(const fs::path& path, const std::string& content) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << content;
    f.close();
    if (!f) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

// runs.csv opened for appending; each row goes out in one write(2), so a Ctrl-C between rows (or
// even a crash) never leaves a torn row behind a complete one.
class csv_appender {
 public:
  explicit csv_appender(const fs::path& path) : path_(path.string()) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot open " + path_ + ": " + std::strerror(errno));
  }
  ~csv_appender() {
    if (fd_ >= 0) ::close(fd_);
  }
  csv_appender(const csv_appender&) = delete;
  csv_appender& operator=(const csv_appender&) = delete;
  void append(const std::string& line) {
    std::size_t done = 0;
    while (done < line.size()) {
      const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno));
      done += static_cast<std::size_t>(n);
    }
    ::fdatasync(fd_);
  }

 private:
  std::string path_;
  int fd_ = -1;
};

std::string read_all(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string short_summary(const json& r) {
  const auto& m = r.at("metrics");
  std::string s = "delivered " + m.at("delivered").dump() + "/" + m.at("expected").dump();
  const auto& lat = m.at("latency_us");
  if (lat.value("count", 0) > 0) {
    s += ", p50 " + compact_number(std::round(lat.at("p50").get<double>() / 10) / 100) + " ms";
    s += ", p99 " + compact_number(std::round(lat.at("p99").get<double>() / 10) / 100) + " ms";
  }
  if (m.at("requests_per_event").is_number()) {
    s += ", " + compact_number(std::round(m.at("requests_per_event").get<double>() * 1000) / 1000) +
         " requests/event";
  }
  return s;
}

// What sweep's flags ask for (the scenario itself is the file's).
struct sweep_options {
  std::string scenario_path, out_dir;
  bool resume = false, overwrite = false, quiet = false, dry_run = false, find_max = false;
  bool tls = false;
  capacity_options capacity;
  security::signature_scheme signature = security::signature_scheme::hmac;
  retry_options retry;
  run_config link;  // --rtt, --jitter, --bandwidth
};

void add_sweep_options(option_parser& p, sweep_options& o) {
  p.add("--out", "DIR", "results folder", "results/<scenario name>",
        [&](std::string_view v) { o.out_dir = std::string(v); })
      .add_switch("--resume", "skip the points already in DIR/runs.csv", [&] { o.resume = true; })
      .add_switch("--overwrite", "delete DIR's previous runs.csv, runs/ and trace.jsonl first",
                  [&] { o.overwrite = true; })
      .add_switch("--quiet", "no progress on stderr (errors and the final line are still printed)",
                  [&] { o.quiet = true; })
      .add_switch("--dry-run", "print each point's window and the estimated time; run nothing",
                  [&] { o.dry_run = true; })
      .add_switch("--tls", "every run over HTTPS, as run --tls (recorded as config.tls)",
                  [&] { o.tls = true; })
      .add_section("Capacity search:")
      .add_switch(
          "--find-max-rate",
          "instead of the points: find the highest rate each of the\n"
          "                            scenario's modes sustains (not saturated, nothing\n"
          "                            lost, p99 within --p99-bound), at its first interval,\n"
          "                            subscriber count and payload; writes DIR/max_rate.json",
          [&] { o.find_max = true; })
      .add("--p99-bound", "DURATION", "latency bound of a sustained rate (pull modes: T + this)",
           "10ms",
           [&](std::string_view v) {
             o.capacity.p99_bound_us = to_us(parse_duration(v));
             if (o.capacity.p99_bound_us <= 0) throw usage_error("must be greater than 0");
           })
      .add("--search-window", "DURATION", "measured window of each probe", "2s",
           [&](std::string_view v) {
             o.capacity.window_s = to_s(parse_duration(v));
             if (o.capacity.window_s < 0.5) throw usage_error("must be at least 500ms");
           })
      .add("--confirm-repeats", "N",
           "runs again at the found rate and the rate above (0..10;\n"
           "                            0: one run per rate, unconfirmed)",
           "3", [&](std::string_view v) {
             o.capacity.confirm_repeats = static_cast<int>(parse_int(v, 0, 10));
           });
  add_signature_option(p, o.signature, true);
  p.add_section("Webhook retries (every webhook run):");
  add_retry_options(p, o.retry);
  p.add_section("Network (default: loopback, or the scenario's rtt_ms and rtt block):");
  add_link_options(p, o.link);
}

// The scenario file, parsed, with the flags that override it; its raw JSON is kept beside the
// runs.
struct loaded_scenario {
  json raw;
  scenario sc;
};

loaded_scenario load_scenario(const option_parser& p, const sweep_options& o) {
  const std::string& path = o.scenario_path;
  std::ifstream in(path);
  if (!in) throw usage_error(path + ": cannot read");
  loaded_scenario l;
  try {
    l.raw = json::parse(in);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    throw usage_error(path + ": not valid JSON: " + what);
  }
  scenario& sc = l.sc;
  try {
    sc = parse_scenario(l.raw);
    sc.signature = o.signature;  // after the parse, which starts from a default scenario
    sc.retry = o.retry;
  } catch (const usage_error& e) {
    throw usage_error(path + ": " + e.what());
  }
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  for (std::size_t i = 0; i < sc.pin.size(); ++i) {
    if (sc.pin[i] >= cores) {
      throw usage_error(path + ": pin[" + std::to_string(i) + "]: core " +
                        std::to_string(sc.pin[i]) + " does not exist (this machine has " +
                        std::to_string(cores) + ")");
    }
  }
  if (p.given("--rtt")) {
    if (sc.rtt || sc.rtts_ms != std::vector<double>{0}) {
      throw usage_error("--rtt: " + path +
                        " has its own round trips (rtt_ms or an rtt block); not both");
    }
    sc.rtts_ms = {to_ms(o.link.rtt)};
  }
  sc.link_jitter = o.link.jitter;
  sc.link_bandwidth_bps = o.link.bandwidth_bps;
  return l;
}

// --find-max-rate: the capacity search of each mode, into DIR/max_rate.json.
int find_max_rates(const scenario& sc, const sweep_options& o) {
  if (o.resume || o.overwrite || o.dry_run) {
    throw usage_error(
        "--find-max-rate: runs on its own (not with --resume, --overwrite, --dry-run)");
  }
  fs::create_directories(o.out_dir);
  install_interrupt_handlers();
  json searches = json::array();
  for (const auto& mode : sc.modes) {
    try {
      searches.push_back(find_max_rate(sc, mode, o.capacity, [&](const std::string& line) {
        if (!o.quiet) std::cerr << "hookbench sweep: " << line << "\n";
      }));
    } catch (const run_failure& e) {
      std::cerr << "hookbench sweep: capacity search interrupted; nothing written\n";
      return e.code;
    }
    const auto& best = searches.back().at("max_sustained_rate");
    std::cerr << "hookbench sweep: " << mode << ": highest sustained rate "
              << (best.is_null() ? std::string("none found")
                                 : compact_number(best.get<double>()) + " events/s")
              << " (p99 <= "
              << compact_number(searches.back().at("p99_bound_us").get<double>() / 1e3)
              << " ms, nothing lost, not saturated)\n";
  }
  write_file(fs::path(o.out_dir) / "max_rate.json", searches.dump(2) + "\n");
  std::cerr << "hookbench sweep: wrote " << (fs::path(o.out_dir) / "max_rate.json").string()
            << "\n";
  return 0;
}

// --dry-run: each point's window and expected counts, and the planned time.
int dry_run(const scenario& sc, const std::string& out_dir) {
  const auto points = expand_points(sc);
  std::size_t short_points = 0;
  std::cout << "run_id,duration_s,expected_events,expected_deliveries,expected_polls,min_reached,"
               "note\n";
  for (const auto& pt : points) {
    const auto plan = plan_point(sc, pt);
    short_points += plan.min_reached ? 0 : 1;
    std::cout << pt.run_id() << "," << compact_number(plan.duration_s) << ","
              << compact_number(std::round(plan.expected_events)) << ","
              << compact_number(std::round(plan.expected_deliveries)) << ","
              << compact_number(std::round(plan.expected_polls)) << ","
              << (plan.min_reached ? "true" : "false") << "," << csv_field(plan.note) << "\n";
  }
  const double total = planned_sweep_s(sc);
  std::cerr << "hookbench sweep: " << sc.name << ": " << points.size() << " runs (" << sc.repeats
            << " repeats per point, " << short_points << " below their minimum)"
            << (sc.trace ? " + traced runs" : "") << ", " << planned_text(total) << " ("
            << clock_text(total) << ") -> " << out_dir << "\n";
  return 0;
}

// One sweep into its results folder: the rows, the model's curves and the traced runs.
class sweep_session {
 public:
  sweep_session(const sweep_options& o, const loaded_scenario& l, std::optional<hosts_target> hosts)
      : hosts_(std::move(hosts)),
        o_(o),
        sc_(l.sc),
        raw_(l.raw),
        dir_(o.out_dir),
        csv_(dir_ / "runs.csv"),
        runs_dir_(dir_ / "runs"),
        trace_file_(dir_ / "trace.jsonl") {}

  int run() {
    prepare_folder();
    plan();
    if (to_run_ == 0 && trace_points_.empty()) {
      std::cerr << "hookbench sweep: nothing to do: all " << points_.size() << " points are in "
                << csv_.string() << (sc_.trace ? " and the trace is recorded" : "") << "\n";
      return 0;
    }
    run_points();
    write_model();
    if (!interrupted_ && !trace_points_.empty() && !g_interrupted) run_traces();
    return summary();
  }

 private:
  void say(const std::string& s) const {
    if (!o_.quiet) std::cerr << "hookbench sweep: " << s << "\n";
  }

  // Estimated time left: the plan's remaining seconds, scaled by how the plan fared so far.
  std::string eta() const {
    const double elapsed = to_s(now_ns() - start_);
    const double factor = planned_done_ > 0 ? elapsed / planned_done_ : 1.0;
    return "elapsed " + clock_text(elapsed) + ", left ~" + clock_text(planned_left_ * factor);
  }

  void prepare_folder();
  void plan();
  void run_points();
  std::string run_point(const sweep_point& pt, const point_plan& plan);
  void write_model();
  void run_traces();
  int summary() const;

  const std::optional<hosts_target> hosts_;  // the scenario's inventory: runs across hosts
  const sweep_options& o_;
  const scenario& sc_;
  const json& raw_;
  const fs::path dir_, csv_, runs_dir_, trace_file_;
  std::set<std::string> done_;
  std::unique_ptr<csv_appender> rows_;
  std::vector<sweep_point> points_, trace_points_;
  std::vector<point_plan> plans_;
  double planned_left_ = 0, planned_done_ = 0;
  std::size_t to_run_ = 0, ran_ = 0, failed_ = 0, no_event_ = 0, short_points_ = 0;
  bool interrupted_ = false, trace_failed_ = false;
  nanos start_ = 0;
};

// The folder: cleared (--overwrite), resumed (--resume: its complete rows are done, a torn last
// line is cut) or new; the scenario and the modes' descriptors written beside the runs.
void sweep_session::prepare_folder() {
  if (fs::exists(csv_)) {
    if (o_.overwrite) {
      fs::remove(csv_);
      fs::remove_all(runs_dir_);
      fs::remove(trace_file_);
      fs::remove(dir_ / "model.csv");
      fs::remove(dir_ / "modes.json");
    } else if (!o_.resume) {
      throw usage_error("--out: " + csv_.string() +
                        " exists; --resume continues that sweep, --overwrite starts it again");
    } else {
      const std::string text = read_all(csv_);
      try {
        done_ = completed_run_ids(text);
      } catch (const usage_error& e) {
        throw usage_error("--resume: " + csv_.string() + ": " + e.what());
      }
      if (!text.empty() && text.back() != '\n') {
        const auto keep = text.rfind('\n');
        fs::resize_file(csv_, keep == std::string::npos ? 0 : keep + 1);
        std::cerr << "hookbench sweep: removed an incomplete last line from " << csv_.string()
                  << "\n";
      }
    }
  } else if (o_.overwrite) {
    fs::remove_all(runs_dir_);
    fs::remove(trace_file_);
  }
  fs::create_directories(runs_dir_);
  write_file(dir_ / "scenario.json", raw_.dump(2) + "\n");
  // The modes' descriptors, beside the runs: what the charts and the report read of each mode.
  write_file(dir_ / "modes.json", modes_json().dump(2) + "\n");
  rows_ = std::make_unique<csv_appender>(csv_);
  if (fs::file_size(csv_) == 0) rows_->append(runs_csv_header());
}

void sweep_session::plan() {
  points_ = expand_points(sc_);
  for (const auto& pt : points_) plans_.push_back(plan_point(sc_, pt));
  if (sc_.trace && !(o_.resume && fs::exists(trace_file_))) trace_points_ = trace_points(sc_);
  for (std::size_t i = 0; i < points_.size(); ++i) {
    if (done_.contains(points_[i].run_id())) continue;
    planned_left_ += estimate_point_s(sc_, points_[i], plans_[i]);
    ++to_run_;
  }
  for (const auto& tp : trace_points_) {
    planned_left_ += estimate_point_s(sc_, tp, trace_plan(sc_, tp));
  }
  install_interrupt_handlers();
  start_ = now_ns();
  say(sc_.name + ": " + std::to_string(points_.size()) + " runs (" + std::to_string(sc_.repeats) +
      " repeats per point), " + planned_text(planned_sweep_s(sc_)) + " planned" +
      (done_.empty()
           ? ""
           : ", " + std::to_string(points_.size() - to_run_) + " already in " + csv_.string()) +
      (trace_points_.empty() ? ""
                             : ", then " + std::to_string(trace_points_.size()) + " traced runs") +
      " -> " + dir_.string() + (done_.empty() ? "" : " (" + clock_text(planned_left_) + " left)"));
}

// One point: its run, its JSON beside runs.csv, its row (a failed run keeps its row, with the
// reason in the note). Throws run_failure only when interrupted.
std::string sweep_session::run_point(const sweep_point& pt, const point_plan& plan) {
  const std::string id = pt.run_id();
  try {
    run_config cfg = make_run_config(sc_, pt, plan);
    cfg.tls = o_.tls;
    json result = hosts_ ? run_across_hosts(cfg, *hosts_) : run_once(cfg);
    const std::string rel = "runs/" + id + ".json";
    result["sweep"] = {{"scenario", sc_.name},
                       {"run_id", id},
                       {"repeat", pt.repeat},
                       {"min_reached", plan.min_reached}};
    write_file(dir_ / rel, result.dump(2) + "\n");
    // A repeat without events has no mean to take part in the point's interval: it is an
    // error of the plan, kept with its JSON but never read as a sample.
    if (result.at("metrics").value("produced", 0) == 0) {
      ++failed_;
      ++no_event_;
      const std::string why =
          "no event in the window (produced 0); a repeat without events is "
          "not a sample";
      std::cerr << "hookbench sweep: " << id << " failed: " << why << "\n";
      return runs_csv_row(sc_.name, pt, plan, &result, "failed: " + why, rel);
    }
    std::string note = plan.note;
    auto warnings = result_warnings(result);
    for (const auto& w : warnings) note += (note.empty() ? "" : "; ") + w;
    say("    " + short_summary(result));
    for (const auto& w : warnings) say("    WARNING: " + w);
    return runs_csv_row(sc_.name, pt, plan, &result, note, rel);
  } catch (const run_failure& e) {
    if (e.code == kExitInterrupted || g_interrupted) throw;
    ++failed_;
    std::cerr << "hookbench sweep: " << id << " failed: " << e.what() << "\n";
    return runs_csv_row(sc_.name, pt, plan, nullptr, std::string("failed: ") + e.what(), "");
  } catch (const std::exception& e) {
    if (g_interrupted) throw run_failure("interrupted", kExitInterrupted);
    ++failed_;
    std::cerr << "hookbench sweep: " << id << " failed: " << e.what() << "\n";
    return runs_csv_row(sc_.name, pt, plan, nullptr, std::string("failed: ") + e.what(), "");
  }
}

void sweep_session::run_points() {
  for (std::size_t i = 0; i < points_.size(); ++i) {
    const auto& pt = points_[i];
    const auto& plan = plans_[i];
    if (done_.contains(pt.run_id())) continue;
    if (g_interrupted) {
      interrupted_ = true;
      return;
    }
    // Built piece by piece: g++ 12 -O3 misreads "[" + std::to_string(...) here (a false
    // -Wstringop-overflow).
    std::string progress = "[";
    progress += std::to_string(ran_ + 1);
    progress += '/';
    progress += std::to_string(to_run_);
    progress += "] ";
    progress += describe(pt, plan);
    progress += "; " + eta();
    say(progress);
    std::string row;
    try {
      row = run_point(pt, plan);
    } catch (const run_failure&) {
      interrupted_ = true;
      return;
    }
    rows_->append(row);
    ++ran_;
    if (!plan.min_reached) ++short_points_;
    const double estimate = estimate_point_s(sc_, pt, plan);
    planned_done_ += estimate;
    planned_left_ = std::max(0.0, planned_left_ - estimate);
  }
}

// The model's curves, from every result in the folder (this sweep's and resumed ones).
void sweep_session::write_model() {
  std::vector<std::pair<sweep_point, json>> results;
  for (const auto& pt : points_) {
    std::ifstream f(runs_dir_ / (pt.run_id() + ".json"));
    if (!f) continue;
    auto j = json::parse(f, nullptr, false);
    if (j.is_object() && j.contains("metrics")) results.emplace_back(pt, std::move(j));
  }
  if (!results.empty()) write_file(dir_ / "model.csv", model_csv(sc_, results));
}

// The traced runs: every mode into one file, each part opened by its header line.
void sweep_session::run_traces() {
  const fs::path tmp = trace_file_.string() + ".tmp";
  std::ofstream merged(tmp, std::ios::trunc);
  for (std::size_t i = 0; i < trace_points_.size() && !trace_failed_; ++i) {
    const auto& tp = trace_points_[i];
    const auto pl = trace_plan(sc_, tp);
    say("[trace " + std::to_string(i + 1) + "/" + std::to_string(trace_points_.size()) + "] " +
        describe(tp, pl) + "; " + eta());
    run_config cfg = make_run_config(sc_, tp, pl);
    const fs::path part = dir_ / ("trace." + tp.mode + ".part");
    cfg.trace = part.string();
    cfg.tls = o_.tls;
    try {
      run_once(cfg);
      merged << read_all(part);
    } catch (const run_failure& e) {
      if (e.code == kExitInterrupted || g_interrupted) interrupted_ = true;
      std::cerr << "hookbench sweep: traced " << tp.mode << " run failed: " << e.what() << "\n";
      trace_failed_ = true;
    } catch (const std::exception& e) {
      std::cerr << "hookbench sweep: traced " << tp.mode << " run failed: " << e.what() << "\n";
      trace_failed_ = true;
    }
    std::error_code ec;
    fs::remove(part, ec);
    const double estimate = estimate_point_s(sc_, tp, pl);
    planned_done_ += estimate;
    planned_left_ = std::max(0.0, planned_left_ - estimate);
  }
  merged.close();
  if (!trace_failed_ && merged) {
    fs::rename(tmp, trace_file_);
  } else {
    std::error_code ec;
    fs::remove(tmp, ec);
    trace_failed_ = true;
  }
}

int sweep_session::summary() const {
  const std::string elapsed = clock_text(to_s(now_ns() - start_));
  if (interrupted_) {
    std::cerr << "hookbench sweep: interrupted after " << ran_ << " of " << to_run_ << " points ("
              << elapsed << "); every row in " << csv_.string()
              << " is complete; `--resume` continues\n";
    return kExitInterrupted;
  }
  std::cerr << "hookbench sweep: " << ran_ << " runs in " << elapsed << " -> " << csv_.string()
            << (trace_points_.empty() || trace_failed_ ? "" : ", " + trace_file_.string());
  if (short_points_) {
    std::cerr << "; " << short_points_ << " below their minimum (min_reached=false)";
  }
  if (failed_) {
    std::cerr << "; " << failed_ << " FAILED (note column"
              << (no_event_ ? ", " + std::to_string(no_event_) + " of them without any event" : "")
              << ")";
  }
  if (trace_failed_) std::cerr << "; the trace was not recorded";
  std::cerr << "\n";
  return failed_ || trace_failed_ ? kExitFailure : 0;
}

}  // namespace

int sweep_main(int argc, char** argv) {
  sweep_options o;
  option_parser p(
      "hookbench sweep SCENARIO.json",
      "Runs every point of a scenario (bench/scenarios/*.json: modes x rates x poll intervals x\n"
      "subscribers x payload sizes x repeats), one `hookbench run` each, appending one row per "
      "run\n"
      "to DIR/runs.csv and keeping each run's JSON in DIR/runs/RUN_ID.json. With a \"trace\" "
      "block\n"
      "it also records DIR/trace.jsonl from one short run per mode. Ctrl-C stops after complete\n"
      "rows; --resume continues. Formats: docs/RESULTS.md.");
  add_sweep_options(p, o);
  if (!p.parse(argc, argv, &o.scenario_path)) return 0;
  if (p.given("--unsigned") && p.given("--signature")) {
    throw usage_error("--unsigned: means --signature none; give one of the two");
  }
  if (o.tls && o.find_max) {
    throw usage_error("--tls: not with --find-max-rate (its probes are plain)");
  }
  if (o.scenario_path.empty()) {
    throw usage_error("SCENARIO.json: required (e.g. hookbench sweep bench/scenarios/quick.json)");
  }
  if (o.resume && o.overwrite) throw usage_error("--resume and --overwrite: choose one");
  const loaded_scenario l = load_scenario(p, o);
  if (o.out_dir.empty()) o.out_dir = "results/" + l.sc.name;
  std::optional<hosts_target> hosts;
  if (!l.sc.inventory.empty()) {
    if (o.find_max) throw usage_error("--find-max-rate: not with an inventory (one host only)");
    if (o.tls) throw usage_error("--tls: not with an inventory (the run's certificate is local)");
    hosts = find_hosts(l.sc.inventory, l.sc.playbook);
    for (std::size_t n : l.sc.subscribers) {
      if (n % hosts->consumers != 0) {
        throw usage_error("subscribers: " + std::to_string(n) + " do not divide over the " +
                          std::to_string(hosts->consumers) + " consumer hosts of " +
                          l.sc.inventory);
      }
    }
  }
  if (o.find_max) return find_max_rates(l.sc, o);
  // A fault the runs cannot carry out is refused before anything runs.
  for (const auto& pt : expand_points(l.sc)) {
    check_fault_support(make_run_config(l.sc, pt, plan_point(l.sc, pt)));
  }
  if (o.dry_run) return dry_run(l.sc, o.out_dir);
  return sweep_session(o, l, hosts).run();
}

}  // namespace hookbench
