#!/usr/bin/python3
"""The lesson (docs/LESSON.md) and its answer key (docs/LESSON-ANSWERS.md): the lesson has 6 to 8
exercises, each with a question, a prediction, exactly one marked command and how to read its
output, and a link to its answer; every marked command runs (a `run` shortened to a 1 s window
and a 0.5 s warm-up, or to its fault's end plus 0.5 s; an `advise` as written) within 120 s and
exits 0, and a run's table names its mode and accounts for every delivery (delivered equal to
expected, nothing lost; a signed run under attack shows no duplicate; the fault run names its
fault and loses nothing with retries); `scripts/lesson_answers.py --check` finds the committed
key current and a tampered copy stale (exit 1, one line); and the key's numbers follow the model:
exercise 1's mean is T/2 + G + R/2 from the calibration's constants, its requests per event and
every row of exercise 2's table 1/(lambda T), exercise 3's T the formula's, exercise 6's losses
the circuit breaker's cap.

Set HOOKBENCH_LESSON_CALIBRATION=FILE to run the advise commands and the key's check against a
calibration file instead of the one built into the binary."""

import json
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.environ.get("HOOKBENCH_BIN", os.path.join(HERE, "..", "..", "build", "release", "src",
                                                   "hookbench"))
ROOT = os.environ.get("HOOKBENCH_ROOT", os.path.join(HERE, "..", ".."))
CALIBRATION = os.environ.get("HOOKBENCH_LESSON_CALIBRATION")
LESSON = os.path.join(ROOT, "docs", "LESSON.md")
ANSWERS = os.path.join(ROOT, "docs", "LESSON-ANSWERS.md")
SCRIPT = os.path.join(ROOT, "scripts", "lesson_answers.py")
TIMEOUT_S = 120

UNITS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0}


def seconds(text):
    m = re.fullmatch(r"([0-9.]+)\s*(us|µs|ms|s|min|m|h)?", text.strip())
    assert m, f"not a duration: {text!r}"
    return float(m.group(1)) * UNITS[m.group(2) or "s"]


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def exercises(text):
    """{N: the section's text} of every `## Exercise N` heading."""
    parts = re.split(r"^## Exercise (\d+)\b.*$", text, flags=re.M)
    return {int(parts[i]): parts[i + 1] for i in range(1, len(parts), 2)}


MARK = re.compile(r"^<!-- lesson-command (\d+) -->[ \t]*\n```sh[ \t]*\n(.*?)\n```", re.M | re.S)


def option(words, name, default=None):
    return words[words.index(name) + 1] if name in words else default


def quick(words):
    """A run command shortened for the test: a 1 s window (or its last fault's end + 0.5 s) and
    a 0.5 s warm-up."""
    faults = [words[i + 1] for i, w in enumerate(words) if w == "--fault"]
    end = max((seconds(f.split(":")[1]) + seconds(f.split(":")[2]) for f in faults), default=0)
    window = f"{max(1.0, end + 0.5):g}s"
    out = list(words)
    for name, value in (("--duration", window), ("--warmup", "0.5s")):
        if name in out:
            out[out.index(name) + 1] = value
        else:
            out += [name, value]
    return out


def table_row(out, label):
    """The cells of the run table's row `label` (a single result: one cell)."""
    for line in out.splitlines():
        if line.startswith(label) and line[len(label):len(label) + 1] in (" ", ""):
            return line[len(label):].split()
    raise AssertionError(f"no row {label!r} in:\n{out}")


def script(*args):
    extra = ["--calibration", CALIBRATION] if CALIBRATION else []
    return subprocess.run([sys.executable, SCRIPT, "--bin", BIN, *extra, *args],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


def calibration():
    with open(CALIBRATION or os.path.join(ROOT, "results", "calibration", "calibration.json"),
              encoding="utf-8") as f:
        return json.load(f)


def number(pattern, text, what):
    m = re.search(pattern, text)
    if not m:
        raise AssertionError(f"{what}: no match for {pattern!r}")
    return m


def with_unit(value, unit):
    return float(value) * {"µs": 1e-6, "ms": 1e-3, "s": 1.0}[unit]


class LessonStructure(unittest.TestCase):
    def setUp(self):
        self.text = read(LESSON)
        self.sections = exercises(self.text)

    def test_six_to_eight_exercises_in_order(self):
        self.assertGreaterEqual(len(self.sections), 6)
        self.assertLessEqual(len(self.sections), 8)
        self.assertEqual(sorted(self.sections), list(range(1, len(self.sections) + 1)))

    def test_each_exercise_has_its_parts_and_exactly_one_marked_command(self):
        marks = MARK.findall(self.text)
        self.assertEqual(len(re.findall(r"<!-- lesson-command", self.text)), len(marks),
                         "a lesson-command mark not directly above a ```sh block")
        self.assertEqual(sorted(int(n) for n, _ in marks), sorted(self.sections))
        for n, body in self.sections.items():
            with self.subTest(exercise=n):
                own = MARK.findall(body)
                self.assertEqual(len(own), 1, "one marked command per exercise")
                self.assertEqual(int(own[0][0]), n, "the mark carries its exercise's number")
                line = own[0][1]
                self.assertNotIn("\n", line.strip(), "one command, on one line")
                self.assertTrue(line.startswith("hookbench "), line)
                for part in ("**Question.**", "**Predict first.**", "**How to read it.**"):
                    self.assertEqual(body.count(part), 1, part)
                order = [body.index(p) for p in ("**Question.**", "**Predict first.**",
                                                 f"<!-- lesson-command {n} -->",
                                                 "**How to read it.**")]
                self.assertEqual(order, sorted(order), "question, prediction, command, reading")
                self.assertIn(f"(LESSON-ANSWERS.md#exercise-{n})", body)
                # The prediction is a number or a choice, with the formula's hint.
                predict = body.split("**Predict first.**")[1].split("<!--")[0]
                self.assertRegex(predict, r"[=≈≤]|λ|/T")
                # The answer is not in the lesson: the key has a section of the same number.
        key = exercises(read(ANSWERS))
        self.assertEqual(sorted(key), sorted(self.sections))

    def test_runs_are_short_and_the_build_is_explained(self):
        self.assertIn("./scripts/build.sh release", self.text)
        self.assertIn("build/release/src/hookbench", self.text)
        for n, line in MARK.findall(self.text):
            words = shlex.split(line)
            if words[1] == "run":
                with self.subTest(exercise=n):
                    self.assertLessEqual(seconds(option(words, "--duration", "10s")), 10)
                    self.assertLessEqual(seconds(option(words, "--warmup", "1s")), 2)
                    self.assertNotIn("--pin", words, "the lesson runs unpinned")


class LessonCommandsRun(unittest.TestCase):
    """Each marked command, shortened, on this machine."""

    @classmethod
    def setUpClass(cls):
        cls.commands = {int(n): shlex.split(line) for n, line in MARK.findall(read(LESSON))}
        cls.modes = json.loads(subprocess.run([BIN, "modes", "--json"], capture_output=True,
                                              text=True, timeout=30, check=True).stdout)

    def execute(self, words):
        argv = [BIN] + words[1:]
        if words[1] == "run":
            argv = [BIN] + quick(words)[1:] + ["--quiet"]
        elif words[1] == "advise" and CALIBRATION:
            argv += ["--calibration", CALIBRATION]
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            self.fail(f"`{' '.join(argv)}` ran longer than {TIMEOUT_S} s")
        self.assertEqual(p.returncode, 0, f"`{' '.join(argv)}`: {p.stderr}")
        return p.stdout, p.stderr

    def check_run(self, words, out, err):
        mode = option(words, "--mode")
        n = int(option(words, "--subscribers", "1"))
        header = out.splitlines()[0].split()
        self.assertEqual(header[0], mode, out)
        if n != 1:
            self.assertIn(f"N={n}", header)
        delivered, expected = (int(x) for x in table_row(out, "delivered / expected")[0].split("/"))
        self.assertGreater(expected, 0, "no event in the window")
        self.assertEqual(expected % n, 0, "every event expected once per subscriber")
        self.assertEqual(delivered, expected, out)
        lost, dups, _ = (int(x) for x in table_row(out, "lost / dup / reordered")[0].split("/"))
        self.assertEqual(lost, 0, out)
        if "--attack" in words and "--unsigned" not in words and \
                option(words, "--signature", "hmac") != "none":
            self.assertEqual(dups, 0, "a signed receiver accepted an attack request")
            self.assertNotIn("duplicate", err)
        if "--fault" in words:
            self.assertEqual(table_row(out, "fault")[0], option(words, "--fault"))
            if option(words, "--retry", "standard") != "none":
                self.assertEqual(table_row(out, "  lost / dup around it")[0].split("/")[0], "0")
        if mode in ("poll", "poll-conditional", "poll-adaptive"):
            polls = table_row(out, "  polls / empty")[0].split("/")
            self.assertGreater(int(polls[0]), 0)
        if mode == "webhook":
            self.assertGreaterEqual(int(table_row(out, "  webhook POSTs")[0]), expected)

    def test_every_command_runs(self):
        names = {m["name"] for m in self.modes}
        for n, words in sorted(self.commands.items()):
            with self.subTest(exercise=n, command=" ".join(words)):
                self.assertEqual(words[0], "hookbench")
                self.assertIn(words[1], ("run", "advise"))
                out, err = self.execute(words)
                if words[1] == "run":
                    self.check_run(words, out, err)
                else:
                    self.assertRegex(out, r"(?m)^recommendation: \S+")
                    self.assertEqual({line.split()[0] for line in out.splitlines()
                                      if line.startswith("  ") and line.split()
                                      and line.split()[0] in names}, names,
                                     "every mode predicted")


class AnswerKey(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.key = read(ANSWERS)
        cls.sections = exercises(cls.key)
        cls.commands = {int(n): shlex.split(line) for n, line in MARK.findall(read(LESSON))}

    def test_key_is_current(self):
        p = script("--check")
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_a_tampered_key_is_stale(self):
        tampered = re.sub(r"(Mean latency: \*\*)[0-9.]+", r"\g<1>42.0", self.key, count=1)
        self.assertNotEqual(tampered, self.key)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "LESSON-ANSWERS.md")
            with open(path, "w", encoding="utf-8") as f:
                f.write(tampered)
            p = script("--check", "--answers", path)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertIn("differs", p.stderr)
            self.assertEqual(read(path), tampered, "--check writes nothing")
            p = script("--check", "--answers", os.path.join(d, "missing.md"))
            self.assertEqual(p.returncode, 1, p.stderr)

    def test_bad_input_is_one_line(self):
        p = subprocess.run([sys.executable, SCRIPT, "--bin", "/nonexistent/hookbench", "--check"],
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertNotIn("Traceback", p.stderr)

    def test_header_names_the_generator_and_the_calibration(self):
        first = self.key.splitlines()[0]
        self.assertIn("Generated by `scripts/lesson_answers.py`", first)
        self.assertIn("do not edit by hand", first)
        created = calibration()["created"]
        self.assertIn(f"created {created}", first)

    def test_exercise_1_follows_the_formulas(self):
        words = self.commands[1]
        lam = float(option(words, "--rate").split("/")[0])
        t = seconds(option(words, "--interval"))
        cal = calibration()
        small = (cal["modes"]["poll"]["lag_us"] + cal["loopback_rtt_us"] / 2) / 1e6
        text = self.sections[1]
        m = number(r"Mean latency: \*\*([0-9.]+) (µs|ms|s)\*\*", text, "exercise 1 mean")
        mean = with_unit(*m.groups())
        self.assertLess(abs(mean - (t / 2 + small)) / (t / 2 + small), 0.05)
        self.assertGreater(mean, t / 2, "G and R/2 come on top of T/2")
        m = number(r"p99 latency: \*\*([0-9.]+) (µs|ms|s)\*\*", text, "exercise 1 p99")
        self.assertLess(abs(with_unit(*m.groups()) - (0.99 * t + small)) / t, 0.05)
        rpe = float(number(r"Requests per event \(per subscriber\): \*\*([0-9.]+)\*\*", text,
                           "exercise 1 requests per event").group(1))
        self.assertAlmostEqual(rpe, 1 / (lam * t), delta=0.005 / (lam * t))
        empty = float(number(r"Empty-poll fraction: \*\*([0-9.]+)\*\*", text, "empty").group(1))
        self.assertAlmostEqual(empty, math.exp(-lam * t), delta=0.005)

    def test_exercise_2_requests_per_event_are_one_over_lambda_t(self):
        rows = re.findall(r"^\| (\d) \| ([0-9.]+)/s \| ([0-9.]+) (µs|ms|s) \| ([0-9.]+) \| "
                          r"([0-9.]+) \| 1 \| (poll|webhook) \|$", self.sections[2], re.M)
        self.assertEqual(len(rows), 2, "the requests per event at two rates")
        lams = []
        for ex, lam, t, unit, lt, rpe, fewer in rows:
            lam, t = float(lam), with_unit(t, unit)
            lams.append(lam)
            with self.subTest(row=ex):
                self.assertAlmostEqual(float(lt), lam * t, delta=0.005 * lam * t)
                self.assertAlmostEqual(float(rpe), 1 / (lam * t), delta=0.005 / (lam * t))
                self.assertEqual(fewer, "poll" if lam * t > 1 else "webhook")
        ex1 = self.commands[1]
        self.assertEqual(float(rows[0][1]), float(option(ex1, "--rate").split("/")[0]))
        self.assertEqual(with_unit(rows[0][2], rows[0][3]), seconds(option(ex1, "--interval")))
        self.assertEqual(float(rows[1][1]), float(option(self.commands[2], "--rate").split("/")[0]))
        self.assertEqual({r[6] for r in rows}, {"poll", "webhook"},
                         "the two rates fall on either side of the crossover")

    def test_exercise_3_poll_interval_is_the_formulas(self):
        text = self.sections[3]
        ratio = float(number(r"advise's T against the formula's: ([0-9.]+)×", text,
                             "exercise 3 T").group(1))
        self.assertAlmostEqual(ratio, 1.0, delta=0.05)
        m = number(r"The formula's largest T: \*\*([0-9.]+) (µs|ms|s)\*\*", text, "formula T")
        t = with_unit(*m.groups())
        words = self.commands[3]
        budget = seconds(option(words, "--budget").split("<=")[1])
        rtt = seconds(option(words, "--rtt", "0ms"))
        self.assertAlmostEqual(t, (budget - rtt / 2) / 0.99, delta=0.01 * budget)
        self.assertRegex(text, r"\*\*Pick: [a-z-]+\*\*")

    def test_exercise_6_losses_are_capped_by_the_breaker(self):
        words = self.commands[6]
        lam = float(option(words, "--rate"))
        fault = option(words, "--fault").split(":")
        k = int(re.search(r"\[default: (\d+):", subprocess.run(
            [BIN, "run", "--help"], capture_output=True, text=True, timeout=30).stdout.split(
            "--circuit-breaker")[1]).group(1))
        m = number(r"\| lost \(per subscriber\) \| \*\*0\*\* \| \*\*([0-9.]+)\*\* \|",
                   self.sections[6], "exercise 6 lost")
        self.assertEqual(float(m.group(1)), min(k, lam * seconds(fault[2])))

    def test_advise_exercises_name_a_pick_that_meets_the_budget(self):
        for n in (2, 3, 8):
            with self.subTest(exercise=n):
                text = self.sections[n]
                pick = number(r"\*\*Pick: ([a-z-]+)\*\*", text, f"exercise {n}").group(1)
                self.assertRegex(text, rf"(?m)^\| {re.escape(pick)} \|.*\| yes \|$")


if __name__ == "__main__":
    unittest.main()
