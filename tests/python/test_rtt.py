#!/usr/bin/python3
"""The round trip as an axis (a scenario's rtt block, run --rtt): runs.csv's rtt_ms column is read
with loopback as the default (older files load unchanged), the charts over the event rate keep
to the base round trip, the push/poll latency ratio against the round trip is computed from the
points' estimates over their repeats (means) and drawn with a caption that states the measured ratios, and the report's
answer gives the ratio per round trip in words that follow the data."""

import csv
import os
import tempfile
import unittest

import fixtures as fixture
from hookbench.charts import sweep as plot
from hookbench.fmt import fmt_number
from hookbench.runs_csv import load_runs
from hookbench.series import group_series, rtt_ratios

RTT_COLUMNS = ("rtt_ms", "link_rtt_measured_us")
RATE = 8.0
INTERVAL = 1000.0
# Mean latency (µs) at each round trip (ms), over three repeats: webhook ~ R/2 + 0.3 ms, poll
# ~ T/2 + R/2.
LATENCY = {("webhook", 10.0): (5300, 5400, 5350), ("webhook", 100.0): (50300, 50200, 50400),
           ("poll", 10.0): (505000, 500000, 510000), ("poll", 100.0): (550000, 560000, 545000)}


def add_rtt_rows(folder, rows):
    """Appends the rtt block's rows (poll T = 1 s and webhook at RATE, 10 and 100 ms) to the
    fixture's runs.csv, with the two RTT columns; returns every row."""
    out = [dict(r, rtt_ms="0", link_rtt_measured_us="") for r in rows]
    for (mode, rtt), means in LATENCY.items():
        for repeat, mean in enumerate(means):
            base = next(r for r in rows if r["mode"] == mode and float(r["rate"]) == RATE and
                        r["repeat"] == str(repeat) and not r["note"].startswith("failed") and
                        (mode != "poll" or float(r["interval_ms"]) == INTERVAL))
            row = dict(base, rtt_ms=f"{rtt:g}", link_rtt_measured_us=str(rtt * 1000 + 40),
                       latency_mean_us=str(mean), latency_p50_us=str(mean),
                       model_latency_mean_us=str(mean * 1.1), result_file="")
            row["run_id"] = base["run_id"].replace(f"-k{repeat}", f"-R{rtt:g}-k{repeat}")
            out.append(row)
    with open(os.path.join(folder, "runs.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(fixture.COLUMNS + RTT_COLUMNS))
        w.writeheader()
        w.writerows(out)
    return out


def loopback_mean(rows, mode):
    import statistics
    values = [float(r["latency_mean_us"]) for r in rows
              if r["mode"] == mode and float(r["rate"]) == RATE and r["latency_mean_us"] and
              (mode != "poll" or float(r["interval_ms"] or 0) == INTERVAL)]
    return statistics.fmean(values)


def rtt_ratio(rtt):
    """Webhook's mean latency over poll's at a round trip: each the mean of its repeats."""
    import statistics
    return statistics.fmean(LATENCY[("webhook", rtt)]) / statistics.fmean(LATENCY[("poll", rtt)])


class RttAxis(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="hookbench-rtt-")
        cls.dir = cls.tmp.name
        base = fixture.make_fixture(cls.dir, failed=False, trace=False)
        cls.rows = add_rtt_rows(cls.dir, base)
        cls.base = base

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_rtt_column_is_read_and_defaults_to_loopback(self):
        rows = load_runs(self.dir)
        self.assertEqual(sorted({r["rtt_ms"] for r in rows}), [0.0, 10.0, 100.0])
        with tempfile.TemporaryDirectory() as old:
            fixture.make_fixture(old, failed=False, trace=False)  # no rtt columns at all
            self.assertEqual({r["rtt_ms"] for r in load_runs(old)}, {0.0})
            self.assertEqual(rtt_ratios(load_runs(old)), [])

    def test_charts_over_the_rate_keep_to_loopback(self):
        series = group_series(load_runs(self.dir))
        counted = sum(len(v) for s in series for v in s.points.values())
        self.assertEqual(counted, len(self.base))

    def test_ratio_is_the_mean_push_over_the_mean_poll_per_rtt(self):
        found = rtt_ratios(load_runs(self.dir))
        self.assertEqual(len(found), 1)
        e = found[0]
        self.assertEqual((e["push"], e["interval_ms"], e["rate"]), ("webhook", INTERVAL, RATE))
        self.assertEqual([p[0] for p in e["points"]], [0.0, 10.0, 100.0])
        expected = {0.0: loopback_mean(self.base, "webhook") / loopback_mean(self.base, "poll"),
                    10.0: rtt_ratio(10.0), 100.0: rtt_ratio(100.0)}
        for rtt, ratio, *_ in e["points"]:
            self.assertAlmostEqual(ratio, expected[rtt], places=9)
        self.assertAlmostEqual(e["points"][1][4], rtt_ratio(10.0), places=9)  # model, same 1.1x

    def test_chart_draws_the_ratios_and_its_caption_states_them(self):
        fig = plot.build_chart(plot.Data(self.dir), "rtt_ratio")
        lines = fixture.artists(fig, "rtt-webhook")
        self.assertEqual(len(lines), 1)
        # The linked round trips on a log axis; loopback apart, joined to no line.
        self.assertEqual(list(lines[0].get_xdata()), [10.0, 100.0])
        self.assertAlmostEqual(lines[0].get_ydata()[1], rtt_ratio(100.0))
        self.assertEqual(lines[0].axes.get_xscale(), "log")
        (loop,) = fixture.artists(fig, "rtt-loopback-webhook")
        self.assertEqual(loop.get_linestyle(), "None")
        self.assertAlmostEqual(loop.get_ydata()[0], loopback_mean(self.base, "webhook") /
                               loopback_mean(self.base, "poll"))
        self.assertIsNot(loop.axes, lines[0].axes)
        caption = plot.caption_of(fig)
        self.assertIn(f"{fmt_number(rtt_ratio(100.0), 2)}× at 100 ms", caption)
        self.assertIn("the gap narrows as the round trip grows", caption)

    def test_chart_without_rtt_points_is_not_written(self):
        with tempfile.TemporaryDirectory() as d:
            fixture.make_fixture(d, failed=False, trace=False)
            fig = plot.build_chart(plot.Data(d), "rtt_ratio")
            self.assertIn("No round trip other than the base one", plot.caption_of(fig))
            written = plot.make_charts(d)
            self.assertNotIn("rtt_ratio", written)
            self.assertFalse(os.path.exists(os.path.join(d, "charts", "rtt_ratio.png")))

    def test_report_answer_gives_the_ratio_per_rtt(self):
        proc = fixture.run_script(os.path.join(fixture.ROOT, "scripts", "report.py"), self.dir)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(self.dir, "REPORT.md"), encoding="utf-8") as f:
            md = f.read()
        answer = md[md.index("## The answer"):md.index("## ", md.index("## The answer") + 3)]
        self.assertIn("Through a slower network", answer)
        row = fixture.table_row(answer, "webhook")
        self.assertEqual(row[1:], [fmt_number(INTERVAL), fmt_number(RATE), "1500×",
                                   f"{fmt_number(1 / rtt_ratio(10.0), 2)}×",
                                   f"{fmt_number(1 / rtt_ratio(100.0), 2)}×"])
        self.assertIn("In all pairs the advantage of pushing shrank as the round trip grew",
                      answer)
        self.assertIn("rtt_ratio.png", md)


if __name__ == "__main__":
    unittest.main()
