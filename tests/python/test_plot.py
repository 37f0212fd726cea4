#!/usr/bin/python3
"""scripts/plot.py on the results folder the fixtures synthesise from the analytical model with
noise (fixtures.make_fixture): every chart is a real PNG of sensible size, the
plotted data are the fixture's (error bars = min-max over repeats or the run's CI, saturated points
in their own artist, model lines from model.csv), captions say only what the data show, the CSV
schema is enforced, and bad input fails with one clear line."""

import csv
import json
import math
import os
import statistics
import tempfile
import unittest

from fixtures import CHART_NAMES, COLUMNS, IDLE_CORES, NOT_IN_BASE_FIXTURE, PLOT, RTT_US, \
    REPORT, artists, assert_no_overlap, make_fixture, model_in_span, png_size, run_script, \
    write_csv
from hookbench.charts import sweep as plot_charts


class ChartsOnFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="hookbench-plot-")
        cls.dir = cls.tmp.name
        cls.rows = make_fixture(cls.dir)
        cls.proc = run_script(PLOT, cls.dir)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_exit_status(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)

    def test_every_chart_is_a_real_png_and_svg(self):
        for name in NOT_IN_BASE_FIXTURE:  # no data: no file
            self.assertFalse(os.path.exists(os.path.join(self.dir, "charts", name + ".png")))
        for name in CHART_NAMES:
            png = os.path.join(self.dir, "charts", name + ".png")
            svg = os.path.join(self.dir, "charts", name + ".svg")
            with self.subTest(chart=name):
                self.assertTrue(os.path.isfile(png), f"{png} missing")
                width, height = png_size(png)
                self.assertGreaterEqual(width, 400)
                self.assertGreaterEqual(height, 300)
                self.assertGreater(os.path.getsize(png), 20_000, "suspiciously small PNG")
                with open(svg) as f:
                    self.assertIn("<svg", f.read(2000))

    def test_default_cdf_rate_is_one_every_mode_has(self):
        # Every fixture rate has both modes; the tie goes to the highest rate (most samples).
        self.assertIn("latency_cdf.png: rate 128/s, measured for the most modes", self.proc.stdout)

    def test_charts_show_data_not_the_no_data_placeholder(self):
        # A no-data figure is mostly blank: real charts of the same size weigh far more.
        from hookbench.figures import no_data_figure, save
        empty = tempfile.mkdtemp(dir=self.dir)
        placeholder = os.path.getsize(save(no_data_figure("t", "no data"), empty, "blank"))
        for name in (n for n in CHART_NAMES if n not in NOT_IN_BASE_FIXTURE):
            with self.subTest(chart=name):
                real = os.path.getsize(os.path.join(self.dir, "charts", name + ".png"))
                self.assertGreater(real, 1.5 * placeholder)


def fixture_points(rows, mode, interval, column, scale=1.0):
    """{rate: [values over repeats]} of the fixture's measured rows of one series."""
    out = {}
    for r in rows:
        if r["mode"] == mode and r["interval_ms"] == interval and r[column] != "":
            out.setdefault(float(r["rate"]), []).append(float(r[column]) * scale)
    return out


def realised_of(rows, mode, interval, rate):
    """Where a point is drawn: the mean realised rate of its measured runs."""
    got = [float(r["realised_rate"]) for r in rows if r["mode"] == mode and
           r["interval_ms"] == interval and float(r["rate"]) == rate and r["realised_rate"] != ""
           and not r["note"].startswith("failed")]
    return statistics.fmean(got)


class PlottedData(unittest.TestCase):
    """The figures the chart functions return carry exactly the fixture's numbers."""

    @classmethod
    def setUpClass(cls):
        cls.plot = plot_charts
        cls.tmp = tempfile.TemporaryDirectory(prefix="hookbench-plotdata-")
        cls.rows = make_fixture(cls.tmp.name, trace=False)
        cls.data = cls.plot.Data(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()
        import matplotlib.pyplot as plt
        plt.close("all")

    def chart(self, name):
        fig = self.plot.build_chart(self.data, name)
        self.addCleanup(__import__("matplotlib.pyplot").pyplot.close, fig)
        return fig

    def test_error_bars_are_the_min_max_over_repeats(self):
        fig = self.chart("latency_vs_rate")
        expected = fixture_points(self.rows, "poll", "100", "latency_p99_us", 1e-3)
        (bars,) = artists(fig, "err:poll T=100 ms|latency_p99_us")
        segments = {round(seg[0][0], 9): (seg[0][1], seg[1][1]) for seg in bars.get_segments()}
        # Each point at its mean realised rate, not the asked one; a percentile's point is the
        # median over the repeats with their min-max (never averaged).
        x_of = {rate: round(realised_of(self.rows, "poll", "100", rate), 9) for rate in expected}
        self.assertEqual(sorted(segments), sorted(x_of.values()))
        self.assertNotEqual(sorted(segments), sorted(expected))  # the fixture's rates differ
        for rate, values in expected.items():
            self.assertEqual(len(values), 3)
            lo, hi = segments[x_of[rate]]
            self.assertAlmostEqual(lo, min(values), places=9)
            self.assertAlmostEqual(hi, max(values), places=9)
        (line,) = artists(fig, "poll T=100 ms|latency_p99_us")
        self.assertEqual(list(line.get_ydata()),
                         [statistics.median(expected[r]) for r in sorted(expected)])

    def test_error_bars_of_a_mean_are_the_t_interval_over_the_repeats(self):
        fig = self.chart("latency_vs_rate")
        expected = fixture_points(self.rows, "poll", "100", "latency_mean_us", 1e-3)
        (bars,) = artists(fig, "err:poll T=100 ms|latency_mean_us")
        segments = {round(seg[0][0], 9): (seg[0][1], seg[1][1]) for seg in bars.get_segments()}
        t2 = 4.302653  # t(0.975) with 2 degrees of freedom: three repeats
        for rate, values in expected.items():
            self.assertEqual(len(values), 3)
            mean = statistics.fmean(values)
            half = t2 * statistics.stdev(values) / math.sqrt(3)
            lo, hi = segments[round(realised_of(self.rows, "poll", "100", rate), 9)]
            self.assertAlmostEqual(lo, max(mean - half, 0.0), places=9)
            self.assertAlmostEqual(hi, mean + half, places=9)
        (line,) = artists(fig, "poll T=100 ms|latency_mean_us")
        for y, rate in zip(line.get_ydata(), sorted(expected)):
            self.assertAlmostEqual(y, statistics.fmean(expected[rate]), places=9)
        self.assertIn("95% t-interval over the repeats' means", self.plot.caption_of(fig))

    def test_one_repeat_has_no_interval(self):
        with tempfile.TemporaryDirectory() as d:
            make_fixture(d, rates=(8.0, 32.0), intervals=(100.0,), repeats=1, trace=False,
                         failed=False)
            fig = self.plot.build_chart(self.plot.Data(d), "latency_vs_rate")
            self.assertEqual(artists(fig, "err:webhook|latency_mean_us"), [],
                             "a run's own CI is not the point's interval")
            self.assertIn("on one run with no interval, so no bar", self.plot.caption_of(fig))

    def test_saturated_point_is_in_the_saturated_artist(self):
        fig = self.chart("requests_per_event")
        (sat,) = artists(fig, "saturated:webhook|requests_per_event")
        self.assertEqual(list(sat.get_xdata()), [realised_of(self.rows, "webhook", "", 128.0)])
        self.assertEqual(sat.get_markerfacecolor(), "none")
        (line,) = artists(fig, "webhook|requests_per_event")
        self.assertNotIn(4, line.get_markevery())  # 128/s is the 5th point: not drawn as normal
        self.assertIn("1 point is saturated", self.plot.caption_of(fig))
        labels = [t.get_text() for ax in fig.axes if ax.get_legend()
                  for t in ax.get_legend().get_texts()]
        self.assertTrue(any(t.startswith("saturated") for t in labels), labels)
        for name in ("latency_vs_rate", "cpu_cores", "bytes_per_event", "requests_per_s"):
            with self.subTest(chart=name):
                fig = self.chart(name)
                self.assertTrue(any(a.get_gid() and a.get_gid().startswith("saturated:webhook")
                                    for ax in fig.axes for a in ax.get_children()))

    def test_thin_points_are_faded(self):
        fig = self.chart("latency_vs_rate")
        (thin,) = artists(fig, "thin:poll T=100 ms|latency_mean_us")
        # 0.5/s x 10 s: < 10 events a run; drawn at the rate its runs got.
        self.assertEqual(list(thin.get_xdata()), [realised_of(self.rows, "poll", "100", 0.5)])
        self.assertLess(thin.get_alpha(), 1)

    def test_requests_per_s_model_lines_come_from_model_csv(self):
        fig = self.chart("requests_per_s")
        with open(os.path.join(self.tmp.name, "model.csv"), newline="") as f:
            model = [r for r in csv.DictReader(f)]
        for mode, interval, label in (("poll", "100", "poll T=100 ms"),
                                      ("poll", "1000", "poll T=1000 ms"),
                                      ("webhook", "", "webhook")):
            with self.subTest(series=label):
                rows = [r for r in model if r["mode"] == mode and r["interval_ms"] == interval]
                self.assertEqual(len(rows), 61)
                # Drawn only over the rates the series was measured at: no line past them.
                s = next(s for s in self.data.series if s.label() == label)
                realised = [s.realised(rate) for rate in s.rates]
                lo, hi = min(realised), max(realised)
                want = model_in_span(rows, "requests_per_s", lo, hi)
                (line,) = artists(fig, f"model:{label}|requests_per_s")
                got = list(zip(line.get_xdata(), line.get_ydata()))
                self.assertEqual(len(got), len(want))
                self.assertLess(len(got), 61)
                for (gx, gy), (wx, wy) in zip(got, want):
                    self.assertAlmostEqual(gx / wx, 1, places=9)
                    self.assertAlmostEqual(gy / wy, 1, places=9)
                self.assertEqual((got[0][0], got[-1][0]), (lo, hi))

    def test_caption_mentions_a_crossing_only_when_curves_cross(self):
        caption = self.plot.caption_of(self.chart("requests_per_s"))
        self.assertIn("poll T=100 ms vs webhook: the measured estimates cross at a realised λ ≈",
                      caption)
        self.assertIn("the model curves cross at λ ≈ 10/s (λT ≈ 1)", caption)
        with tempfile.TemporaryDirectory() as d:
            # λ ≤ 2/s and T = 100 ms: polling's 10 requests/s stay above the webhook's λ.
            make_fixture(d, rates=(0.5, 1.0, 2.0), intervals=(100.0,), trace=False)
            fig = self.plot.build_chart(self.plot.Data(d), "requests_per_s")
            caption = self.plot.caption_of(fig)
            self.assertNotIn("cross at", caption)
            self.assertIn("do not cross", caption)
            self.assertEqual(artists(fig, "crossing:measured:poll T=100 ms"), [])

    def test_no_model_csv_draws_no_model_line_and_says_so(self):
        with tempfile.TemporaryDirectory() as d:
            make_fixture(d, rates=(1.0, 10.0), intervals=(100.0,), trace=False, model=False)
            data = self.plot.Data(d)
            for name in ("latency_vs_rate", "requests_per_s", "bytes_per_event",
                         "empty_poll_fraction"):
                with self.subTest(chart=name):
                    fig = self.plot.build_chart(data, name)
                    self.assertFalse(any((a.get_gid() or "").startswith("model")
                                         for ax in fig.axes for a in ax.get_children()))
                    self.assertIn("no model.csv", self.plot.caption_of(fig))

    def test_bytes_chart_has_a_model_line(self):
        fig = self.chart("bytes_per_event")
        (line,) = artists(fig, "model:webhook|bytes_per_event")
        self.assertEqual(set(line.get_ydata()), {520.0})

    def test_cpu_cores_draws_the_idle_baseline(self):
        fig = self.chart("cpu_cores")
        (producer,) = artists(fig, "idle:producer")
        (consumer,) = artists(fig, "idle:consumer")
        self.assertEqual(list(producer.get_ydata()), [IDLE_CORES[0]] * 2)
        self.assertEqual(list(consumer.get_ydata()), [IDLE_CORES[1]] * 2)
        expected = fixture_points(self.rows, "poll", "100", "cpu_cores_producer")
        (line,) = artists(fig, "poll T=100 ms|cpu_cores_producer")
        for y, rate in zip(line.get_ydata(), sorted(expected)):
            self.assertAlmostEqual(y, statistics.fmean(expected[rate]), places=12)

    def test_latency_budget_steps_use_the_swept_intervals(self):
        fig = self.chart("latency_budget")
        (measured,) = artists(fig, "budget:measured")
        self.assertEqual(list(measured.get_ydata()), [100.0, 1000.0, 1000.0])
        (model,) = artists(fig, "budget:model")
        # The model's mean latency of each interval, from model.csv (T/2 + R/2 in the fixture).
        self.assertAlmostEqual(model.get_xdata()[0], (50_000 + RTT_US / 2) / 1000, places=6)
        self.assertAlmostEqual(model.get_xdata()[1], (500_000 + RTT_US / 2) / 1000, places=6)
        self.assertIn("the tightest target polling met here", self.plot.caption_of(fig))

    def test_model_labels_that_nearly_share_a_value_are_nudged_apart(self):
        with tempfile.TemporaryDirectory() as d:
            make_fixture(d, modes=("poll",), rates=(1.0, 10.0), intervals=(100.0, 101.0),
                         trace=False)
            fig = self.plot.build_chart(self.plot.Data(d), "latency_vs_rate")
            labels = artists(fig, "model-label")
            texts = " ".join(a.get_text() for a in labels)
            self.assertIn("T=100 ms", texts)
            self.assertIn("T=101 ms", texts)
            assert_no_overlap(self, fig, labels)

    def test_empty_poll_model_curve_and_zapier_source(self):
        fig = self.chart("empty_poll_fraction")
        (curve,) = artists(fig, "model:empty_poll_fraction")
        xs, ys = curve.get_xdata(), curve.get_ydata()
        self.assertTrue(all(math.isclose(y, 100 * math.exp(-x), rel_tol=1e-9)
                            for x, y in zip(xs, ys)))
        (zapier,) = artists(fig, "zapier")
        self.assertAlmostEqual(zapier.get_ydata()[0], 100 * (1 - 460e3 / 30e6))
        self.assertIn("resthooks.org", self.plot.caption_of(fig))


class NoDataCharts(unittest.TestCase):
    def test_a_chart_without_data_is_neither_written_nor_embedded(self):
        with tempfile.TemporaryDirectory() as d:
            make_fixture(d, modes=("webhook",), trace=False)
            out = os.path.join(d, "charts")
            os.makedirs(out)
            for ext in ("png", "svg"):  # a stale chart of an earlier run must go
                with open(os.path.join(out, "timeline." + ext), "w") as f:
                    f.write("stale")
            proc = run_script(PLOT, d)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            for name in ("empty_poll_fraction", "timeline", "latency_budget", "rtt_ratio"):
                with self.subTest(chart=name):
                    for ext in ("png", "svg"):
                        self.assertFalse(os.path.exists(os.path.join(out, f"{name}.{ext}")))
                    self.assertIn(f"plot.py: note: no {name} chart: ", proc.stdout)
            with open(os.path.join(out, "captions.json")) as f:
                captions = json.load(f)
            self.assertNotIn("timeline", captions)
            with open(os.path.join(out, "latency_vs_rate.svg")) as f:
                self.assertNotIn("no data for this chart", f.read())
            proc = run_script(REPORT, d)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(os.path.join(d, "REPORT.md"), encoding="utf-8") as f:
                md = f.read()
            self.assertIn("](charts/latency_vs_rate.png)", md)
            for name in ("empty_poll_fraction", "timeline", "rtt_ratio"):
                self.assertNotIn(f"charts/{name}.png", md)
            with open(os.path.join(d, "REPORT.html"), encoding="utf-8") as f:
                self.assertEqual(f.read().count("<img "), len(captions))

    def test_cdf_rate_uses_the_nearest_measured_rate(self):
        with tempfile.TemporaryDirectory() as d:
            make_fixture(d, rates=(1.0, 10.0, 100.0), intervals=(100.0,), repeats=1,
                         trace=False)
            proc = run_script(PLOT, d, "--cdf-rate", "13")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn("rate 10/s, the nearest measured to the requested 13/s", proc.stdout)


class BadInput(unittest.TestCase):
    def assert_one_line_error(self, proc, *fragments):
        self.assertNotEqual(proc.returncode, 0)
        err = proc.stderr.strip()
        self.assertEqual(len(err.splitlines()), 1, f"not one line: {err!r}")
        self.assertNotIn("Traceback", err)
        for fragment in fragments:
            self.assertIn(fragment, err)

    def test_missing_folder(self):
        proc = run_script(PLOT, "/nonexistent/hookbench-results")
        self.assert_one_line_error(proc, "no such results folder")

    def test_empty_folder(self):
        with tempfile.TemporaryDirectory() as d:
            self.assert_one_line_error(run_script(PLOT, d), "runs.csv", "missing")

    def test_header_only(self):
        with tempfile.TemporaryDirectory() as d:
            write_csv(os.path.join(d, "runs.csv"), [])
            self.assert_one_line_error(run_script(PLOT, d), "no runs")

    def test_empty_file(self):
        with tempfile.TemporaryDirectory() as d:
            open(os.path.join(d, "runs.csv"), "w").close()
            self.assert_one_line_error(run_script(PLOT, d), "empty file")

    def test_missing_required_column_is_rejected(self):
        with tempfile.TemporaryDirectory() as d:
            rows = make_fixture(d, trace=False)
            write_csv(os.path.join(d, "runs.csv"), rows,
                      [c for c in COLUMNS if c != "requests_per_event"])
            self.assert_one_line_error(run_script(PLOT, d), "requests_per_event")
            self.assertFalse(os.path.exists(os.path.join(d, "charts", "latency_vs_rate.png")))

    def test_extra_columns_are_ignored(self):
        with tempfile.TemporaryDirectory() as d:
            rows = make_fixture(d, rates=(1.0, 10.0), repeats=1, trace=False)
            for r in rows:
                r["future_column"] = "x"
            write_csv(os.path.join(d, "runs.csv"), rows, COLUMNS + ("future_column",))
            proc = run_script(PLOT, d)
            self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_non_numeric_cell(self):
        with tempfile.TemporaryDirectory() as d:
            rows = make_fixture(d, rates=(1.0, 10.0), repeats=1, trace=False)
            rows[1]["latency_p50_us"] = "fast"
            write_csv(os.path.join(d, "runs.csv"), rows)
            self.assert_one_line_error(run_script(PLOT, d), "line 3", "latency_p50_us", "fast")

    def test_binary_garbage(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "runs.csv"), "wb") as f:
                f.write(b"\x89PNG\r\n\x1a\n\x00\xff\xfe" * 10)
            self.assert_one_line_error(run_script(PLOT, d), "runs.csv")

    def test_malformed_trace(self):
        with tempfile.TemporaryDirectory() as d:
            make_fixture(d, rates=(1.0, 10.0), repeats=1, trace=False)
            with open(os.path.join(d, "trace.jsonl"), "w") as f:
                f.write('{"kind":"header","mode":"poll","rate":5}\n{"kind":"created","t_ms":\n')
            self.assert_one_line_error(run_script(PLOT, d), "trace.jsonl line 2")

    def test_malformed_run_json(self):
        with tempfile.TemporaryDirectory() as d:
            rows = make_fixture(d, rates=(1.0, 10.0), repeats=1, trace=False)
            with open(os.path.join(d, rows[1]["result_file"]), "w") as f:
                f.write("{ not json")
            self.assert_one_line_error(run_script(PLOT, d), rows[1]["run_id"] + ".json")

    def test_help(self):
        proc = run_script(PLOT, "--help")
        self.assertEqual(proc.returncode, 0)
        self.assertIn("--output", proc.stdout)
        self.assertIn("--cdf-rate", proc.stdout)


if __name__ == "__main__":
    unittest.main()
