#!/usr/bin/python3
"""hookbench calibrate, validate and advise as a user meets them: a calibration measured here
(two modes, short runs) has the schema and constants that can only come from a measurement;
`calibrate --check` measures its probes against it; `validate` predicts the committed reference
sweep from the built-in calibration, and every point's verdict is recomputed here from the run
files (the measured mean over the repeats inside the printed interval) with the coverage at
least 80% (the issue's goal is 90%: the figure is reported, this bound catches a broken
predictor); `advise` answers with the documented JSON schema, picks for a pull mode a T whose
predicted interval meets the budget, says when nothing can meet a budget, and refuses nonsense
with one line and exit 2."""

import glob
import json
import os
import statistics
import subprocess
import tempfile
import unittest

BIN = os.environ.get("HOOKBENCH_BIN", "../../build/release/src/hookbench")
ROOT = os.environ.get("HOOKBENCH_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))


def run(*args, timeout=300):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def advise(*args):
    r = run("advise", *args, "--json")
    if r.returncode != 0:
        raise AssertionError(f"advise {args} exited {r.returncode}: {r.stderr}")
    return json.loads(r.stdout)


MODE_KEYS = {"mode", "setting", "latency_us", "requests_per_s", "bytes_per_s", "producer_cores",
             "consumer_cores", "connections", "meets_budget", "projection", "reason"}


class Advise(unittest.TestCase):
    def test_json_schema_and_a_pull_setting_that_meets_the_budget(self):
        doc = advise("--rate", "5/s", "--subscribers", "2000", "--rtt", "80ms", "--budget",
                     "p99<=2s")
        self.assertEqual(set(doc), {"input", "calibration", "modes", "recommendation"})
        self.assertEqual(doc["input"]["subscribers"], 2000)
        self.assertAlmostEqual(doc["input"]["rate"], 5)
        self.assertEqual(doc["input"]["budget"], {"stat": "p99", "limit_us": 2e6})
        modes = {m["mode"]: m for m in doc["modes"]}
        self.assertEqual(len(modes), 8)
        for m in doc["modes"]:
            self.assertLessEqual(MODE_KEYS, set(m), m["mode"])
            lat = m["latency_us"]
            for key in ("mean", "p50", "p99"):
                if lat[key] is not None:
                    lo, hi = lat[f"{key}_interval"]
                    self.assertLessEqual(lo, lat[key] + 1e-6, (m["mode"], key))
                    self.assertGreaterEqual(hi, lat[key] - 1e-6, (m["mode"], key))
            if m["meets_budget"]:
                self.assertLessEqual(lat["p99_interval"][1], 2e6, m["mode"])
        poll = modes["poll"]
        t_ms = poll["setting"]["interval_ms"]
        # p99 ~ 0.99 T + R/2 <= 2 s: T near (2 s - 40 ms) / 0.99, never above it.
        self.assertTrue(poll["meets_budget"])
        self.assertLess(t_ms, 2000 / 0.99)
        self.assertGreater(t_ms, 1500)
        self.assertAlmostEqual(poll["requests_per_s"], 2000 / (t_ms / 1000), delta=1)
        self.assertAlmostEqual(modes["webhook"]["requests_per_s"], 5 * 2000, delta=1)
        self.assertIn("batch_window_ms", modes["webhook-batch"]["setting"])
        # Best first: the recommendation is the first meeting mode, by requests.
        rec = doc["recommendation"]
        meeting = [m for m in doc["modes"] if m["meets_budget"]]
        self.assertEqual(rec["mode"], meeting[0]["mode"])
        reqs = [m["requests_per_s"] for m in meeting]
        self.assertEqual(reqs, sorted(reqs))
        self.assertTrue(rec["reason"])
        # The runner-up: the best meeting mode of another family than the winner's.
        families = {m["name"]: m["family"] for m in json.loads(run("modes", "--json").stdout)}
        others = [m["mode"] for m in meeting if families[m["mode"]] != families[rec["mode"]]]
        self.assertEqual(rec["runner_up"], others[0])

    def test_a_budget_below_the_one_way_time_gets_an_answer_not_an_empty_table(self):
        doc = advise("--rate", "5", "--subscribers", "10", "--rtt", "80ms", "--budget",
                     "p99<=5ms")
        self.assertIsNone(doc["recommendation"]["mode"])
        self.assertIn("floor is the one-way time", doc["recommendation"]["reason"])
        self.assertEqual(len(doc["modes"]), 8)
        self.assertFalse(any(m["meets_budget"] for m in doc["modes"]))
        text = run("advise", "--rate", "5", "--subscribers", "10", "--rtt", "80ms", "--budget",
                   "p99<=5ms")
        self.assertEqual(text.returncode, 0)
        self.assertIn("no mode meets p99 <= 5 ms", text.stdout)

    def test_minimize_changes_the_order(self):
        # Webhooks hold POSTs in flight (λ/N x the round trip, up to 4 per subscriber): more
        # connections than the pollers' and streams' one each at 2000/s through 50 ms.
        args = ("--rate", "2000/s", "--subscribers", "10", "--rtt", "50ms", "--budget",
                "p99<=1s")
        by_requests = advise(*args)
        by_connections = advise(*args, "--minimize", "connections")
        conns = [m["connections"] for m in by_connections["modes"] if m["meets_budget"]]
        self.assertEqual(conns, sorted(conns))
        self.assertGreater(max(conns), min(conns))
        self.assertNotEqual([m["mode"] for m in by_requests["modes"]],
                            [m["mode"] for m in by_connections["modes"]])

    def test_low_rates_and_huge_fan_outs_answer_quickly(self):
        for args in (("--rate", "2/h", "--subscribers", "20", "--budget", "p99<=60m"),
                     ("--rate", "10", "--subscribers", "1000000", "--budget", "p99<=2s"),
                     ("--rate", "1e6", "--subscribers", "10000000", "--budget", "p99<=2s")):
            r = run("advise", *args, "--json", timeout=60)  # seconds, when the work is bounded
            self.assertEqual(r.returncode, 0, (args, r.stderr))
            doc = json.loads(r.stdout)
            self.assertEqual(len(doc["modes"]), 8)
        # At 10^13 deliveries/s every mode saturates, and the answer says so.
        self.assertIn("every mode saturates", doc["recommendation"]["reason"])

    def test_a_batch_window_found_under_load(self):
        # 1000/s to 500 subscribers: a POST per event saturates the producer (500 000 a
        # second), a window of about 0.1 s (100 events a batch) does not (5 000 a second).
        doc = advise("--rate", "1000/s", "--subscribers", "500", "--budget", "p99<=2s")
        families = {m["name"]: m for m in json.loads(run("modes", "--json").stdout)}
        webhook = next(m for m in doc["modes"] if families[m["mode"]]["reference"] == "push")
        self.assertTrue(webhook["saturated"], webhook)
        batch = next(m for m in doc["modes"] if "batch_window_ms" in m["setting"])
        self.assertTrue(batch["meets_budget"], batch)
        self.assertGreaterEqual(batch["setting"]["batch_window_ms"], 50)
        lo, hi = batch["setting_range"]
        self.assertLessEqual(lo, batch["setting"]["batch_window_ms"])
        self.assertAlmostEqual(hi, batch["setting"]["batch_window_ms"])

    def test_nonsense_is_refused_in_one_line(self):
        cases = [
            (["--rate", "0", "--subscribers", "10", "--budget", "p99<=1s"], "--rate"),
            (["--rate", "fast", "--subscribers", "10", "--budget", "p99<=1s"], "--rate"),
            (["--rate", "5", "--subscribers", "0", "--budget", "p99<=1s"], "--subscribers"),
            (["--rate", "5", "--subscribers", "10", "--budget", "p99<1s"], "--budget"),
            (["--rate", "5", "--subscribers", "10", "--budget", "p42<=1s"], "--budget"),
            (["--rate", "5", "--subscribers", "10"], "--budget"),
            (["--rate", "5", "--subscribers", "10", "--budget", "p99<=1s", "--minimize", "joy"],
             "--minimize"),
        ]
        for args, named in cases:
            r = run("advise", *args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            lines = r.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, (args, r.stderr))
            self.assertIn(named, lines[0], args)
        r = run("validate", "--calibration", "a.json", "--update-calibration", "b.json",
                os.path.join(ROOT, "results", "reference"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--update-calibration", r.stderr)
        r = run("advise", "--rate", "5", "--subscribers", "10", "--budget", "p99<=1s",
                "--calibration", "/nonexistent/calibration.json")
        self.assertEqual(r.returncode, 1)
        self.assertIn("/nonexistent/calibration.json", r.stderr)


class Verify(unittest.TestCase):
    def test_verify_measures_the_two_best_and_judges_each(self):
        r = run("advise", "--rate", "50/s", "--subscribers", "2", "--budget", "p99<=20ms",
                "--verify", timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        self.assertIn("verify: at the point lambda 50/s, N 2", out)
        lines = [l for l in out.splitlines() if "mean predicted" in l]
        self.assertEqual(len(lines), 2, out)
        rec = next(l for l in out.splitlines() if l.startswith("recommendation:"))
        self.assertTrue(lines[0].strip().startswith(rec.split()[1]), (lines[0], rec))
        for l in lines:
            self.assertRegex(l, r"measured [\d.]+ (us|ms|s) \((inside|OUTSIDE)\); p99 predicted")
        # Three repeats per mode, said on stderr as they run.
        self.assertEqual(r.stderr.count("repeat 3/3"), 2)

    def test_a_point_too_large_for_this_machine_is_verified_scaled_down(self):
        r = run("advise", "--rate", "100/s", "--subscribers", "5000", "--budget", "p99<=5s",
                "--json", "--verify", timeout=900)
        self.assertEqual(r.returncode, 0, r.stderr)
        json.loads(r.stdout)  # the advice on stdout stays JSON; the verification on stderr
        self.assertIn("at the scaled-down point lambda 20/s, N 200", r.stderr)


class Validate(unittest.TestCase):
    def test_every_reference_point_judged_as_the_run_files_say(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "v.json")
            r = run("validate", "--json", out, os.path.join(ROOT, "results", "reference"))
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out) as fh:
                doc = json.load(fh)
        # The measured means, recomputed from the run files: repeats share a config but the seed.
        groups = {}
        for f in glob.glob(os.path.join(ROOT, "results", "reference", "runs", "*.json")):
            with open(f) as fh:
                res = json.load(fh)
            c = dict(res["config"])
            if "faults" in c or c.get("timer", "sleep") != "sleep" or c.get("tls"):
                continue
            c.pop("seed", None)
            groups.setdefault(json.dumps(c, sort_keys=True), []).append(
                res["metrics"]["latency_us"]["mean"])
        points = doc["points"]
        self.assertEqual(len(points), len(groups))
        measured = sorted(round(statistics.mean(v), 3) for v in groups.values())
        self.assertEqual(sorted(round(p["measured_mean_us"], 3) for p in points), measured)
        covered = 0
        for p in points:
            pred = p["predicted_mean_us"]
            if p["predicted_saturated"]:
                continue
            self.assertLessEqual(pred["lo"], pred["value"])
            self.assertLessEqual(pred["value"], pred["hi"])
            inside = pred["lo"] <= p["measured_mean_us"] <= pred["hi"]
            self.assertEqual(inside, p["mean_covered"], p["label"])
            covered += inside
        by_mode = doc["validated"]["by_mode"]
        self.assertEqual(sum(m["points"] for m in by_mode.values()), len(points))
        self.assertEqual(doc["validated"]["mean_covered"], covered)
        self.assertGreaterEqual(covered / len(points), 0.8)
        self.assertIn("all", r.stdout)


class Calibrate(unittest.TestCase):
    def test_a_short_calibration_then_advice_and_a_check_from_it(self):
        with tempfile.TemporaryDirectory() as tmp:
            cal = os.path.join(tmp, "cal.json")
            r = run("calibrate", "--modes", "poll,webhook", "--duration", "1s", "--out", cal,
                    timeout=240)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("[6/6]", r.stderr)  # progress: three runs per mode
            with open(cal) as fh:
                doc = json.load(fh)
            self.assertEqual(doc["schema"], "hookbench-calibration/1")
            self.assertEqual(set(doc["modes"]), {"poll", "webhook"})
            self.assertIn("cpu_model", doc["environment"])
            self.assertGreater(doc["loopback_rtt_us"], 0)
            w, p = doc["modes"]["webhook"], doc["modes"]["poll"]
            for key in ("lag_us", "base_mean_us", "delivery_cost_us", "overhead_bytes",
                        "hot_base_mean_us", "producer_us_per_request"):
                self.assertGreater(w[key], 0, key)
            self.assertEqual(len(w["base_quantiles_us"]), 101)
            self.assertEqual(w["base_quantiles_us"], sorted(w["base_quantiles_us"]))
            self.assertGreater(p["producer_us_per_request"], 0)
            self.assertGreater(p["overhead_bytes"], 0)
            # Advice from it names it, and holds only its modes.
            r = run("advise", "--rate", "2", "--subscribers", "5", "--budget", "p99<=1s",
                    "--calibration", cal, "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
            adv = json.loads(r.stdout)
            self.assertEqual(adv["calibration"]["source"], cal)
            self.assertEqual({m["mode"] for m in adv["modes"]}, {"poll", "webhook"})
            r = run("calibrate", "--check", "--calibration", cal, "--duration", "1s",
                    timeout=240)
            self.assertEqual(r.returncode, 0, r.stderr)
            # Only the probes of its modes run: poll, and webhook twice.
            self.assertEqual(r.stdout.count("skipped (not in the calibration)"), 3)
            self.assertEqual(len([l for l in r.stdout.splitlines() if "predicted mean" in l]), 3)
            self.assertRegex(r.stdout, r"\d/3 measurements inside")

    def test_check_against_the_built_in_calibration(self):
        r = run("calibrate", "--check", "--duration", "1s", timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [l for l in r.stdout.splitlines() if "predicted mean" in l]
        self.assertEqual(len(lines), 6)
        for l in lines:
            self.assertRegex(l, r"measured +\d+ us: (inside|OUTSIDE)")
        self.assertRegex(r.stdout, r"\d/6 measurements inside the predicted interval")


if __name__ == "__main__":
    unittest.main()
