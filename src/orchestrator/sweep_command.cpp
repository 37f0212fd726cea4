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
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "core/cli.hpp"
#include "modes/mode.hpp"
#include "orchestrator/capacity_search.hpp"
#include "orchestrator/child_process.hpp"
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

// The scenario's traced runs: one per mode at the trace block's rate (and interval).
std::vector<sweep_point> trace_points_of(const scenario& sc) {
  std::vector<sweep_point> out;
  if (!sc.trace) return out;
  for (const auto& mode : sc.modes) {
    sweep_point tp;
    tp.mode = mode;
    tp.pull = find_mode(mode)->pull;
    tp.rate = sc.trace->rate;
    tp.interval_ms = tp.pull ? sc.trace->interval_ms : 0;
    tp.subscribers = sc.trace->subscribers;
    tp.payload_bytes = sc.payload_bytes.front();
    tp.seed = sc.seed;
    tp.arrivals = sc.arrivals;
    out.push_back(tp);
  }
  return out;
}

point_plan trace_plan(const scenario& sc, const sweep_point& tp) {
  point_plan pl = plan_point(sc, tp);
  pl.duration_s = sc.trace->duration_s;
  pl.min_reached = true;  // a trace is for the timeline chart, not for statistics
  pl.note.clear();
  return pl;
}

}  // namespace

int sweep_main(int argc, char** argv) {
  std::string scenario_path, out_dir;
  bool resume = false, overwrite = false, quiet = false, dry_run = false, find_max = false;
  bool tls = false;
  capacity_options capacity;
  // The scenario file is the one positional argument; the rest are options.
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string_view a = argv[i];
    const bool takes_value = a == "--out" || a == "--signature" || a == "--p99-bound" ||
                             a == "--search-window" || a == "--retry" || a == "--retry-jitter" ||
                             a == "--retry-scale" || a == "--circuit-breaker" || a == "--rtt" ||
                             a == "--jitter" || a == "--bandwidth";
    if (takes_value && i + 1 < argc) {
      rest.push_back(argv[i]);
      rest.push_back(argv[++i]);
    } else if (!a.starts_with("-") && scenario_path.empty()) {
      scenario_path = std::string(a);
    } else {
      rest.push_back(argv[i]);
    }
  }
  option_parser p(
      "hookbench sweep SCENARIO.json",
      "Runs every point of a scenario (bench/scenarios/*.json: modes x rates x poll intervals x\n"
      "subscribers x payload sizes x repeats), one `hookbench run` each, appending one row per "
      "run\n"
      "to DIR/runs.csv and keeping each run's JSON in DIR/runs/RUN_ID.json. With a \"trace\" "
      "block\n"
      "it also records DIR/trace.jsonl from one short run per mode. Ctrl-C stops after complete\n"
      "rows; --resume continues. Formats: docs/RESULTS.md.");
  p.add("--out", "DIR", "results folder", "results/<scenario name>",
        [&](std::string_view v) { out_dir = std::string(v); })
      .add_switch("--resume", "skip the points already in DIR/runs.csv", [&] { resume = true; })
      .add_switch("--overwrite", "delete DIR's previous runs.csv, runs/ and trace.jsonl first",
                  [&] { overwrite = true; })
      .add_switch("--quiet", "no progress on stderr (errors and the final line are still printed)",
                  [&] { quiet = true; })
      .add_switch("--dry-run", "print each point's window and the estimated time; run nothing",
                  [&] { dry_run = true; })
      .add_switch("--tls", "every run over HTTPS, as run --tls (recorded as config.tls)",
                  [&] { tls = true; })
      .add_section("Capacity search:")
      .add_switch(
          "--find-max-rate",
          "instead of the points: find the highest rate each of the\n"
          "                            scenario's modes sustains (not saturated, nothing\n"
          "                            lost, p99 within --p99-bound), at its first interval,\n"
          "                            subscriber count and payload; writes DIR/max_rate.json",
          [&] { find_max = true; })
      .add("--p99-bound", "DURATION", "latency bound of a sustained rate (pull modes: T + this)",
           "10ms",
           [&](std::string_view v) {
             capacity.p99_bound_us = to_us(parse_duration(v));
             if (capacity.p99_bound_us <= 0) throw usage_error("must be greater than 0");
           })
      .add("--search-window", "DURATION", "measured window of each probe", "2s",
           [&](std::string_view v) {
             capacity.window_s = to_s(parse_duration(v));
             if (capacity.window_s < 0.5) throw usage_error("must be at least 500ms");
           });
  security::signature_scheme signature = security::signature_scheme::hmac;
  add_signature_option(p, signature, true);
  retry_options retry;
  p.add_section("Webhook retries (every webhook run):");
  add_retry_options(p, retry);
  p.add_section("Network (default: loopback, or the scenario's rtt_ms and rtt block):");
  run_config link_opts;
  add_link_options(p, link_opts);
  if (!p.parse(static_cast<int>(rest.size()), rest.data())) return 0;
  if (p.given("--unsigned") && p.given("--signature")) {
    throw usage_error("--unsigned: means --signature none; give one of the two");
  }
  if (tls && find_max) throw usage_error("--tls: not with --find-max-rate (its probes are plain)");
  if (scenario_path.empty()) {
    throw usage_error("SCENARIO.json: required (e.g. hookbench sweep bench/scenarios/quick.json)");
  }
  if (resume && overwrite) throw usage_error("--resume and --overwrite: choose one");

  // --- the scenario ------------------------------------------------------------------------
  std::ifstream in(scenario_path);
  if (!in) throw usage_error(scenario_path + ": cannot read");
  json raw;
  try {
    raw = json::parse(in);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    throw usage_error(scenario_path + ": not valid JSON: " + what);
  }
  scenario sc;
  try {
    sc = parse_scenario(raw);
    sc.signature = signature;  // after the parse, which starts from a default scenario
    sc.retry = retry;
  } catch (const usage_error& e) {
    throw usage_error(scenario_path + ": " + e.what());
  }
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  for (std::size_t i = 0; i < sc.pin.size(); ++i) {
    if (sc.pin[i] >= cores) {
      throw usage_error(scenario_path + ": pin[" + std::to_string(i) + "]: core " +
                        std::to_string(sc.pin[i]) + " does not exist (this machine has " +
                        std::to_string(cores) + ")");
    }
  }
  if (p.given("--rtt")) {
    if (sc.rtt || sc.rtts_ms != std::vector<double>{0}) {
      throw usage_error("--rtt: " + scenario_path +
                        " has its own round trips (rtt_ms or an rtt block); not both");
    }
    sc.rtts_ms = {to_ms(link_opts.rtt)};
  }
  sc.link_jitter = link_opts.jitter;
  sc.link_bandwidth_bps = link_opts.bandwidth_bps;
  if (out_dir.empty()) out_dir = "results/" + sc.name;

  if (find_max) {
    if (resume || overwrite || dry_run) {
      throw usage_error(
          "--find-max-rate: runs on its own (not with --resume, --overwrite, --dry-run)");
    }
    fs::create_directories(out_dir);
    install_interrupt_handlers();
    json searches = json::array();
    for (const auto& mode : sc.modes) {
      try {
        searches.push_back(find_max_rate(sc, mode, capacity, [&](const std::string& line) {
          if (!quiet) std::cerr << "hookbench sweep: " << line << "\n";
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
    write_file(fs::path(out_dir) / "max_rate.json", searches.dump(2) + "\n");
    std::cerr << "hookbench sweep: wrote " << (fs::path(out_dir) / "max_rate.json").string()
              << "\n";
    return 0;
  }

  // A fault the runs cannot carry out is refused before anything runs.
  for (const auto& pt : expand_points(sc)) {
    check_fault_support(make_run_config(sc, pt, plan_point(sc, pt)));
  }
  if (dry_run) {
    const auto points = expand_points(sc);
    double total = 0;
    std::size_t short_points = 0;
    std::cout << "run_id,duration_s,expected_deliveries,expected_polls,min_reached,note\n";
    for (const auto& pt : points) {
      const auto plan = plan_point(sc, pt);
      total += estimate_point_s(sc, pt, plan);
      short_points += plan.min_reached ? 0 : 1;
      std::cout << pt.run_id() << "," << compact_number(plan.duration_s) << ","
                << compact_number(std::round(plan.expected_deliveries)) << ","
                << compact_number(std::round(plan.expected_polls)) << ","
                << (plan.min_reached ? "true" : "false") << "," << csv_field(plan.note) << "\n";
    }
    for (const auto& tp : trace_points_of(sc))
      total += estimate_point_s(sc, tp, trace_plan(sc, tp));
    std::cerr << "hookbench sweep: " << sc.name << ": " << points.size() << " points ("
              << short_points << " below their minimum)" << (sc.trace ? " + traced runs" : "")
              << ", about " << clock_text(total) << " -> " << out_dir << "\n";
    return 0;
  }

  // --- the results folder --------------------------------------------------------------------
  const fs::path dir(out_dir), csv = dir / "runs.csv", runs_dir = dir / "runs",
                               trace_file = dir / "trace.jsonl";
  std::set<std::string> done;
  if (fs::exists(csv)) {
    if (overwrite) {
      fs::remove(csv);
      fs::remove_all(runs_dir);
      fs::remove(trace_file);
      fs::remove(dir / "model.csv");
      fs::remove(dir / "modes.json");
    } else if (!resume) {
      throw usage_error("--out: " + csv.string() +
                        " exists; --resume continues that sweep, --overwrite starts it again");
    } else {
      const std::string text = read_all(csv);
      try {
        done = completed_run_ids(text);
      } catch (const usage_error& e) {
        throw usage_error("--resume: " + csv.string() + ": " + e.what());
      }
      // A torn last line (a crash mid-write) is not a row: cut it so the next row starts clean.
      if (!text.empty() && text.back() != '\n') {
        const auto keep = text.rfind('\n');
        fs::resize_file(csv, keep == std::string::npos ? 0 : keep + 1);
        std::cerr << "hookbench sweep: removed an incomplete last line from " << csv.string()
                  << "\n";
      }
    }
  } else if (overwrite) {
    fs::remove_all(runs_dir);
    fs::remove(trace_file);
  }
  fs::create_directories(runs_dir);
  write_file(dir / "scenario.json", raw.dump(2) + "\n");
  // The modes' descriptors, beside the runs: what the charts and the report read of each mode.
  write_file(dir / "modes.json", modes_json().dump(2) + "\n");
  csv_appender rows(csv);
  if (fs::file_size(csv) == 0) rows.append(runs_csv_header());

  // --- the plan -------------------------------------------------------------------------------
  const auto points = expand_points(sc);
  std::vector<point_plan> plans;
  for (const auto& pt : points) plans.push_back(plan_point(sc, pt));
  const bool want_trace = sc.trace && !(resume && fs::exists(trace_file));
  const std::vector<sweep_point> trace_points =
      want_trace ? trace_points_of(sc) : std::vector<sweep_point>{};
  double planned_left = 0;
  std::size_t to_run = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (done.contains(points[i].run_id())) continue;
    planned_left += estimate_point_s(sc, points[i], plans[i]);
    ++to_run;
  }
  for (const auto& tp : trace_points) planned_left += estimate_point_s(sc, tp, trace_plan(sc, tp));

  install_interrupt_handlers();
  const nanos sweep_start = now_ns();
  double planned_done = 0;
  auto say = [&](const std::string& s) {
    if (!quiet) std::cerr << "hookbench sweep: " << s << "\n";
  };
  // Estimated time left: the plan's remaining seconds, scaled by how the plan fared so far.
  auto eta = [&]() {
    const double elapsed = to_s(now_ns() - sweep_start);
    const double factor = planned_done > 0 ? elapsed / planned_done : 1.0;
    return "elapsed " + clock_text(elapsed) + ", left ~" + clock_text(planned_left * factor);
  };
  say(sc.name + ": " + std::to_string(points.size()) + " points" +
      (done.empty()
           ? ""
           : ", " + std::to_string(points.size() - to_run) + " already in " + csv.string()) +
      (trace_points.empty() ? ""
                            : ", then " + std::to_string(trace_points.size()) + " traced runs") +
      " -> " + dir.string() + " (about " + clock_text(planned_left) + ")");

  if (to_run == 0 && trace_points.empty()) {
    std::cerr << "hookbench sweep: nothing to do: all " << points.size() << " points are in "
              << csv.string() << (sc.trace ? " and the trace is recorded" : "") << "\n";
    return 0;
  }
  std::size_t ran = 0, failed = 0, short_points = 0;
  bool interrupted = false;
  for (std::size_t i = 0; i < points.size() && !interrupted; ++i) {
    const auto& pt = points[i];
    const auto& plan = plans[i];
    const std::string id = pt.run_id();
    if (done.contains(id)) continue;
    if (g_interrupted) {
      interrupted = true;
      break;
    }
    say("[" + std::to_string(ran + 1) + "/" + std::to_string(to_run) + "] " + describe(pt, plan) +
        "; " + eta());
    const double estimate = estimate_point_s(sc, pt, plan);
    std::string row;
    try {
      run_config cfg = make_run_config(sc, pt, plan);
      cfg.tls = tls;
      json result = run_once(cfg);
      const std::string rel = "runs/" + id + ".json";
      result["sweep"] = {{"scenario", sc.name},
                         {"run_id", id},
                         {"repeat", pt.repeat},
                         {"min_reached", plan.min_reached}};
      write_file(dir / rel, result.dump(2) + "\n");
      std::string note = plan.note;
      auto warnings = result_warnings(result);
      for (const auto& w : warnings) note += (note.empty() ? "" : "; ") + w;
      row = runs_csv_row(sc.name, pt, plan, &result, note, rel);
      say("    " + short_summary(result));
      for (const auto& w : warnings) say("    WARNING: " + w);
    } catch (const run_failure& e) {
      if (e.code == kExitInterrupted || g_interrupted) {
        interrupted = true;
        break;
      }
      ++failed;
      row = runs_csv_row(sc.name, pt, plan, nullptr, std::string("failed: ") + e.what(), "");
      std::cerr << "hookbench sweep: " << id << " failed: " << e.what() << "\n";
    } catch (const std::exception& e) {
      if (g_interrupted) {
        interrupted = true;
        break;
      }
      ++failed;
      row = runs_csv_row(sc.name, pt, plan, nullptr, std::string("failed: ") + e.what(), "");
      std::cerr << "hookbench sweep: " << id << " failed: " << e.what() << "\n";
    }
    rows.append(row);
    ++ran;
    if (!plan.min_reached) ++short_points;
    planned_done += estimate;
    planned_left = std::max(0.0, planned_left - estimate);
  }

  // --- the model's curves, from every result in the folder (this run's and resumed ones) ------
  {
    std::vector<std::pair<sweep_point, json>> results;
    for (const auto& pt : points) {
      std::ifstream f(runs_dir / (pt.run_id() + ".json"));
      if (!f) continue;
      auto j = json::parse(f, nullptr, false);
      if (j.is_object() && j.contains("metrics")) results.emplace_back(pt, std::move(j));
    }
    if (!results.empty()) write_file(dir / "model.csv", model_csv(sc, results));
  }

  // --- the traced runs: both modes into one file, each part opened by its header line --------
  bool trace_failed = false;
  if (!interrupted && !trace_points.empty() && !g_interrupted) {
    const fs::path tmp = trace_file.string() + ".tmp";
    std::ofstream merged(tmp, std::ios::trunc);
    for (std::size_t i = 0; i < trace_points.size() && !trace_failed; ++i) {
      const auto& tp = trace_points[i];
      const auto pl = trace_plan(sc, tp);
      say("[trace " + std::to_string(i + 1) + "/" + std::to_string(trace_points.size()) + "] " +
          describe(tp, pl) + "; " + eta());
      run_config cfg = make_run_config(sc, tp, pl);
      const fs::path part = dir / ("trace." + tp.mode + ".part");
      cfg.trace = part.string();
      cfg.tls = tls;
      try {
        run_once(cfg);
        merged << read_all(part);
      } catch (const run_failure& e) {
        if (e.code == kExitInterrupted || g_interrupted) interrupted = true;
        std::cerr << "hookbench sweep: traced " << tp.mode << " run failed: " << e.what() << "\n";
        trace_failed = true;
      } catch (const std::exception& e) {
        std::cerr << "hookbench sweep: traced " << tp.mode << " run failed: " << e.what() << "\n";
        trace_failed = true;
      }
      std::error_code ec;
      fs::remove(part, ec);
      const double estimate = estimate_point_s(sc, tp, pl);
      planned_done += estimate;
      planned_left = std::max(0.0, planned_left - estimate);
    }
    merged.close();
    if (!trace_failed && merged) {
      fs::rename(tmp, trace_file);
    } else {
      std::error_code ec;
      fs::remove(tmp, ec);
      trace_failed = true;
    }
  }

  const std::string elapsed = clock_text(to_s(now_ns() - sweep_start));
  if (interrupted) {
    std::cerr << "hookbench sweep: interrupted after " << ran << " of " << to_run << " points ("
              << elapsed << "); every row in " << csv.string()
              << " is complete; `--resume` continues\n";
    return kExitInterrupted;
  }
  std::cerr << "hookbench sweep: " << ran << " runs in " << elapsed << " -> " << csv.string()
            << (trace_points.empty() || trace_failed ? "" : ", " + trace_file.string());
  if (short_points) std::cerr << "; " << short_points << " below their minimum (min_reached=false)";
  if (failed) std::cerr << "; " << failed << " FAILED (note column)";
  if (trace_failed) std::cerr << "; the trace was not recorded";
  std::cerr << "\n";
  return failed || trace_failed ? kExitFailure : 0;
}

}  // namespace hookbench
