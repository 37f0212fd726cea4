#!/usr/bin/python3
"""scripts/report.py on the synthetic results folder of fixtures.make_fixture: the per-mode
tables carry the fixture's numbers, the conclusions are computed from the data (they change when
the data does), the HTML is self-contained, and bad input fails with one clear line. With a built
`hookbench` that has `sweep`, also the whole pipeline end to end on bench/scenarios/quick.json."""

import base64
import csv
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import unittest

import fixtures as fixture
from fixtures import PLOT, REPORT, md_table, read, section


def number(cell):
    return float(cell.rstrip("*").replace("−", "-"))


def medians(rows, mode, interval, column):
    """{rate: median} over the fixture's successful rows of one series."""
    out = {}
    for r in rows:
        if r["mode"] == mode and r["interval_ms"] == interval and not r["note"].startswith("failed"):
            out.setdefault(float(r["rate"]), []).append(float(r[column]))
    return {rate: statistics.median(v) for rate, v in out.items()}


def realised_means(rows, mode, interval, column):
    """{mean realised rate: mean} over the fixture's successful rows of one series: where a
    point of a mean column is drawn and read."""
    out = {}
    for r in rows:
        if r["mode"] == mode and r["interval_ms"] == interval and not r["note"].startswith("failed"):
            out.setdefault(float(r["rate"]), []).append((float(r["realised_rate"]), float(r[column])))
    return {statistics.fmean(x for x, _ in v): statistics.fmean(y for _, y in v)
            for v in out.values()}


class ReportOnFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="hookbench-report-")
        cls.dir = cls.tmp.name
        cls.rows = fixture.make_fixture(cls.dir)
        cls.proc = fixture.run_script(REPORT, cls.dir)
        cls.md = read(os.path.join(cls.dir, "REPORT.md")) if cls.proc.returncode == 0 else ""

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_exit_status_and_outputs(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertIn("REPORT.md", self.proc.stdout)
        self.assertTrue(os.path.isfile(os.path.join(self.dir, "REPORT.html")))

    def test_draws_missing_charts_first(self):
        for name in fixture.CHART_NAMES:
            png = os.path.join(self.dir, "charts", name + ".png")
            with self.subTest(chart=name):
                width, height = fixture.png_size(png)
                self.assertGreaterEqual((width, height), (400, 300))
                # A chart without data for this folder is not embedded.
                embedded = name not in fixture.NOT_IN_BASE_FIXTURE
                self.assertEqual(f"](charts/{name}.png)" in self.md, embedded)

    def test_per_mode_tables_carry_the_fixture_numbers(self):
        ok = [r for r in self.rows if not r["note"].startswith("failed")]
        tables = {mode: md_table(section(self.md, f"### {mode}")) for mode in ("poll", "webhook")}
        points = {}
        for r in ok:
            points.setdefault((r["mode"], r["interval_ms"], float(r["rate"])), []).append(r)
        self.assertEqual(sum(len(t) for t in tables.values()), len(points))
        for (mode, interval, rate), runs in points.items():
            with self.subTest(mode=mode, interval=interval, rate=rate):
                match = [t for t in tables[mode] if number(t["rate (events/s)"]) == rate
                         and (not interval or number(t["T (ms)"]) == float(interval))]
                self.assertEqual(len(match), 1, f"no single table row for {mode} {interval} {rate}")
                row = match[0]
                self.assertEqual(int(row["runs"]), len(runs))
                self.assertEqual(int(row["delivered"]), sum(int(r["delivered"]) for r in runs))
                self.assertEqual(int(row["lost"]), sum(int(r["lost"]) for r in runs))
                # A percentile's point: the median over the repeats; a mean's: their mean.
                for header, column, scale, of in (
                        ("p50 (ms)", "latency_p50_us", 1e-3, statistics.median),
                        ("p99 (ms)", "latency_p99_us", 1e-3, statistics.median),
                        ("requests/event", "requests_per_event", 1, statistics.fmean),
                        ("bytes/event", "bytes_per_event", 1, statistics.fmean)):
                    expected = of(float(r[column]) * scale for r in runs)
                    self.assertAlmostEqual(number(row[header]) / expected, 1.0, delta=0.01,
                                           msg=header)
                if interval:
                    self.assertAlmostEqual(number(row["λT"]), rate * float(interval) / 1000,
                                           delta=0.01 * rate * float(interval) / 1000)

    def test_low_sample_percentiles_are_marked(self):
        poll = md_table(section(self.md, "### poll"))
        sparse = [t for t in poll if number(t["rate (events/s)"]) == 0.5]
        self.assertTrue(all(t["p50 (ms)"].endswith("*") for t in sparse))
        dense = [t for t in poll if number(t["rate (events/s)"]) == 128]
        self.assertFalse(any(t["p50 (ms)"].endswith("*") for t in dense))

    def test_request_crossover_sentence_is_computed(self):
        m = re.search(r"At T = 100 ms, poll sent fewer requests per delivered event than webhook "
                      r"above λT ≈ ([\d.]+) measured \(at the realised rates\) \(([\d.]+) "
                      r"predicted\), i\.e\. above "
                      r"≈ ([\d.]+) events/s", self.md)
        self.assertIsNotNone(m, "no computed crossover sentence for T = 100 ms")
        measured_lt, predicted_lt, rate = map(float, m.groups())
        self.assertAlmostEqual(predicted_lt, 1.0, delta=0.01)
        self.assertAlmostEqual(measured_lt, rate * 0.1, delta=0.02)
        # The crossing must lie between the two realised rates where polling's mean
        # requests/event passes webhook's (points placed at the rate their runs got).
        poll = realised_means(self.rows, "poll", "100", "requests_per_event")
        hook = realised_means(self.rows, "webhook", "", "requests_per_event")
        # The two series' realised rates differ (their windows differ): read webhook's (flat at
        # one request per event) at polling's rates.
        hook = {r: statistics.median(hook.values()) for r in poll}
        rates = sorted(r for r in poll if r in hook)
        bracket = [(a, b) for a, b in zip(rates, rates[1:])
                   if poll[a] > hook[a] and poll[b] < hook[b]]
        self.assertEqual(len(bracket), 1)
        self.assertTrue(bracket[0][0] < rate < bracket[0][1], (rate, bracket))
        self.assertIn("poll (T = 100, 1000 ms) against webhook", self.md)  # both intervals

    def test_latency_ratio_sentence_matches_the_data(self):
        m = re.search(r"Webhook p50 latency was ([\d.]+)–([\d.]+)× lower than poll at "
                      r"T = 100 ms", self.md)
        self.assertIsNotNone(m)
        poll = medians(self.rows, "poll", "100", "latency_p50_us")
        hook = medians(self.rows, "webhook", "", "latency_p50_us")
        ratios = [poll[r] / hook[r] for r in poll if r in hook]
        lo, hi = map(float, m.groups())
        self.assertAlmostEqual(lo / min(ratios), 1.0, delta=0.06)
        self.assertAlmostEqual(hi / max(ratios), 1.0, delta=0.06)

    def test_model_table_compares_each_point_with_its_repeat_interval(self):
        table = md_table(section(self.md, "## Model vs measurement"))
        by_point = {(t["series"], number(t["rate (events/s)"])): t for t in table}
        for (mode, interval, rate), runs in self.points().items():
            label = "webhook" if not interval else f"poll T={interval} ms"
            row = by_point[(label, rate)]
            values = [float(r["latency_mean_us"]) / 1000 for r in runs]
            model = statistics.fmean(float(r["model_latency_mean_us"]) / 1000 for r in runs)
            with self.subTest(point=(label, rate)):
                m = re.fullmatch(r"([\d.]+)(?: \(([\d.]+)–([\d.]+)\))?",
                                 row["mean latency (ms)"])
                self.assertIsNotNone(m, row["mean latency (ms)"])
                measured, shown_model = float(m.group(1)), float(row["model latency (ms)"])
                self.assertAlmostEqual(measured / statistics.fmean(values), 1, delta=0.005)
                self.assertAlmostEqual(shown_model / model, 1, delta=0.005)
                cell = row["latency agreement"]
                # The printed miss is (measured - model) / model of the printed numbers.
                off = re.search(r"off by ([+−])([\d.]+)%", cell)
                self.assertIsNotNone(off, cell)
                sign = 1 if off.group(1) == "+" else -1
                x = (measured - shown_model) / shown_model * 100
                # Two significant digits: half a unit of the second.
                last = 10 ** (math.floor(math.log10(abs(x))) - 1) if abs(x) > 1e-9 else 0
                self.assertAlmostEqual(sign * float(off.group(2)), x, delta=last / 2 + 1e-9)
                if len(values) < 2:
                    self.assertIsNone(m.group(2))
                    self.assertTrue(cell.startswith("no interval (1 repeat)"), cell)
                    continue
                t = {2: 12.706205, 3: 4.302653}[len(values)]
                half = t * statistics.stdev(values) / math.sqrt(len(values))
                lo, hi = max(statistics.fmean(values) - half, 0), statistics.fmean(values) + half
                self.assertAlmostEqual(float(m.group(2)), lo, delta=0.005 * hi + 1e-9)
                self.assertAlmostEqual(float(m.group(3)), hi, delta=0.005 * hi)
                if lo <= model <= hi:
                    self.assertTrue(cell.startswith("within its interval"), cell)
                else:
                    self.assertTrue(cell.startswith(
                        f"model {'above' if model > hi else 'below'} its interval"), cell)

    def points(self):
        out = {}
        for r in self.rows:
            if not r["note"].startswith("failed"):
                out.setdefault((r["mode"], r["interval_ms"], float(r["rate"])), []).append(r)
        return out

    def test_fraction_of_points_whose_model_lies_in_the_repeat_interval(self):
        holds = total = 0
        for runs in self.points().values():
            values = [float(r["latency_mean_us"]) for r in runs]
            if len(values) < 2:
                continue
            total += 1
            mean = statistics.fmean(values)
            half = {2: 12.706205, 3: 4.302653}[len(values)] * statistics.stdev(values) \
                / math.sqrt(len(values))
            model = statistics.fmean(float(r["model_latency_mean_us"]) for r in runs)
            holds += max(mean - half, 0) <= model <= mean + half
        self.assertIn(f"**Mean latency**: the model lies inside the point's 95% interval at "
                      f"{holds} of {total} judged points", self.md)

    def test_model_goal_per_mode_counts_points_inside_or_within_15_percent(self):
        per_mode = fixture.goal_recount(self.points())
        missed = sum(n - k for k, n in per_mode.values())
        self.assertTrue(per_mode)
        sentence = re.search(r"Inside the interval, or the measured mean within ±15% of the "
                             r"model \(the model's goal: 90% of every mode's points\): ([^.]*)\.",
                             self.md)
        self.assertIsNotNone(sentence)
        for mode, (ok, n) in per_mode.items():
            self.assertIn(f"{mode} {ok}/{n}" + ("" if ok / n >= 0.9 else " (below 90%)"),
                          sentence.group(1).split(", "))
        if missed:
            listed = re.search(r"Every point where it is neither: (.*?)\.(?: |$)",
                               self.md[sentence.end():], re.M)
            self.assertIsNotNone(listed)
            self.assertEqual(listed.group(1).count(" measured against the model's "), missed)
        else:
            self.assertIn("No point misses both.", self.md)


    def test_warnings_are_grouped_with_counts_right_after_the_answer(self):
        heading = re.search(r"^## Warnings \((\d+) kinds\)$", self.md, re.M)
        self.assertIsNotNone(heading)
        self.assertLess(heading.start(), self.md.index("## What the data says"))
        self.assertLess(self.md.index("## The answer"), heading.start())
        warnings = section(self.md, heading.group(0))
        kinds = [ln for ln in warnings.splitlines() if ln.startswith("- **")]
        self.assertEqual(len(kinds), int(heading.group(1)))
        self.assertEqual(len(set(k.split("**")[1] for k in kinds)), len(kinds))
        self.assertIn("- **failed runs** (1 run): `webhook-r128-N1-p256-k1`: producer did not "
                      "become ready", warnings)
        self.assertIn(f"- **lost events** (1 run): **2 events lost** in `{fixture.LOSSY_RUN}`",
                      warnings)
        self.assertIn(f"- **saturated points (did not keep up)** (1 point): 1 run in all: "
                      f"`{fixture.SATURATED_RUN}`: {fixture.SATURATED_REASON}", warnings)
        self.assertIn(f"- **minimums not reached (min_reached = false)** (1 run): "
                      f"`{fixture.SHORT_RUN}`", warnings)
        self.assertIn("- **points missing repeats** (1 point): webhook at 128 events/s: only 2 "
                      "of 3 repeats", warnings)
        low = sum("p50" in r["latency_low_sample"].split(";") for r in self.rows
                  if not r["note"].startswith("failed"))
        self.assertIn(f"- **p50 on fewer than 10 samples** ({low} runs)", warnings)
        self.assertNotIn(fixture.FAILED_RUN, section(self.md, "### webhook"))

    def test_saturated_point_is_named(self):
        sat = section(self.md, "### Saturated points")
        self.assertIn(f"webhook at 128 events/s: 1 of 2 repeats did not keep up "
                      f"({fixture.SATURATED_REASON})", sat)

    def test_answer_leads_with_the_network_and_real_repeat_count(self):
        answer = section(self.md, "## The answer")
        self.assertLess(self.md.index("## The answer"), self.md.index("## What the data says"))
        self.assertIn("loopback (127.0.0.1)", answer)
        self.assertIn(f"in-run webhook POST round trip of {fixture.POST_RTT_US:g} µs", answer)
        self.assertIn("that ratio holds on this network only", answer)
        self.assertIn("(medians over 2–3 repeats per point)", answer)  # the failed run: 2
        self.assertIn("](charts/latency_vs_rate.png)", answer)
        self.assertIn("](charts/requests_per_s.png)", answer)

    def test_no_signature_and_sources_cited(self):
        self.assertNotIn("signature", self.md.lower())
        refs = section(self.md, "## References")
        self.assertIn("resthooks.org", refs)
        self.assertIn("30 million polls, 460 thousand", refs)
        self.assertIn("A Comparison of Push and Pull Techniques for AJAX", refs)
        self.assertIn("WSE 2007", refs)
        self.assertIn("Performance Testing of Data Delivery Techniques for AJAX Applications", refs)
        self.assertIn("Journal of Web Engineering 8(4), 2009", refs)
        self.assertIn("98.5% of its polls empty [1]", self.md)

    def test_captions_come_from_the_charts(self):
        with open(os.path.join(self.dir, "charts", "captions.json"), encoding="utf-8") as f:
            captions = json.load(f)
        for name in fixture.CHART_NAMES:
            if name in fixture.NOT_IN_BASE_FIXTURE:
                continue
            with self.subTest(chart=name):
                self.assertIn(f"*{captions[name]}*", self.md)
        self.assertNotIn("stars where", self.md)

    def test_environment_lists_revisions_and_pinning(self):
        env = section(self.md, "## Environment")
        self.assertIn("git revision `abc123def456`: 44 runs", env)
        self.assertIn("core pinning requested (config.pin): producer 0, consumer 1", env)
        self.assertIn("built from a modified tree (git_dirty): 0 of 44 runs", env)
        self.assertNotIn("Warning", env)

    def test_setup_comes_from_the_run_jsons(self):
        setup = section(self.md, "## Setup")
        for text in ("Fixture CPU @ 2.0GHz", "g++ 12.2.0", "45 (44 measured, 1 failed)",
                     "0.5, 2, 8, 32, 128", "100, 1000", "loopback (127.0.0.1)"):
            self.assertIn(text, setup)

    def test_html_is_self_contained(self):
        page = read(os.path.join(self.dir, "REPORT.html"))
        images = re.findall(r'<img [^>]*src="([^"]+)"', page)
        self.assertEqual(len(images), len(fixture.CHART_NAMES))  # the base fixture's charts
        for src in images:
            self.assertTrue(src.startswith("data:image/png;base64,"), src[:40])
        png = base64.b64decode(images[0].split(",", 1)[1])
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        self.assertGreater(len(png), 20_000)
        self.assertEqual(page.count("<table>"), self.md.count("\n|---"))
        self.assertIn("<h2>The answer</h2>", page)


class ComputedConclusions(unittest.TestCase):
    """The same report code must say different things about different data."""

    def report(self, **kwargs):
        d = tempfile.mkdtemp(prefix="hookbench-report-")
        self.addCleanup(shutil.rmtree, d, True)
        fixture.make_fixture(d, trace=False, **kwargs)
        proc = fixture.run_script(REPORT, d)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return read(os.path.join(d, "REPORT.md"))

    def test_only_one_mode_says_it_cannot_compare(self):
        md = self.report(modes=("poll",), rates=(1.0, 10.0, 100.0), intervals=(100.0,),
                         repeats=1, failed=False)
        self.assertIn("has only poll runs, so polling and push cannot be compared", md)
        self.assertNotIn("sent fewer requests", md)
        self.assertIn("### poll", md)

    def test_crossover_outside_the_measured_range_is_said(self):
        # λT from 0.05 to 0.2: polling costs more requests per event at every rate.
        md = self.report(rates=(0.5, 1.0, 2.0), intervals=(100.0,), repeats=1, failed=False)
        m = re.search(r"At T = 100 ms, poll sent more requests per delivered event than webhook "
                      r"at every measured rate \(λT 0\.05–0\.2\)", md)
        self.assertIsNotNone(m, section(md, "## What the data says"))
        self.assertIn("at λT 0.05–0.2 (3 points) webhook had the lower p50 latency and used "
                      "fewer requests", section(md, "## The answer"))

    def test_no_warnings_when_nothing_went_wrong(self):
        # Enough events per run (12000+) that no percentile up to p99.9 is short of samples.
        md = self.report(rates=(6000.0, 8000.0), intervals=(100.0,), repeats=1, failed=False,
                         saturated=False)
        self.assertIn("None: all 4 runs delivered every event", section(md, "## Warnings"))
        self.assertIn("(one run per point)", section(md, "## The answer"))
        self.assertNotIn("medians over", section(md, "## The answer"))

    def test_revision_mismatch_and_dirty_tree_are_warned(self):
        md = self.report(rates=(1.0, 10.0), intervals=(100.0,), failed=False,
                         revisions={"poll-r1-T100-N1-p256-k0": "0123456789ab"},
                         dirty=("webhook-r10-N1-p256-k1", "webhook-r1-N1-p256-k2"))
        env = section(md, "## Environment")
        self.assertIn("git revision `abc123def456`: 11 runs", env)
        self.assertIn("git revision `0123456789ab`: 1 run", env)
        self.assertIn("**Warning:** the runs come from 2 different git revisions", env)
        self.assertIn("**Warning:** 2 runs were built from a tree with uncommitted changes", env)
        warnings = md[md.index("## Warnings"):]
        self.assertIn("- **runs from different git revisions** (2 revisions)", warnings)
        self.assertIn("- **built from a modified tree (git_dirty)** (2 runs)", warnings)

    def test_capacity_search_is_shown_when_present(self):
        d = tempfile.mkdtemp(prefix="hookbench-report-")
        self.addCleanup(shutil.rmtree, d, True)
        fixture.make_fixture(d, rates=(1.0, 10.0), intervals=(100.0,), trace=False)
        with open(os.path.join(d, "max_rate.json"), "w") as f:
            json.dump({"mode": "webhook", "interval_ms": None, "subscribers": 1,
                       "p99_bound_us": 5000, "max_sustained_rate": 20000,
                       "tried": [{"rate": 20000, "saturated": False, "reason": "",
                                  "p99_us": 900, "lost": 0},
                                 {"rate": 40000, "saturated": True,
                                  "reason": "queue depth 900 at window end", "p99_us": 80000,
                                  "lost": 0}]}, f)
        proc = fixture.run_script(REPORT, d)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        cap = section(read(os.path.join(d, "REPORT.md")),
                      "### Highest sustained rate (capacity search)")
        self.assertIn("webhook, N = 1 sustained 20000 events/s at most (p99 ≤ 5 ms and no loss",
                      cap)
        rows = md_table(cap)
        self.assertEqual([r["rate tried (events/s)"] for r in rows], ["20000", "40000"])
        self.assertEqual(rows[1]["reason"], "queue depth 900 at window end")
        self.assertNotIn("Confirmed", cap)

    def test_capacity_search_confirmation_is_shown(self):
        d = tempfile.mkdtemp(prefix="hookbench-report-")
        self.addCleanup(shutil.rmtree, d, True)
        fixture.make_fixture(d, rates=(1.0, 10.0), intervals=(100.0,), trace=False)
        probe = {"saturated": False, "reason": "", "p99_us": 900, "lost": 0, "sustained": True}
        tried = [dict(probe, rate=20000, phase="search")] + \
            [dict(probe, rate=20000, phase="confirm")] * 3 + \
            [dict(probe, rate=20400, phase="confirm", sustained=False, saturated=True,
                  reason="queue depth 900 at window end")]
        with open(os.path.join(d, "max_rate.json"), "w") as f:
            json.dump([{"mode": "webhook", "interval_ms": None, "subscribers": 1,
                        "p99_bound_us": 5000, "max_sustained_rate": 20000,
                        "first_not_sustained": 20400,
                        "confirmation": {"repeats": 3, "confirmed": True, "moves": 0,
                                         "rule": "r"}, "tried": tried}], f)
        proc = fixture.run_script(REPORT, d)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        cap = section(read(os.path.join(d, "REPORT.md")),
                      "### Highest sustained rate (capacity search)")
        self.assertIn("Confirmed by 3 more runs at the answer and at the rate above (0 steps "
                      "moved).", cap)
        rows = md_table(cap)
        self.assertEqual([r["phase"] for r in rows], ["search"] + ["confirm"] * 4)
        self.assertEqual([r["rate tried (events/s)"] for r in rows],
                         ["20000"] * 4 + ["20400"])


class BadInput(unittest.TestCase):
    def assert_one_line_error(self, proc, fragment):
        self.assertNotEqual(proc.returncode, 0)
        err = proc.stderr.strip()
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertTrue(err.startswith("report.py: error:"), err)
        self.assertIn(fragment, err)

    def test_empty_folder(self):
        with tempfile.TemporaryDirectory() as d:
            self.assert_one_line_error(fixture.run_script(REPORT, d), "runs.csv")
            self.assertFalse(os.path.exists(os.path.join(d, "REPORT.md")))

    def test_missing_required_column(self):
        with tempfile.TemporaryDirectory() as d:
            rows = fixture.make_fixture(d, rates=(1.0, 10.0), repeats=1, trace=False)
            fixture.write_csv(os.path.join(d, "runs.csv"), rows,
                              [c for c in fixture.COLUMNS if c != "latency_p50_us"])
            self.assert_one_line_error(fixture.run_script(REPORT, d), "latency_p50_us")

    def test_malformed_run_json(self):
        with tempfile.TemporaryDirectory() as d:
            rows = fixture.make_fixture(d, rates=(1.0, 10.0), repeats=1, trace=False)
            with open(os.path.join(d, rows[0]["result_file"]), "w") as f:
                f.write("[1, 2")
            self.assert_one_line_error(fixture.run_script(REPORT, d), "malformed JSON")


def sweep_skip_reason():
    binary = os.environ.get("HOOKBENCH_BIN")
    if not binary:
        return "HOOKBENCH_BIN is not set (ctest sets it)"
    if not os.access(binary, os.X_OK):
        return f"{binary} is not an executable"
    if not os.path.isfile(os.path.join(fixture.ROOT, "bench", "scenarios", "quick.json")):
        return "bench/scenarios/quick.json does not exist yet"
    try:
        help_text = subprocess.run([binary, "--help"], capture_output=True, text=True,
                                   timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"{binary} --help failed: {e}"
    if not re.search(r"^\s+sweep\b", help_text, re.M):
        return f"{binary} has no sweep command yet"
    return None


@unittest.skipIf(sweep_skip_reason(), sweep_skip_reason())
class EndToEndQuickSweep(unittest.TestCase):
    """hookbench sweep quick.json -> plot.py -> report.py, on this machine."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="hookbench-e2e-")
        cls.dir = os.path.join(cls.tmp.name, "quick")
        scenario = os.path.join(fixture.ROOT, "bench", "scenarios", "quick.json")
        with open(scenario) as f:
            cls.scenario = json.load(f)
        cls.sweep = subprocess.run([os.environ["HOOKBENCH_BIN"], "sweep", scenario, "--out",
                                    cls.dir, "--quiet"], capture_output=True, text=True,
                                   timeout=400)
        cls.plot = fixture.run_script(PLOT, cls.dir)
        cls.report = fixture.run_script(REPORT, cls.dir)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_pipeline_succeeds(self):
        self.assertEqual(self.sweep.returncode, 0, self.sweep.stderr)
        self.assertEqual(self.plot.returncode, 0, self.plot.stderr)
        self.assertEqual(self.report.returncode, 0, self.report.stderr)

    def test_one_row_per_point_and_no_lost_events(self):
        s = self.scenario
        per_mode = {m: len(s.get("intervals_ms", [1])) if m.startswith("poll") else 1
                    for m in s["modes"]}
        expected = (sum(per_mode.values()) * len(s["rates"]) * len(s.get("subscribers", [1]))
                    * len(s.get("payload_bytes", [1])) * s.get("repeats", 1))
        with open(os.path.join(self.dir, "runs.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), expected)
        with open(os.path.join(self.dir, "runs.csv"), newline="") as f:
            header = next(csv.reader(f))
        self.assertEqual(tuple(header[:len(fixture.COLUMNS)]), fixture.COLUMNS)
        self.assertGreaterEqual(s.get("repeats", 1), 1)
        for r in rows:
            with self.subTest(run=r["run_id"]):
                self.assertFalse(r["note"].startswith("failed"), r["note"])
                self.assertEqual(int(r["lost"]), 0)
                self.assertGreater(int(r["delivered"]), 0)
                self.assertIn(r["saturated"], ("true", "false"))
                self.assertGreater(float(r["realised_rate"]), 0)
                self.assertIn(r["model_latency_agreement"], ("within", "above", "below", ""))
                for column in ("cpu_cores_producer", "cpu_cores_consumer"):
                    self.assertNotEqual(r[column], "0", f"{column}: unmeasured must be empty")

    def test_model_csv_has_a_dense_curve_per_series(self):
        with open(os.path.join(self.dir, "model.csv"), newline="") as f:
            reader = csv.DictReader(f)
            self.assertEqual(tuple(reader.fieldnames), fixture.MODEL_COLUMNS)
            model = list(reader)
        s = self.scenario
        series = sum(len(s.get("intervals_ms", [1])) if m.startswith("poll") else 1
                     for m in s["modes"]) * len(s.get("subscribers", [1])) * \
            len(s.get("payload_bytes", [1]))
        self.assertEqual(len(model), 61 * series)

    def test_charts_and_report(self):
        for name in fixture.CHART_NAMES:
            with self.subTest(chart=name):
                w, h = fixture.png_size(os.path.join(self.dir, "charts", name + ".png"))
                self.assertGreaterEqual((w, h), (400, 300))
        md = read(os.path.join(self.dir, "REPORT.md"))
        for mode in self.scenario["modes"]:
            self.assertIn(f"\n### {mode}\n", md)
        self.assertIn("## What the data says", md)
        if self.scenario.get("trace"):  # the sweep recorded a trace: a real timeline
            self.assertNotIn("no data for this chart",
                             read(os.path.join(self.dir, "charts", "timeline.svg")))


if __name__ == "__main__":
    unittest.main()
