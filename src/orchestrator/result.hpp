// The result of one run: the JSON contract (schema_version, config, environment, metrics) built
// from both sides' reports, and the human-readable table printed for one or several results.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

namespace hookbench {

constexpr int kSchemaVersion = 1;

// `config` is the run's configuration; the reports are what `serve` and `client` produced.
nlohmann::json build_result(const nlohmann::json& config, const nlohmann::json& environment,
                            const nlohmann::json& producer_report,
                            const nlohmann::json& consumer_report);

// Throws std::runtime_error naming the first missing or mistyped field.
void validate_result(const nlohmann::json& result);

// One column per result.
void print_table(std::ostream& out, const std::vector<nlohmann::json>& results);

// Loud warnings (loss, failures, few samples, late polls, no drain) for stderr; empty if none.
std::vector<std::string> result_warnings(const nlohmann::json& result);

}  // namespace hookbench
