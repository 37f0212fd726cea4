// The result of one run: the JSON contract (schema_version, config, environment, metrics) built
// from both sides' reports, and the human-readable table printed for one or several results.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

namespace hookbench {

constexpr int kSchemaVersion = 2;

// A run is flagged saturated (metrics.saturated, with the reasons in metrics.saturated_reason)
// when any of these shows that it did not keep up: the generator's lag p90 above kSaturationLagUs;
// more webhook deliveries queued at the window's end than kSaturationBacklogS seconds of load
// (at least 10); a drain longer than kSaturationDrainS (push) or 1.5 T + 0.1 s (pull); a delivery
// still missing after the drain; more than 1% (and more than 2) late or missed polls while a
// side uses kBusySideCores or more (more than 5% whatever the load: below that, on idle sides,
// they are the machine's stalls, metrics.schedule_stalls and a warning).
// They allow for what a design holds on purpose (metrics.saturation.held_on_purpose): a push
// event's wait behind the previous event's fan-out (the lag bound and the drain grow by one
// fan-out, (N - 1) x the measured spacing, and its N deliveries may be queued), the events
// open batches hold (lambda W + 3 sqrt(lambda W) + 1 per subscriber), a POST in flight on every
// webhook connection through a link (N x connections), the longest gap (T, the adaptive cap, W)
// and the link's round trip in the drain, and a poll schedule a link round trip of 0.9 T or more
// cannot keep (one poll in flight per subscriber).
constexpr double kSaturationLagUs = 5'000;
constexpr double kSaturationBacklogS = 0.1;
constexpr double kSaturationDrainS = 0.5;
constexpr double kBusySideCores = 0.5;

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
