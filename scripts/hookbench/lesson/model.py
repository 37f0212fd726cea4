"""The calibration advise uses, the closed forms of the model with its constants, the binary
that answers `advise --json`, and the other figures the answer key reads: the retry and breaker
defaults of `hookbench run --help` and the committed HMAC microbenchmarks."""

import json
import math
import os
import re
import subprocess

from .commands import LessonError, duration_s
from .text import finite

REFERENCE_CALIBRATION = os.path.join("results", "calibration", "calibration.json")


class Model:
    """The calibration's constants and the closed forms of the model (model/model.cpp,
    model/predict.cpp at the nominal machine factor); the poll formulas are the pull
    reference's unless told another mode."""

    def __init__(self, cal, source, roles):
        self.cal, self.source, self.roles = cal, source, roles
        try:
            self.loopback_rtt_s = float(cal["loopback_rtt_us"]) / 1e6
            self.rate = float(cal["rate"])
            self.hot_rate = float(cal.get("hot_rate", 0))
            self.hot_lag_us = float(cal.get("hot_lag_us", 0))
            self.modes = cal["modes"]
            for name in (roles.pull, roles.push):
                self.modes[name]["lag_us"]
        except (KeyError, TypeError, ValueError) as e:
            raise LessonError(f"{source}: not a calibration with {roles.pull} and {roles.push} "
                              f"constants ({e})") from None

    def k(self, mode, key):
        try:
            return float(self.modes[mode][key])
        except KeyError:
            raise LessonError(f"{self.source}: no {key} for mode {mode}") from None

    def lag_s(self, mode, rate):
        """G: the generator's lag; a pull mode moves towards the hot lag above the calibration's
        rate (in log rate), as predict.cpp does."""
        g = self.k(mode, "lag_us")
        if self.hot_rate > self.rate > 0 and self.hot_lag_us > 0 and rate > self.rate:
            h = min(1.0, math.log(rate / self.rate) / math.log(self.hot_rate / self.rate))
            g += (self.hot_lag_us - g) * h
        return g / 1e6

    def answer_s(self, mode, rate, interval_s, poll_limit=1000):
        """What a poll answer's events add: each event's CPU on both sides."""
        lt = rate * interval_s
        per_answer = min(poll_limit, lt / -math.expm1(-lt) if lt > 0 else 1.0)
        return (self.k(mode, "producer_us_per_event") +
                self.k(mode, "consumer_us_per_event")) * per_answer / 1e6

    def poll(self, rate, interval_s, rtt_s, mode=None):
        """The poll's latency terms (seconds): G (lag + answer), the round trip R (loopback + the
        link), the mean G + T/2 + R/2 and the p99 0.99 T + R/2 + G."""
        mode = mode or self.roles.pull
        g = self.lag_s(mode, rate) + self.answer_s(mode, rate, interval_s)
        r = self.loopback_rtt_s + rtt_s
        return {"G": g, "R": r, "T": interval_s, "mean": g + interval_s / 2 + r / 2,
                "p99": g + 0.99 * interval_s + r / 2}

    def max_interval_s(self, rate, rtt_s, stat, limit_s, mode=None):
        """The largest T whose formula latency meets the budget (fixed point over G's answer
        term, which grows slowly with T)."""
        t = limit_s
        for _ in range(50):
            p = self.poll(rate, t, rtt_s, mode)
            rest = limit_s - p["G"] - p["R"] / 2
            t_new = rest / 0.99 if stat == "p99" else 2 * rest
            if t_new <= 0:
                return 0.0
            if abs(t_new - t) < 1e-12:
                break
            t = t_new
        return t


class Binary:
    def __init__(self, path, calibration):
        self.path, self.calibration = path, calibration
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise LessonError(f"{path}: no hookbench binary (build it: ./scripts/build.sh release)")

    def call(self, args, what):
        argv = [self.path] + args
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            raise LessonError(f"{what}: `{' '.join(argv)}` took more than 300 s") from None
        if p.returncode != 0:
            last = (p.stderr.strip().splitlines() or ["(no message)"])[-1]
            raise LessonError(f"{what}: `{' '.join(argv[1:3])} ...` failed: {last}")
        return p.stdout

    def advise(self, args, what):
        extra = ["--calibration", self.calibration] if self.calibration else []
        out = self.call(["advise"] + args + ["--json"] + extra, what)
        try:
            return json.loads(out)
        except json.JSONDecodeError as e:
            raise LessonError(f"{what}: advise --json printed no JSON ({e})") from None


def load_model(binary, advice, root, roles):
    """The calibration advise used, with its constants: --calibration FILE, or the built-in
    reference, whose file (results/calibration/calibration.json) must be the one built in."""
    created = advice["calibration"].get("created", "")
    path = binary.calibration or os.path.join(root, REFERENCE_CALIBRATION)
    try:
        with open(path, encoding="utf-8") as f:
            cal = json.load(f)
    except OSError as e:
        raise LessonError(f"{path}: {e.strerror} (the constants of the calibration advise "
                          "uses)") from None
    except json.JSONDecodeError as e:
        raise LessonError(f"{path}: not JSON ({e})") from None
    if not binary.calibration and cal.get("created") != created:
        raise LessonError(f"{path} (created {cal.get('created')}) is not the calibration built "
                          f"into {binary.path} (created {created}): rebuild the binary")
    name = (f"`{binary.calibration}`" if binary.calibration
            else f"the reference built into the binary (`{REFERENCE_CALIBRATION}`)")
    return Model(cal, path, roles), name, created


def help_constants(binary, model):
    """The breaker, the standard schedule's first retry and the webhook concurrency, as
    `hookbench run --help` states their defaults."""
    text = binary.call(["run", "--help"], "run --help")
    m = re.search(r"--circuit-breaker K:COOLDOWN.*?\[default: (\d+):(\S+?)\]", text, re.S)
    r = re.search(r"standard \(Standard Webhooks: at once, then (\S+?),", text)
    c = re.search(r"--webhook-concurrency N.*?\[default: (\d+)\]", text, re.S)
    if not (m and r):
        raise LessonError(f"{binary.path} run --help: no --circuit-breaker default or standard "
                          "retry schedule (too old a build?)")
    model.breaker_k = int(m.group(1))
    model.breaker_cooldown_s = duration_s(m.group(2), "--circuit-breaker default")
    model.first_retry_s = duration_s(r.group(1), "--retry standard schedule")
    model.concurrency = int(c.group(1)) if c else 0


def micro_hmac(root, payload):
    """(size, sign ns, verify ns): the HMAC microbenchmarks' medians at the smallest payload size
    of at least `payload` bytes (or the largest), from results/micro/micro.json; None without."""
    path = os.path.join(root, "results", "micro", "micro.json")
    try:
        with open(path, encoding="utf-8") as f:
            benchmarks = json.load(f).get("benchmarks", [])
    except (OSError, ValueError, AttributeError):
        return None
    med = {}
    for b in benchmarks:
        m = re.fullmatch(r"(sign|verify)_hmac/payload:(\d+)_median", str(b.get("name", "")))
        if m and finite(b.get("real_time")) and b.get("time_unit", "ns") == "ns":
            med[(m.group(1), int(m.group(2)))] = float(b["real_time"])
    sizes = sorted({s for (_, s) in med if ("sign", s) in med and ("verify", s) in med})
    if not sizes:
        return None
    size = next((s for s in sizes if s >= payload), sizes[-1])
    return size, med[("sign", size)], med[("verify", size)]
