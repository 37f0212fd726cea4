#!/usr/bin/python3
"""The fan-out chart (plot.py's "fanout"): drawn from a synthetic results folder whose runs.csv
has two modes at one rate with N = 1, 100, 1000 and 10000 subscribers, three repeats each, it is
written as PNG and SVG with one line per mode in each of its three panels (mean latency with the
model's mean dashed beside it, producer cores, producer memory per subscriber), each point the
mean of its repeats on a log N axis, a saturated repeat drawn apart, and a caption that names
each mode with its figures; the report shows it with that caption. Runs through a link or with a
fault stay out of it; runs across hosts are said to be, not loopback; where a mode has several
rates, its line is at the one with the most N (the lowest on a tie), named in the legend. With
only two distinct N no chart is written and plot.py's note says why; a runs.csv without the
memory columns still gets the chart, without memory lines, and its caption says memory was not
measured."""

import csv
import os
import statistics
import tempfile
import unittest

import fixtures as fixture
from hookbench.charts import sweep as plot
from hookbench.charts.fanout import fanout_series
from hookbench.fmt import fmt_number
from hookbench.runs_csv import load_runs
from hookbench.style import plt

RATE = 8.0
INTERVAL = 1000.0
SUBSCRIBERS = (1, 100, 1000, 10000)
MODES = ("poll", "webhook")
LABELS = {"poll": f"poll T={fmt_number(INTERVAL)} ms", "webhook": "webhook"}
# Each repeat's value is the point's value times its factor: a spread for the bars.
FACTORS = (0.98, 1.0, 1.02)
MEMORY_COLUMNS = ("producer_rss_bytes", "producer_bytes_per_subscriber", "setup_s")
EXTRA_COLUMNS = ("rtt_ms", "link_rtt_measured_us", "fault") + MEMORY_COLUMNS


def latency_us(mode, n):
    return 330.0 + 10.0 * n if mode == "webhook" else 500000.0 + 20.0 * n


def model_us(mode, n):
    return 320.0 + 9.6 * n if mode == "webhook" else 500022.0 + 18.0 * n


def cores(mode, n):
    return 0.002 + 2e-5 * n if mode == "webhook" else 0.003 + 1e-5 * n


def bytes_per_subscriber(mode, n):
    return 7372.8 + 40960.0 / n if mode == "webhook" else 2048.0 + 8192.0 / n


def point(f, mode, n, scale=1.0):
    """The point's estimate: the mean of its repeats' values."""
    return statistics.fmean(f(mode, n) * k * scale for k in FACTORS)


def fanout_rows(base, subscribers=SUBSCRIBERS, rate=RATE, mode=None, memory=True, **cells):
    """A copy of each of the fixture's rows (one per mode and repeat, all at N = 1) at each N,
    with the fan-out figures above; mode renames the copies, cells sets other cells."""
    out = []
    for r in base:
        m = r["mode"]
        k = FACTORS[int(r["repeat"])]
        for n in subscribers:
            row = dict(r, subscribers=str(n), rate=fixture._num(rate),
                       latency_mean_us=repr(latency_us(m, n) * k),
                       model_latency_mean_us=repr(model_us(m, n)),
                       cpu_cores_producer=repr(cores(m, n) * k), rtt_ms="0",
                       link_rtt_measured_us="", fault="")
            if memory:
                row.update(producer_bytes_per_subscriber=repr(bytes_per_subscriber(m, n) * k),
                           producer_rss_bytes=repr(8e6 + bytes_per_subscriber(m, n) * n),
                           setup_s="0.01")
            row.update(cells)
            if mode:
                row["mode"] = mode
            row["run_id"] = (r["run_id"].replace("-N1-", f"-N{n}-").replace(
                f"-r{r['rate']}-", f"-r{fixture._num(rate)}-").replace(m, row["mode"], 1)
                + "".join(f"-{v}" for v in cells.values() if v and v != "0"))
            if row["run_id"] != r["run_id"]:
                row["result_file"] = ""
            out.append(row)
    return out


def write_runs(folder, rows, columns):
    with open(os.path.join(folder, "runs.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(columns), extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def base_fixture(folder):
    """The fixture's rows for poll (T = 1 s) and webhook at RATE, three repeats, N = 1."""
    return fixture.make_fixture(folder, modes=MODES, rates=(RATE,), intervals=(INTERVAL,),
                                repeats=len(FACTORS), failed=False, trace=False,
                                saturated=False)


def suptitle(fig):
    """The figure's title and subtitle, as titled() set them."""
    return fig._suptitle.get_text()


def caption_part(caption, mode):
    """The caption's sentence about one mode's line."""
    start = caption.index(f"{LABELS[mode]}, {fmt_number(RATE)} events/s: ")
    return caption[start:caption.index(".", caption.index("KiB", start))]


class FanoutChart(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="hookbench-fanout-")
        cls.dir = cls.tmp.name
        base = base_fixture(cls.dir)
        rows = fanout_rows(base)
        # One repeat of webhook at N = 10000 did not keep up.
        for r in rows:
            if r["mode"] == "webhook" and r["subscribers"] == "10000" and r["repeat"] == "2":
                r.update(saturated="true", saturated_reason="queue depth 900 at window end")
        # Runs through a link, or with a fault, at three N each: neither makes a line.
        rows += fanout_rows(base[:1], SUBSCRIBERS[:3], mode="sse", rtt_ms="50")
        rows += fanout_rows(base[:1], SUBSCRIBERS[:3], mode="long-poll",
                            fault="consumer-down:1s:1s")
        write_runs(cls.dir, rows, fixture.COLUMNS + EXTRA_COLUMNS)
        cls.rows = rows
        cls.notes = []
        cls.written = plot.make_charts(cls.dir, log=cls.notes.append)
        cls.fig = plot.build_chart(plot.Data(cls.dir), "fanout")
        cls.caption = plot.caption_of(cls.fig)

    @classmethod
    def tearDownClass(cls):
        plt.close("all")
        cls.tmp.cleanup()

    def test_is_the_last_chart_and_listed_for_the_fixtures(self):
        self.assertEqual(plot.CHARTS[-1].name, "fanout")
        self.assertEqual(plot.TITLES["fanout"],
                         "Fan-out: latency, producer CPU and memory vs subscribers N")
        self.assertEqual(tuple(name for name, _ in plot.CHARTS), fixture.ALL_CHART_NAMES)
        self.assertIn("fanout", fixture.NOT_IN_BASE_FIXTURE)

    def test_written_as_png_and_svg_with_its_caption(self):
        self.assertIn("fanout", self.written)
        png = os.path.join(self.dir, "charts", "fanout.png")
        self.assertEqual(self.written["fanout"], png)
        width, height = fixture.png_size(png)
        self.assertGreaterEqual((width, height), (400, 300))
        svg = fixture.read(os.path.join(self.dir, "charts", "fanout.svg"))
        for mode in MODES:
            for stem in ("latency", "model", "cores", "memory"):
                with self.subTest(mode=mode, panel=stem):
                    self.assertEqual(svg.count(f'id="fanout-{stem}-{mode}"'), 1)
        self.assertNotIn("no data for this chart", svg)
        captions = fixture.read(os.path.join(self.dir, "charts", "captions.json"))
        self.assertIn("Fan-out on loopback", captions)

    def test_report_shows_it_with_its_caption(self):
        proc = fixture.run_script(fixture.REPORT, self.dir)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        md = fixture.read(os.path.join(self.dir, "REPORT.md"))
        self.assertIn("](charts/fanout.png)", md)
        self.assertIn(f"*{self.caption}*", md)

    def test_one_line_per_mode_per_panel_at_the_points_means(self):
        axes = {}
        for mode in MODES:
            for stem, f, scale in (("latency", latency_us, 1e-3), ("cores", cores, 1.0),
                                   ("memory", bytes_per_subscriber, 1 / 1024)):
                with self.subTest(mode=mode, panel=stem):
                    (line,) = fixture.artists(self.fig, f"fanout-{stem}-{mode}")
                    self.assertEqual(list(line.get_xdata()), list(SUBSCRIBERS))
                    for y, n in zip(line.get_ydata(), SUBSCRIBERS):
                        self.assertAlmostEqual(y, point(f, mode, n, scale), places=9)
                    self.assertTrue(fixture.artists(self.fig, f"err:fanout-{stem}-{mode}"))
                    axes.setdefault(stem, set()).add(line.axes)
            (model,) = fixture.artists(self.fig, f"fanout-model-{mode}")
            (measured,) = fixture.artists(self.fig, f"fanout-latency-{mode}")
            self.assertIs(model.axes, measured.axes)
            self.assertEqual(model.get_linestyle(), "--")
            self.assertEqual(model.get_color(), measured.get_color())
            self.assertEqual([round(y, 9) for y in model.get_ydata()],
                             [round(model_us(mode, n) / 1000, 9) for n in SUBSCRIBERS])
        # Three panels side by side, one log N axis shared.
        self.assertEqual([len(a) for a in axes.values()], [1, 1, 1])
        panels = [next(iter(a)) for a in axes.values()]
        self.assertEqual(len(set(panels)), 3)
        for ax in panels:
            self.assertEqual(ax.get_xscale(), "log")
            self.assertEqual(ax.get_xlabel(), "subscribers N")
            self.assertIs(ax.get_shared_x_axes().joined(ax, panels[0]), True)

    def test_saturated_point_is_drawn_apart(self):
        (sat,) = fixture.artists(self.fig, "saturated:fanout-latency-webhook")
        self.assertEqual(list(sat.get_xdata()), [10000])
        self.assertFalse(fixture.artists(self.fig, "saturated:fanout-latency-poll"))
        self.assertIn("1 point is saturated (hollow, red edge)", self.caption)

    def test_runs_through_a_link_or_with_a_fault_make_no_line(self):
        series, _ = fanout_series(load_runs(self.dir))
        self.assertEqual([s.mode for s in series], list(MODES))
        for mode in ("sse", "long-poll"):
            self.assertFalse(fixture.artists(self.fig, f"fanout-latency-{mode}"))

    def test_caption_names_each_mode_with_its_figures(self):
        self.assertIn("Fan-out on loopback (no link)", self.caption)
        self.assertTrue(suptitle(self.fig).split("\n")[1].startswith("loopback, no fault;"))
        for mode in MODES:
            with self.subTest(mode=mode):
                part = caption_part(self.caption, mode)
                lat = [fmt_number(point(latency_us, mode, n, 1e-3)) for n in (1, 10000)]
                self.assertIn(f"mean latency {lat[0]} ms at N = 1, {lat[1]} ms at N = 10000",
                              part)
                self.assertIn(f"(model {fmt_number(model_us(mode, 1) / 1000)} ms at N = 1, "
                              f"{fmt_number(model_us(mode, 10000) / 1000)} ms at N = 10000)",
                              part)
                c = [fmt_number(point(cores, mode, n)) for n in (1, 10000)]
                self.assertIn(f"producer {c[0]} → {c[1]} cores (N = 1 → 10000)", part)
                kib = fmt_number(point(bytes_per_subscriber, mode, 10000, 1 / 1024))
                self.assertIn(f"{kib} KiB per subscriber at N = 10000", part)
        # At the largest N, webhook is the faster and poll the cheaper in producer CPU.
        self.assertIn(f"At N = 10000, the mean latency ran from "
                      f"{fmt_number(point(latency_us, 'webhook', 10000, 1e-3))} ms (webhook) to "
                      f"{fmt_number(point(latency_us, 'poll', 10000, 1e-3))} ms "
                      f"({LABELS['poll']}); the producer CPU ran from "
                      f"{fmt_number(point(cores, 'poll', 10000))} cores ({LABELS['poll']}) to "
                      f"{fmt_number(point(cores, 'webhook', 10000))} cores (webhook).",
                      self.caption)
        self.assertNotIn("not measured", self.caption)

    def test_legend_names_the_rate(self):
        legend = self.fig.axes[-1].get_legend()
        texts = [t.get_text() for t in legend.get_texts()]
        for mode in MODES:
            self.assertIn(f"{LABELS[mode]}, {fmt_number(RATE)} events/s", texts)
        self.assertIn("model's mean latency (dashed)", texts)


class FanoutAcrossHosts(unittest.TestCase):
    def test_runs_across_hosts_are_not_called_loopback(self):
        with tempfile.TemporaryDirectory() as d:
            base = base_fixture(d)
            write_runs(d, fanout_rows(base, hosts="2"),
                       fixture.COLUMNS + EXTRA_COLUMNS + ("hosts",))
            fig = plot.build_chart(plot.Data(d), "fanout")
            caption = plot.caption_of(fig)
            subtitle = suptitle(fig)
            for text in (caption, subtitle):
                self.assertIn("across hosts: 2 consumer hosts", text)
                self.assertNotIn("loopback", text)
            plt.close(fig)


class FanoutRates(unittest.TestCase):
    def test_each_mode_at_the_rate_with_the_most_n_lowest_on_a_tie(self):
        with tempfile.TemporaryDirectory() as d:
            base = base_fixture(d)
            webhook = [r for r in base if r["mode"] == "webhook"]
            poll = [r for r in base if r["mode"] == "poll"]
            rows = fanout_rows(base)  # both at 8/s, four N
            rows += fanout_rows(webhook, rate=2.0)  # four N at 2/s too: the tie goes to 2/s
            rows += fanout_rows(poll, SUBSCRIBERS[:3], rate=0.5)  # fewer N: poll stays at 8/s
            write_runs(d, rows, fixture.COLUMNS + EXTRA_COLUMNS)
            series, _ = fanout_series(load_runs(d))
            self.assertEqual({s.mode: s.rate for s in series}, {"poll": RATE, "webhook": 2.0})
            fig = plot.build_chart(plot.Data(d), "fanout")
            caption = plot.caption_of(fig)
            self.assertIn("webhook, 2 events/s: ", caption)
            self.assertIn(f"{LABELS['poll']}, 8 events/s: ", caption)
            plt.close(fig)


class NoFanoutChart(unittest.TestCase):
    def test_two_distinct_n_write_no_chart_and_the_note_says_why(self):
        with tempfile.TemporaryDirectory() as d:
            base = base_fixture(d)
            write_runs(d, fanout_rows(base, SUBSCRIBERS[:2]), fixture.COLUMNS + EXTRA_COLUMNS)
            out = os.path.join(d, "charts")
            os.makedirs(out)
            with open(os.path.join(out, "fanout.png"), "w") as f:
                f.write("stale")  # an earlier run's chart must go
            notes = []
            written = plot.make_charts(d, log=notes.append)
            self.assertNotIn("fanout", written)
            for ext in ("png", "svg"):
                self.assertFalse(os.path.exists(os.path.join(out, f"fanout.{ext}")))
            (note,) = [n for n in notes if "fanout" in n]
            self.assertTrue(note.startswith("plot.py: note: no fanout chart: "), note)
            self.assertIn("no mode measured at 3 or more subscriber counts N", note)
            self.assertIn(f"the most is 2 ({LABELS['poll']} at 8 events/s: N = 1, 100)", note)

    def test_the_base_fixture_has_one_n(self):
        with tempfile.TemporaryDirectory() as d:
            fixture.make_fixture(d, failed=False, trace=False)
            fig = plot.build_chart(plot.Data(d), "fanout")
            self.assertIn("the most is 1 ", fig.no_data)
            plt.close(fig)


class FanoutWithoutMemory(unittest.TestCase):
    def test_drawn_without_memory_lines_and_the_caption_says_so(self):
        with tempfile.TemporaryDirectory() as d:
            base = base_fixture(d)
            # A runs.csv from before the memory columns: not in its header at all.
            write_runs(d, fanout_rows(base, memory=False), fixture.COLUMNS)
            self.assertTrue(all(r["producer_bytes_per_subscriber"] is None
                                for r in load_runs(d)))
            fig = plot.build_chart(plot.Data(d), "fanout")
            caption = plot.caption_of(fig)
            for mode in MODES:
                with self.subTest(mode=mode):
                    self.assertEqual(len(fixture.artists(fig, f"fanout-latency-{mode}")), 1)
                    self.assertEqual(len(fixture.artists(fig, f"fanout-model-{mode}")), 1)
                    self.assertEqual(len(fixture.artists(fig, f"fanout-cores-{mode}")), 1)
                    self.assertFalse(fixture.artists(fig, f"fanout-memory-{mode}"))
                    self.assertIn(f"{LABELS[mode]}, {fmt_number(RATE)} events/s: mean latency",
                                  caption)
            self.assertEqual(len(fixture.artists(fig, "fanout-memory-none")), 1)
            self.assertIn("memory per subscriber was not measured", caption)
            self.assertNotIn("KiB per subscriber at", caption)
            plt.close(fig)


if __name__ == "__main__":
    unittest.main()
