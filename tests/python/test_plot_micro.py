"""Tests for scripts/plot_micro.py: chart and table from Google Benchmark JSON, clear errors.

Runs the script as a user would on fixture JSON (fixtures.micro: the shape Google Benchmark 1.7.1
writes) and checks the files it writes.
"""

import json
import os
import subprocess
import tempfile
import unittest

from fixtures import PLOT_MICRO as SCRIPT
from fixtures import PYTHON, ROOT, SCRIPTS, png_size
from fixtures.micro import CONTEXT, aggregates, fixture_plain_runs, fixture_with_aggregates, \
    run_entry
from hookbench.charts import micro as plot_micro
from hookbench.micro_files import summarize


class PlotMicroTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.out = os.path.join(self.tmp.name, "out")

    def write(self, content, name="bench.json"):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(content if isinstance(content, str) else json.dumps(content))
        return path

    def run_script(self, *args):
        return subprocess.run([PYTHON, SCRIPT, *args], capture_output=True, text=True,
                              timeout=120)

    def table(self):
        with open(os.path.join(self.out, "TABLE.md"), encoding="utf-8") as f:
            return f.read()

    def test_chart_and_table_use_the_median_aggregate(self):
        res = self.run_script(self.write(fixture_with_aggregates()), "--output", self.out)
        self.assertEqual(res.returncode, 0, res.stderr)

        size = png_size(os.path.join(self.out, "micro.png"))
        self.assertIsNotNone(size, "micro.png is not a PNG")
        width, height = size
        self.assertGreaterEqual(width, 600)
        self.assertGreaterEqual(height, 250)
        self.assertLess(width * height, 20_000_000)
        self.assertGreater(os.path.getsize(os.path.join(self.out, "micro.png")), 10_000)
        with open(os.path.join(self.out, "micro.svg"), encoding="utf-8") as f:
            self.assertIn("<svg", f.read(4096))

        table = self.table()
        for name in ("json_event_encode/payload:256", "json_event_parse/payload:256",
                     "http_beast_roundtrip/keepalive", "delivery_poll/events:0"):
            self.assertIn(f"`{name}`", table)
        self.assertNotIn("/real_time", table)
        # Medians, not means (the fixture's means are three times larger), to 2 significant
        # digits: the repetitions' cv is 5%.
        self.assertIn("| 120 ns |", table)
        self.assertIn("| 1.2 µs |", table)
        self.assertIn("| 46 µs |", table)
        self.assertNotIn("370 ns", table)
        self.assertIn("8.1 M/s", table)
        self.assertIn("2.33 GiB/s", table)
        self.assertIn("5.0%", table)
        self.assertIn("error: GET /events: Connection refused", table)
        self.assertIn("Test CPU @ 2.00GHz", table)
        self.assertIn("g++ 12.2.0", table)
        self.assertIn("-O3 -DNDEBUG", table)

    def test_table_states_the_load_and_flags_a_loaded_machine(self):
        quiet = dict(fixture_with_aggregates())
        quiet["context"] = dict(CONTEXT, load_avg=[0.3, 0.2, 0.1],
                                hookbench_load_average_start="0.3",
                                hookbench_load_average_end="0.8")
        res = self.run_script(self.write(quiet), "--output", self.out)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("load average 0.3 to 0.8 on 2 CPUs\n", self.table())
        self.assertNotIn("loaded machine", self.table())

        # 1.2 at the end is above half of the 2 CPUs.
        quiet["context"]["hookbench_load_average_end"] = "1.2"
        res = self.run_script(self.write(quiet), "--output", self.out)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("load average 0.3 to 1.2 on 2 CPUs: **a loaded machine**", self.table())

    def test_table_says_what_a_debug_library_means_and_three_digits_need_a_small_cv(self):
        doc = fixture_with_aggregates()
        doc["context"] = dict(CONTEXT, library_build_type="debug")
        for b in doc["benchmarks"]:
            if b.get("aggregate_name") == "cv" and b["name"].startswith("json_event_encode"):
                b["real_time"] = 0.01
        res = self.run_script(self.write(doc), "--output", self.out)
        self.assertEqual(res.returncode, 0, res.stderr)
        table = self.table()
        self.assertIn("compiled without NDEBUG", table)
        self.assertIn("| `json_event_encode/payload:256` | 123 ns |", table)
        self.assertIn("| `json_event_parse/payload:256` | 1.2 µs |", table)

    def test_micro_sh_records_the_load_at_start_and_end(self):
        """scripts/micro.sh on the built hookbench_micro, two quick benchmarks, 2 repetitions."""
        micro = os.path.join(ROOT, "build", "release", "bench", "hookbench_micro")
        if not os.access(micro, os.X_OK):
            self.skipTest(f"{micro} not built")
        env = dict(os.environ, HOOKBENCH_MICRO_FILTER="^tracker_record/first$",
                   HOOKBENCH_MICRO_REPETITIONS="2")
        res = subprocess.run([os.path.join(SCRIPTS, "micro.sh"), self.out], env=env,
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(res.returncode, 0, res.stderr[-2000:])
        with open(os.path.join(self.out, "micro.json"), encoding="utf-8") as f:
            ctx = json.load(f)["context"]
        for key in ("hookbench_load_average_start", "hookbench_load_average_end"):
            self.assertGreaterEqual(float(ctx[key]), 0.0, key)
        self.assertEqual(ctx["hookbench_build_type"], "Release")
        table = self.table()
        self.assertIn("| `tracker_record/first` |", table)
        self.assertIn(" | 2 |", table)  # the repetitions, with a cv
        self.assertRegex(table, r"load average [0-9.]+ to [0-9.]+ on \d+ CPUs")

        env["HOOKBENCH_MICRO_REPETITIONS"] = "1"
        res = subprocess.run([os.path.join(SCRIPTS, "micro.sh"), self.out], env=env,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(res.returncode, 2)
        self.assertEqual(len(res.stderr.strip().splitlines()), 1, res.stderr)
        self.assertIn("HOOKBENCH_MICRO_REPETITIONS", res.stderr)

    def test_plain_runs_without_aggregates(self):
        res = self.run_script(self.write(fixture_plain_runs()), "--output", self.out)
        self.assertEqual(res.returncode, 0, res.stderr)
        table = self.table()
        self.assertIn("| `log_append/payload:256` | 60 ns |", table)  # median of 50, 70, 60
        self.assertIn("| `tracker_record/first` | 7 ns |", table)
        self.assertEqual(table.count("`log_append/payload:256`"), 1)
        self.assertIsNotNone(png_size(os.path.join(self.out, "micro.png")))

    def test_registration_order_despite_interleaving(self):
        # --benchmark_enable_random_interleaving writes results in a shuffled order.
        doc = {"context": CONTEXT, "benchmarks": [
            run_entry("b_second/x", 20.0, family_index=1, per_family_instance_index=0),
            run_entry("c_third/y", 30.0, family_index=1, per_family_instance_index=1),
            run_entry("a_first/z", 10.0, family_index=0, per_family_instance_index=0),
        ]}
        res = self.run_script(self.write(doc), "--output", self.out)
        self.assertEqual(res.returncode, 0, res.stderr)
        table = self.table()
        positions = [table.index(f"`{n}`") for n in ("a_first/z", "b_second/x", "c_third/y")]
        self.assertEqual(positions, sorted(positions))

    def figure(self, doc):
        rows, _ = summarize(doc)
        fig = plot_micro.plot_times(rows, doc["context"])
        self.addCleanup(__import__("matplotlib.pyplot").pyplot.close, fig)
        return fig

    def by_gid(self, fig, gid):
        return [a for ax in fig.axes for a in ax.get_children() if a.get_gid() == gid]

    def test_linear_axis_per_area_with_min_max_spread(self):
        fig = self.figure(fixture_plain_runs())
        self.assertEqual([ax.get_title(loc="left") for ax in fig.axes], ["log", "tracker"])
        self.assertTrue(all(ax.get_xscale() == "linear" for ax in fig.axes))
        (spread,) = self.by_gid(fig, "spread:log")
        (segment,) = spread.get_segments()
        self.assertEqual((segment[0][0], segment[1][0]), (50.0, 70.0))  # min-max of 50, 70, 60
        self.assertEqual(fig.axes[0].patches[0].get_width(), 60.0)  # the median
        self.assertIn("min–max over repetitions", fig.axes[-1].get_xlabel())

    def test_aggregates_only_spread_is_the_stddev(self):
        doc = {"context": CONTEXT, "benchmarks": aggregates("json_event_encode/payload:256", 123.0)}
        fig = self.figure(doc)
        (spread,) = self.by_gid(fig, "spread:json")
        (segment,) = spread.get_segments()
        self.assertAlmostEqual(segment[0][0], 123.0 - 12.3)
        self.assertAlmostEqual(segment[1][0], 123.0 + 12.3)
        self.assertIn("median ± stddev", fig.axes[-1].get_xlabel())

    def assert_clear_error(self, res, fragment):
        self.assertNotEqual(res.returncode, 0)
        message = res.stderr.strip()
        self.assertEqual(len(message.splitlines()), 1, message)
        self.assertIn("plot_micro.py: error:", message)
        self.assertIn(fragment, message)
        self.assertNotIn("Traceback", res.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.out, "micro.png")))

    def test_empty_file(self):
        self.assert_clear_error(self.run_script(self.write(""), "--output", self.out), "empty")

    def test_malformed_json(self):
        res = self.run_script(self.write('{"benchmarks": [ {"name": '), "--output", self.out)
        self.assert_clear_error(res, "not valid JSON")

    def test_json_that_is_not_benchmark_output(self):
        res = self.run_script(self.write({"rows": [1, 2]}), "--output", self.out)
        self.assert_clear_error(res, "not Google Benchmark JSON")

    def test_no_results(self):
        res = self.run_script(self.write({"context": CONTEXT, "benchmarks": []}),
                              "--output", self.out)
        self.assert_clear_error(res, "no benchmark results")

    def test_only_errors(self):
        doc = fixture_with_aggregates()
        doc["benchmarks"] = [b for b in doc["benchmarks"] if b.get("error_occurred")]
        res = self.run_script(self.write(doc), "--output", self.out)
        self.assert_clear_error(res, "nothing to plot")

    def test_missing_file(self):
        res = self.run_script(os.path.join(self.tmp.name, "absent.json"), "--output", self.out)
        self.assert_clear_error(res, "cannot read")

    def test_help(self):
        res = self.run_script("--help")
        self.assertEqual(res.returncode, 0)
        self.assertIn("--output", res.stdout)


if __name__ == "__main__":
    unittest.main()
