// The sweep's runs.csv: one flat row per run, the columns scripts/plot.py and scripts/report.py
// read (docs/RESULTS.md). Columns may be added at the end; existing ones are never renamed.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <set>
#include <string>
#include <vector>

#include "orchestrator/scenario.hpp"

namespace hookbench {

const std::vector<std::string>& runs_csv_columns();
// The header line, ending in "\n".
std::string runs_csv_header();

// One row, ending in "\n". `result` is the run's result JSON, or nullptr for a failed run (the
// point's own columns are filled, the measured ones left empty). `note` goes to the note column,
// `result_file` (relative to the sweep folder) to result_file.
std::string runs_csv_row(const std::string& scenario_name, const sweep_point& point,
                         const point_plan& plan, const nlohmann::json* result,
                         const std::string& note, const std::string& result_file);

// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
std::string csv_field(const std::string& text);

// DIR/model.csv: the model's curves for every series of the sweep (mode, interval, subscribers,
// payload), over `points` log-spaced rates from the lowest swept rate / 3 to the highest x 3 (the
// same rates for every series), so that the scripts draw the model without evaluating a formula.
// Each series uses the medians, over its runs, of what the model takes from a run (round trip,
// generator lag, per-exchange overhead and event bytes). `results` pairs each point with its
// result JSON (points without a result are skipped).
std::string model_csv(const scenario& s,
                      const std::vector<std::pair<sweep_point, nlohmann::json>>& results,
                      int points = 61);

// The run_ids of the complete rows of an existing runs.csv text. Throws usage_error when the
// header is not runs_csv_header()'s (another tool's file, or an incompatible older one).
std::set<std::string> completed_run_ids(const std::string& csv_text);

}  // namespace hookbench
