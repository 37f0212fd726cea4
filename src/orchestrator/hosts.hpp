// One run across hosts through deploy/hookbench.yml, as a sweep with an "inventory" carries out
// each point, and what `hookbench hosts` shares with it: the keys run.json may hold.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "orchestrator/runner.hpp"

namespace hookbench {

// The keys run.json may hold: the `run` options a run across hosts carries out (long names
// without the dashes) and the playbook's own (subscribers_per_host, out, ...).
std::vector<std::string> run_json_keys();

struct hosts_target {
  std::string inventory;
  std::string playbook;
  std::string ansible_playbook;  // the program's path
  std::size_t consumers = 0;     // hosts in group consumers
};

// The inventory's consumer hosts (ansible-inventory --list), the playbook and ansible-playbook
// found. Throws usage_error naming what is missing or wrong.
hosts_target find_hosts(const std::string& inventory, const std::string& playbook);

// The run's settings as the playbook takes them: every `run` option the mode uses, taken from
// the same documents `run` starts its sides with, and subscribers_per_host = subscribers /
// hosts. Throws usage_error when the subscribers do not divide evenly over the hosts.
nlohmann::json playbook_settings(const run_config& cfg, std::size_t hosts);

// One run through the playbook: its merged result (OUT/result.json, validated), also when a
// host lost events (the result names it). Every wait is bounded. Throws run_failure when there
// is no result (the playbook's last message says why).
nlohmann::json run_across_hosts(const run_config& cfg, const hosts_target& target);

}  // namespace hookbench
