// `hookbench sweep` end to end: a small scenario interrupted with Ctrl-C after its first rows
// keeps only complete rows and exits 130; `--resume` then runs exactly the missing points, so
// every point appears once; the model's curves (model.csv) come from the C++ model for every
// series. Also the capacity search's bad-option handling.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <set>

#include "hookbench_process.hpp"

namespace hookbench_test {
namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string first_cell(const std::string& line) { return line.substr(0, line.find(',')); }

// 2 modes x 3 rates = 6 points of about 1.5 s each.
const char* kScenario = R"({
  "name": "tiny", "description": "integration test: interrupt and resume a small sweep quickly",
  "modes": ["poll", "webhook"], "rates": [20, 50, 200], "intervals_ms": [50],
  "repeats": 1, "warmup_s": 0.2, "drain_s": 0.5, "min_delivered": 10, "min_polls": 10,
  "min_duration_s": 0.5, "max_point_s": 1
})";

TEST(sweep, interrupted_then_resumed_runs_every_point_exactly_once) {
  temp_dir dir;
  const std::string scenario = dir.file("tiny.json");
  std::ofstream(scenario) << kScenario;
  const std::string out = dir.file("out");
  const std::string csv = out + "/runs.csv";

  process first({"sweep", scenario, "--out", out, "--quiet"});
  // Interrupt as soon as two rows are complete: header + 2 lines.
  ASSERT_TRUE(first.pump_until([&] { return read_lines(csv).size() >= 3; }, milliseconds(60'000)))
      << "no rows appeared; stderr:\n"
      << first.err();
  kill(first.pid(), SIGINT);
  const auto e = first.wait(milliseconds(30'000));
  ASSERT_TRUE(e.exited) << first.err();
  EXPECT_EQ(e.code, 130) << first.err();
  EXPECT_NE(first.err().find("--resume"), std::string::npos) << first.err();
  const auto partial = read_lines(csv);
  ASSERT_GE(partial.size(), 3u);
  ASSERT_LT(partial.size(), 7u) << "the interrupt came after the whole sweep";
  std::set<std::string> before;
  for (std::size_t i = 1; i < partial.size(); ++i) before.insert(first_cell(partial[i]));
  EXPECT_EQ(before.size(), partial.size() - 1) << "a point ran twice";

  const auto second =
      run_hookbench({"sweep", scenario, "--out", out, "--resume", "--quiet"}, milliseconds(80'000));
  ASSERT_TRUE(second.exit.exited) << second.err;
  ASSERT_EQ(second.exit.code, 0) << second.err;
  const auto all = read_lines(csv);
  ASSERT_EQ(all.size(), 7u) << "header + 6 points";
  std::map<std::string, int> seen;
  for (std::size_t i = 1; i < all.size(); ++i) ++seen[first_cell(all[i])];
  EXPECT_EQ(seen.size(), 6u);
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id;
  for (const auto& id : before) EXPECT_EQ(seen.count(id), 1u) << id << " lost by the resume";
  for (const auto& [id, n] : seen) {
    EXPECT_TRUE(read_json_file(out + "/runs/" + id + ".json").is_object()) << id;
  }

  // model.csv: one curve of 61 rates per series (poll T=50, webhook), from the C++ model.
  const auto model = read_lines(out + "/model.csv");
  ASSERT_EQ(model.size(), 1u + 2 * 61) << "header + two series of 61 rates";
  EXPECT_EQ(model[0].substr(0, 39), "mode,interval_ms,subscribers,payload_by");
  std::map<std::string, int> per_mode;
  for (std::size_t i = 1; i < model.size(); ++i) ++per_mode[first_cell(model[i])];
  EXPECT_EQ(per_mode["poll"], 61);
  EXPECT_EQ(per_mode["webhook"], 61);
}

// A repeat that produced no event has no mean: it is an error (counted, its row marked failed,
// its JSON kept), never a sample of the point. 0.01 events/s over half a second: no event.
TEST(sweep, a_repeat_without_events_is_an_error_not_a_sample) {
  temp_dir dir;
  const std::string scenario = dir.file("empty.json");
  std::ofstream(scenario) << R"({
    "name": "empty", "description": "integration test: a window that holds no event",
    "modes": ["webhook"], "rates": [0.01], "repeats": 1, "warmup_s": 0.1, "drain_s": 0.3,
    "min_duration_s": 0.5, "max_point_s": 0.5
  })";
  const std::string out = dir.file("out");
  const auto r = run_hookbench({"sweep", scenario, "--out", out, "--quiet"}, milliseconds(60'000));
  ASSERT_TRUE(r.exit.exited) << r.err;
  EXPECT_EQ(r.exit.code, 1) << r.err;
  EXPECT_NE(r.err.find("no event in the window"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 FAILED"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 of them without any event"), std::string::npos) << r.err;
  const auto rows = read_lines(out + "/runs.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(rows[1].find(",failed: no event in the window (produced 0)"), std::string::npos)
      << rows[1];
  const std::string id = first_cell(rows[1]);
  const auto result = read_json_file(out + "/runs/" + id + ".json");
  ASSERT_TRUE(result.is_object()) << "the run's JSON is kept";
  EXPECT_EQ(result.at("metrics").at("produced").get<int>(), 0);
}

// The sweep says what it will cost before it starts: the default sweep's runs, its repeats and
// its planned wall time (under 15 minutes).
TEST(sweep, dry_run_states_the_planned_time) {
  const std::string scenario = std::string(HOOKBENCH_SOURCE_DIR) + "/bench/scenarios/default.json";
  const auto r = run_hookbench({"sweep", scenario, "--dry-run"}, milliseconds(20'000));
  ASSERT_TRUE(r.exit.exited) << r.err;
  ASSERT_EQ(r.exit.code, 0) << r.err;
  EXPECT_NE(r.err.find("runs (3 repeats per point, 0 below their minimum)"), std::string::npos)
      << r.err;
  const auto at = r.err.find(", about ");
  ASSERT_NE(at, std::string::npos) << r.err;
  const int minutes = std::stoi(r.err.substr(at + 8));
  EXPECT_LT(minutes, 15) << r.err;
  EXPECT_NE(r.err.find(" min ("), std::string::npos) << r.err;
}

TEST(sweep, capacity_search_rejects_a_nonsense_bound) {
  temp_dir dir;
  const std::string scenario = dir.file("tiny.json");
  std::ofstream(scenario) << kScenario;
  const auto r = run_hookbench({"sweep", scenario, "--find-max-rate", "--p99-bound", "0ms"},
                               milliseconds(10'000));
  ASSERT_TRUE(r.exit.exited);
  EXPECT_EQ(r.exit.code, 2) << r.err;
  EXPECT_NE(r.err.find("--p99-bound"), std::string::npos) << r.err;
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
}

TEST(sweep, capacity_search_rejects_a_nonsense_confirmation_count) {
  temp_dir dir;
  const std::string scenario = dir.file("tiny.json");
  std::ofstream(scenario) << kScenario;
  for (const char* bad : {"11", "-1", "three"}) {
    const auto r = run_hookbench({"sweep", scenario, "--find-max-rate", "--confirm-repeats", bad},
                                 milliseconds(10'000));
    ASSERT_TRUE(r.exit.exited);
    EXPECT_EQ(r.exit.code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("--confirm-repeats"), std::string::npos) << r.err;
    EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
  }
}

}  // namespace
}  // namespace hookbench_test
