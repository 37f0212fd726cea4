#!/usr/bin/python3
"""The fault measurements' scripts on a fixture folder: scripts/plot_faults.py draws
the recovery timeline and the fault-size chart, and report.py's Faults sentences carry the
fixture's numbers (lost per retry policy, catch-up times) and say "not measured" for what the
folder lacks. The fixture runs are a real webhook result (fixtures/webhook_run.json) with a
metrics.faults block of known values (fixtures.faults)."""

import json
import os
import subprocess
import tempfile
import unittest

import fixtures as fixture
from fixtures import PLOT_FAULTS
from fixtures.faults import fault_run
from hookbench.charts import faults as plot_faults
from hookbench.faults_files import load_runs
from hookbench.report.faults import fault_sentences


class FaultsScripts(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        os.makedirs(os.path.join(self.dir, "faults"))

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, r):
        with open(os.path.join(self.dir, "faults", name + ".json"), "w", encoding="utf-8") as f:
            json.dump(r, f)

    def test_sentences_carry_the_numbers_and_say_not_measured(self):
        self.write("a", fault_run("webhook", "receiver-down", 1.0, 64, None, "none"))
        self.write("b", fault_run("webhook", "receiver-down", 1.0, 0, 0.25, "standard", dups=3))
        self.write("c", fault_run("poll", "consumer-down", 1.0, 0, 0.12))
        text = " ".join(fault_sentences(load_runs(self.dir)))
        self.assertIn("lost 64 (1 s) with --retry none", text)
        self.assertIn("lost 0 (1 s) with --retry standard", text)
        self.assertIn("poll with the consumer stopped for 1 s: lost nothing, caught up 120-120 ms",
                      text)
        self.assertIn("sse with the consumer stopped: not measured.", text)
        self.assertIn("answering 503: not measured", text)
        self.assertIn("With the link between the sides cut: not measured.", text)
        self.assertIn("With the producer killed and restarted from its log: not measured.", text)

    def test_receiver_slow_says_how_many_retries_were_still_pending(self):
        pending = fault_run("webhook", "receiver-slow", 1.0, 0, 5.0, "standard")
        pending["metrics"]["faults"]["sender"] = {"pending": 4, "timeouts": 4}
        self.write("a", pending)
        self.write("b", fault_run("webhook", "receiver-slow", 1.0, 0, 5.0, "none"))
        text = " ".join(fault_sentences(load_runs(self.dir)))
        self.assertIn("lost 0, 0 duplicates with --retry standard (4 retries still pending when "
                      "the runs ended: not sent, so their duplicates are not counted).", text)
        self.assertIn("lost 0, 0 duplicates with --retry none;", text)
        self.assertNotIn("with --retry none (", text)

    def test_link_cut_restart_and_webhook_consumer_down_sentences(self):
        # A webhook run records its retry policy: its consumer-down is found all the same.
        self.write("a", fault_run("webhook", "consumer-down", 1.0, 0, 0.007, "standard"))
        self.write("b", fault_run("sse", "link-cut", 1.0, 0, 0.003))
        self.write("c", fault_run("webhook", "link-cut", 1.0, 10, None, "none"))
        self.write("d", fault_run("poll", "producer-restart", 1.0, 0, 0.011, dups=2))
        text = " ".join(fault_sentences(load_runs(self.dir)))
        self.assertIn("webhook with the consumer stopped for 1 s: lost nothing, caught up 7-7 ms",
                      text)
        self.assertIn("With the link between the sides cut for 1 s: sse lost nothing and caught "
                      "up 3 ms after; webhook (--retry none) lost 10.", text)
        self.assertIn("With the producer killed and restarted from its log for 1 s: poll lost "
                      "nothing and caught up 11 ms after (2 duplicates).", text)
        # The breaker line appears only where a run says it opened.
        self.assertNotIn("circuit breaker", text)

    def test_charts_and_captions(self):
        for length in (0.5, 1.0, 2.0):
            self.write(f"p{length}", fault_run("poll", "consumer-down", length, 0, 0.1))
            self.write(f"w{length}", fault_run("webhook", "receiver-down", length,
                                               int(64 * length), None))
        out = subprocess.run([fixture.PYTHON, PLOT_FAULTS, self.dir], capture_output=True,
                             text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        charts = os.path.join(self.dir, "faults", "charts")
        with open(os.path.join(charts, "captions.json"), encoding="utf-8") as f:
            captions = json.load(f)
        for name, _ in plot_faults.CHARTS:
            self.assertTrue(os.path.isfile(os.path.join(charts, name + ".png")))
        self.assertIn("webhook receiver-down: 64 lost", captions["fault_recovery"])
        self.assertIn("poll consumer-down: nothing lost, caught up 100 ms", captions["fault_recovery"])
        self.assertIn("Lost deliveries: webhook receiver-down.", captions["fault_size"])

    def test_missing_folder_is_one_line(self):
        out = subprocess.run([fixture.PYTHON, PLOT_FAULTS, os.path.join(self.dir, "nope")],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 2)
        self.assertEqual(len(out.stderr.strip().splitlines()), 1, out.stderr)


if __name__ == "__main__":
    unittest.main()
