#!/usr/bin/python3
"""Writes docs/LESSON-ANSWERS.md, the answer key of docs/LESSON.md: for each exercise the expected
answer from the model's formulas (poll mean ~ G + T/2 + R/2, p99 ~ 0.99 T + R/2, requests per
event 1/(lambda T), empty polls e^(-lambda T), a fan-out's (N - 1) c / 2) and from
`hookbench advise --json`, with every parameter read from the lesson's own commands (the ```sh
block under each `<!-- lesson-command N -->`). The calibration is the one advise uses: the
reference built into the binary (its constants read from results/calibration/calibration.json,
checked against the binary's by their 'created' stamp), or --calibration FILE. The output is
deterministic: the same lesson, binary and calibration give the same bytes.

With --check nothing is written: the exit status is 1, with one line, when the answer key differs
from what the code says now.
"""

import argparse
import concurrent.futures
import json
import math
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROG = "lesson_answers.py"
REFERENCE_CALIBRATION = os.path.join("results", "calibration", "calibration.json")
EXERCISES = 8  # the lesson's exercises, numbered 1..EXERCISES
# Options of `hookbench run` / `advise` that take no value.
FLAGS = {"--unsigned", "--json", "--quiet", "--tls", "--ordered", "--verify", "--help"}
# A p99 budget for the advise calls that only read one mode's row (exercises 4 and 5): the
# budget only moves the knobs of the other modes.
ROW_BUDGET = "p99<=1s"


class LessonError(Exception):
    """Unusable input: said in one line."""


# --- Parsing the lesson's commands --------------------------------------------------------------

COMMAND_MARK = re.compile(r"^<!-- lesson-command (\d+) -->[ \t]*\n```sh[ \t]*\n(.*?)\n```",
                          re.M | re.S)


def lesson_commands(text, where):
    """{N: command line} of every marked command; each must be one line in its block."""
    out = {}
    for m in COMMAND_MARK.finditer(text):
        n, body = int(m.group(1)), m.group(2).strip()
        if n in out:
            raise LessonError(f"{where}: exercise {n} has more than one marked command")
        if "\n" in body:
            raise LessonError(f"{where}: exercise {n}: the marked block holds more than one line")
        out[n] = body
    missing = [n for n in range(1, EXERCISES + 1) if n not in out]
    if missing:
        raise LessonError(f"{where}: no marked command for exercise {missing[0]} "
                          f"(<!-- lesson-command {missing[0]} --> above a ```sh block)")
    return out


def variation_snippets(text, n):
    """The backticked snippets of exercise n's **Variation.** paragraph in the lesson."""
    parts = re.split(r"^## Exercise (\d+)\b.*$", text, flags=re.M)
    body = next((parts[i + 1] for i in range(1, len(parts), 2) if int(parts[i]) == n), "")
    m = re.search(r"\*\*Variation\.\*\*(.*?)(?:\n\s*\n|$)", body, re.S)
    return re.findall(r"`([^`]+)`", m.group(1)) if m else []


def advise_variations(cmd, snippets):
    """[(label, advise arguments)]: the command with each snippet applied, a snippet of options
    (`--minimize cpu`) replacing the same options, a quoted budget (`'p99<=200ms'`) the
    command's budget. Snippets that are neither are not advise variations."""
    out = []
    for snippet in snippets:
        try:
            words = shlex.split(snippet)
        except ValueError:
            continue
        if len(words) == 1 and re.fullmatch(r"(p50|p99|mean)<=\S+", words[0]):
            words = ["--budget", words[0]]
        if not words or not words[0].startswith("--") or len(words) % 2:
            continue
        opts = {k: list(v) for k, v in cmd.opts.items()}
        for key, value in zip(words[::2], words[1::2]):
            opts[key] = [value]
        args = []
        for key, values in opts.items():
            if key not in ("--json", "--calibration", "--verify"):
                for v in values:
                    args += [key] if v is True else [key, v]
        out.append((" ".join(words), args))
    return out


def variation_lines(variations, advice_of, base):
    """What advise says for each variation: the pick, poll's setting and cost, and why the
    exercise's own pick lost, when it did."""
    lines = []
    base_pick = base["recommendation"].get("mode")
    for label, _ in variations:
        a = advice_of[label]
        rec = a["recommendation"]
        pick = rec.get("mode") or "none"
        poll = row(a, "poll", f"variation {label}")
        stat = a["input"]["budget"]["stat"]
        poll_text = (f"saturated ({poll['reason']})" if poll["saturated"] else
                     f"{setting_text(poll)}, {stat} {stat_of(poll, stat)}, "
                     f"{fmt_rate(poll['requests_per_s'])} requests/s, "
                     f"{'meets' if poll['meets_budget'] else 'misses'} the budget")
        pick_row = row(a, pick, f"variation {label}") if rec.get("mode") else None
        setting = setting_text(pick_row) if pick_row else "-"
        pick_text = f"**{pick}**" + (f" at {setting}" if setting != "-" else "")
        if rec.get("reason"):
            pick_text += f" ({rec['reason']})"
        text = (f"- Variation `{label}`: pick {pick_text}; runner-up "
                f"{rec.get('runner_up') or 'none'}. Poll: {poll_text}.")
        if base_pick and base_pick != pick:
            b = row(a, base_pick, f"variation {label}")
            text += (f" {base_pick} there: {stat} {stat_of(b, stat)}, "
                     f"{'meets' if b['meets_budget'] else 'misses'} the budget"
                     + ("" if b["meets_budget"] or b["saturated"] else
                        " (a mode meets it only when its interval's upper end does)") + ".")
        lines.append(text)
    return lines


class Command:
    """A parsed `hookbench SUB --opt value ...` line."""

    def __init__(self, n, line):
        self.n, self.line = n, line
        try:
            words = shlex.split(line)
        except ValueError as e:
            raise LessonError(f"exercise {n}: cannot parse `{line}`: {e}") from e
        if len(words) < 2 or words[0] != "hookbench":
            raise LessonError(f"exercise {n}: `{line}` is not a hookbench command")
        self.sub = words[1]
        self.opts = {}
        i = 2
        while i < len(words):
            w = words[i]
            if not w.startswith("--"):
                raise LessonError(f"exercise {n}: unexpected word {w!r} in `{line}`")
            if "=" in w:
                key, value = w.split("=", 1)
            elif w in FLAGS:
                key, value = w, True
            else:
                if i + 1 >= len(words):
                    raise LessonError(f"exercise {n}: {w} has no value in `{line}`")
                key, value = w, words[i + 1]
                i += 1
            self.opts.setdefault(key, []).append(value)
            i += 1

    def get(self, key, default=None):
        v = self.opts.get(key)
        return v[-1] if v else default

    def need(self, key):
        v = self.get(key)
        if v is None:
            raise LessonError(f"exercise {self.n}: `{self.line}` has no {key}")
        return v

    def expect(self, sub, mode=None):
        if self.sub != sub or (mode and self.get("--mode") not in mode):
            want = f"hookbench {sub}" + (f" --mode {'|'.join(mode)}" if mode else "")
            raise LessonError(f"exercise {self.n}: expected a `{want}` command, got `{self.line}`")
        return self


UNITS_S = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def duration_s(text, what):
    m = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*(us|µs|ms|s|min|m|h)?", str(text).strip())
    if not m:
        raise LessonError(f"{what}: {text!r} is not a duration (e.g. 200ms, 2s)")
    return float(m.group(1)) * UNITS_S[m.group(2) or "s"]


def rate_per_s(text, what):
    m = re.fullmatch(r"([0-9]*\.?[0-9]+(?:e[+-]?\d+)?)\s*(?:/\s*(s|min|h))?", str(text).strip())
    if not m:
        raise LessonError(f"{what}: {text!r} is not a rate (e.g. 5, 5/s, 300/min)")
    return float(m.group(1)) / {"s": 1.0, "min": 60.0, "h": 3600.0, None: 1.0}[m.group(2)]


def count(text, what):
    try:
        v = int(str(text))
    except ValueError:
        raise LessonError(f"{what}: {text!r} is not a whole number") from None
    if v < 1:
        raise LessonError(f"{what}: must be at least 1, got {v}")
    return v


def size_bytes(text, what):
    m = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*(B|kB|KiB|MB|MiB)?", str(text).strip())
    if not m:
        raise LessonError(f"{what}: {text!r} is not a size (e.g. 256, 1KiB)")
    scale = {None: 1, "B": 1, "kB": 1e3, "KiB": 1024, "MB": 1e6, "MiB": 2**20}[m.group(2)]
    return int(float(m.group(1)) * scale)


# --- Formatting: fixed rules, so that the output is byte-for-byte reproducible ------------------

def sig(v, digits=3):
    """v with `digits` significant digits, plain decimal (no exponent); a whole number (a count,
    a rate of 5/s) without decimals."""
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else ("∞" if v > 0 else "-∞")
    if abs(v) >= 1 and abs(v - round(v)) < 1e-9 * abs(v):
        return str(int(round(v)))
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(v)))))
    text = f"{v:.{decimals}f}"
    # Rounding up may add a digit (9.996 -> 10.00): drop the extra decimal.
    if decimals and len(text.replace("-", "").replace(".", "").lstrip("0")) > digits:
        text = f"{v:.{decimals - 1}f}"
    return text


def fmt_s(seconds, digits=3):
    """A duration in the unit that suits it: 740 µs, 12.3 ms, 1.99 s."""
    if not math.isfinite(seconds):
        return "∞"
    a = abs(seconds)
    if a < 1e-3:
        return f"{sig(seconds * 1e6, digits)} µs"
    if a < 1:
        return f"{sig(seconds * 1e3, digits)} ms"
    return f"{sig(seconds, digits)} s"


def fmt_us(us):
    return fmt_s(us / 1e6)


def conns(v):
    return f"{sig(v)} connection" + ("" if v == 1 else "s")


def fmt_rate(v):
    return sig(v) if v >= 1e-3 or v == 0 else f"{v:.2e}"


def fmt_bytes_s(v):
    for unit, scale in (("MB/s", 1e6), ("kB/s", 1e3)):
        if v >= scale:
            return f"{sig(v / scale)} {unit}"
    return f"{sig(v)} B/s"


def fmt_interval(est_us, lo_hi):
    if est_us is None or not math.isfinite(est_us):
        return "saturated"
    lo, hi = lo_hi
    return f"{fmt_us(est_us)} [{fmt_us(lo)}, {fmt_us(hi)}]"


# --- The calibration and the binary -----------------------------------------------------------

class Model:
    """The calibration's constants and the closed forms of the model (model/model.cpp,
    model/predict.cpp at the nominal machine factor)."""

    def __init__(self, cal, source):
        self.cal, self.source = cal, source
        try:
            self.loopback_rtt_s = float(cal["loopback_rtt_us"]) / 1e6
            self.rate = float(cal["rate"])
            self.hot_rate = float(cal.get("hot_rate", 0))
            self.hot_lag_us = float(cal.get("hot_lag_us", 0))
            self.modes = cal["modes"]
            for name in ("poll", "webhook"):
                self.modes[name]["lag_us"]
        except (KeyError, TypeError, ValueError) as e:
            raise LessonError(f"{source}: not a calibration with poll and webhook constants "
                              f"({e})") from None

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

    def poll(self, rate, interval_s, rtt_s, mode="poll"):
        """The poll's latency terms (seconds): G (lag + answer), the round trip R (loopback + the
        link), the mean G + T/2 + R/2 and the p99 0.99 T + R/2 + G."""
        g = self.lag_s(mode, rate) + self.answer_s(mode, rate, interval_s)
        r = self.loopback_rtt_s + rtt_s
        return {"G": g, "R": r, "T": interval_s, "mean": g + interval_s / 2 + r / 2,
                "p99": g + 0.99 * interval_s + r / 2}

    def max_interval_s(self, rate, rtt_s, stat, limit_s, mode="poll"):
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


def load_model(binary, advice, root):
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
    return Model(cal, path), name, created


# --- Advice helpers -----------------------------------------------------------------------------

def advise_args(cmd):
    """An advise command's own arguments (without --json or --calibration)."""
    args = []
    for key, values in cmd.opts.items():
        if key in ("--json", "--calibration", "--verify"):
            continue
        for v in values:
            args += [key] if v is True else [key, v]
    return args


def row(advice, mode, what, latency=False):
    """advise's row for a mode; with latency=True its latency figures must be numbers."""
    for m in advice["modes"]:
        if m["mode"] == mode:
            if latency and (m.get("saturated") or not all(
                    finite(m["latency_us"].get(k)) for k in ("mean", "p50", "p99"))):
                raise LessonError(f"{what}: advise predicts {mode} saturated there "
                                  f"({m.get('reason', '')}): change the lesson's numbers")
            return m
    raise LessonError(f"{what}: advise has no row for mode {mode}")


def finite(v):
    return isinstance(v, (int, float)) and math.isfinite(v)


def setting_text(m):
    s = m.get("setting", {})
    if "interval_ms" in s:
        return f"T = {fmt_us(s['interval_ms'] * 1e3)}"
    if "batch_window_ms" in s:
        return f"W = {fmt_us(s['batch_window_ms'] * 1e3)}"
    if "wait_ms" in s:
        return f"wait {fmt_us(s['wait_ms'] * 1e3)}"
    return "-"


def stat_of(m, stat):
    lat = m["latency_us"]
    if m.get("saturated") or not finite(lat.get(stat)):
        return "saturated"
    return fmt_interval(lat[stat], lat[f"{stat}_interval"])


def advice_table(advice):
    stat = advice["input"]["budget"]["stat"]
    lines = [f"| mode | setting | {stat} [interval] | req/s | bytes/s | cores p+c | conns "
             "| meets |",
             "|---|---|---|---:|---:|---:|---:|---|"]
    for m in advice["modes"]:
        lines.append(
            f"| {m['mode']} | {setting_text(m)} | {stat_of(m, stat)} | "
            f"{fmt_rate(m['requests_per_s'])} | {fmt_bytes_s(m['bytes_per_s'])} | "
            f"{sig(m['producer_cores'], 2)}+{sig(m['consumer_cores'], 2)} | "
            f"{sig(m['connections'])} | {'yes' if m['meets_budget'] else 'no'} |")
    return lines


def recommendation_lines(advice):
    rec = advice["recommendation"]
    mode = rec.get("mode")
    if not mode:
        return [f"- **advise picks no mode**: {rec.get('reason', '')}"]
    m = row(advice, mode, "recommendation")
    setting = setting_text(m)
    stat = advice["input"]["budget"]["stat"]
    lines = [f"- **Pick: {mode}**" + (f" at {setting}" if setting != "-" else "") +
             f": {rec.get('reason', '')}.",
             f"- Predicted {stat}: {stat_of(m, stat)}; {fmt_rate(m['requests_per_s'])} requests/s, "
             f"{conns(m['connections'])}.",
             f"- Runner-up: {rec.get('runner_up') or 'none'}; what would change the answer: "
             f"{rec.get('what_would_change') or '-'}."]
    return lines


def input_text(advice):
    i = advice["input"]
    b = i["budget"]
    return (f"λ = {fmt_rate(i['rate'])}/s, N = {sig(i['subscribers'])}, "
            f"R = {fmt_s(i['rtt_ms'] / 1e3) if i['rtt_ms'] else '0 (loopback)'}, "
            f"budget {b['stat']} ≤ {fmt_us(b['limit_us'])}, payload {sig(i['payload_bytes'])} B")


# --- The exercises ------------------------------------------------------------------------------

def exercise_1(cmd, model):
    cmd.expect("run", ("poll", "poll-conditional"))
    lam = rate_per_s(cmd.need("--rate"), "exercise 1 --rate")
    t = duration_s(cmd.need("--interval"), "exercise 1 --interval")
    n = count(cmd.get("--subscribers", "1"), "exercise 1 --subscribers")
    rtt = duration_s(cmd.get("--rtt", "0ms"), "exercise 1 --rtt")
    p = model.poll(lam, t, rtt, cmd.get("--mode"))
    lt = lam * t
    verdict = ("polling sends more requests than webhooks (λT < 1)" if lt < 1 else
               "polling sends fewer requests than webhooks (λT > 1)" if lt > 1 else
               "the crossover: both send one request per event")
    return [
        f"Setting: λ = {fmt_rate(lam)}/s, T = {fmt_s(t)}, N = {n}, so λT = {sig(lt)}.",
        "",
        f"- Mean latency: **{fmt_s(p['mean'], 4)}** = G + T/2 + R/2: T/2 = {fmt_s(t / 2)}, "
        f"G = {fmt_s(p['G'])}, R/2 = {fmt_s(p['R'] / 2)}.",
        f"- p99 latency: **{fmt_s(p['p99'], 4)}** ≈ 0.99 T + R/2 + G.",
        f"- Requests per event (per subscriber): **{sig(1 / lt)}** = 1/(λT); "
        f"a webhook sends 1: {verdict}.",
        f"- Polls per second: N/T = **{sig(n / t)}**, whatever the event rate; "
        f"webhooks would send λN = {fmt_rate(lam * n)}.",
        f"- Empty-poll fraction: **{sig(math.exp(-lt))}** = e^(−λT).",
        "- `delivered / expected`: all of them (a poller asks again from its cursor).",
        "",
        "The run's `model` column uses the realised rate λ' (a Poisson window holds more or fewer "
        "events than λ × window): compare its `requests/event` with 1/(λ'T). The latency terms G "
        "and R are the calibration's; on loopback they add a fraction of a millisecond to T/2.",
        "",
        f"Variation (λ = {fmt_rate(10 * lam)}/s, λT = {sig(10 * lt)}): the latency stays "
        f"{fmt_s(model.poll(10 * lam, t, rtt, cmd.get('--mode'))['mean'])} (it depends on T, not "
        f"λ), requests per event fall to {sig(1 / (10 * lt))}, the empty fraction to "
        f"{sig(math.exp(-10 * lt))}.",
    ]


def exercise_2(cmd, advice, model, first, variations=()):
    cmd.expect("advise")
    lam = advice["input"]["rate"]
    n = advice["input"]["subscribers"]
    poll = row(advice, "poll", "exercise 2")
    hook = row(advice, "webhook", "exercise 2")
    t = poll["setting"].get("interval_ms", 0) / 1e3
    lam1 = rate_per_s(first.need("--rate"), "exercise 1 --rate")
    t1 = duration_s(first.need("--interval"), "exercise 1 --interval")
    lines = [f"Setting: {input_text(advice)}."] + projection_note(advice) + [""]
    if poll["saturated"] or t <= 0:
        lines.append(f"- advise finds no poll interval that meets the budget: {poll['reason']}.")
    else:
        lines += [
            f"- Poll's largest T under the budget (advise): **{fmt_s(t)}**, so λT = "
            f"{sig(lam * t)}.",
            f"- Poll's requests per event: **{sig(1 / (lam * t))}** = 1/(λT); requests per second "
            f"N/T = {fmt_rate(n / t)} (advise: {fmt_rate(poll['requests_per_s'])}).",
        ]
    lines += [
        f"- Webhook: **1** request per event, λN = {fmt_rate(hook['requests_per_s'])} requests per "
        "second.",
        "",
        "Requests per event at the two rates of the lesson:",
        "",
        "| exercise | λ | T | λT | poll: 1/(λT) | webhook | fewer requests |",
        "|---|---:|---:|---:|---:|---:|---|",
        f"| 1 | {fmt_rate(lam1)}/s | {fmt_s(t1)} | {sig(lam1 * t1)} | {sig(1 / (lam1 * t1))} | 1 | "
        f"{'webhook' if lam1 * t1 < 1 else 'poll'} |",
    ]
    if t > 0:
        lines.append(f"| 2 | {fmt_rate(lam)}/s | {fmt_s(t)} | {sig(lam * t)} | "
                     f"{sig(1 / (lam * t))} | 1 | {'webhook' if lam * t < 1 else 'poll'} |")
        lines += ["", f"The crossover is at λT = 1: at T = {fmt_s(t)}, λ = 1/T = "
                  f"**{fmt_rate(1 / t)}/s**; at T = {fmt_s(t1)}, λ = {fmt_rate(1 / t1)}/s. Above "
                  "it, one poll carries several events and polling sends fewer requests than "
                  "webhooks."]
    lines += ["", "Which mode (advise):", ""] + recommendation_lines(advice) + list(variations)
    lines += ["", "Every mode, as advise ranks them:", ""] + advice_table(advice)
    return lines


def exercise_3(cmd, advice, model, variations=()):
    cmd.expect("advise")
    i = advice["input"]
    lam, n, rtt = i["rate"], i["subscribers"], i["rtt_ms"] / 1e3
    stat, limit = i["budget"]["stat"], i["budget"]["limit_us"] / 1e6
    t = model.max_interval_s(lam, rtt, stat, limit)
    p = model.poll(lam, t, rtt) if t > 0 else None
    poll = row(advice, "poll", "exercise 3")
    hook = row(advice, "webhook", "exercise 3")
    lines = [f"Setting: {input_text(advice)}."] + projection_note(advice) + [""]
    if p:
        bound = "(budget − G − R/2)/0.99" if stat == "p99" else "2 (budget − G − R/2)"
        lines += [
            f"- The formula's largest T: **{fmt_s(t)}** = {bound}, with G = {fmt_s(p['G'])} and "
            f"R/2 = {fmt_s(p['R'] / 2)} (the link's {fmt_s(rtt)} plus loopback).",
            f"- Its cost: N/T = **{fmt_rate(n / t)} polls/s**, {sig(1 / (lam * t))} requests per "
            f"event (1/(λT)); webhooks would send λN = {fmt_rate(lam * n)} POSTs/s.",
        ]
    else:
        lines.append("- The formula: no T meets the budget (G + R/2 alone exceed it).")
    poll_t = poll["setting"].get("interval_ms", 0) / 1e3
    lines += [
        f"- advise's poll row: {setting_text(poll)}, {stat} {stat_of(poll, stat)}, "
        f"{fmt_rate(poll['requests_per_s'])} requests/s, {fmt_bytes_s(poll['bytes_per_s'])}, "
        f"{sig(poll['producer_cores'], 2)}+{sig(poll['consumer_cores'], 2)} cores "
        f"(meets the budget: {'yes' if poll['meets_budget'] else 'no'}).",
        f"- advise's webhook row: {stat} {stat_of(hook, stat)}, "
        f"{fmt_rate(hook['requests_per_s'])} requests/s.",
    ]
    if p and poll_t > 0 and not poll["saturated"]:
        lines.append(f"- advise's T against the formula's: {sig(poll_t / t, 4)}× (advise "
                     "simulates the p99 rather than using 0.99 T).")
    lines += ["", "Which mode (advise):", ""] + recommendation_lines(advice) + list(variations)
    lines += ["", "Every mode:", ""] + advice_table(advice)
    return lines


def exercise_4(cmd, advice_rtt, advice_loop, model, first):
    cmd.expect("run", ("webhook",))
    lam = rate_per_s(cmd.need("--rate"), "exercise 4 --rate")
    rtt = duration_s(cmd.need("--rtt"), "exercise 4 --rtt")
    t1 = duration_s(first.need("--interval"), "exercise 1 --interval")
    hook = row(advice_rtt, "webhook", "exercise 4", latency=True)
    hook0 = row(advice_loop, "webhook", "exercise 4", latency=True)
    poll = model.poll(lam, t1, rtt)
    poll0 = model.poll(lam, t1, 0.0)
    h, h0 = hook["latency_us"], hook0["latency_us"]
    inflight = lam * (rtt + model.loopback_rtt_s)
    lines = [
        f"Setting: webhook at λ = {fmt_rate(lam)}/s, N = 1, R = {fmt_s(rtt)}; the poll of "
        f"exercise 1 (T = {fmt_s(t1)}) for comparison.",
        "",
        f"- Webhook mean latency (advise): **{fmt_interval(h['mean'], h['mean_interval'])}** ≈ "
        f"R/2 = {fmt_s(rtt / 2)} + G; p50 {fmt_interval(h['p50'], h['p50_interval'])}, p99 "
        f"{fmt_interval(h['p99'], h['p99_interval'])}.",
        f"- Poll every {fmt_s(t1)} at the same R (formula): **{fmt_s(poll['mean'])}** = G + T/2 + "
        f"R/2.",
        f"- On loopback: webhook {fmt_us(h0['mean'])}, poll {fmt_s(poll0['mean'])}.",
        "",
        "| | webhook mean | poll mean | webhook/poll |",
        "|---|---:|---:|---:|",
        f"| loopback | {fmt_us(h0['mean'])} | {fmt_s(poll0['mean'])} | "
        f"{sig(h0['mean'] / 1e6 / poll0['mean'], 2)} |",
        f"| R = {fmt_s(rtt)} | {fmt_us(h['mean'])} | {fmt_s(poll['mean'])} | "
        f"{sig(h['mean'] / 1e6 / poll['mean'], 2)} |",
        "",
        f"The round trip adds the same R/2 = {fmt_s(rtt / 2)} to both: push keeps its lead of "
        f"about T/2 = {fmt_s(t1 / 2)}, but as a ratio its advantage shrinks, because the round "
        "trip now dominates push's latency.",
        "",
        f"POSTs in flight per subscriber: λR = {sig(inflight)} (advise counts "
        f"{conns(hook['connections'])}); a connection that is not yet open costs one "
        "more round trip, which is what stretches the measured p99 above the p50.",
    ]
    if cmd.get("--webhook-concurrency") is None and model.concurrency:
        c = model.concurrency
        lines += ["", f"With --webhook-concurrency {c} (the default), one subscriber takes at most "
                  f"{c}/R = {fmt_rate(c / (rtt + model.loopback_rtt_s))} POSTs per second at "
                  "this round trip."]
    return lines


def exercise_5(cmd, advice, model, snippets=()):
    cmd.expect("run", ("webhook", "sse", "websocket", "long-poll", "webhook-batch"))
    mode = cmd.get("--mode")
    lam = rate_per_s(cmd.need("--rate"), "exercise 5 --rate")
    n = count(cmd.need("--subscribers"), "exercise 5 --subscribers")
    m = row(advice, mode, "exercise 5", latency=True)
    lat = m["latency_us"]
    c = model.k(mode, "delivery_cost_us") / 1e6
    pin = model.cal.get("environment", {}).get("pin")
    pinned = (f", taken with the producer and the consumer pinned to cores {pin[0]} and {pin[1]}"
              if isinstance(pin, list) and len(pin) == 2 else "")
    return [
        f"Setting: {mode} at λ = {fmt_rate(lam)}/s, N = {n}, loopback.",
        "",
        f"- Mean latency (advise): **{fmt_interval(lat['mean'], lat['mean_interval'])}**; p50 "
        f"{fmt_interval(lat['p50'], lat['p50_interval'])}; p99 "
        f"**{fmt_interval(lat['p99'], lat['p99_interval'])}**.",
        f"- The fan-out alone (formula): the calibration's cost per delivery c = {fmt_s(c)}, so "
        f"(N − 1)·c/2 = **{fmt_s((n - 1) * c / 2)}** on the mean and (N − 1)·c = "
        f"**{fmt_s((n - 1) * c)}** for the last subscriber of each event.",
        f"- Requests per second: {fmt_rate(m['requests_per_s'])} (λN for webhooks, none for a "
        f"stream); deliveries: λN = {fmt_rate(lam * n)} per second.",
        f"- Producer: {sig(m['producer_cores'], 2)} cores, "
        f"{sig(m['producer_memory_bytes'] / 2**20)} MiB; {conns(m['connections'])}.",
        "",
        f"These are the model's claims from the calibration{pinned}. On a 2-core laptop the "
        f"producer, the consumer and {n} subscribers' work share the cores, and the measured "
        "fan-out can come out longer; the run's own `model mean` row uses the costs measured "
        "in the run.",
    ] + fan_out_variations(advice, mode, snippets)


def fan_out_variations(advice, mode, snippets):
    """advise's rows for the other modes the variation names (`--mode sse`)."""
    lines = []
    for snippet in snippets:
        m = re.fullmatch(r"--mode (\S+)", snippet.strip())
        if not m or m.group(1) == mode:
            continue
        r = row(advice, m.group(1), f"exercise 5 variation {snippet}", latency=True)
        lat = r["latency_us"]
        lines += ["", f"Variation `{snippet}` (advise): mean "
                  f"**{fmt_interval(lat['mean'], lat['mean_interval'])}**, p99 "
                  f"{fmt_interval(lat['p99'], lat['p99_interval'])}, "
                  f"{fmt_rate(r['requests_per_s'])} requests/s, "
                  f"{conns(r['connections'])}, producer {sig(r['producer_cores'], 2)} cores."]
    return lines


def exercise_6(cmd, model):
    cmd.expect("run", ("webhook", "webhook-batch"))
    lam = rate_per_s(cmd.need("--rate"), "exercise 6 --rate")
    n = count(cmd.get("--subscribers", "1"), "exercise 6 --subscribers")
    spec = cmd.need("--fault")
    parts = spec.split(":")
    if len(parts) < 3:
        raise LessonError(f"exercise 6: --fault {spec} is not KIND:AT:FOR")
    kind = parts[0]
    at = duration_s(parts[1], "exercise 6 --fault AT")
    for_s = duration_s(parts[2], "exercise 6 --fault FOR")
    retry = cmd.get("--retry", "standard")
    k, cooldown, first_retry = model.breaker_k, model.breaker_cooldown_s, model.first_retry_s
    in_outage = lam * for_s
    failures = min(in_outage, k)
    opens = in_outage > k
    lines = [
        f"Setting: {cmd.get('--mode')} at λ = {fmt_rate(lam)}/s, N = {n}, fault {kind} from "
        f"{fmt_s(at)} for {fmt_s(for_s)}, `--retry {retry}` (the marked command); the "
        "variation `--retry none` in the second column.",
        "",
        "These are the claims of the retry and breaker rules in `hookbench run --help` (a "
        f"circuit breaker of {k} failures and a {fmt_s(cooldown)} cool-down, the standard "
        f"schedule's first retry {fmt_s(first_retry)} after a failure, ±10% jitter), not a "
        "fitted model; the measured values move by that jitter and by the breaker's probe.",
        "",
        f"- Events created during the outage: λ·FOR = **{sig(in_outage)}** per subscriber.",
    ]
    if opens:
        lines += [
            f"- The breaker opens after {k} failed POSTs, {fmt_s(k / lam)} into the outage; "
            f"from then the subscriber's deliveries are held until the cool-down ends, "
            f"{fmt_s(at + k / lam + cooldown)} into the window (the receiver is back at "
            f"{fmt_s(at + for_s)}).",
        ]
        worst_std = k / lam + cooldown
        worst_none = cooldown
        catch_up = max(0.0, at + k / lam + cooldown - (at + for_s))
    else:
        worst_std = first_retry
        worst_none = 0.0
        catch_up = max(0.0, first_retry - for_s)
    lines += [
        "",
        "| | `--retry standard` | `--retry none` |",
        "|---|---:|---:|",
        f"| lost (per subscriber) | **0** | **{sig(failures)}** |",
        f"| failed POSTs | {sig(failures)} | {sig(failures)} |",
        f"| worst delay after AT | ≈ **{fmt_s(worst_std)}** | ≈ {fmt_s(worst_none)} |",
        f"| catch-up after the end | ≈ **{fmt_s(catch_up)}** | never (the lost ones never "
        "come) |",
        "",
        "With retries nothing is lost but the recovery follows the sender's schedule, not the "
        "receiver's: seconds after the receiver is back. Without retries the loss is capped by "
        f"the breaker ({k} failures), not by the outage's length. A poller or a stream has no "
        "receiver to lose: under `consumer-down` it asks again from its cursor when it comes "
        "back, loses nothing and catches up within milliseconds (its worst delay is the outage "
        "itself).",
    ]
    return lines


def exercise_7(cmd, model, micro):
    cmd.expect("run", ("webhook", "webhook-batch"))
    lam = rate_per_s(cmd.need("--rate"), "exercise 7 --rate")
    frac = float(cmd.need("--attack"))
    window = duration_s(cmd.get("--duration", "10s"), "exercise 7 --duration")
    signed = cmd.get("--unsigned") is None and cmd.get("--signature", "hmac") != "none"
    total = frac * lam * window
    per_post = model.k("webhook", "producer_us_per_request") + model.k(
        "webhook", "consumer_us_per_request")
    lines = [
        f"Setting: webhook at λ = {fmt_rate(lam)}/s, attack at {frac:g} × λ = "
        f"{fmt_rate(frac * lam)} requests/s, a {fmt_s(window)} window, "
        f"{'signed (HMAC-SHA256)' if signed else 'unsigned'}.",
        "",
        f"- Attack requests in the window: {frac:g} × λ × window = **{sig(total)}**.",
        "- Signed: **0 accepted**. A forgery, a tampered body, an expired timestamp, a missing "
        "or oversized signature all fail the signature check (401); a replay fails the replay "
        "check. `lost / dup / reordered` keeps its duplicates at **0** and "
        "`delivered / expected` is exact.",
        "- Unsigned (`--unsigned`): the receiver cannot tell the attacker from the producer: "
        "nearly every attack request is accepted (only a malformed URL is refused, by the "
        "producer), and those that reuse a real event's id show up as duplicates, with a "
        "warning on stderr.",
    ]
    if micro:
        size, sign_ns, verify_ns = micro
        lines.append(
            f"- The cost of the cryptography (the microbenchmarks in `results/micro/micro.json`, "
            f"a {size}-byte payload, median): signing **{sig(sign_ns / 1e3)} µs**, verifying "
            f"**{sig(verify_ns / 1e3)} µs** per event, against {sig(per_post)} µs of CPU for the "
            "POST's HTTP exchange on both sides (the calibration's cost per request): about "
            f"{sig(100 * (sign_ns + verify_ns) / 1e3 / per_post, 2)}%. Below a 5 s run's noise: "
            "the CPU rows differ from run to run by more than that.")
    else:
        lines.append(f"- The cost of the cryptography: an HMAC over a small payload takes about "
                     f"a microsecond, against {sig(per_post)} µs of CPU for the POST's HTTP "
                     "exchange (the calibration's cost per request).")
    lines += [
        "- Bytes: the signature headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`) "
        "add on the order of a hundred bytes per POST: compare `bytes/event` with and without "
        "`--unsigned` (measured, not modelled).",
        "",
        "Signing stops everything the attacker can make without the secret, for about a "
        "microsecond of CPU per event on each side.",
    ]
    return lines


def exercise_8(cmd, advice, model, variations=()):
    cmd.expect("advise")
    i = advice["input"]
    lam, n, rtt = i["rate"], i["subscribers"], i["rtt_ms"] / 1e3
    stat, limit = i["budget"]["stat"], i["budget"]["limit_us"] / 1e6
    t = model.max_interval_s(lam, rtt, stat, limit)
    poll = row(advice, "poll", "exercise 8")
    lines = [f"Setting: {input_text(advice)}."] + projection_note(advice) + [""]
    if t > 0:
        verdict = (f"saturated: {poll['reason']}" if poll["saturated"]
                   else f"{stat} {stat_of(poll, stat)}")
        lines.append(f"- Polling (formula): T ≤ {fmt_s(t)}, so N/T = **{fmt_rate(n / t)} polls/s** "
                     f"(advise's poll row: {setting_text(poll)}, "
                     f"{fmt_rate(poll['requests_per_s'])} requests/s, {verdict}).")
    lines += [
        f"- Webhooks: λN = **{fmt_rate(lam * n)} POSTs/s**, each event fanned out to {sig(n)} "
        "subscribers on one io thread.",
        f"- Streams (sse, websocket) and long-poll: {sig(n)} held connections; streams send no "
        "request per event.",
        "",
        "Which mode (advise):",
        "",
    ] + recommendation_lines(advice) + list(variations)
    lines += ["", "Every mode:", ""] + advice_table(advice)
    return lines


# --- Putting it together ------------------------------------------------------------------------

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


def render(lesson_path, binary, root):
    try:
        with open(lesson_path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise LessonError(f"{lesson_path}: {e.strerror}") from None
    cmds = {n: Command(n, line) for n, line in lesson_commands(text, lesson_path).items()}
    for n in (2, 3, 8):
        cmds[n].expect("advise")
    ex4, ex5 = cmds[4].expect("run"), cmds[5].expect("run")
    row_args = {
        "ex2": advise_args(cmds[2]),
        "ex3": advise_args(cmds[3]),
        "ex8": advise_args(cmds[8]),
        "ex4": ["--rate", ex4.need("--rate"), "--subscribers", ex4.get("--subscribers", "1"),
                "--rtt", ex4.need("--rtt"), "--budget", ROW_BUDGET],
        "ex4-loopback": ["--rate", ex4.need("--rate"), "--subscribers",
                         ex4.get("--subscribers", "1"), "--budget", ROW_BUDGET],
        "ex5": ["--rate", ex5.need("--rate"), "--subscribers", ex5.need("--subscribers"),
                "--rtt", ex5.get("--rtt", "0ms"), "--budget", ROW_BUDGET],
    }
    variations = {n: advise_variations(cmds[n], variation_snippets(text, n)) for n in (2, 3, 8)}
    for n, vs in variations.items():
        for label, args in vs:
            row_args[f"ex{n} {label}"] = args
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {k: pool.submit(binary.advise, a, f"advise for {k}") for k, a in row_args.items()}
        advice = {k: f.result() for k, f in futures.items()}
    created = {a["calibration"].get("created") for a in advice.values()}
    if len(created) != 1:
        raise LessonError("advise answered from different calibrations (the binary changed "
                          "during the run?): run again")
    model, cal_name, cal_created = load_model(binary, advice["ex2"], root)
    help_constants(binary, model)
    micro = micro_hmac(root, size_bytes(cmds[7].get("--payload", "256"), "exercise 7 --payload"))

    def var(n):
        return variation_lines(variations[n], {label: advice[f"ex{n} {label}"]
                                               for label, _ in variations[n]}, advice[f"ex{n}"])

    sections = [
        ("How late is a poll, and how many requests does it send?", exercise_1(cmds[1], model)),
        ("Where polling wins: an analytics feed",
         exercise_2(cmds[2], advice["ex2"], model, cmds[1], var(2))),
        ("Choosing T for a latency budget: shop orders",
         exercise_3(cmds[3], advice["ex3"], model, var(3))),
        ("What a round trip does to push and to poll",
         exercise_4(cmds[4], advice["ex4"], advice["ex4-loopback"], model, cmds[1])),
        ("Fan-out to many subscribers",
         exercise_5(cmds[5], advice["ex5"], model, variation_snippets(text, 5))),
        ("What an outage costs, with and without retries", exercise_6(cmds[6], model)),
        ("What signing stops, and what it costs", exercise_7(cmds[7], model, micro)),
        ("Which mode would you pick? A social fan-out",
         exercise_8(cmds[8], advice["ex8"], model, var(8))),
    ]
    validated = validated_text(model.cal.get("validated"))
    out = [
        "*Generated by `scripts/lesson_answers.py` from [LESSON.md](LESSON.md) and the model: do "
        "not edit by hand (run the script again; `--check` says whether this file is current). "
        f"Calibration: {cal_name}, created {cal_created}.*",
        "",
        "# Answers to the lesson",
        "",
        f"The calibration was taken on {advice['ex2']['calibration'].get('network', '?')}; "
        f"{validated}.",
        "",
        "Every figure below is the model's claim, computed from the formulas of "
        "[LESSON.md](LESSON.md) with this calibration's constants (G, the loopback round trip, "
        "the cost per delivery c) or by `hookbench advise` from it; latency intervals are "
        "advise's (the calibration's constants ×/÷ its machine factor). Exercises 6 and 7 "
        "also use the rules in `hookbench run --help` and the committed microbenchmarks, as "
        "they say. A measurement on your machine should land near these, not on them.",
    ]
    for n, (title, body) in enumerate(sections, start=1):
        out += ["", f"## Exercise {n}", "", f"*{title}*", "", f"Command: `{cmds[n].line}`", ""]
        out += body
    return "\n".join(out) + "\n"


def validated_text(v):
    """What the calibration's validation covers, in words."""
    if not isinstance(v, dict) or not v:
        return "not validated against measured points (every figure is a projection)"
    parts = []
    for key, name, scale, unit in (("rate", "λ", 1, "/s"), ("subscribers", "N", 1, ""),
                                   ("rtt_s", "R", 1e3, " ms")):
        r = v.get(key)
        if isinstance(r, list) and len(r) == 2 and all(finite(x) for x in r):
            parts.append(f"{name} {sig(r[0] * scale)}..{sig(r[1] * scale)}{unit}")
    points, covered = v.get("points"), v.get("mean_covered")
    text = "validated against measured points"
    if finite(points) and finite(covered):
        text += f" ({sig(covered)} of {sig(points)} measured means inside its intervals)"
    return text + (" over " + ", ".join(parts) if parts else "")


def projection_note(advice):
    reason = advice["calibration"].get("projection")
    return ["", f"*A projection: {reason}.*"] if reason else []


def first_difference(a, b):
    la, lb = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(la, lb), start=1):
        if x != y:
            return i
    return min(len(la), len(lb)) + 1


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Generate docs/LESSON-ANSWERS.md, the answer key of docs/LESSON.md, from the "
                    "model's formulas and `hookbench advise --json`.")
    parser.add_argument("--bin", default=os.environ.get("HOOKBENCH_BIN") or os.path.join(
        ROOT, "build", "release", "src", "hookbench"),
        help="the hookbench binary (default: $HOOKBENCH_BIN, else build/release/src/hookbench)")
    parser.add_argument("--calibration", metavar="FILE",
                        help="a calibration for advise (default: the one built into the binary)")
    parser.add_argument("--lesson", default=os.path.join(ROOT, "docs", "LESSON.md"),
                        help="the lesson (default: %(default)s)")
    parser.add_argument("--answers", default=os.path.join(ROOT, "docs", "LESSON-ANSWERS.md"),
                        help="the answer key to write or check (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the answer key differs from what the code "
                             "says now")
    args = parser.parse_args(argv)
    try:
        if args.calibration and not os.path.isfile(args.calibration):
            raise LessonError(f"{args.calibration}: no such file")
        text = render(args.lesson, Binary(args.bin, args.calibration), ROOT)
        if args.check:
            try:
                with open(args.answers, encoding="utf-8") as f:
                    current = f.read()
            except OSError as e:
                print(f"{PROG}: {args.answers}: {e.strerror}: run scripts/lesson_answers.py",
                      file=sys.stderr)
                return 1
            if current != text:
                print(f"{PROG}: {args.answers} differs from what the code says now (first at "
                      f"line {first_difference(current, text)}): run scripts/lesson_answers.py",
                      file=sys.stderr)
                return 1
            print(f"{PROG}: {args.answers} is current")
            return 0
        with open(args.answers, "w", encoding="utf-8") as f:
            f.write(text)
    except LessonError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"{PROG}: error: {e.filename or ''}: {e.strerror}", file=sys.stderr)
        return 2
    print(f"{PROG}: wrote {args.answers}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
