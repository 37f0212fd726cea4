#!/usr/bin/python3
"""What the charts must not do, checked on the matplotlib figures: give a mode another colour
in another chart module, let a series hide under another where their data coincide, put a model
label outside its axes or a model line past the measured rates, draw a repeat that delivered
nothing as a sample, or draw a line through round trips that were never measured."""

import json
import os
import tempfile
import unittest

import numpy as np

import fixtures as fixture
from fixtures.faults import fault_run
from hookbench.charts import faults as fault_charts
from hookbench.charts import sweep as plot
from hookbench.charts.overlap import nest_coinciding
from hookbench.faults_files import load_runs as load_fault_runs
from hookbench.series import t_interval
from hookbench.style import Palette, plt
from test_rtt import add_rtt_rows

RATE_CHARTS = ("latency_vs_rate", "requests_per_s", "requests_per_event")
REFERENCE = os.path.join(fixture.ROOT, "results", "reference")


def rgb(colour):
    from matplotlib.colors import to_rgb
    return tuple(round(c, 4) for c in to_rgb(colour))


def measured_lines(fig):
    """{series label: [Line2D]} of the measured lines (gid "<label>|<column>")."""
    out = {}
    for ax in fig.axes:
        for line in ax.lines:
            gid = line.get_gid() or ""
            if "|" in gid and ":" not in gid.split("|")[0]:
                out.setdefault(gid.split("|")[0], []).append(line)
    return out


class OnePalette(unittest.TestCase):
    """A mode has one colour in every chart of every module."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="hookbench-charts-")
        cls.dir = cls.tmp.name
        base = fixture.make_fixture(cls.dir, modes=fixture.ALL_MODES, trace=True,
                                    stacks=(("webhook", "httplib"),))
        add_rtt_rows(cls.dir, base)
        cls.data = plot.Data(cls.dir)
        cls.palette = Palette(cls.data.modes)

    @classmethod
    def tearDownClass(cls):
        plt.close("all")
        cls.tmp.cleanup()

    def test_every_series_of_a_mode_has_the_mode_colour(self):
        for s in self.data.series:
            with self.subTest(series=s.label()):
                self.assertEqual(rgb(self.data.colour(s)), rgb(self.palette.colour(s.mode)))
        # ... and the series of one mode still differ: by line style or marker fill.
        poll = [s for s in self.data.series if s.mode == "poll"]
        self.assertEqual(len(poll), 2)
        self.assertNotEqual((self.data.linestyle(poll[0]), self.data.marker_kw(poll[0])),
                            (self.data.linestyle(poll[1]), self.data.marker_kw(poll[1])))

    def test_too_many_model_lines_get_no_labels_and_the_caption_says_so(self):
        with tempfile.TemporaryDirectory() as d:  # six poll intervals: nine distinct values
            fixture.make_fixture(d, modes=fixture.ALL_MODES, rates=(2.0, 8.0),
                                 intervals=(25.0, 50.0, 100.0, 200.0, 400.0, 800.0),
                                 trace=False, failed=False)
            fig = plot.build_chart(plot.Data(d), "latency_vs_rate")
            models = {line.get_gid() for ax in fig.axes for line in ax.lines
                      if (line.get_gid() or "").startswith("model:")}
            self.assertGreater(len(models), 8)
            self.assertEqual(fixture.artists(fig, "model-label"), [])
            self.assertIn(f"The {len(models)} model lines are too many to label inside the "
                          "axes", plot.caption_of(fig))
            plt.close(fig)
        with tempfile.TemporaryDirectory() as d:  # two modes: every line labelled
            fixture.make_fixture(d, modes=("poll", "webhook"), intervals=(100.0,),
                                 trace=False, failed=False)
            fig = plot.build_chart(plot.Data(d), "latency_vs_rate")
            self.assertEqual(len(fixture.artists(fig, "model-label")), 2)
            self.assertNotIn("too many to label", plot.caption_of(fig))
            plt.close(fig)

    def test_the_same_colour_in_the_sweep_rtt_and_fault_charts(self):
        fig = plot.build_chart(self.data, "requests_per_s")
        drawn = {}
        for label, lines in measured_lines(fig).items():
            mode = next(s.mode for s in self.data.series if s.label() == label)
            drawn.setdefault(mode, set()).update(rgb(line.get_color()) for line in lines)
        self.assertEqual(set(drawn), set(fixture.ALL_MODES))
        for mode, colours in drawn.items():
            self.assertEqual(colours, {rgb(self.palette.colour(mode))}, mode)
        rtt = plot.build_chart(self.data, "rtt_ratio")
        (line,) = fixture.artists(rtt, "rtt-webhook")
        self.assertEqual(rgb(line.get_color()), rgb(self.palette.colour("webhook")))
        with tempfile.TemporaryDirectory() as d:
            fixture.write_descriptors(d)
            os.makedirs(os.path.join(d, "faults"))
            for name, run in (("a", fault_run("webhook", "receiver-down", 1.0, 10, None, "none")),
                              ("b", fault_run("webhook", "link-cut", 1.0, 0, 0.2, "standard")),
                              ("c", fault_run("poll", "consumer-down", 1.0, 0, 0.1))):
                with open(os.path.join(d, "faults", name + ".json"), "w") as f:
                    json.dump(run, f)
            runs = load_fault_runs(d)
            size = fault_charts.chart_size(runs, Palette(runs.modes))
            lines = {line.get_gid(): line for ax in size.axes for line in ax.lines
                     if (line.get_gid() or "").startswith("fault:")}
            for gid, line in lines.items():
                mode = gid.split(":")[1].split(" ")[0]
                self.assertEqual(rgb(line.get_color()), rgb(self.palette.colour(mode)), gid)
            # Two configurations of one mode never look alike: marker or fill differs.
            hooks = [(line.get_marker(), line.get_markerfacecolor(), line.get_linestyle())
                     for gid, line in lines.items() if gid.startswith("fault:webhook")]
            self.assertEqual(len(set(hooks)), 2)


class SeriesStayVisible(unittest.TestCase):
    def test_a_series_drawn_under_an_identical_one_shows_as_a_rim(self):
        # Two series with the same data: the first one must still show pixels of its colour.
        fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
        x = np.array([1, 2, 3, 4, 5], dtype=float)
        a, = ax.plot(x, x, color="#1f77b4", marker="o", markersize=7, linewidth=2)
        b, = ax.plot(x, x, color="#2ca02c", marker="s", markersize=7, linewidth=2)
        widened = nest_coinciding(ax, [("a", [a]), ("b", [b])])
        self.assertEqual(widened, ["a"])
        self.assertGreater(a.get_markersize(), b.get_markersize())
        self.assertGreater(a.get_linewidth(), b.get_linewidth())
        self.assertGreater(self.pixels(fig, ax, "#1f77b4"), 200)
        plt.close(fig)

    def test_crossing_series_are_left_alone(self):
        fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
        x = np.array([1, 2, 3, 4, 5], dtype=float)
        a, = ax.plot(x, x, marker="o")
        b, = ax.plot(x, 6 - x, marker="s")
        self.assertEqual(nest_coinciding(ax, [("a", [a]), ("b", [b])]), [])
        plt.close(fig)

    @staticmethod
    def pixels(fig, ax, colour):
        """How many pixels inside the axes are (nearly) this colour."""
        fig.canvas.draw()
        image = np.asarray(fig.canvas.buffer_rgba())[:, :, :3].astype(int)
        box = ax.get_window_extent()
        height = image.shape[0]
        crop = image[int(height - box.y1):int(height - box.y0), int(box.x0):int(box.x1)]
        want = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
        return int((np.abs(crop - want).sum(axis=2) < 30).sum())

    def test_plain_poll_is_visible_under_poll_conditional(self):
        # In the fixture, poll and poll-conditional poll at the same N/T: their requests per
        # second coincide at every rate.
        with tempfile.TemporaryDirectory() as d:
            fixture.make_fixture(d, modes=("poll", "poll-conditional", "webhook"),
                                 intervals=(100.0,), trace=False, saturated=False)
            data = plot.Data(d)
            fig = plot.build_chart(data, "requests_per_s")
            poll = next(s for s in data.series if s.mode == "poll")
            (line,) = fixture.artists(fig, "poll T=100 ms|requests_per_s")
            (over,) = fixture.artists(fig, "poll-conditional T=100 ms|requests_per_s")
            self.assertGreater(line.get_markersize(), over.get_markersize())
            self.assertIn("drawn wider for that: poll T=100 ms", plot.caption_of(fig))
            colour = "#%02x%02x%02x" % tuple(int(round(255 * c))
                                             for c in data.colour(poll)[:3])
            self.assertGreater(self.pixels(fig, fig.axes[0], colour), 300)
            plt.close(fig)


class InsideTheMeasurements(unittest.TestCase):
    """On the committed reference: labels inside the axes, no model past the measured rates."""

    @classmethod
    def setUpClass(cls):
        cls.data = plot.Data(REFERENCE)
        cls.figs = {name: plot.build_chart(cls.data, name) for name in RATE_CHARTS}

    @classmethod
    def tearDownClass(cls):
        plt.close("all")

    def test_model_labels_lie_inside_their_axes(self):
        for name, fig in self.figs.items():
            fig.canvas.draw()
            renderer = fig.canvas.get_renderer()
            labels = fixture.artists(fig, "model-label")
            self.assertTrue(labels or "model lines are too many to label inside the axes"
                            in plot.caption_of(fig), name)
            for t in labels:
                with self.subTest(chart=name, label=t.get_text()):
                    box, inside = t.axes.get_window_extent(renderer), \
                        t.get_window_extent(renderer)
                    self.assertGreaterEqual(inside.x0, box.x0 - 0.5)
                    self.assertLessEqual(inside.x1, box.x1 + 0.5)
                    self.assertGreaterEqual(inside.y0, box.y0 - 0.5)
                    self.assertLessEqual(inside.y1, box.y1 + 0.5)

    def test_no_model_line_or_label_past_the_measured_rates(self):
        for name, fig in self.figs.items():
            for s in self.data.series:
                realised = [s.realised(rate) for rate in s.rates]
                for line in fixture.artists(fig, f"model:{s.label()}|{name}") + \
                        fixture.artists(fig, f"model:{s.label()}|latency_mean_us"):
                    with self.subTest(chart=name, series=s.label()):
                        xs = line.get_xdata()
                        self.assertGreaterEqual(min(xs), min(realised) * (1 - 1e-9))
                        self.assertLessEqual(max(xs), max(realised) * (1 + 1e-9))
            top = max(s.realised(rate) for s in self.data.series for rate in s.rates)
            for t in fixture.artists(fig, "model-label"):
                self.assertLessEqual(t.xy[0], top * (1 + 1e-9), t.get_text())

    def test_empty_poll_model_curves_keep_to_the_measured_lambda_t(self):
        fig = plot.build_chart(self.data, "empty_poll_fraction")
        measured = [x for ax in fig.axes for line in ax.lines
                    if (line.get_gid() or "").endswith("|empty_poll_fraction")
                    for x in line.get_xdata()]
        curves = [a for ax in fig.axes for a in ax.lines
                  if (a.get_gid() or "").startswith("model:empty_poll_fraction")]
        solid = [a for a in curves if not a.get_gid().endswith(":extrapolated")]
        self.assertTrue(solid)
        for line in solid:
            with self.subTest(curve=line.get_gid()):
                self.assertGreaterEqual(min(line.get_xdata()), min(measured) * (1 - 1e-9))
                self.assertLessEqual(max(line.get_xdata()), max(measured) * (1 + 1e-9))
        # Only the reference's curve goes on, faint, and it says it is the model's claim.
        for line in curves:
            if line.get_gid().endswith(":extrapolated"):
                self.assertEqual(line.get_gid(), "model:empty_poll_fraction:extrapolated")
                self.assertLess(line.get_alpha(), 1)
        self.assertIn("as the model's claim only", plot.caption_of(fig))


class NoSampleFromNothing(unittest.TestCase):
    def test_a_repeat_that_delivered_nothing_is_left_out(self):
        with tempfile.TemporaryDirectory() as d:
            rows = fixture.make_fixture(d, modes=("poll", "webhook"), intervals=(100.0,),
                                        rates=(1.0, 10.0), trace=False, failed=False)
            # The second repeat of webhook at 1/s delivered nothing and sent almost nothing.
            victim = next(r for r in rows if r["mode"] == "webhook" and
                          float(r["rate"]) == 1.0 and r["repeat"] == "1")
            victim.update(delivered="0", requests_per_s="0.001", latency_count="0")
            fixture.write_csv(os.path.join(d, "runs.csv"), rows)
            data = plot.Data(d)
            fig = plot.build_chart(data, "requests_per_s")
            # Each point's estimate and bar come from the repeats that delivered something.
            (line,) = fixture.artists(fig, "webhook|requests_per_s")
            (bars,) = fixture.artists(fig, "err:webhook|requests_per_s")
            lows = {round(seg[0][0], 9): seg[0][1] for seg in bars.get_segments()}
            for i, rate in enumerate((1.0, 10.0)):
                kept = [float(r["requests_per_s"]) for r in rows if r["mode"] == "webhook" and
                        float(r["rate"]) == rate and r is not victim]
                mean, lo, _ = t_interval(kept)
                self.assertAlmostEqual(line.get_ydata()[i], mean, places=9)
                x = round(line.get_xdata()[i], 9)
                if lo is None:
                    self.assertNotIn(x, lows)
                else:  # clipped at 0, then a decade below the point on the log axis
                    self.assertAlmostEqual(lows[x], max(lo, 0.0, mean / 10), places=9)
            self.assertIn("1 repeat delivered no event and is left out",
                          plot.caption_of(fig))
            plt.close(fig)

    def test_a_bar_reaching_zero_on_a_log_axis_is_cut_and_marked(self):
        with tempfile.TemporaryDirectory() as d:
            rows = fixture.make_fixture(d, modes=("poll", "webhook"), intervals=(100.0,),
                                        rates=(1.0, 10.0), trace=False, failed=False)
            # Webhook at 10/s: repeats of 1, 1 and 100 requests/s, a t-interval far below zero.
            spread = [r for r in rows if r["mode"] == "webhook" and float(r["rate"]) == 10.0]
            for r, v in zip(spread, ("1", "1", "100")):
                r["requests_per_s"] = v
            fixture.write_csv(os.path.join(d, "runs.csv"), rows)
            data = plot.Data(d)
            fig = plot.build_chart(data, "requests_per_s")
            (line,) = fixture.artists(fig, "webhook|requests_per_s")
            (cut,) = fixture.artists(fig, "cut:webhook|requests_per_s")
            mean = line.get_ydata()[1]
            self.assertAlmostEqual(mean, 34.0, places=9)
            self.assertEqual(list(cut.get_ydata()), [mean / 10])
            self.assertEqual(cut.get_marker(), "v")
            # The axis is not stretched to a thousandth of the point.
            self.assertGreater(fig.axes[0].get_ylim()[0], mean / 1000)
            self.assertIn("1 bar reaches below a tenth of its point (1 to zero or below, which "
                          "a log axis cannot show)", plot.caption_of(fig))
            plt.close(fig)


class LegendDoesNotSqueezeThePlot(unittest.TestCase):
    def test_a_long_label_is_broken_not_given_a_column_of_its_own(self):
        from hookbench.figures import bottom_legend, new_figure, wrap_legend
        long = "measured, poll-adaptive T=1000 ms backoff=2.0;max_interval_ms=8000.0"
        wrapped = wrap_legend(long, 40)
        self.assertEqual(wrapped.replace("\n", " ").replace("; ", ";"), long)
        self.assertTrue(all(len(line) <= 40 for line in wrapped.split("\n")), wrapped)
        fig, (ax,), leg = new_figure()
        for i in range(8):
            ax.plot([1, 2], [i, i], label=f"{long} {i}")
        bottom_legend(leg, [ax])
        self.assertEqual(leg.get_legend()._ncols, 2)
        fig.canvas.draw()
        self.assertGreater(ax.get_window_extent().height, leg.get_window_extent().height)
        plt.close(fig)


class NoLineThroughAGap(unittest.TestCase):
    def test_rtt_ratio_has_no_symlog_and_no_line_from_loopback(self):
        with tempfile.TemporaryDirectory() as d:
            add_rtt_rows(d, fixture.make_fixture(d, failed=False, trace=False))
            fig = plot.build_chart(plot.Data(d), "rtt_ratio")
            for ax in fig.axes:
                self.assertNotIn("symlog", (ax.get_xscale(), ax.get_yscale()))
            for line in fixture.artists(fig, "rtt-webhook") + \
                    fixture.artists(fig, "rtt-model-webhook"):
                self.assertTrue(all(x > 0 for x in line.get_xdata()))
            plt.close(fig)


if __name__ == "__main__":
    unittest.main()
