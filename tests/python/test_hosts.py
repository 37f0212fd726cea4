#!/usr/bin/python3
"""`hookbench hosts plan|merge`, the two halves of a run across hosts, on loopback: a real
`serve` from the plan's producer document and two real `client` processes (two "hosts") from
its consumer document, each writing its report and its latency slots; `merge` then gives one
result whose totals are the hosts' sums, whose latency is summarised over every sample, and
which names a host that sent nothing. Bad run settings get one line and exit 2. The playbook
that does the same across real hosts is tested in test_deploy.py."""

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

BIN = os.environ.get("HOOKBENCH_BIN")


def control(port, token, method, target):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{target}", method=method,
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def read_line(path, needle, proc, bound_s):
    """The first line of `path` holding `needle`, waiting at most bound_s while proc lives."""
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if needle in line:
                        return json.loads(line)
        if proc.poll() is not None:
            raise AssertionError(f"{path}: the process exited ({proc.returncode}) first")
        time.sleep(0.05)
    raise AssertionError(f"{path}: no {needle} within {bound_s} s")


@unittest.skipIf(not BIN, "HOOKBENCH_BIN is not set (ctest sets it)")
class HostsPlanMerge(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hookbench-hosts-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.procs = []
        self.addCleanup(self.stop_all)

    def stop_all(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=15)

    def hb(self, *args, **kw):
        return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60, **kw)

    def write_run(self, settings):
        path = os.path.join(self.tmp, "run.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(settings, f)
        return path

    def spawn(self, args, out, env):
        with open(out, "w", encoding="utf-8") as o, open(out + ".err", "w", encoding="utf-8") as e:
            p = subprocess.Popen([BIN, *args], stdout=o, stderr=e, stdin=subprocess.DEVNULL,
                                 env=env)
        self.procs.append(p)
        return p

    def run_across(self, settings, hosts, report_from, tamper=None):
        """Plans, runs serve and one client per name in `hosts` on loopback, collects what the
        playbook would (reports and slots of the hosts in `report_from`) and merges."""
        run = self.write_run(settings)
        plan_dir = os.path.join(self.tmp, "plan")
        r = self.hb("hosts", "plan", "--run", run, "--hosts", str(len(hosts)), "--listen",
                    "127.0.0.1:0", "--out", plan_dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        plan = json.loads(r.stdout)
        self.assertEqual(plan["subscribers"], len(hosts) * settings["subscribers_per_host"])
        api, ctl = secrets.token_hex(16), secrets.token_hex(16)
        env = dict(os.environ, HOOKBENCH_TOKEN=api, HOOKBENCH_CONTROL_TOKEN=ctl)
        out = os.path.join(self.tmp, "out")
        serve = self.spawn(["serve", "--config", os.path.join(plan_dir, "producer.json")],
                           os.path.join(self.tmp, "serve.out"), env)
        port = read_line(os.path.join(self.tmp, "serve.out"), '"ready"', serve, 30)["port"]
        clients = {}
        client_env = dict(os.environ, HOOKBENCH_TOKEN=api)
        for h in hosts:
            d = os.path.join(out, "hosts", h)
            os.makedirs(d)
            scratch = os.path.join(self.tmp, "scratch", h)
            os.makedirs(scratch)
            clients[h] = self.spawn(
                ["client", "--config", os.path.join(plan_dir, "consumer.json"), "--producer",
                 f"http://127.0.0.1:{port}",
                 *(["--advertise", "127.0.0.1"] if plan["receiver"] else []), "--slots", os.path.join(scratch, "slots.bin"),
                 "--out", os.path.join(scratch, "report.json")],
                os.path.join(scratch, "client.out"), client_env)
        for h in hosts:
            read_line(os.path.join(self.tmp, "scratch", h, "client.out"), '"ready"', clients[h],
                      plan["ready_wait_s"])
        control(port, ctl, "POST", "/control/start")
        for h in hosts:
            read_line(os.path.join(self.tmp, "scratch", h, "client.out"), '"report"', clients[h],
                      plan["report_wait_s"])
        for h in report_from:
            for name in ("report.json", "slots.bin"):
                shutil.copy(os.path.join(self.tmp, "scratch", h, name),
                            os.path.join(out, "hosts", h, name))
        with open(os.path.join(out, "producer-report.json"), "w", encoding="utf-8") as f:
            json.dump(control(port, ctl, "GET", "/control/report"), f)
        control(port, ctl, "POST", "/control/shutdown")
        serve.wait(timeout=15)
        if tamper:
            tamper(out)
        merged = self.hb("hosts", "merge", "--run", run, "--dir", out, "--hosts", ",".join(hosts),
                         "--producer", "127.0.0.1")
        reports = {}
        for h in hosts:
            with open(os.path.join(self.tmp, "scratch", h, "report.json"), encoding="utf-8") as f:
                reports[h] = json.load(f)
        result = None
        if os.path.exists(os.path.join(out, "result.json")):
            with open(os.path.join(out, "result.json"), encoding="utf-8") as f:
                result = json.load(f)
        return merged, result, reports

    def test_two_hosts_merge_into_one_exact_result(self):
        for mode in ("webhook", "sse"):
            with self.subTest(mode=mode):
                self.setUp_again()
                settings = {"mode": mode, "rate": 40, "subscribers_per_host": 3,
                            "duration": "1s", "warmup": "300ms", "out": "ignored",
                            "hookbench_binary": "ignored"}
                merged, r, reports = self.run_across(settings, ["a", "b"], ["a", "b"])
                self.assertEqual(merged.returncode, 0, merged.stderr)
                m = r["metrics"]
                self.assertEqual(r["config"]["subscribers"], 6)
                self.assertEqual(r["config"]["hosts"], 2)
                self.assertEqual(r["config"]["subscribers_per_host"], 3)
                self.assertEqual(r["config"]["host"], "127.0.0.1")
                produced = m["produced"]
                self.assertGreater(produced, 0)
                self.assertEqual(m["expected"], produced * 6)
                self.assertEqual(m["delivered"], produced * 6)
                self.assertEqual(m["lost"], 0)
                # Sums of the hosts' own counts; the latency over every sample of both.
                for key in ("expected", "delivered", "duplicates"):
                    self.assertEqual(m[key],
                                     sum(rep[key] for rep in reports.values()), key)
                self.assertEqual(m["latency_us"]["count"], produced * 6)
                lo = min(rep["latency_us"]["min"] for rep in reports.values())
                hi = max(rep["latency_us"]["max"] for rep in reports.values())
                self.assertEqual(m["latency_us"]["min"], lo)
                self.assertEqual(m["latency_us"]["max"], hi)
                self.assertEqual(m["bytes"]["consumer_sent"],
                                 sum(rep["bytes"]["sent"] for rep in reports.values()))
                self.assertEqual([h["name"] for h in r["hosts"]], ["a", "b"])
                for h in r["hosts"]:
                    self.assertEqual(h["delivered"], produced * 3)
                    self.assertIn("offset_us", h["clock"])
                    self.assertGreaterEqual(h["clock"]["error_bound_us"], 0)

    def setUp_again(self):
        """A clean slate for the next subTest (its own directory, no processes left)."""
        self.stop_all()
        self.procs = []
        for name in ("plan", "out", "scratch"):
            shutil.rmtree(os.path.join(self.tmp, name), True)

    def test_a_host_without_a_report_is_named_and_its_events_lost(self):
        settings = {"mode": "poll", "rate": 40, "subscribers_per_host": 2, "duration": "1s",
                    "warmup": "300ms", "interval": "100ms"}
        merged, r, _ = self.run_across(settings, ["a", "b"], ["a"])
        self.assertEqual(merged.returncode, 1)
        self.assertIn("host b failed: no report", merged.stderr)
        m = r["metrics"]
        produced = m["produced"]
        self.assertEqual(m["expected"], produced * 4)
        self.assertEqual(m["delivered"], produced * 2)
        self.assertEqual(m["lost"], produced * 2)
        self.assertEqual(r["hosts"][1]["failed"], "no report")

    def test_a_host_whose_slots_are_cut_short_counts_for_nothing_but_its_loss(self):
        settings = {"mode": "sse", "rate": 40, "subscribers_per_host": 2, "duration": "1s",
                    "warmup": "300ms"}

        def cut_b(out):
            path = os.path.join(out, "hosts", "b", "slots.bin")
            with open(path, "rb") as f:
                data = f.read()
            with open(path, "wb") as f:
                f.write(data[:-8])

        # b is the first host listed: the merge must not start from its counts either.
        merged, r, reports = self.run_across(settings, ["b", "a"], ["a", "b"], tamper=cut_b)
        self.assertEqual(merged.returncode, 1)
        self.assertIn("host b failed", merged.stderr)
        self.assertIn("bytes, not the", merged.stderr)
        m = r["metrics"]
        produced = m["produced"]
        self.assertEqual(m["delivered"], produced * 2)  # a's alone
        self.assertEqual(m["lost"], produced * 2)
        self.assertEqual(m["bytes"]["consumer_sent"], reports["a"]["bytes"]["sent"])
        self.assertEqual(r["hosts"][0]["name"], "b")
        self.assertIn("bytes, not the", r["hosts"][0]["failed"])

    def test_settings_a_run_across_hosts_cannot_carry_out_get_one_line(self):
        out = os.path.join(self.tmp, "p")
        for settings, needle in (
                ({"mode": "sse"}, "subscribers_per_host: required"),
                ({"mode": "sse", "subscribers_per_host": 2, "rtt": "10ms"},
                 "rtt: not across hosts"),
                ({"mode": "sse", "subscribers_per_host": 2, "subscribers": 4},
                 "subscribers: not across hosts"),
                ({"mode": "all", "subscribers_per_host": 2}, "mode: one mode per run"),
                ({"mode": "sse", "subscribers_per_host": 2, "interval": "1s"},
                 "--interval: applies to poll modes"),
                ({"mode": "sse", "subscribers_per_host": 2, "colour": "red"}, "no option --colour"),
        ):
            run = self.write_run(settings)
            r = self.hb("hosts", "plan", "--run", run, "--hosts", "2", "--out", out)
            self.assertEqual(r.returncode, 2, settings)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn(needle, r.stderr, settings)
        # Underscored names (Ansible variables) are the options' dashed ones.
        run = self.write_run({"mode": "poll", "subscribers_per_host": 2, "poll_limit": 7})
        r = self.hb("hosts", "plan", "--run", run, "--hosts", "3", "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "consumer.json"), encoding="utf-8") as f:
            self.assertEqual(json.load(f)["poll-limit"], 7)
        with open(os.path.join(out, "producer.json"), encoding="utf-8") as f:
            producer = json.load(f)
        # Room for the 6 subscribers of all hosts, twice over, and no token in either document.
        self.assertGreaterEqual(producer["max-subscriptions"], 12)
        self.assertNotIn("token", json.dumps(producer))
        keys = json.loads(self.hb("hosts", "options").stdout)
        self.assertIn("subscribers_per_host", keys)
        self.assertNotIn("rtt", keys)
        self.assertNotIn("subscribers", keys)


if __name__ == "__main__":
    unittest.main()
