// One run across hosts through the playbook (a sweep point with an inventory): run.json from the
// run's own documents, ansible-playbook as a child with a bounded wait, the merged result back.
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include "core/parse.hpp"
#include "core/private_files.hpp"
#include "orchestrator/child_process.hpp"
#include "orchestrator/hosts.hpp"
#include "orchestrator/result.hpp"
#include "security/certificates.hpp"

extern char** environ;

namespace hookbench {

using json = nlohmann::json;

namespace {

// Ansible's own settings (ANSIBLE_*) and the ssh agent reach it; child_environment passes
// nothing else.
std::vector<std::string> ansible_environment() {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    if (entry.starts_with("ANSIBLE_") || entry.starts_with("SSH_AUTH_SOCK=")) out.emplace_back(*e);
  }
  return out;
}

// Reads a child's whole output until it exits, at most until `deadline`; keeps the last `keep`
// lines.
struct child_output {
  std::deque<std::string> tail;
  bool exited = false;
};

child_output drain(child_process& child, nanos deadline, std::size_t keep = 40) {
  child_output out;
  std::string line;
  for (;;) {
    switch (child.read_line(line, deadline)) {
      case child_process::wait_status::ok:
        out.tail.push_back(line);
        if (out.tail.size() > keep) out.tail.pop_front();
        continue;
      case child_process::wait_status::exited:
        out.exited = child.wait_exit(now_ns() + 10 * kNanosPerSecond);
        return out;
      case child_process::wait_status::timeout:
        return out;
      case child_process::wait_status::interrupted:
        throw run_failure("interrupted", kExitInterrupted);
    }
  }
}

// The playbook's reason, from its output: the last "msg" of a failed task, or its last line.
std::string playbook_reason(const std::deque<std::string>& tail) {
  for (auto it = tail.rbegin(); it != tail.rend(); ++it) {
    const auto at = it->find("\"msg\": \"");
    if (at != std::string::npos) {
      const auto start = at + 8;
      return it->substr(start, it->find('"', start) - start);
    }
  }
  return tail.empty() ? "no output" : tail.back();
}

// After a playbook was stopped mid-way (its `always` never ran): deploy/stop.yml beside it
// stops every hookbench it started and removes the token files, within 120 s.
void stop_everything(const hosts_target& target) {
  const auto stop = std::filesystem::path(target.playbook).parent_path() / "stop.yml";
  std::error_code ec;
  if (!std::filesystem::exists(stop, ec)) return;
  // The cleanup's own wait must not end at once on the Ctrl-C that stopped the run.
  const int interrupted = g_interrupted;
  g_interrupted = 0;
  try {
    child_process cleanup("ansible-playbook", target.ansible_playbook,
                          {"-i", target.inventory, stop.string()}, -1, ansible_environment());
    drain(cleanup, now_ns() + 120 * kNanosPerSecond);
  } catch (const std::exception&) {
    // Best effort: the run's failure is what is reported.
  }
  g_interrupted = g_interrupted || interrupted;
}

}  // namespace

hosts_target find_hosts(const std::string& inventory, const std::string& playbook) {
  hosts_target t{inventory, playbook, find_program("ansible-playbook"), 0};
  std::error_code ec;
  if (!std::filesystem::exists(inventory, ec)) {
    throw usage_error("inventory: " + inventory + " does not exist");
  }
  if (!std::filesystem::exists(playbook, ec)) {
    throw usage_error("playbook: " + playbook +
                      " does not exist (run the sweep from the checkout, or name it)");
  }
  const std::string lister = find_program("ansible-inventory");
  if (t.ansible_playbook.empty() || lister.empty()) {
    throw usage_error(
        "inventory: needs ansible-playbook and ansible-inventory (scripts/setup.sh "
        "--lab installs Ansible)");
  }
  child_process list("ansible-inventory", lister, {"-i", inventory, "--list"}, -1,
                     ansible_environment());
  const child_output listed = drain(list, now_ns() + 60 * kNanosPerSecond, SIZE_MAX);
  if (!listed.exited) throw usage_error("inventory: ansible-inventory --list took over 60 s");
  std::string text;
  for (const auto& l : listed.tail) text += l + "\n";
  const json doc = json::parse(text, nullptr, false);
  // A group's hosts, its child groups' included (as Ansible's groups[...] has them).
  std::function<void(const std::string&, std::set<std::string>&, int)> collect =
      [&](const std::string& group, std::set<std::string>& into, int depth) {
        if (depth > 32 || !doc.is_object() || !doc.contains(group)) return;
        for (const auto& h : doc.at(group).value("hosts", json::array())) {
          if (h.is_string()) into.insert(h.get<std::string>());
        }
        for (const auto& c : doc.at(group).value("children", json::array())) {
          if (c.is_string()) collect(c.get<std::string>(), into, depth + 1);
        }
      };
  const auto hosts_of = [&](const char* group) {
    std::set<std::string> found;
    collect(group, found, 0);
    return found.size();
  };
  if (hosts_of("producer") != 1 || hosts_of("consumers") == 0) {
    throw usage_error("inventory: " + inventory +
                      " needs one host in group producer and at least one in group consumers "
                      "(found " +
                      std::to_string(hosts_of("producer")) + " and " +
                      std::to_string(hosts_of("consumers")) + ")");
  }
  t.consumers = hosts_of("consumers");
  return t;
}

json playbook_settings(const run_config& cfg, std::size_t hosts) {
  if (hosts == 0 || cfg.subscribers % hosts != 0) {
    throw usage_error("subscribers: " + std::to_string(cfg.subscribers) + " do not divide over " +
                      std::to_string(hosts) + " consumer hosts");
  }
  const mode_descriptor& info = mode_of(cfg.mode);
  json doc = base_producer_config(cfg, cfg.subscribers).to_document();
  doc.update(base_consumer_config(cfg).to_document());
  doc["mode"] = cfg.mode;
  doc["drain"] = exact_duration(run_drain(cfg));
  // What check_mode refuses for the other kind of mode.
  static const std::set<std::string> kPushOnly = {
      "webhook-connection", "webhook-concurrency", "retry",  "retry-jitter",
      "retry-scale",        "circuit-breaker",     "ordered"};
  static const std::set<std::string> kPullOnly = {"interval", "poll-limit"};
  const auto keys = run_json_keys();
  json out = json::object();
  for (const auto& [key, value] : doc.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) continue;
    if ((info.pull && kPushOnly.contains(key)) || (!info.pull && kPullOnly.contains(key))) {
      continue;
    }
    out[key] = value;
  }
  out["subscribers_per_host"] = cfg.subscribers / hosts;
  return out;
}

json run_across_hosts(const run_config& cfg, const hosts_target& target) {
  json settings = playbook_settings(cfg, target.consumers);
  scratch_path dir;
  try {
    dir.path = security::make_temp_dir("hookbench-hosts-");
  } catch (const std::exception& e) {
    throw run_failure(e.what());
  }
  const std::string out = dir.path + "/out";
  settings["out"] = out;
  std::error_code ec;
  settings["hookbench_binary"] = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  const std::string run_json = dir.path + "/run.json";
  {
    std::ofstream f(run_json);
    f << settings.dump(2) << "\n";
    if (!f) throw run_failure("cannot write " + run_json);
  }
  // The playbook bounds each of its own waits: the run, its drain, each host's readiness (the
  // hosts start one after another) and 300 s for Ansible's own steps.
  const nanos ready_each =
      cfg.ready_timeout +
      static_cast<nanos>(cfg.subscribers / target.consumers) * 5 * kNanosPerMilli +
      30 * kNanosPerSecond;
  const nanos deadline = now_ns() + cfg.generation.warmup + cfg.generation.duration +
                         run_drain(cfg) + static_cast<nanos>(target.consumers + 1) * ready_each +
                         300 * kNanosPerSecond;
  child_output o;
  {
    child_process playbook("ansible-playbook", target.ansible_playbook,
                           {"-i", target.inventory, target.playbook, "-e", "@" + run_json}, -1,
                           ansible_environment());
    try {
      o = drain(playbook, deadline);
    } catch (const run_failure&) {
      playbook.terminate(10 * kNanosPerSecond);
      stop_everything(target);
      throw;
    }
    if (!o.exited) {
      playbook.terminate(10 * kNanosPerSecond);
      stop_everything(target);
      throw run_failure("the playbook did not finish in time (everything it started was stopped)");
    }
  }
  const std::string result_path = out + "/result.json";
  if (!std::filesystem::exists(result_path, ec)) {
    throw run_failure("the playbook failed: " + playbook_reason(o.tail));
  }
  std::ifstream in(result_path);
  json result = json::parse(in, nullptr, false);
  if (!result.is_object()) throw run_failure(result_path + ": not JSON");
  try {
    validate_result(result);
  } catch (const std::exception& e) {
    throw run_failure(result_path + ": " + e.what());
  }
  // A host that failed is the run's failure, not events its mode lost.
  for (const auto& h : result.value("hosts", json::array())) {
    if (h.contains("failed")) {
      throw run_failure("host " + h.value("name", std::string("?")) +
                        " failed: " + h.at("failed").get<std::string>());
    }
  }
  return result;
}

}  // namespace hookbench
