#!/usr/bin/python3
"""deploy/hookbench.yml in the lab: `scripts/lab.sh up 2` makes a producer host and 2 consumer
hosts (network namespaces with their own sshd), and the playbook, run as the README says
(`ansible-playbook -i INVENTORY deploy/hookbench.yml -e @run.json`), carries out one run per
mode (poll, long-poll, SSE, WebSocket, webhook) across them: every event reaches every
subscriber on both hosts exactly, each host's entry has its clock offset with a bound, and
nothing is left running and no token file is left behind. A sweep whose scenario names the
inventory runs each point through the playbook, and its report says it ran across hosts. A consumer host whose webhook address
the producer refuses fails the run, named, and everything is still stopped. Skipped, with one
line, where namespaces, sshd or Ansible are not available (scripts/setup.sh --lab)."""

import csv
import glob
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from fixtures import ROOT
from fixtures.lab import lab_available

LAB = os.path.join(ROOT, "scripts", "lab.sh")
PLAYBOOK = os.path.join(ROOT, "deploy", "hookbench.yml")
BIN = os.environ.get("HOOKBENCH_BIN")


def reason():
    if not BIN:
        return "HOOKBENCH_BIN is not set (ctest sets it)"
    if not shutil.which("ansible-playbook"):
        return "needs ansible-playbook (scripts/setup.sh --lab)"
    return lab_available()


REASON = reason()


@unittest.skipIf(REASON, f"lab not testable here: {REASON}")
class PlaybookInTheLab(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hookbench-deploy-")
        cls.dir = os.path.join(cls.tmp, "lab")
        cls.env = dict(os.environ, HOOKBENCH_LAB_DIR=cls.dir, ANSIBLE_NOCOLOR="1",
                       ANSIBLE_LOCAL_TEMP=os.path.join(cls.tmp, "ansible-local"))
        up = subprocess.run([LAB, "up", "2"], capture_output=True, text=True, timeout=120,
                            env=cls.env)
        if up.returncode != 0:
            cls.tearDownClass()
            raise AssertionError(up.stderr)
        cls.inventory = os.path.join(cls.dir, "inventory.ini")

    @classmethod
    def tearDownClass(cls):
        subprocess.run([LAB, "down"], capture_output=True, timeout=120, env=cls.env)
        shutil.rmtree(cls.tmp, True)

    def playbook(self, settings, inventory=None):
        out = os.path.join(self.tmp, "out-" + settings["mode"])
        settings = dict(settings, out=out, hookbench_binary=BIN)
        run = os.path.join(self.tmp, "run.json")
        with open(run, "w", encoding="utf-8") as f:
            json.dump(settings, f)
        r = subprocess.run(["ansible-playbook", "-i", inventory or self.inventory, PLAYBOOK,
                            "-e", "@" + run], capture_output=True, text=True, timeout=300,
                           env=self.env, cwd=self.tmp)
        result = None
        if os.path.exists(os.path.join(out, "result.json")):
            with open(os.path.join(out, "result.json"), encoding="utf-8") as f:
                result = json.load(f)
        return r, result

    def assert_nothing_left(self, output):
        # What the playbook starts, from its own directory on each host.
        left = subprocess.run(["pgrep", "-f", r"hookbench (serve|client) --config (serve|client)\.json"],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(left.stdout, "", "hookbench processes outlived the run")
        # The hosts share this machine's /tmp: every directory the runs made is gone.
        self.assertEqual(glob.glob("/tmp/hookbench-deploy.*"), [])
        # The run's tokens never appear in what Ansible printed.
        for path in glob.glob(os.path.join(self.tmp, "out-*", "plan", "*.json")):
            with open(path, encoding="utf-8") as f:
                self.assertNotIn("token", f.read().lower(), path)
        self.assertNotIn("Bearer ", output)

    def test_every_mode_delivers_exactly_across_two_consumer_hosts(self):
        modes = (("poll", {"interval": "200ms"}), ("long-poll", {}), ("sse", {}), ("websocket", {}),
                 ("webhook", {}))
        for k, (mode, knobs) in enumerate(modes):
            with self.subTest(mode=mode):
                settings = {"mode": mode, "rate": 20, "subscribers_per_host": 3,
                            "duration": "1s", "warmup": "500ms", **knobs}
                if k > 0:
                    settings["runtime_packages"] = False  # installed by the first run
                r, result = self.playbook(settings)
                self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-2000:])
                m = result["metrics"]
                produced = m["produced"]
                self.assertGreater(produced, 0)
                self.assertEqual(result["config"]["mode"], mode)
                self.assertEqual(result["config"]["hosts"], 2)
                self.assertEqual(result["config"]["subscribers"], 6)
                self.assertEqual(result["config"]["host"], "198.18.10.1")
                self.assertEqual(m["expected"], produced * 6)
                self.assertEqual(m["delivered"], produced * 6)
                self.assertEqual((m["lost"], m["duplicates"]), (0, 0))
                self.assertEqual(m["latency_us"]["count"], produced * 6)
                self.assertEqual([h["name"] for h in result["hosts"]], ["hblab1", "hblab2"])
                for h in result["hosts"]:
                    self.assertEqual((h["expected"], h["delivered"], h["lost"]),
                                     (produced * 3, produced * 3, 0), h["name"])
                    # One machine's clock behind every namespace: the estimate must find an
                    # offset within its own bound of 0, and the bound must be a real one.
                    bound = h["clock"]["error_bound_us"]
                    self.assertGreater(bound, 0)
                    self.assertLess(bound, 1e6)
                    self.assertLessEqual(abs(h["clock"]["offset_us"]), bound + 1, h["clock"])
                self.assert_nothing_left(r.stdout)

    def test_a_sweep_with_an_inventory_runs_its_points_across_the_hosts(self):
        scenario = {"name": "lab", "modes": ["sse"], "rates": [20], "subscribers": [2, 4],
                    "repeats": 1, "warmup_s": 0.5, "drain_s": 2, "min_events": 10,
                    "min_delivered": 10, "min_polls": 10, "min_duration_s": 1,
                    "max_point_s": 1, "inventory": self.inventory, "playbook": PLAYBOOK}
        path = os.path.join(self.tmp, "lab-scenario.json")
        out = os.path.join(self.tmp, "lab-sweep")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(scenario, f)
        # N must divide over the hosts: refused before anything runs, in one line.
        with open(path + ".odd", "w", encoding="utf-8") as f:
            json.dump(dict(scenario, subscribers=[3]), f)
        odd = subprocess.run([BIN, "sweep", path + ".odd", "--out", out + "-odd"],
                             capture_output=True, text=True, timeout=120, env=self.env)
        self.assertEqual(odd.returncode, 2)
        self.assertIn("subscribers: 3 do not divide over the 2 consumer hosts", odd.stderr)
        r = subprocess.run([BIN, "sweep", path, "--out", out], capture_output=True, text=True,
                           timeout=400, env=self.env, cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        with open(os.path.join(out, "runs.csv"), encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual([int(row["subscribers"]) for row in rows], [2, 4])
        for row in rows:
            self.assertEqual(row["hosts"], "2")
            self.assertGreater(int(row["produced"]), 0)
            self.assertEqual(row["delivered"], row["expected"])
            self.assertEqual(row["lost"], "0")
        report = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "report.py"),
                                 out], capture_output=True, text=True, timeout=300)
        self.assertEqual(report.returncode, 0, report.stderr)
        with open(os.path.join(out, "REPORT.md"), encoding="utf-8") as f:
            self.assertIn("2 consumer hosts", f.read())
        # Every chart says where its points were made.
        with open(os.path.join(out, "charts", "latency_vs_rate.svg"), encoding="utf-8") as f:
            self.assertIn("across hosts: 2 consumer hosts", f.read())
        self.assert_nothing_left(r.stdout)

    def test_a_setting_a_run_across_hosts_cannot_carry_out_is_refused_before_anything_starts(self):
        r, result = self.playbook({"mode": "webhook", "subscribers_per_host": 2,
                                   "fault": "receiver-down:1s:1s"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIsNone(result)
        self.assertIn("fault: not across hosts", r.stdout)
        self.assertNotIn("Start hookbench", r.stdout)

    def test_a_host_the_producer_refuses_fails_the_run_and_everything_stops(self):
        with open(self.inventory, encoding="utf-8") as f:
            text = f.read()
        # hblab2 asks for webhooks at an address that is not its own: the producer refuses it.
        bad = text.replace("hblab2 ansible_host=198.18.10.3",
                           "hblab2 ansible_host=198.18.10.3 hookbench_address=198.18.10.99")
        self.assertNotEqual(bad, text)
        inventory = os.path.join(self.tmp, "bad.ini")
        with open(inventory, "w", encoding="utf-8") as f:
            f.write(bad)
        r, result = self.playbook({"mode": "webhook", "rate": 20, "subscribers_per_host": 2,
                                   "duration": "1s", "warmup": "500ms",
                                   "runtime_packages": False}, inventory)
        self.assertNotEqual(r.returncode, 0)
        self.assertIsNone(result)
        self.assertIn("hookbench client on hblab2", r.stdout)
        self.assert_nothing_left(r.stdout)


if __name__ == "__main__":
    unittest.main()
