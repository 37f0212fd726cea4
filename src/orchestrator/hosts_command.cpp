// `hookbench hosts`: one run across hosts, the producer on one and consumers on others, as
// deploy/hookbench.yml carries it out. `plan` turns the run's settings (run.json: `run` options
// by their long names, plus subscribers_per_host) into the documents `serve --config` and
// `client --config` take; `merge` turns the reports the playbook collected into one result with
// the schema of a `run` result, plus one entry per consumer host.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include "commands.hpp"
#include "core/cli.hpp"
#include "measure/delivery_tracker.hpp"
#include "measure/environment.hpp"
#include "measure/latency.hpp"
#include "orchestrator/hosts.hpp"
#include "orchestrator/result.hpp"
#include "orchestrator/runner.hpp"

namespace hookbench {

using json = nlohmann::json;

namespace {

// What run.json may hold besides `run` options: the playbook's own settings.
constexpr const char* kPlaybookKeys[] = {"subscribers_per_host", "out",
                                         "hookbench_binary",     "build_on_hosts",
                                         "runtime_packages",     "remote_dir"};

// `run` options a run across hosts cannot carry out (yet), with the reason.
constexpr std::pair<const char*, const char*> kRefused[] = {
    {"--pin", "cores are the hosts' own across hosts"},
    {"--rtt",
     "the link emulator sits between two processes of one host; the hosts' own network "
     "is the link"},
    {"--jitter", "as --rtt"},
    {"--bandwidth", "as --rtt"},
    {"--fault", "faults are carried out by `run` on one host"},
    {"--attack", "the attacker runs beside `run` on one host"},
    {"--trace", "traces are merged by `run` on one host"},
    {"--tls", "the run's certificate is made for 127.0.0.1"},
    {"--fsync", "the producer's log file is a `run` scratch file"},
};

struct host_run {
  run_config cfg;  // cfg.subscribers: per host
  std::size_t hosts = 0;
  std::size_t subscribers() const { return hosts * cfg.subscribers; }
};

json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  auto j = json::parse(in, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(path + ": not JSON");
  return j;
}

host_run read_run(const std::string& path, std::size_t hosts) {
  json doc;
  try {
    doc = read_json_file(path);
  } catch (const std::exception& e) {
    throw usage_error(std::string("--run: ") + e.what());
  }
  if (!doc.is_object()) throw usage_error("--run: " + path + " is not a JSON object");
  host_run r;
  r.hosts = hosts;
  if (!doc.contains("subscribers_per_host")) {
    throw usage_error(path +
                      ": subscribers_per_host: required (subscribers on each consumer host)");
  }
  if (doc.contains("subscribers")) {
    throw usage_error(path +
                      ": subscribers: not across hosts (give subscribers_per_host: each "
                      "consumer host runs that many)");
  }
  const json per_host = doc.at("subscribers_per_host");
  for (const char* key : kPlaybookKeys) doc.erase(key);
  // Ansible variables are often written with underscores: poll_limit is --poll-limit.
  json options = json::object();
  for (const auto& [key, value] : doc.items()) {
    std::string name = key;
    std::replace(name.begin(), name.end(), '_', '-');
    options[name] = value;
  }
  doc = std::move(options);
  doc["subscribers"] = per_host;
  option_parser p("hookbench run", "");
  add_run_command_options(p, r.cfg);
  p.apply_json(doc, path);
  for (const auto& [flag, why] : kRefused) {
    if (p.given(flag)) {
      throw usage_error(path + ": " + std::string(flag).substr(2) + ": not across hosts (" + why +
                        ")");
    }
  }
  if (r.cfg.mode == "all") throw usage_error(path + ": mode: one mode per run across hosts");
  check_run_command(p, r.cfg);
  if (r.subscribers() > 1'000'000) {
    throw usage_error(path + ": " + std::to_string(r.subscribers()) +
                      " subscribers in all: at most 1000000");
  }
  return r;
}

void write_file(const std::filesystem::path& path, const json& j) {
  std::ofstream out(path);
  out << j.dump(2) << "\n";
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

// The bounds of the playbook's waits, from the run's own: what plan.json tells it.
json plan_bounds(const host_run& r) {
  const run_config& c = r.cfg;
  const nanos ready = c.ready_timeout + static_cast<nanos>(c.subscribers) * 5 * kNanosPerMilli;
  const nanos report =
      c.generation.warmup + c.generation.duration + run_drain(c) + 60 * kNanosPerSecond;
  return {{"ready_wait_s", std::ceil(to_s(ready))}, {"report_wait_s", std::ceil(to_s(report))}};
}

int plan(int argc, char** argv) {
  std::string run_path, out_dir, listen = "0.0.0.0:8080";
  std::size_t hosts = 0;
  option_parser p("hookbench hosts plan",
                  "Writes what each side of a run across hosts is started with: DIR/producer.json\n"
                  "(serve --config), DIR/consumer.json (client --config, to which each host adds\n"
                  "--producer, --advertise, --slots and --out) and DIR/plan.json (the subscribers\n"
                  "in all, and the bounds of the waits). deploy/hookbench.yml calls it.");
  p.add_text("--run", "FILE",
             "the run's settings: `run` options by long name, plus\n"
             "                            subscribers_per_host (required)",
             run_path)
      .add_count("--hosts", "N", "consumer hosts (required)", "", hosts, 1, 10'000)
      .add("--listen", "HOST:PORT", "where the producer listens", listen,
           [&](std::string_view v) { listen = host_port{parse_host_port(v)}.to_string(); })
      .add_text("--out", "DIR", "where the documents go (required)", out_dir);
  if (!p.parse(argc, argv)) return 0;
  for (auto flag : {"--run", "--hosts", "--out"}) {
    if (!p.given(flag)) throw usage_error(std::string(flag) + ": required");
  }
  const host_run r = read_run(run_path, hosts);
  const mode_descriptor& info = mode_of(r.cfg.mode);

  producer_config producer = base_producer_config(r.cfg, r.subscribers());
  producer.listen = parse_host_port(listen);
  json producer_doc = producer.to_document();
  producer_doc["quiet"] = true;

  consumer_config consumer = base_consumer_config(r.cfg);
  // It answers on after its report until the playbook has the producer's and stops it.
  consumer.linger = 300 * kNanosPerSecond;
  consumer.listen = {"0.0.0.0", 0};
  const json bounds = plan_bounds(r);
  consumer.start_timeout =
      static_cast<nanos>(bounds.at("ready_wait_s").get<double>() + 120) * kNanosPerSecond;
  json consumer_doc = consumer.to_document();
  consumer_doc.erase("producer");

  std::filesystem::create_directories(out_dir);
  write_file(std::filesystem::path(out_dir) / "producer.json", producer_doc);
  write_file(std::filesystem::path(out_dir) / "consumer.json", consumer_doc);
  json plan_doc = {{"mode", r.cfg.mode},
                   {"pull", info.pull},
                   {"receiver", info.receiver},
                   {"hosts", r.hosts},
                   {"subscribers_per_host", r.cfg.subscribers},
                   {"subscribers", r.subscribers()}};
  plan_doc.update(bounds);
  write_file(std::filesystem::path(out_dir) / "plan.json", plan_doc);
  std::cout << plan_doc.dump() << "\n";
  return 0;
}

// Sums every integer leaf of `add` into `into` (objects key by key); other values keep the
// first host's (a setting, such as a late-poll threshold, that every host shares).
void sum_counts(json& into, const json& add) {
  if (into.is_object() && add.is_object()) {
    for (const auto& [k, v] : add.items()) {
      if (into.contains(k)) {
        sum_counts(into[k], v);
      } else {
        into[k] = v;
      }
    }
  } else if (into.is_number_integer() && add.is_number_integer()) {
    into = into.get<std::uint64_t>() + add.get<std::uint64_t>();
  }
}

struct host_entry {
  std::string name;
  json report;  // null when the host sent none
  std::filesystem::path slots;
  std::string failure;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// One consumer report for the whole run: counts summed over the hosts, the latency summary and
// the fan-out computed over every host's slots (every sample), the clock of the host whose
// offset is least certain, and the round trip's median over the hosts.
// A host's slots file, checked whole before anything of it is taken: its header, its subscribers
// and its exact size. Sets h.failure and returns nullopt when it does not pass.
std::optional<delivery_tracker::slots_header> checked_slots(host_entry& h, std::size_t per_host) {
  std::ifstream in(h.slots, std::ios::binary);
  if (!in) {
    h.failure = "no slots file " + h.slots.string();
    return std::nullopt;
  }
  try {
    const auto hh = delivery_tracker::read_slots_header(in);
    if (hh.subscribers != per_host) {
      throw std::runtime_error(std::to_string(hh.subscribers) + " subscribers, not " +
                               std::to_string(per_host));
    }
    const std::uint64_t events = hh.first <= hh.last ? hh.last - hh.first + 1 : 0;
    const std::uint64_t want = 48 + 8 * events * (hh.subscribers + (hh.trips ? 1 : 0));
    std::error_code ec;
    const auto size = std::filesystem::file_size(h.slots, ec);
    if (ec || size != want) {
      throw std::runtime_error(std::to_string(size) + " bytes, not the " + std::to_string(want) +
                               " its header says");
    }
    return hh;
  } catch (const std::exception& e) {
    h.failure = h.slots.string() + ": " + e.what();
    return std::nullopt;
  }
}

json merged_consumer(const host_run& r, std::vector<host_entry>& hosts) {
  // Only hosts whose report and slots both pass take part; the others are named as failed and
  // their subscribers' events count as lost.
  std::vector<std::pair<std::size_t, delivery_tracker::slots_header>> good;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    if (hosts[i].report.is_null()) continue;
    if (auto hh = checked_slots(hosts[i], r.cfg.subscribers)) good.emplace_back(i, *hh);
  }
  if (good.empty()) throw std::runtime_error("no consumer host sent a report and its slots");
  const auto& window = good.front().second;
  delivery_tracker all(r.subscribers());
  all.set_window(window.first, window.last, window.seq_limit);

  json merged = hosts[good.front().first].report;
  bool started = false;
  std::vector<double> rtt_p50;
  double rtt_min = 0, worst_bound = -1;
  bool drained = true;
  std::string mismatch;
  for (const auto& [i, hh] : good) {
    auto& h = hosts[i];
    try {
      std::ifstream in(h.slots, std::ios::binary);
      delivery_tracker::read_slots_header(in);
      all.absorb_slots(in, hh, i * r.cfg.subscribers);
    } catch (const std::exception& e) {
      // A window that differs from the first host's: found before any slot is copied. The
      // first host's own counts are the merge's start: a failure there fails the merge.
      if (i == good.front().first) throw;
      h.failure = h.slots.string() + ": " + e.what();
      continue;
    }
    const json& rep = h.report;
    if (started) {
      for (const char* key : {"received_total", "outside_window", "out_of_range", "before_window",
                              "duplicates", "reordered", "control_retries"}) {
        merged[key] = merged.value(key, std::uint64_t{0}) + rep.value(key, std::uint64_t{0});
      }
      for (const char* key : {"traffic", "requests", "bytes"}) sum_counts(merged[key], rep.at(key));
      for (const char* key : {"cpu_s", "cpu_idle_cores"}) {
        merged[key] = merged[key].is_number() && rep.at(key).is_number()
                          ? json(merged[key].get<double>() + rep.at(key).get<double>())
                          : json(nullptr);
      }
      merged["cpu_measured"] =
          merged.at("cpu_measured").get<bool>() && rep.value("cpu_measured", false);
      for (const char* key : {"drain_s", "drain_time_s", "setup_s"}) {
        merged[key] = merged[key].is_number() && rep.at(key).is_number()
                          ? json(std::max(merged[key].get<double>(), rep.at(key).get<double>()))
                          : json(nullptr);
      }
    }
    started = true;
    drained = drained && rep.value("drained", false);
    const auto& rtt = rep.at("rtt_us");
    rtt_p50.push_back(rtt.at("p50").get<double>());
    rtt_min = rtt_p50.size() == 1 ? rtt.at("min").get<double>()
                                  : std::min(rtt_min, rtt.at("min").get<double>());
    const double bound = rep.at("clock").at("error_bound_us").get<double>();
    if (bound > worst_bound) {
      worst_bound = bound;
      merged["clock"] = rep.at("clock");
    }
    if (const auto m = rep.value("window_mismatch", std::string()); !m.empty()) {
      mismatch += (mismatch.empty() ? "" : "; ") + h.name + ": " + m;
    }
  }
  auto totals = all.window_totals();
  const std::uint64_t expected = all.expected();
  merged["subscribers"] = r.subscribers();
  merged["expected"] = expected;
  merged["delivered"] = totals.delivered;
  merged["lost"] = expected - std::min(expected, totals.delivered);
  merged["negative_latencies"] = totals.negative_latencies;
  merged["latency_us"] = summarize_latency(totals.latencies);
  merged["fan_out"] = fan_out_json(all);
  merged["drained"] = drained && totals.delivered == expected;
  merged["rtt_us"] = {{"min", rtt_min}, {"p50", median(rtt_p50)}};
  merged["window_mismatch"] = mismatch;
  merged.erase("config");
  return merged;
}

json host_json(const host_entry& h, std::uint64_t produced, std::size_t per_host) {
  json e = {{"name", h.name}, {"subscribers", per_host}};
  const std::uint64_t expected = produced * per_host;
  if (h.report.is_null() || !h.failure.empty()) {
    e["failed"] = h.failure.empty() ? "no report" : h.failure;
    e["expected"] = expected;
    e["lost"] = expected;
    e["report"] = h.report;
    return e;
  }
  const json& rep = h.report;
  const json& clock = rep.at("clock");
  e["clock"] = {{"offset_us", clock.at("offset_us")},
                {"error_bound_us", clock.at("error_bound_us")},
                {"drift_us", clock.value("drift_us", json(nullptr))}};
  for (const char* key : {"expected", "delivered", "lost", "duplicates"}) e[key] = rep.at(key);
  e["latency_us"] = {{"p50", rep.at("latency_us").value("p50", json(nullptr))},
                     {"p99", rep.at("latency_us").value("p99", json(nullptr))}};
  e["report"] = rep;
  return e;
}

int merge(int argc, char** argv) {
  std::string run_path, dir, out, producer_host = "the producer host";
  std::vector<std::string> names;
  option_parser p(
      "hookbench hosts merge",
      "Merges what a run across hosts left in DIR (the producer's report in\n"
      "DIR/producer-report.json, each consumer host's in DIR/hosts/NAME/report.json\n"
      "with its latency slots in DIR/hosts/NAME/slots.bin) into one result with the\n"
      "schema of a `run` result: counts are sums over the hosts, latency quantiles are\n"
      "over every sample, and result.hosts has one entry per host with its clock\n"
      "offset to the producer. A host with no report is named, and its subscribers'\n"
      "events count as lost. Exit 1 when a host failed or an event was lost.");
  p.add_text("--run", "FILE", "the run's settings (as given to hosts plan)", run_path)
      .add_text("--dir", "DIR", "what the playbook collected", dir)
      .add("--hosts", "NAME,...", "the consumer hosts, in the inventory's order (required)", "",
           [&](std::string_view v) { names = split_list(v); })
      .add_text("--producer", "HOST", "the producer's host, as the result's config.host names it",
                producer_host)
      .add_text("--out", "FILE", "where the result goes (default DIR/result.json)", out);
  if (!p.parse(argc, argv)) return 0;
  for (auto flag : {"--run", "--dir", "--hosts"}) {
    if (!p.given(flag)) throw usage_error(std::string(flag) + ": required");
  }
  if (out.empty()) out = (std::filesystem::path(dir) / "result.json").string();
  const host_run r = read_run(run_path, names.size());
  const json producer =
      read_json_file((std::filesystem::path(dir) / "producer-report.json").string());

  std::vector<host_entry> hosts;
  for (const auto& name : names) {
    host_entry h{name, nullptr, std::filesystem::path(dir) / "hosts" / name / "slots.bin", ""};
    const auto report = std::filesystem::path(dir) / "hosts" / name / "report.json";
    std::error_code ec;
    if (std::filesystem::exists(report, ec)) {
      h.report = read_json_file(report.string());
      if (h.report.contains("report")) h.report = h.report.at("report");
    }
    hosts.push_back(std::move(h));
  }
  json consumer = merged_consumer(r, hosts);

  run_config total = r.cfg;
  total.subscribers = r.subscribers();
  const mode_descriptor& info = mode_of(total.mode);
  json config = total.to_json(info.pull);
  config["host"] = producer_host;
  config["hosts"] = r.hosts;
  config["subscribers_per_host"] = r.cfg.subscribers;
  config["pin"] = json::array();
  json env = describe_environment();
  env["pinning"] = "none";
  env["where"] = "the controller that merged the hosts' reports (result.hosts has each host's)";
  json result = build_result(config, env, producer, consumer);
  const std::uint64_t produced = producer.at("produced").get<std::uint64_t>();
  result["hosts"] = json::array();
  int code = 0;
  for (const auto& h : hosts) {
    json e = host_json(h, produced, r.cfg.subscribers);
    if (e.contains("failed")) {
      std::cerr << "hookbench hosts merge: host " << h.name
                << " failed: " << e.at("failed").get<std::string>() << "\n";
      code = kExitFailure;
    } else if (e.at("lost").get<std::uint64_t>() > 0) {
      std::cerr << "hookbench hosts merge: host " << h.name << " lost "
                << e.at("lost").get<std::uint64_t>() << " of "
                << e.at("expected").get<std::uint64_t>() << " deliveries\n";
      code = kExitFailure;
    }
    result["hosts"].push_back(std::move(e));
  }
  validate_result(result);
  std::filesystem::path parent = std::filesystem::path(out).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  write_file(out, result);
  print_table(std::cout, {result});
  for (const auto& w : result_warnings(result))
    std::cerr << "hookbench hosts merge: WARNING: " << w << "\n";
  std::cerr << "hookbench hosts merge: wrote " << out << "\n";
  return code;
}

// The keys run.json may hold: `run` options a run across hosts carries out, and the playbook's
// own; the playbook takes these from its variables.
int options(int argc, char** argv) {
  bool refused = false;
  option_parser p(
      "hookbench hosts options",
      "Prints, as a JSON array, the keys run.json may hold: the `run` options a run\n"
      "across hosts carries out (long names without the dashes) and the playbook's own.");
  p.add_switch("--refused",
               "print instead the `run` options a run across hosts refuses (the playbook\n"
               "                            passes them on, so that plan says why)",
               [&] { refused = true; });
  if (!p.parse(argc, argv)) return 0;
  json keys = json::array();
  if (refused) {
    keys.push_back("subscribers");
    for (const auto& [flag, why] : kRefused) keys.push_back(std::string(flag).substr(2));
  } else {
    keys = run_json_keys();
  }
  std::cout << keys.dump() << "\n";
  return 0;
}

constexpr const char* kHostsUsage =
    "usage: hookbench hosts plan|merge|options [options]\n"
    "\n"
    "One run across hosts (deploy/hookbench.yml runs both):\n"
    "  plan    the documents serve and client are started with, and the bounds of the waits\n"
    "  merge   the hosts' reports as one result (the schema of a run result, plus hosts)\n"
    "  options the keys run.json may hold (JSON)\n"
    "\n"
    "`hookbench hosts plan --help` and `hookbench hosts merge --help` describe their options.\n";

}  // namespace

std::vector<std::string> run_json_keys() {
  run_config cfg;
  option_parser run("hookbench run", "");
  add_run_command_options(run, cfg);
  std::vector<std::string> keys;
  for (const auto& name : run.names()) {
    const bool refused = std::any_of(std::begin(kRefused), std::end(kRefused),
                                     [&](const auto& r) { return name == r.first; });
    if (!refused && name != "--out" && name != "--quiet" && name != "--subscribers") {
      keys.push_back(name.substr(2));
    }
  }
  for (const char* key : kPlaybookKeys) keys.emplace_back(key);
  return keys;
}

int hosts_main(int argc, char** argv) {
  const std::string_view sub = argc > 0 ? argv[0] : "";
  if (sub == "plan") return plan(argc - 1, argv + 1);
  if (sub == "merge") return merge(argc - 1, argv + 1);
  if (sub == "options") return options(argc - 1, argv + 1);
  if (sub == "--help" || sub == "-h") {
    std::cout << kHostsUsage;
    return 0;
  }
  std::cerr << kHostsUsage;
  return kExitUsage;
}

}  // namespace hookbench
