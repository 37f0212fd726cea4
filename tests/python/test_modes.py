#!/usr/bin/python3
"""Every delivery mode through scripts/plot.py and scripts/report.py: a synthetic folder with all
eight modes (poll, poll-conditional and poll-adaptive at two intervals, long-poll, sse,
websocket, webhook, webhook-batch) and webhook once more on cpp-httplib. Every chart renders,
each mode is in the legend of the charts where it belongs, model lines and labels come from
model.csv and never overprint each other, the report's mode comparison carries the fixture's
numbers and its sentences follow from them; the new runs.csv columns parse, and a folder written
before them (results/reference) still renders."""

import csv
import math
import os
import re
import shutil
import statistics
import tempfile
import unittest

import matplotlib.pyplot as plt

import fixtures as fixture
from fixtures import REPORT, md_table, read, section
from hookbench.charts import labels as model_labels
from hookbench.charts import sweep as plot
from hookbench.fmt import fmt_number
from hookbench.runs_csv import load_runs

STACKS = (("webhook", "httplib"),)


def label_of(mode, interval, stack="beast"):
    """How the scripts name a series: 'poll T=100 ms', 'webhook (httplib)'."""
    text = mode + (f" T={interval} ms" if interval else "")
    return text if stack == "beast" else f"{text} ({stack})"


def fixture_series(rows):
    """{label: {rate: [rows]}} of the fixture's measured rows."""
    out = {}
    for r in rows:
        if r["note"].startswith("failed"):
            continue
        label = label_of(r["mode"], r["interval_ms"], r["consumer_stack"])
        out.setdefault(label, {}).setdefault(float(r["rate"]), []).append(r)
    return out


def legend_texts(fig):
    return [t.get_text() for ax in fig.axes if ax.get_legend()
            for t in ax.get_legend().get_texts()]


# Student's t 0.975 quantile by the number of repeats (k - 1 degrees of freedom).
T975 = {2: 12.706205, 3: 4.302653}


def values(runs, column, scale=1.0):
    return [float(r[column]) * scale for r in runs if r[column] != ""]


class AllModesCharts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="hookbench-modes-")
        cls.dir = cls.tmp.name
        cls.rows = fixture.make_fixture(cls.dir, modes=fixture.ALL_MODES, stacks=STACKS)
        cls.data = plot.Data(cls.dir)
        cls.labels = sorted(fixture_series(cls.rows))
        cls.figs = {}

    @classmethod
    def tearDownClass(cls):
        plt.close("all")
        cls.tmp.cleanup()

    def chart(self, name):
        if name not in self.figs:
            self.figs[name] = plot.build_chart(self.data, name)
        return self.figs[name]

    def test_twelve_series_with_the_stack_in_the_label(self):
        # three pull modes at two intervals, five push modes, webhook on httplib
        self.assertEqual(len(self.labels), 12)
        self.assertEqual(sorted(s.label() for s in self.data.series), self.labels)
        self.assertIn("webhook (httplib)", self.labels)
        order = [s.mode for s in self.data.series]
        self.assertEqual(list(dict.fromkeys(order)), list(fixture.ALL_MODES))

    def test_every_chart_renders(self):
        out = os.path.join(self.dir, "charts")
        # The all-modes fixture is on loopback: the RTT chart has its own tests (test_rtt.py).
        for name in (n for n in fixture.CHART_NAMES if n not in fixture.NOT_IN_BASE_FIXTURE):
            with self.subTest(chart=name):
                fig = plot.build_chart(self.data, name)
                caption = plot.caption_of(fig)
                png = plot.save(fig, out, name)
                self.assertGreaterEqual(fixture.png_size(png), (400, 300))
                self.assertGreater(os.path.getsize(png), 20_000)
                self.assertTrue(caption)
                self.assertNotIn("no data for this chart", read(os.path.join(out, name + ".svg")))

    def test_every_series_is_in_the_legend_of_the_rate_charts(self):
        for name in ("latency_vs_rate", "requests_per_s", "requests_per_event", "cpu_cores",
                     "cpu_per_event", "bytes_per_event"):
            with self.subTest(chart=name):
                texts = legend_texts(self.chart(name))
                for label in self.labels:
                    self.assertIn(label, texts)

    def test_latency_cdf_draws_every_series_at_its_rate(self):
        texts = legend_texts(self.chart("latency_cdf"))
        for label in self.labels:
            self.assertTrue(any(t.startswith(label + " (") for t in texts), (label, texts))

    def test_empty_poll_fraction_has_the_pull_modes_only(self):
        texts = legend_texts(self.chart("empty_poll_fraction"))
        for label in self.labels:
            pull = label.split(" ")[0] in fixture.PULL_MODES
            with self.subTest(series=label):
                self.assertEqual(f"measured, {label}" in texts, pull)
        for mode in fixture.PULL_MODES:
            self.assertTrue(any(t.startswith(f"model, {mode} ") for t in texts), texts)

    def test_latency_budget_has_every_mode(self):
        texts = legend_texts(self.chart("latency_budget"))
        for mode in fixture.PULL_MODES:
            self.assertTrue(any(t.startswith(mode + ", measured") for t in texts), (mode, texts))
        for label in ("long-poll", "sse", "websocket", "webhook", "webhook (httplib)",
                      "webhook-batch"):
            self.assertIn(f"{label}, measured (median over rates)", texts)
        fig = self.chart("latency_budget")
        (pc,) = fixture.artists(fig, "budget:measured:poll-conditional")
        self.assertEqual(list(pc.get_ydata()), [100.0, 1000.0, 1000.0])

    def test_each_mode_has_its_own_colour_and_marker(self):
        first = {}
        for s in self.data.series:
            if s.default_stack:
                first.setdefault(s.mode, s)
        colours = [tuple(round(c, 3) for c in self.data.colour(s)[:3]) for s in first.values()]
        markers = [self.data.marker(s) for s in first.values()]
        self.assertEqual(len(set(colours)), 8)
        self.assertEqual(len(set(markers)), 8)
        other = next(s for s in self.data.series if not s.default_stack)
        # Another stack keeps the mode's colour and marker: its line style tells it apart.
        self.assertEqual(self.data.marker(other), self.data.marker(first["webhook"]))
        self.assertEqual(self.data.colour(other), self.data.colour(first["webhook"]))
        self.assertNotEqual(self.data.linestyle(other), "-")

    def test_model_lines_come_from_model_csv_one_per_curve(self):
        import csv
        with open(os.path.join(self.dir, "model.csv"), newline="") as f:
            model = list(csv.DictReader(f))
        fig = self.chart("latency_vs_rate")
        for s in self.data.series:
            with self.subTest(series=s.label()):
                lines = fixture.artists(fig, f"model:{s.label()}|latency_mean_us")
                if not s.default_stack:  # model.csv has no stack: webhook's line stands for it
                    self.assertEqual(lines, [])
                    continue
                interval = fixture._num(s.interval_ms) if s.pull else ""
                rows = [r for r in model
                        if r["mode"] == s.mode and r["interval_ms"] == interval]
                self.assertEqual(len(rows), 61)
                realised = [s.realised(rate) for rate in s.rates]
                want = fixture.model_in_span(rows, "latency_mean_us", min(realised),
                                             max(realised), 1e-3)
                (line,) = lines
                self.assertEqual(len(line.get_xdata()), len(want))
                for x, y, w in zip(line.get_xdata(), line.get_ydata(), want):
                    self.assertAlmostEqual(x / w[0], 1, places=9)
                    self.assertAlmostEqual(y / w[1], 1, places=9)

    def test_zero_request_models_share_one_label(self):
        fig = self.chart("requests_per_event")
        texts = [a.get_text().replace("\n", " ") for a in fixture.artists(fig, "model-label")]
        self.assertIn("sse, websocket: 0 requests/event", texts)
        self.assertEqual(fixture.artists(fig, "model:sse|requests_per_event"), [])
        self.assertIn("The model's claim for sse, websocket is 0 requests per event",
                      plot.caption_of(fig))

    def test_model_labels_never_overlap(self):
        for name in ("latency_vs_rate", "requests_per_s", "requests_per_event"):
            with self.subTest(chart=name):
                fig = self.chart(name)
                labels = fixture.artists(fig, "model-label")
                self.assertGreater(len(labels), 1)
                fixture.assert_no_overlap(self, fig, labels)


class ModelLabelLayout(unittest.TestCase):
    """Model labels that would land on the same spot are merged or nudged apart."""

    def test_labels_with_the_same_value_are_merged(self):
        merged = model_labels.merge_model_labels([
            (100, 0.0, "sse", "0 requests/event", "m"),
            (100, 1.0, "webhook", "1 requests/event", "o"),
            (100, 0.0, "websocket", "0 requests/event", "g")])
        self.assertEqual([m[2] for m in merged], ["sse, websocket: 0 requests/event",
                                                  "webhook: 1 requests/event"])
        self.assertEqual(merged[1][3], "o")  # a label of one line keeps the line's colour

    def test_spread_labels_moves_coinciding_labels_apart_inside_the_axes(self):
        bottoms = model_labels.spread_labels([100, 100, 100], [12, 14, 12], 0, 500, gap=1)
        order = sorted(range(3), key=lambda i: bottoms[i])
        heights = [12, 14, 12]
        for i, j in zip(order, order[1:]):
            self.assertGreaterEqual(bottoms[j] - bottoms[i], heights[i] + 1)
        top = model_labels.spread_labels([495, 495], [12, 12], 0, 500)
        self.assertLessEqual(max(top) + 12, 500)
        self.assertGreaterEqual(abs(top[0] - top[1]), 12)
        self.assertEqual(model_labels.spread_labels([10, 200], [12, 12], 0, 500), [10, 200])

    def test_two_series_with_identical_model_values_get_disjoint_labels(self):
        # Same line end, same value, but told apart by their text (one merged label is not
        # possible): they must be nudged apart.
        fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
        self.addCleanup(plt.close, fig)
        ax.plot([1, 100], [5, 5])
        ax.set_yscale("log")
        texts = model_labels.place_model_labels(
            ax, [(100, 5.0, "poll T=100 ms", "5 ms", "b"),
                 (100, 5.0, "poll T=100 ms (httplib)", "5.00 ms", "c")])
        self.assertEqual(len(texts), 2)
        fixture.assert_no_overlap(self, fig, texts)

    def test_identical_models_in_a_chart_share_a_label_and_overlap_nothing(self):
        with tempfile.TemporaryDirectory() as d:
            fixture.make_fixture(d, modes=("sse", "websocket", "webhook"), rates=(1.0, 10.0),
                                 trace=False, failed=False)
            fig = plot.build_chart(plot.Data(d), "latency_vs_rate")
            self.addCleanup(plt.close, fig)
            labels = fixture.artists(fig, "model-label")
            texts = [t.get_text() for t in labels]
            # sse and websocket: the same model latency (G + R/2), one label naming both
            self.assertEqual(sum("sse, websocket:" in t for t in texts), 1, texts)
            fixture.assert_no_overlap(self, fig, labels)


class ReportOnAllModes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="hookbench-modes-report-")
        cls.dir = cls.tmp.name
        cls.rows = fixture.make_fixture(cls.dir, modes=fixture.ALL_MODES, stacks=STACKS,
                                        trace=False)
        cls.series = fixture_series(cls.rows)
        cls.proc = fixture.run_script(REPORT, cls.dir)
        cls.md = read(os.path.join(cls.dir, "REPORT.md")) if cls.proc.returncode == 0 else ""

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_exit_status(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)

    def test_comparison_table_has_one_row_per_series_and_rate_with_its_numbers(self):
        table = md_table(section(self.md, "## Mode comparison"))
        expected = {(rate, label): runs for label, points in self.series.items()
                    for rate, runs in points.items()}
        got = {}
        for row in table:
            key = (float(row["rate (events/s)"]), row["series"])
            self.assertNotIn(key, got, f"two rows for {key}")
            got[key] = row
        self.assertEqual(set(got), set(expected))
        for (rate, label), runs in expected.items():
            row = got[(rate, label)]
            with self.subTest(series=label, rate=rate):
                self.assertEqual(int(row["runs"].split()[0]), len(runs))
                # A percentile: the median over the repeats and their min–max; a mean: the mean
                # over the repeats and its 95% t-interval (clipped at 0).
                for header, column, scale, percentile in (
                        ("p50 (ms)", "latency_p50_us", 1e-3, True),
                        ("p99 (ms)", "latency_p99_us", 1e-3, True),
                        ("mean latency (ms)", "latency_mean_us", 1e-3, False),
                        ("requests/event", "requests_per_event", 1, False),
                        ("bytes/event", "bytes_per_event", 1, False),
                        ("CPU µs/event producer", "cpu_us_per_event_producer", 1, False),
                        ("CPU µs/event consumer", "cpu_us_per_event_consumer", 1, False)):
                    v = values(runs, column, scale)
                    cell = row[header].rstrip("*")
                    m = re.fullmatch(r"([\d.e+-]+)(?: \(([\d.e+-]+)–([\d.e+-]+)\))?", cell)
                    self.assertIsNotNone(m, f"{header}: {cell!r}")
                    if percentile:
                        estimate, lo, hi = statistics.median(v), min(v), max(v)
                    else:
                        estimate = statistics.fmean(v)
                        half = (T975[len(v)] * statistics.stdev(v) / math.sqrt(len(v))
                                if len(v) > 1 else 0)
                        lo, hi = max(estimate - half, 0), estimate + half
                    self.assertAlmostEqual(float(m.group(1)) / estimate, 1, delta=0.006,
                                           msg=header)
                    if m.group(2):  # the point's interval over its repeats
                        self.assertAlmostEqual(float(m.group(2)), lo, delta=0.006 * hi)
                        self.assertAlmostEqual(float(m.group(3)) / hi, 1, delta=0.006)
                    else:
                        self.assertEqual(fmt_number(lo), fmt_number(hi))
                saturated = sum(r["saturated"] == "true" for r in runs)
                self.assertEqual(row["saturated"],
                                 f"yes ({saturated} of {len(runs)})" if saturated else "no")

    def test_lowest_mean_latency_at_each_rate_follows_the_data(self):
        for rate in fixture.FIXTURE_RATES:
            means = {label: statistics.fmean(values(points[rate], "latency_mean_us", 1e-3))
                     for label, points in self.series.items() if rate in points}
            ranked = sorted(means, key=means.get)
            with self.subTest(rate=rate):
                self.assertIn(f"At {fmt_number(rate)} events/s the lowest mean latency was "
                              f"{fmt_number(means[ranked[0]])} ms, by {ranked[0]}", self.md)
                self.assertIn(f"next came {ranked[1]} with "
                              f"{fmt_number(means[ranked[1]])} ms", self.md)

    def test_webhook_batch_against_webhook_follows_the_data(self):
        batch, hook = self.series["webhook-batch"], self.series["webhook"]
        top = max(fixture.FIXTURE_RATES)

        def med(points, column, rate, scale=1.0):
            """The point's estimate: a percentile's median over repeats, a mean's mean."""
            of = statistics.median if column.startswith("latency_p") else statistics.fmean
            return of(values(points[rate], column, scale))

        ratio = med(hook, "requests_per_event", top) / med(batch, "requests_per_event", top)
        self.assertGreater(ratio, 1.05)
        self.assertIn(f"webhook-batch sent {fmt_number(ratio, 2)}× fewer requests per "
                      f"delivered event than webhook at {fmt_number(top)} events/s "
                      f"({fmt_number(med(batch, 'requests_per_event', top))} against "
                      f"{fmt_number(med(hook, 'requests_per_event', top))})", self.md)
        diffs = [med(batch, "latency_p50_us", r, 1e-3) - med(hook, "latency_p50_us", r, 1e-3)
                 for r in fixture.FIXTURE_RATES]
        self.assertIn(f"its median p50 was {fmt_number(min(diffs))}–"
                      f"{fmt_number(max(diffs))} ms higher at the 5 common rates", self.md)
        claim = statistics.fmean(float(r["model_requests_per_event"]) for r in batch[top])
        self.assertIn(f"The model's claim for webhook-batch at {fmt_number(top)} events/s "
                      f"(at the realised rate): {fmt_number(claim)} requests per delivered "
                      "event", self.md)
        self.assertIn("webhook was saturated at 128 events/s", self.md)

    def test_the_other_designs_model_claims_are_labelled(self):
        question = section(self.md, "## The question and the model")
        self.assertIn("**The model's claim for the other designs**", question)
        for mode in ("poll-conditional", "poll-adaptive", "long-poll", "sse", "websocket",
                     "webhook-batch"):
            self.assertIn(f"**{mode}**", question)
        self.assertIn("also has poll-conditional, poll-adaptive, long-poll, sse, websocket, "
                      "webhook-batch", section(self.md, "## The answer"))

    def test_answer_compares_plain_poll_only(self):
        answer = section(self.md, "## The answer")
        self.assertIn("poll (T = 100, 1000 ms) against webhook", answer)
        self.assertNotIn("| poll-adaptive", answer)
        self.assertNotIn("| poll-conditional", answer)
        says = section(self.md, "## What the data says")
        self.assertIn("### poll (T = 100 ms) vs webhook", says)
        self.assertNotIn("### poll-adaptive", says)

    def test_setup_and_tables_name_stacks_and_knobs(self):
        setup = section(self.md, "## Setup")
        self.assertIn("| consumer HTTP stack | beast, httplib |", setup)
        self.assertIn("| webhook-batch knobs (config.tuning) | batch_max=100; batch_window_ms=50 |",
                      setup)
        webhook = md_table(section(self.md, "### webhook"))
        self.assertEqual(sorted({r["stack"] for r in webhook}), ["beast", "httplib"])
        self.assertIn("Knobs (config.tuning): `backoff=2;max_interval_ms=800`.",
                      section(self.md, "### poll-adaptive"))


class RunsCsvColumns(unittest.TestCase):
    def test_new_columns_parse(self):
        with tempfile.TemporaryDirectory() as d:
            fixture.make_fixture(d, modes=("webhook-batch", "sse"), rates=(1.0, 10.0),
                                 repeats=1, trace=False, failed=False, stacks=STACKS)
            rows = load_runs(d)
        batch = next(r for r in rows if r["mode"] == "webhook-batch")
        self.assertEqual(batch["consumer_stack"], "beast")
        self.assertEqual(batch["tuning_values"], {"batch_max": "100", "batch_window_ms": "50"})
        self.assertEqual(list(batch["requests_by_kind_counts"]), ["webhook_post"])
        self.assertEqual(batch["requests_by_kind_counts"]["webhook_post"],
                         batch["requests_total"])
        sse = next(r for r in rows if r["mode"] == "sse")
        self.assertEqual(sse["tuning_values"], {})
        self.assertEqual(sse["requests_by_kind_counts"], {"sse_connect": 1.0})
        self.assertEqual({r["consumer_stack"] for r in rows if r["mode"] == "webhook"},
                         {"httplib"})

    def test_a_file_without_them_reads_as_beast_without_knobs(self):
        with tempfile.TemporaryDirectory() as d:
            rows = fixture.make_fixture(d, rates=(1.0, 10.0), repeats=1, trace=False)
            fixture.write_csv(os.path.join(d, "runs.csv"), rows,
                              fixture.LEGACY_COLUMNS + fixture.NEW_COLUMNS)
            loaded = load_runs(d)
        self.assertEqual({r["consumer_stack"] for r in loaded}, {"beast"})
        self.assertEqual({r["tuning"] for r in loaded}, {""})
        self.assertTrue(all(r["requests_by_kind_counts"] == {} for r in loaded))

    def test_a_malformed_cell_is_one_line(self):
        with tempfile.TemporaryDirectory() as d:
            rows = fixture.make_fixture(d, rates=(1.0, 10.0), repeats=1, trace=False)
            rows[1]["tuning"] = "batch_window_ms"
            fixture.write_csv(os.path.join(d, "runs.csv"), rows)
            proc = fixture.run_script(fixture.PLOT, d)
        self.assertNotEqual(proc.returncode, 0)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
        self.assertIn("line 3: column tuning: 'batch_window_ms' is not key=value", proc.stderr)


REFERENCE = os.path.join(fixture.ROOT, "results", "reference")


@unittest.skipUnless(os.path.isfile(os.path.join(REFERENCE, "runs.csv")),
                     "no results/reference in this tree")
class ReferenceResultsStillRender(unittest.TestCase):
    """The committed reference renders, and so does it as an older hookbench wrote it (without
    the three last columns, consumer_stack, tuning and requests_by_kind)."""

    def test_reference_renders(self):
        self.check_renders(legacy=False)

    def test_reference_without_the_new_columns_renders(self):
        self.check_renders(legacy=True)

    def check_renders(self, legacy):
        d = tempfile.mkdtemp(prefix="hookbench-reference-")
        self.addCleanup(shutil.rmtree, d, True)
        for name in os.listdir(REFERENCE):
            if name in ("charts", "REPORT.md", "REPORT.html"):
                continue
            src = os.path.join(REFERENCE, name)
            (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(d, name))
        path = os.path.join(d, "runs.csv")
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        if legacy:  # as a file written before these columns existed, wherever they sit now
            drop = {rows[0].index(c) for c in ("consumer_stack", "tuning", "requests_by_kind")}
            with open(path, "w", encoding="utf-8", newline="") as f:
                csv.writer(f, lineterminator="\n").writerows(
                    [x for i, x in enumerate(row) if i not in drop] for row in rows)
        with open(path, encoding="utf-8") as f:
            self.assertEqual("consumer_stack" in f.readline(), not legacy)
        proc = fixture.run_script(REPORT, d)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        md = read(os.path.join(d, "REPORT.md"))
        # Headings as written, or with what follows them in this folder ("## Mode comparison
        # (loopback)" where it has round trips, "### poll (T = 30 ms) vs webhook").
        for heading in ("## The answer", "## What the data says", "## Mode comparison",
                        "### poll (T = ", "## Results per mode", "## Model vs measurement"):
            self.assertRegex(md, "\n" + re.escape(heading) + "[^\n]*\n")
        self.assertIn("The p50 latency of webhook was", md)
        for name in fixture.CHART_NAMES:
            self.assertGreaterEqual(fixture.png_size(os.path.join(d, "charts", name + ".png")),
                                    (400, 300))


if __name__ == "__main__":
    unittest.main()
