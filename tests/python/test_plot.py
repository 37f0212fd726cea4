#!/usr/bin/python3
"""scripts/plot.py on a results folder synthesised here from the analytical model with noise
(make_fixture, also used by test_report.py): every chart is a real PNG of sensible size, the
plotted data are the fixture's (error bars = min-max over repeats or the run's CI, saturated points
in their own artist, model lines from model.csv), captions say only what the data show, the CSV
schema is enforced, and bad input fails with one clear line."""

import csv
import json
import math
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import unittest

import numpy as np

ROOT = os.environ.get("HOOKBENCH_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PLOT = os.path.join(ROOT, "scripts", "plot.py")
PYTHON = "/usr/bin/python3"
CHART_NAMES = ("latency_vs_rate", "requests_per_s", "requests_per_event", "latency_budget",
               "cpu_cores", "cpu_per_event", "bytes_per_event", "empty_poll_fraction",
               "latency_cdf", "timeline", "rtt_ratio")
# Charts the base fixture (loopback only) has no data for: test_rtt.py draws them with data.
NOT_IN_BASE_FIXTURE = ("rtt_ratio",)

LEGACY_COLUMNS = (
    "run_id", "scenario", "mode", "rate", "interval_ms", "subscribers", "payload_bytes",
    "arrivals", "repeat", "seed", "duration_s", "lambda_t", "produced", "expected", "delivered",
    "lost", "duplicates", "reordered", "latency_count", "latency_p50_us", "latency_p90_us",
    "latency_p99_us", "latency_p999_us", "latency_max_us", "latency_mean_us",
    "latency_low_sample", "requests_total", "polls", "empty_polls", "late_polls",
    "webhook_posts", "failed", "requests_per_event", "empty_poll_fraction", "bytes_sent",
    "bytes_received", "bytes_per_event", "cpu_s_producer", "cpu_s_consumer",
    "cpu_us_per_event_producer", "cpu_us_per_event_consumer", "rtt_us",
    "model_latency_mean_us", "model_requests_per_event", "model_empty_poll_fraction",
    "min_reached", "note", "result_file")
# Appended by issue 7, in this order (docs/RESULTS.md).
NEW_COLUMNS = (
    "realised_rate", "latency_mean_ci95_lo_us", "latency_mean_ci95_hi_us",
    "empty_poll_fraction_ci95_lo", "empty_poll_fraction_ci95_hi", "requests_per_s",
    "cpu_cores_producer", "cpu_cores_consumer", "cpu_idle_cores_producer",
    "cpu_idle_cores_consumer", "cpu_us_per_event_net_producer", "cpu_us_per_event_net_consumer",
    "generator_lag_p99_us", "queue_depth_end", "drain_time_s", "saturated", "saturated_reason",
    "model_rtt_us", "model_lambda_t", "model_requests_per_s", "model_bytes_per_event",
    "model_latency_agreement", "model_latency_ratio", "model_empty_agreement",
    "clock_offset_us", "clock_error_bound_us")
# Appended with the modes beyond poll and webhook (read with defaults when absent).
LATER_COLUMNS = ("consumer_stack", "tuning", "requests_by_kind")
COLUMNS = LEGACY_COLUMNS + NEW_COLUMNS + LATER_COLUMNS
MODEL_COLUMNS = ("mode", "interval_ms", "subscribers", "payload_bytes", "rtt_us", "rate",
                 "lambda_t", "latency_mean_us", "requests_per_s", "requests_per_event",
                 "empty_poll_fraction", "bytes_per_event")

RTT_US = 45.0          # the back-to-back ping
POST_RTT_US = 320.0    # the in-run webhook POST round trip: the webhook model's latency
IDLE_CORES = (0.002, 0.001)  # producer, consumer
FIXTURE_RATES = (0.5, 2.0, 8.0, 32.0, 128.0)
FIXTURE_INTERVALS = (100.0, 1000.0)
FAILED_RUN = "webhook-r128-N1-p256-k1"
LOSSY_RUN = "poll-r32-T100-N1-p256-k1"
SHORT_RUN = "poll-r0.5-T1000-N1-p256-k0"
SATURATED_RUN = "webhook-r128-N1-p256-k2"
SATURATED_REASON = "queue depth 41 at window end; drain took 2.3 s"
REVISION = "abc123def456"
# Every delivery mode, in display order; the pull ones are paced by T.
ALL_MODES = ("poll", "poll-conditional", "poll-adaptive", "long-poll", "sse", "websocket",
             "webhook", "webhook-batch")
PULL_MODES = ("poll", "poll-conditional", "poll-adaptive")
BATCH_WINDOW_MS = 50.0
TUNING = {"poll-adaptive": {"backoff": 2, "max_interval_ms": 800},
          "long-poll": {"wait_ms": 30000}, "webhook-batch": {"batch_max": 100,
                                                             "batch_window_ms": 50}}
REQUEST_KIND = {"poll": "poll", "poll-conditional": "poll", "poll-adaptive": "poll",
                "long-poll": "long_poll", "sse": "sse_connect", "websocket": "websocket_connect",
                "webhook": "webhook_post", "webhook-batch": "webhook_post"}
# CPU µs per delivered event of the push modes, (producer, consumer).
PUSH_CPU = {"webhook": (60, 50), "webhook-batch": (25, 20), "long-poll": (50, 45),
            "sse": (15, 10), "websocket": (14, 9)}
OTHER_STACK_SLOWDOWN = 1.8  # latency of a series on cpp-httplib (Nagle on) against beast
QUANTILE_QS = [0.001] + [i / 100 for i in range(1, 100)] + [0.995, 0.999, 1.0]


def _num(x):
    return f"{x:g}" if isinstance(x, float) and x == int(x) and abs(x) < 1e15 else str(x)


def wilson(k, n, z=1.959964):
    """The Wilson 95% interval of k successes in n trials (what the C++ side writes)."""
    if n == 0:
        return None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def adaptive_interval_ms(rate, interval_ms):
    """The fixture's stand-in for poll-adaptive's mean interval: longer while polls find
    nothing, back to T as events get dense."""
    return interval_ms * (1 + 2 * math.exp(-rate * interval_ms / 1000.0))


def tuning_cell(mode):
    return ";".join(f"{k}={v}" for k, v in sorted(TUNING.get(mode, {}).items()))


def model_values(mode, rate, interval_ms, rtt_us):
    """The model as the C++ side evaluates it; only the fixture computes it in Python (with
    made-up but distinct curves for the modes beyond poll and webhook)."""
    if interval_ms is not None:
        lt = rate * interval_ms / 1000.0
        T = adaptive_interval_ms(rate, interval_ms) if mode == "poll-adaptive" else interval_ms
        per_poll = 200 if mode == "poll-conditional" else 270  # a 304 has no body
        return dict(lambda_t=lt, latency_mean_us=T * 500 + rtt_us / 2,
                    requests_per_s=1000.0 / T, requests_per_event=1000.0 / (rate * T),
                    empty_poll_fraction=math.exp(-rate * T / 1000.0),
                    bytes_per_event=per_poll * 1000.0 / (rate * T) + 300)
    if mode in ("sse", "websocket"):  # no request per event: the same claim for both
        return dict(lambda_t=0.0, latency_mean_us=rtt_us / 2, requests_per_s=0.0,
                    requests_per_event=0.0, empty_poll_fraction=None,
                    bytes_per_event=360.0 if mode == "sse" else 330.0)
    if mode == "long-poll":
        per_event = 1 / (1 + rate * rtt_us / 1e6)
        return dict(lambda_t=0.0, latency_mean_us=rtt_us / 2, requests_per_s=rate * per_event,
                    requests_per_event=per_event, empty_poll_fraction=None,
                    bytes_per_event=270 * per_event + 300)
    if mode == "webhook-batch":
        lw = rate * BATCH_WINDOW_MS / 1000.0
        return dict(lambda_t=0.0,
                    latency_mean_us=rtt_us + BATCH_WINDOW_MS * 1000 * (1 + lw / 2) / (1 + lw),
                    requests_per_s=rate / (1 + lw), requests_per_event=1 / (1 + lw),
                    empty_poll_fraction=None, bytes_per_event=220 / (1 + lw) + 300)
    return dict(lambda_t=0.0, latency_mean_us=rtt_us, requests_per_s=rate,
                requests_per_event=1.0, empty_poll_fraction=None, bytes_per_event=520.0)


def model_rtt(mode, interval_ms):
    """The round trip a series' model uses: the in-run POST round trip for webhooks."""
    return POST_RTT_US if mode.startswith("webhook") else RTT_US


def _agreement(lo, hi, model):
    if lo is None or hi is None:
        return ""
    return "within" if lo <= model <= hi else ("above" if lo > model else "below")


def _run(rng, mode, rate, interval_ms, repeat, stack="beast"):
    """One synthetic run: (csv row dict, result JSON dict)."""
    pull = interval_ms is not None
    tag = f"r{_num(rate)}" + (f"-T{_num(interval_ms)}" if pull else "")
    run_id = f"{mode}-{tag}-N1-p256-k{repeat}" + ("" if stack == "beast" else f"-{stack}")
    duration = min(10.0, max(2.0, 100.0 / rate))
    produced = max(1, int(rng.poisson(rate * duration)))
    lost = 2 if run_id == LOSSY_RUN else 0
    delivered = produced - lost
    realised = produced / duration
    rtt_in_run = model_rtt(mode, interval_ms)
    model = model_values(mode, realised, interval_ms, rtt_in_run)
    if pull:
        T_ms = adaptive_interval_ms(rate, interval_ms) if mode == "poll-adaptive" else interval_ms
        T = T_ms / 1000.0
        wait = rng.uniform(0, T_ms * 1000, delivered)
        samples = wait + RTT_US / 2 + rng.exponential(150, delivered)
        polls = max(1, round(duration / T))
        lt = rate * interval_ms / 1000.0
        empty = int(rng.binomial(polls, math.exp(-rate * T)))
        requests = polls
        bytes_total = polls * (200 if mode == "poll-conditional" else 270) + delivered * 300
        cpu_p = polls * 40 + delivered * 10
        cpu_c = polls * 30 + delivered * 5
    else:
        polls, empty, lt = 0, 0, None
        if mode in ("sse", "websocket", "long-poll"):
            samples = rng.lognormal(math.log(RTT_US / 2 + 150), 0.3, delivered)
        else:
            samples = rng.lognormal(math.log(POST_RTT_US), 0.3, delivered)
        if mode == "webhook-batch":
            samples = samples + rng.uniform(0, BATCH_WINDOW_MS * 1000, delivered)
        if mode in ("sse", "websocket"):
            requests = 1  # the one connection the subscriber holds
            bytes_total = delivered * (360 if mode == "sse" else 330) + 400
        elif mode == "webhook":
            requests = delivered
            bytes_total = delivered * 520
        else:
            requests = max(1, round(delivered * model["requests_per_event"]))
            bytes_total = requests * 270 + delivered * 300
        cpu_p, cpu_c = (delivered * c for c in PUSH_CPU[mode])
    if stack != "beast":
        samples = samples * OTHER_STACK_SLOWDOWN
    cpu_p = cpu_p * rng.uniform(0.9, 1.1) + IDLE_CORES[0] * duration * 1e6
    cpu_c = cpu_c * rng.uniform(0.9, 1.1) + IDLE_CORES[1] * duration * 1e6
    pct = {name: float(np.percentile(samples, q * 100)) for name, q in
           (("p50", .5), ("p90", .9), ("p99", .99), ("p999", .999))}
    low = [name for name, q in (("p50", .5), ("p90", .9), ("p99", .99), ("p999", .999))
           if delivered * (1 - q) < 10]
    mean = float(samples.mean())
    ci = None
    if delivered >= 2:
        half = 1.96 * float(samples.std(ddof=1)) / math.sqrt(delivered)
        ci = (mean - half, mean + half)
    empty_ci = wilson(empty, polls) if pull else None
    lat = dict(count=delivered, mean=mean, min=float(samples.min()),
               max=float(samples.max()), low_sample=low, **pct)
    if ci:
        lat["mean_ci95"] = list(ci)
    if repeat == 0:  # later repeats leave them out: the charts fall back to the percentiles
        lat["quantiles"] = [[q, float(np.percentile(samples, q * 100))] for q in QUANTILE_QS]
    saturated = run_id == SATURATED_RUN

    def num(x):
        return "" if x is None else repr(float(x))

    cores = (cpu_p / 1e6 / duration, cpu_c / 1e6 / duration)
    row = dict(
        run_id=run_id, scenario="fixture", mode=mode, rate=_num(rate),
        interval_ms=_num(interval_ms) if pull else "", subscribers=1, payload_bytes=256,
        arrivals="poisson", repeat=repeat, seed=1 + repeat, duration_s=_num(duration),
        lambda_t=repr(lt) if pull else "", produced=produced, expected=produced,
        delivered=delivered, lost=lost, duplicates=0, reordered=0, latency_count=delivered,
        latency_p50_us=repr(pct["p50"]), latency_p90_us=repr(pct["p90"]),
        latency_p99_us=repr(pct["p99"]), latency_p999_us=repr(pct["p999"]),
        latency_max_us=repr(lat["max"]), latency_mean_us=repr(mean),
        latency_low_sample=";".join(low), requests_total=requests,
        polls=requests if mode == "long-poll" else polls, empty_polls=empty, late_polls=0,
        webhook_posts=requests if mode.startswith("webhook") else 0, failed=0,
        requests_per_event=repr(requests / delivered),
        empty_poll_fraction=repr(empty / polls) if pull else "",
        bytes_sent=bytes_total // 2, bytes_received=bytes_total - bytes_total // 2,
        bytes_per_event=repr(bytes_total / delivered), cpu_s_producer=repr(cpu_p / 1e6),
        cpu_s_consumer=repr(cpu_c / 1e6), cpu_us_per_event_producer=repr(cpu_p / delivered),
        cpu_us_per_event_consumer=repr(cpu_c / delivered), rtt_us=repr(RTT_US),
        model_latency_mean_us=repr(model["latency_mean_us"]),
        model_requests_per_event=repr(model["requests_per_event"]),
        model_empty_poll_fraction=num(model["empty_poll_fraction"]),
        min_reached="false" if run_id == SHORT_RUN else "true",
        note="min_delivered not reached within max_point_s" if run_id == SHORT_RUN else "",
        result_file=f"runs/{run_id}.json",
        realised_rate=repr(realised),
        latency_mean_ci95_lo_us=num(ci and ci[0]), latency_mean_ci95_hi_us=num(ci and ci[1]),
        empty_poll_fraction_ci95_lo=num(empty_ci and empty_ci[0]),
        empty_poll_fraction_ci95_hi=num(empty_ci and empty_ci[1]),
        requests_per_s=repr(requests / duration),
        cpu_cores_producer=repr(cores[0]), cpu_cores_consumer=repr(cores[1]),
        cpu_idle_cores_producer=repr(IDLE_CORES[0]), cpu_idle_cores_consumer=repr(IDLE_CORES[1]),
        cpu_us_per_event_net_producer=repr((cores[0] - IDLE_CORES[0]) * duration * 1e6
                                           / delivered),
        cpu_us_per_event_net_consumer=repr((cores[1] - IDLE_CORES[1]) * duration * 1e6
                                           / delivered),
        generator_lag_p99_us=repr(5000.0 if saturated else 60.0),
        queue_depth_end=41 if saturated else 0, drain_time_s=repr(2.3 if saturated else 0.01),
        saturated="true" if saturated else "false",
        saturated_reason=SATURATED_REASON if saturated else "",
        model_rtt_us=repr(rtt_in_run), model_lambda_t=repr(model["lambda_t"]),
        model_requests_per_s=repr(model["requests_per_s"]),
        model_bytes_per_event=repr(model["bytes_per_event"]),
        model_latency_agreement=_agreement(*(ci or (None, None)), model["latency_mean_us"]),
        model_latency_ratio=repr(mean / model["latency_mean_us"]),
        model_empty_agreement=_agreement(*(empty_ci or (None, None)),
                                         model["empty_poll_fraction"]) if pull else "",
        clock_offset_us="0", clock_error_bound_us="0",
        consumer_stack=stack, tuning=tuning_cell(mode),
        requests_by_kind=f"{REQUEST_KIND[mode]}={requests}")
    result = {
        "schema_version": 1, "tool": "hookbench",
        "config": {"mode": mode, "rate": rate, "interval_ms": interval_ms or 0,
                   "duration_s": duration, "warmup_s": 1.0, "drain_s": 5.0, "seed": 1 + repeat,
                   "subscribers": 1, "payload_bytes": 256, "arrivals": "poisson",
                   "host": "127.0.0.1", "pin": [0, 1], "consumer_stack": stack},
        "environment": {"git_revision": REVISION, "git_dirty": False, "compiler": "g++ 12.2.0",
                        "build_type": "Release", "cxx_flags": "-O3 -DNDEBUG",
                        "cpu_model": "Fixture CPU @ 2.0GHz", "cores": 2,
                        "kernel": "Linux 6.1.0", "hostname": "fixture-host",
                        "pinning": "producer 0, consumer 1"},
        "metrics": {"delivered": delivered, "lost": lost, "latency_us": lat,
                    "requests_per_event": requests / delivered,
                    "requests": {"total": requests, "by_kind": {REQUEST_KIND[mode]: requests}}},
    }
    if mode in TUNING:
        result["config"]["tuning"] = TUNING[mode]
    return row, result


def write_model(folder, modes, rates, intervals):
    """DIR/model.csv as the sweep writes it: 61 log-spaced rates from min/3 to max*3 per series."""
    dense = np.geomspace(min(rates) / 3, max(rates) * 3, 61)
    rows = []
    for mode in modes:
        for interval in (intervals if mode in PULL_MODES else (None,)):
            rtt = model_rtt(mode, interval)
            for rate in dense:
                m = model_values(mode, float(rate), interval, rtt)
                rows.append(dict(mode=mode, interval_ms="" if interval is None else _num(interval),
                                 subscribers=1, payload_bytes=256, rtt_us=repr(rtt),
                                 rate=repr(float(rate)),
                                 **{k: "" if v is None else repr(v) for k, v in m.items()}))
    write_csv(os.path.join(folder, "model.csv"), rows, MODEL_COLUMNS)
    return rows


def _trace_part(rng, mode, rate, interval_ms, duration_s=3.0):
    lines = [{"kind": "header", "mode": mode, "rate": rate, "interval_ms": interval_ms,
              "subscribers": 1, "duration_s": duration_s}]
    t, seq, created = 0.0, 100, []
    while True:
        t += rng.exponential(1000.0 / rate)
        if t > duration_s * 1000:
            break
        seq += 1
        created.append((t, seq))
    recs = [{"kind": "created", "t_ms": round(t, 3), "seq": s} for t, s in created]
    if interval_ms:
        pending = list(created)
        tp = interval_ms * rng.uniform(0, 1)
        while tp <= duration_s * 1000:
            answered = tp + 0.1
            ready = [(c, s) for c, s in pending if c <= tp]
            pending = [(c, s) for c, s in pending if c > tp]
            recs.append({"kind": "poll", "t_ms": round(answered, 3), "sent_ms": round(tp, 3),
                         "sub": 0, "events": len(ready)})
            for c, s in ready:
                recs.append({"kind": "delivered", "t_ms": round(answered + 0.02, 3), "seq": s,
                             "sub": 0, "latency_ms": round(answered + 0.02 - c, 3)})
            tp += interval_ms
    else:
        for c, s in created:
            recs.append({"kind": "webhook_post", "t_ms": round(c + 0.05, 3), "seq": s, "sub": 0})
            recs.append({"kind": "delivered", "t_ms": round(c + 0.3, 3), "seq": s, "sub": 0,
                         "latency_ms": 0.3})
    recs.sort(key=lambda r: r["t_ms"])
    return lines + recs


def make_fixture(folder, modes=("poll", "webhook"), rates=FIXTURE_RATES,
                 intervals=FIXTURE_INTERVALS, repeats=3, failed=True, trace=True, seed=7,
                 model=True, saturated=True, revisions=None, dirty=(), stacks=()):
    """Writes runs.csv, runs/*.json, model.csv and trace.jsonl into folder; returns the CSV rows
    (dicts of strings, failed row included) in file order. revisions maps a run_id to another
    git revision than REVISION; dirty lists run_ids built from a modified tree; stacks lists
    (mode, consumer stack) series measured besides every mode's beast one."""
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(folder, "runs"), exist_ok=True)
    rows = []
    for repeat in range(repeats):
        for mode, stack in [(m, "beast") for m in modes] + list(stacks):
            for interval in (intervals if mode in PULL_MODES else (None,)):
                for rate in rates:
                    row, result = _run(rng, mode, rate, interval, repeat, stack)
                    if not saturated and row["saturated"] == "true":
                        row.update(saturated="false", saturated_reason="", queue_depth_end=0)
                    env = result["environment"]
                    env["git_revision"] = (revisions or {}).get(row["run_id"], REVISION)
                    env["git_dirty"] = row["run_id"] in dirty
                    if failed and row["run_id"] == FAILED_RUN:
                        row = {c: row[c] if c in ("run_id", "scenario", "mode", "rate",
                                                  "interval_ms", "subscribers", "payload_bytes",
                                                  "arrivals", "repeat", "seed", "duration_s",
                                                  "lambda_t") else "" for c in COLUMNS}
                        row["note"] = "failed: producer did not become ready within 10 s"
                        row["min_reached"] = "true"
                        row["saturated"] = "false"
                    else:
                        with open(os.path.join(folder, row["result_file"]), "w") as f:
                            json.dump(result, f)
                    rows.append({c: str(row[c]) for c in COLUMNS})
    write_csv(os.path.join(folder, "runs.csv"), rows)
    if model:
        write_model(folder, modes, rates, intervals)
    if trace:
        lines = []
        if "poll" in modes:
            lines += _trace_part(rng, "poll", 5.0, 200.0)
        if "webhook" in modes:
            lines += _trace_part(rng, "webhook", 5.0, None)
        with open(os.path.join(folder, "trace.jsonl"), "w") as f:
            for rec in lines:
                f.write(json.dumps(rec) + "\n")
    return rows


def write_csv(path, rows, columns=COLUMNS):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(columns), extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def png_size(path):
    """(width, height) from the IHDR chunk; raises AssertionError if not a PNG."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    assert head[12:16] == b"IHDR", f"{path}: no IHDR chunk first"
    return struct.unpack(">II", head[16:24])


def run_script(script, *args):
    return subprocess.run([PYTHON, script, *args], capture_output=True, text=True, timeout=300)


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
        empty = tempfile.mkdtemp(dir=self.dir)
        make_fixture(empty, modes=("webhook",), trace=False)
        proc = run_script(PLOT, empty, "--output", os.path.join(empty, "c"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        placeholder = os.path.getsize(os.path.join(empty, "c", "timeline.png"))
        for name in (n for n in CHART_NAMES if n not in NOT_IN_BASE_FIXTURE):
            with self.subTest(chart=name):
                real = os.path.getsize(os.path.join(self.dir, "charts", name + ".png"))
                self.assertGreater(real, 1.5 * placeholder)


def load_plot():
    """scripts/plot.py as a module, for the figure-level tests."""
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import plot  # noqa: E402
    return plot


def fixture_points(rows, mode, interval, column, scale=1.0):
    """{rate: [values over repeats]} of the fixture's measured rows of one series."""
    out = {}
    for r in rows:
        if r["mode"] == mode and r["interval_ms"] == interval and r[column] != "":
            out.setdefault(float(r["rate"]), []).append(float(r[column]) * scale)
    return out


def realised_of(rows, mode, interval, rate):
    """Where a point is drawn: the median realised rate of its measured runs."""
    got = [float(r["realised_rate"]) for r in rows if r["mode"] == mode and
           r["interval_ms"] == interval and float(r["rate"]) == rate and r["realised_rate"] != ""]
    return statistics.median(got)


def artists(fig, gid):
    return [a for ax in fig.axes for a in ax.get_children() if a.get_gid() == gid]


def assert_no_overlap(test, fig, texts):
    """The rendered boxes of these texts overlap nowhere (after a real draw)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            test.assertFalse(box_a.overlaps(box_b), f"{a!r} overlaps {b!r}")


class PlottedData(unittest.TestCase):
    """The figures the chart functions return carry exactly the fixture's numbers."""

    @classmethod
    def setUpClass(cls):
        cls.plot = load_plot()
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
        # Each point at its median realised rate, not the asked one.
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

    def test_one_repeat_uses_the_runs_confidence_interval(self):
        with tempfile.TemporaryDirectory() as d:
            rows = make_fixture(d, rates=(8.0, 32.0), intervals=(100.0,), repeats=1,
                                trace=False, failed=False)
            fig = self.plot.build_chart(self.plot.Data(d), "latency_vs_rate")
            (bars,) = artists(fig, "err:webhook|latency_mean_us")
            got = sorted((seg[0][1], seg[1][1]) for seg in bars.get_segments())
            want = sorted((float(r["latency_mean_ci95_lo_us"]) / 1000,
                           float(r["latency_mean_ci95_hi_us"]) / 1000)
                          for r in rows if r["mode"] == "webhook")
            for (a, b), (c, e) in zip(got, want):
                self.assertAlmostEqual(a, c, places=9)
                self.assertAlmostEqual(b, e, places=9)
            self.assertIn("95% confidence interval", self.plot.caption_of(fig))

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
                want = [(float(r["rate"]), float(r["requests_per_s"])) for r in model
                        if r["mode"] == mode and r["interval_ms"] == interval]
                (line,) = artists(fig, f"model:{label}|requests_per_s")
                self.assertEqual(len(want), 61)
                self.assertEqual(list(zip(line.get_xdata(), line.get_ydata())), want)

    def test_caption_mentions_a_crossing_only_when_curves_cross(self):
        caption = self.plot.caption_of(self.chart("requests_per_s"))
        self.assertIn("poll T=100 ms vs webhook: the measured medians cross at a realised λ ≈",
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
        self.assertEqual(list(line.get_ydata()),
                         [statistics.median(expected[r]) for r in sorted(expected)])

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
    def test_webhook_only_without_trace_draws_labelled_placeholders(self):
        with tempfile.TemporaryDirectory() as d:
            make_fixture(d, modes=("webhook",), trace=False)
            out = os.path.join(d, "out")
            proc = run_script(PLOT, d, "--output", out)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            for name in ("empty_poll_fraction", "timeline"):
                with open(os.path.join(out, name + ".svg")) as f:
                    self.assertIn("no data for this chart", f.read())
            with open(os.path.join(out, "latency_vs_rate.svg")) as f:
                self.assertNotIn("no data for this chart", f.read())

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
