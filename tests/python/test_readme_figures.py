"""Tests for scripts/readme_figures.py: the README's figures are what the committed results say.

The first test runs --check against the real README and results/: it fails whenever someone edits
a figure by hand or commits results without regenerating the README. The others run the script on
a synthetic checkout (fixtures.sweep's folder as results/reference) and show that a change in the
data changes its block, and that bad markers and missing files are one-line errors.
"""

import csv
import json
import os
import tempfile
import unittest

from fixtures import REVISION, ROOT, SCRIPTS, goal_recount, make_fixture, read, \
    run_script
from fixtures.micro import CONTEXT, aggregates
from hookbench.readme import BLOCKS, render
from hookbench.readme_markers import apply, blocks_in
from hookbench.readme_model import goal_counts
from hookbench.runs_csv import load_runs
from hookbench.errors import ResultsError

SCRIPT = os.path.join(SCRIPTS, "readme_figures.py")

README = """# a checkout

**The reference sweep**: <!-- figures:reference-setup begin -->
<!-- figures:reference-setup end -->

<!-- figures:reference-latency begin -->
<!-- figures:reference-latency end -->

Words between the blocks stay as they are.
"""


class CommittedReadmeTest(unittest.TestCase):
    def test_readme_matches_the_committed_results(self):
        res = run_script(SCRIPT, "--check")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("blocks match", res.stdout)

    def test_every_figure_block_of_the_readme_is_known(self):
        names = [n for n, _, _ in blocks_in(read(os.path.join(ROOT, "README.md")))]
        self.assertGreaterEqual(len(names), 8)
        self.assertEqual(sorted(set(names) - set(BLOCKS)), [])
        # The machine is said once, from the run files: whatever CPU they name, the README names.
        text = read(os.path.join(ROOT, "README.md"))
        machine = render(ROOT, ["machine"])["machine"]
        self.assertIn(machine, text)


class GeneratorTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.root = self.tmp.name
        self.folder = os.path.join(self.root, "results", "reference")
        make_fixture(self.folder, failed=False, saturated=False, trace=False)
        self.readme = os.path.join(self.root, "README.md")
        self.write_readme(README)

    def write_readme(self, text):
        with open(self.readme, "w", encoding="utf-8") as f:
            f.write(text)

    def generate(self, *args):
        return run_script(SCRIPT, "--root", self.root, "--readme", self.readme, *args)

    def edit_runs(self, change):
        path = os.path.join(self.folder, "runs.csv")
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            header, rows = reader.fieldnames, list(reader)
        for row in rows:
            change(row)
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=header)
            w.writeheader()
            w.writerows(rows)

    def test_a_change_in_the_data_changes_its_block_and_only_it(self):
        first = self.generate()
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn("2 of 2 blocks rewritten", first.stdout)
        self.assertEqual(self.generate("--check").returncode, 0)
        before = read(self.readme)
        self.assertIn("Words between the blocks stay as they are.", before)
        self.assertIn(f"revision {REVISION[:7]}", before)

        # Every poll p50 at the top rate becomes 1234 ms: only the latency block disagrees.
        top = max(float(r) for r in _column(self.folder, "rate"))

        def slower(row):
            if row["mode"] == "poll" and float(row["rate"]) == top:
                row["latency_p50_us"] = "1234000"
        self.edit_runs(slower)
        check = self.generate("--check")
        self.assertEqual(check.returncode, 1)
        self.assertEqual(len(check.stderr.strip().splitlines()), 1, check.stderr)
        self.assertIn("figures:reference-latency differs", check.stderr)
        self.assertEqual(read(self.readme), before, "--check wrote the README")

        again = self.generate()
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("1 of 2 blocks rewritten (reference-latency)", again.stdout)
        after = read(self.readme)
        self.assertIn("| `poll` |", after)
        poll_row = next(line for line in after.splitlines() if line.startswith("| `poll` |"))
        self.assertIn("1.23 s", poll_row)
        self.assertNotIn("1.23 s", before)
        self.assertEqual(self.generate("--check").returncode, 0)

    def test_model_goal_counts_every_judged_point_of_each_mode(self):
        points = {}
        for row in _rows(self.folder):
            if row["note"].startswith("failed") or not row["latency_mean_us"]:
                continue
            key = (row["mode"], row["interval_ms"], row["rate"], row["subscribers"],
                   row["consumer_stack"], row["tuning"])
            points.setdefault(key, []).append(row)
        expected = goal_recount(points)
        counts, misses = goal_counts(load_runs(self.folder))
        self.assertTrue(expected)
        self.assertEqual(counts, expected)
        self.assertEqual(misses, sum(n - k for k, n in expected.values()))

        # No bound at the top webhook point (ρ ≥ 1): it meets the goal when a repeat saturated,
        # and misses it when every repeat kept up.
        top = max(float(r) for r in _column(self.folder, "rate"))

        def unbounded(saturated):
            def change(row):
                if row["mode"] == "webhook" and float(row["rate"]) == top:
                    row["model_latency_mean_us"] = ""
                    row["saturated"] = "true" if saturated and row["repeat"] == "0" else "false"
            return change
        self.edit_runs(unbounded(True))
        counts, _ = goal_counts(load_runs(self.folder))
        self.assertEqual(counts["webhook"], expected["webhook"])
        self.edit_runs(unbounded(False))
        counts, misses = goal_counts(load_runs(self.folder))
        self.assertEqual(counts["webhook"], [expected["webhook"][0] - 1, expected["webhook"][1]])

        # A model twice the measurement at every webhook point: each of them now misses both.
        def doubled(row):
            if row["mode"] == "webhook" and row["latency_mean_us"]:
                row["model_latency_mean_us"] = str(2 * float(row["latency_mean_us"]))
        self.edit_runs(doubled)
        counts, _ = goal_counts(load_runs(self.folder))
        self.assertEqual(counts["webhook"][0], 0)
        self.assertEqual(counts["webhook"][1], expected["webhook"][1])

    def test_a_run_from_another_revision_shows_in_the_setup(self):
        self.assertEqual(self.generate().returncode, 0)
        runs = os.path.join(self.folder, "runs")
        name = sorted(os.listdir(runs))[0]
        with open(os.path.join(runs, name), encoding="utf-8") as f:
            doc = json.load(f)
        doc["environment"]["git_revision"] = "fedcba987654"
        doc["environment"]["git_dirty"] = True
        with open(os.path.join(runs, name), "w", encoding="utf-8") as f:
            json.dump(doc, f)
        check = self.generate("--check")
        self.assertEqual(check.returncode, 1)
        self.assertIn("figures:reference-setup differs", check.stderr)
        self.assertEqual(self.generate().returncode, 0)
        self.assertIn("fedcba9 (modified tree)", read(self.readme))

    def test_bad_markers_are_one_line_errors(self):
        cases = {
            "<!-- figures:nonsense begin -->\n<!-- figures:nonsense end -->\n": "nonsense",
            "<!-- figures:reference-latency begin -->\nno end\n": "has no end marker",
            "<!-- figures:reference-latency end -->\n": "end without its begin",
            ("<!-- figures:reference-latency begin -->\n<!-- figures:reference-latency end -->\n"
             * 2): "appears twice",
            "no markers at all\n": "no figures blocks",
        }
        for text, words in cases.items():
            with self.subTest(words=words):
                self.write_readme(text)
                res = self.generate()
                self.assertEqual(res.returncode, 2, res.stdout)
                self.assertEqual(len(res.stderr.strip().splitlines()), 1, res.stderr)
                self.assertIn(words, res.stderr)
                self.assertEqual(read(self.readme), text)

    def test_a_block_without_its_results_names_the_missing_file(self):
        self.write_readme("<!-- figures:max-rate begin -->\n<!-- figures:max-rate end -->\n")
        res = self.generate()
        self.assertEqual(res.returncode, 2)
        self.assertIn("figures:max-rate", res.stderr)
        self.assertIn("max_rate.json", res.stderr)


def _rows(folder):
    with open(os.path.join(folder, "runs.csv"), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _column(folder, name):
    return [row[name] for row in _rows(folder)]


class BlockTest(unittest.TestCase):
    """Blocks rendered straight from small files."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.root = self.tmp.name

    def put(self, rel, doc):
        path = os.path.join(self.root, "results", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)

    def search(self, mode, best, confirmed, environment=True, load_end=0.5):
        s = {"mode": mode, "interval_ms": None, "subscribers": 1, "payload_bytes": 256,
             "p99_bound_us": 10000, "window_s": 2, "max_sustained_rate": best,
             "first_not_sustained": best * 1.02, "tried": [{"rate": best, "sustained": True}],
             "confirmation": {"repeats": 3, "confirmed": confirmed, "moves": 0, "rule": "r"}}
        if environment:
            s["environment"] = {"git_revision": "abc1234def", "git_dirty": False, "cores": 2,
                                "pinning": {"producer": 0, "consumer": 1},
                                "load_average_start": [0.3, 0.2, 0.1],
                                "load_average_end": [load_end, 0.2, 0.1]}
        return s

    def test_max_rate_says_revision_pinning_and_confirmation(self):
        self.put("capacity/max_rate.json", [self.search("webhook", 30000, True),
                                            self.search("sse", 40000, True)])
        text = render(self.root, ["max-rate"])["max-rate"]
        self.assertIn("revision abc1234, pinned 0,1", text)
        self.assertIn("each answer run again and held every time", text)
        self.assertIn("| `webhook` | 30 000/s | 30 600/s |", text)
        self.assertNotIn("not confirmed", text)
        self.assertIn("load average 0.3–0.5 on 2 CPUs;", text)

        self.put("capacity/max_rate.json", [self.search("webhook", 30000, True, load_end=1.4)])
        text = render(self.root, ["max-rate"])["max-rate"]
        self.assertIn("load average 0.3–1.4 on 2 CPUs (**a loaded machine**; the average counts "
                      "the search's own two busy processes)", text)

        self.put("capacity/max_rate.json", [self.search("webhook", 30000, False, False)])
        text = render(self.root, ["max-rate"])["max-rate"]
        self.assertIn("environment not recorded", text)
        self.assertIn("`webhook` (not confirmed)", text)
        # No answer survived its confirmation: the row says what the search had held once.
        s = self.search("webhook", 30000, False)
        s["max_sustained_rate"] = None
        s["tried"] = [{"rate": 20000, "sustained": True, "phase": "search"},
                      {"rate": 25000, "sustained": True, "phase": "search"},
                      {"rate": 25000, "sustained": False, "phase": "confirm"}]
        self.put("capacity/max_rate.json", [s])
        text = render(self.root, ["max-rate"])["max-rate"]
        self.assertIn("| `webhook` (not confirmed) | none confirmed (25 000/s held once in the "
                      "search) |", text)

    def micro(self, load_start, load_end):
        ctx = dict(CONTEXT, hookbench_load_average_start=load_start,
                   hookbench_load_average_end=load_end)
        return {"context": ctx,
                "benchmarks": aggregates("json_event_encode/payload:256", 120.0) +
                aggregates("json_event_parse/payload:256", 3000.0)}

    def test_micro_flags_a_loaded_machine_and_names_what_is_missing(self):
        self.put("micro/micro.json", self.micro("0.4", "0.6"))
        text = render(self.root, ["micro"])["micro"]
        self.assertIn("load average 0.4 to 0.6 on 2 CPUs", text)
        self.assertNotIn("loaded machine", text)
        self.assertIn("| encode / parse one event, 256 B payload | 120 ns / 3 µs | ≤ 5% |", text)
        self.assertIn("not in micro.json (`durable_append/policy:0`)", text)

        self.put("micro/micro.json", self.micro("0.4", "1.9"))
        text = render(self.root, ["micro"])["micro"]
        self.assertIn("**a loaded machine**", text)

    def test_apply_keeps_the_text_around_the_blocks(self):
        text = "a\n<!-- figures:x begin -->\nold\n<!-- figures:x end -->\nb\n"
        new, changed = apply(text, {"x": "new\n"})
        self.assertEqual(new, "a\n<!-- figures:x begin -->\nnew\n<!-- figures:x end -->\nb\n")
        self.assertEqual(changed, ["x"])
        self.assertEqual(apply(new, {"x": "new\n"})[1], [])
        with self.assertRaises(ResultsError):
            apply(text, {})


if __name__ == "__main__":
    unittest.main()
