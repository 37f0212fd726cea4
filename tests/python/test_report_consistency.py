#!/usr/bin/python3
"""Every count and verdict in a generated report matches the data it came from, and no sentence
repeats. One fixture folder holds a sweep with an rtt axis (loopback, 10 and 100 ms, one point
saturated through the 100 ms link only), security runs with a microbenchmark and fault runs;
scripts/report.py writes its report, and each check below recomputes from runs.csv and the run
files, independently of the report's code, what the text says. Each check is also run on a
report with one number changed, and must fail there."""

import collections
import csv
import json
import os
import re
import statistics
import tempfile
import unittest

import fixtures as fixture
from fixtures import md_table, read, REPORT, section
from fixtures.faults import fault_run
from fixtures.security import DELIVERED, factor, FIGURES, LATENCY_US, make_security_fixture, \
    MICRO_NS
from hookbench.fmt import fmt_number as fmt
from test_rtt import add_rtt_rows, RTT_COLUMNS

RESOURCES = (("latency_p50_us", "latency"), ("requests_per_event", "requests"),
             ("bytes_per_event", "bytes"), ("net", "net CPU"))
SATURATED_RTT_RUN = "webhook-r8-N1-p256-R100-k0"
# (name, mode, kind, length, lost, catch-up, policy, duplicates, out of order)
FAULT_RUNS = (
    ("webhook-receiver-slow-1s-retry-standard", "webhook", "receiver-slow", 1.0, 0, 0.5,
     "standard", 7, 3),
    ("webhook-receiver-slow-1s-retry-none", "webhook", "receiver-slow", 1.0, 12, None, "none",
     0, 0),
    ("webhook-link-cut-1s-retry-standard", "webhook", "link-cut", 1.0, 0, 0.3, "standard", 0,
     5),
    ("poll-consumer-down-1s", "poll", "consumer-down", 1.0, 0, 0.1, None, 0, 0),
)


def value(r, column):
    if column == "net":
        return float(r["cpu_us_per_event_net_producer"]) + \
            float(r["cpu_us_per_event_net_consumer"])
    return float(r[column])


def rtt_of(r):
    return float(r.get("rtt_ms") or 0)


def point_key(r):
    return (rtt_of(r), r["mode"], r["interval_ms"], float(r["rate"]))


def points_of(rows):
    """{(rtt, mode, interval, rate): [rows]} of the measured rows."""
    out = collections.defaultdict(list)
    for r in rows:
        if not r["note"].startswith("failed"):
            out[point_key(r)].append(r)
    return out


def median(runs, column):
    return statistics.median(value(r, column) for r in runs)


def expected_verdicts(rows):
    """[(λT, T, rate, {resource: winner mode})] of poll against webhook on loopback, in λT
    order."""
    pts = points_of(rows)
    out = []
    for (rtt, mode, interval, rate), runs in pts.items():
        hook = pts.get((0.0, "webhook", "", rate))
        if rtt != 0 or mode != "poll" or not hook:
            continue
        wins = {}
        for column, name in RESOURCES:
            a, b = median(runs, column), median(hook, column)
            wins[name] = "poll" if a < b else "webhook" if b < a else "tie"
        out.append((rate * float(interval) / 1000.0, float(interval), rate, wins))
    return sorted(out, key=lambda v: (v[0], v[1]))


def prose_sentences(md):
    """The sentences of the report's paragraphs and list items: no headings, tables, images or
    chart captions."""
    out = []
    for block in md.split("\n\n"):
        b = block.strip()
        if not b or b.startswith(("#", "|", "![")) or \
                (b.startswith("*") and b.endswith("*") and not b.startswith("**")):
            continue
        for line in b.split("\n"):
            line = re.sub(r"^- ", "", line)
            out += [x.strip() for x in re.split(r"(?<=[.!?])\s+(?=[A-Z*\[])", line)
                    if x.strip()]
    return out


def first_table(text, header):
    """The Markdown table whose header line starts with header, up to its last row."""
    rest = text[text.index(header):].lstrip("\n")
    return md_table(rest.split("\n\n", 1)[0])


def check_answer(t, md, rows):
    """The headline's λT ranges, their point counts and who wins which resource in each, and
    the table of winners, against the medians of runs.csv."""
    verdicts = expected_verdicts(rows)
    answer = section(md, "## The answer")
    head = next(p.strip() for p in answer.split("\n\n")
                if p.strip().startswith("**The answer.**"))
    t.assertIn(f"against webhook at {len(verdicts)} points", head)
    # The points at one printed λT are one step (another T can split a resource there); steps
    # with the same unsplit winners join into a range.
    def signature(points):
        return {name: (lambda sides: sides.pop() if len(sides) == 1 else "split")(
            {p[3][name] for p in points}) for _, name in RESOURCES}

    steps = []
    for v in verdicts:
        if steps and fmt(steps[-1][-1][0]) == fmt(v[0]):
            steps[-1].append(v)
        else:
            steps.append([v])
    groups = []
    for step in steps:
        sig = signature(step)
        if groups and signature(groups[-1]) == sig and "split" not in sig.values():
            groups[-1].extend(step)
        else:
            groups.append(list(step))
    for g in groups:
        lo, hi = fmt(g[0][0]), fmt(g[-1][0])
        span = f"λT = {lo}" if lo == hi else f"λT {lo}–{hi}"
        n = len(g)
        marker = f"at {span} ({n} point{'s' if n > 1 else ''}) "
        t.assertIn(marker, head)
        clause = head.split(marker, 1)[1]
        clause = re.split(r"; at λT|\. ", clause)[0]
        said = {}
        for part in clause.split("; "):
            side = part.split(" ", 1)[0]
            said[side] = {name for _, name in RESOURCES if name in part}
        sig = signature(g)
        for side in ("poll", "webhook"):
            want = {name for name, w in sig.items() if w == side}
            t.assertEqual(said.get(side, set()), want, (span, side, clause))
        for name, w in sig.items():
            if w == "split":
                t.assertIn(f"{name} went to ", clause)
    table = first_table(answer, "| pull series")
    t.assertEqual(len(table), len(verdicts))
    for (lt, interval, rate, wins), row in zip(verdicts, table):
        t.assertEqual(row["pull series"], f"poll T={fmt(interval)} ms")
        t.assertEqual(row["rate (events/s)"], fmt(rate))
        for _, name in RESOURCES:
            t.assertTrue(row[name].startswith(wins[name] + " "), (row, name, wins[name]))


def check_counts(t, md, rows):
    """Setup's runs and points, the per-mode tables, the warnings' kinds and counts and the
    saturated points, all from one recount of runs.csv (every round trip included)."""
    pts = points_of(rows)
    ok = sum(len(v) for v in pts.values())
    failed = len(rows) - ok
    setup = section(md, "## Setup")
    t.assertIn(f"| runs | {len(rows)} ({ok} measured, {failed} failed) |", setup)
    t.assertRegex(setup, rf"\| points \| {len(pts)}, ")
    rtts = sorted({k[0] for k in pts})
    t.assertIn("| round trips R (ms) | " + ", ".join(
        "0 (loopback)" if r == 0 else fmt(r) for r in rtts) + " |", setup)
    for mode in ("poll", "webhook"):
        table = md_table(section(md, f"### {mode}"))
        want = sorted((k[0], k[3]) for k in pts if k[1] == mode)
        got = sorted((float(r["R (ms)"]), float(r["rate (events/s)"])) for r in table)
        t.assertEqual(got, want, mode)
    saturated = [k for k, runs in pts.items() if any(r["saturated"] == "true" for r in runs)]
    warnings_heading = re.search(r"^## Warnings \((\d+) kinds?\)$", md, re.M)
    warnings = section(md, warnings_heading.group(0))
    kinds = [ln for ln in warnings.splitlines() if ln.startswith("- **")]
    t.assertEqual(len(kinds), int(warnings_heading.group(1)))
    sat_section = section(md, "### Saturated points")
    listed = [ln for ln in sat_section.splitlines() if ln.startswith("- ")]
    t.assertEqual(len(listed), len(saturated))
    if saturated:
        t.assertIn(f"- **saturated points (did not keep up)** ({len(saturated)} point"
                   f"{'s' if len(saturated) > 1 else ''}):", warnings)
        for rtt, mode, _, rate in saturated:
            where = " on loopback" if rtt == 0 else f" through a {fmt(rtt)} ms round trip"
            t.assertTrue(any(f"at {fmt(rate)} events/s{where}:" in ln and ln[2:].startswith(mode)
                             for ln in listed), (mode, rate, rtt, listed))
    else:
        t.assertNotIn("saturated", warnings)
        t.assertIn("None: every run kept up", sat_section)
    lossy = [r for runs in pts.values() for r in runs if float(r["lost"] or 0) > 0]
    if lossy:
        t.assertIn(f"- **lost events** ({len(lossy)} run{'s' if len(lossy) > 1 else ''})",
                   warnings)


def check_rtt_table(t, md, rows):
    """The push/poll ratio per round trip: polling's median mean latency over webhook's."""
    pts = points_of(rows)
    answer = section(md, "## The answer")
    table = first_table(answer, "\n| push |")
    t.assertEqual(len(table), 1)
    row = table[0]
    interval, rate = row["poll T (ms)"], float(row["rate (events/s)"])
    for rtt in sorted({k[0] for k in pts}):
        poll = pts[(rtt, "poll", interval, rate)]
        hook = pts[(rtt, "webhook", "", rate)]
        ratio = median(poll, "latency_mean_us") / median(hook, "latency_mean_us")
        cell = row["loopback" if rtt == 0 else f"{fmt(rtt)} ms"]
        t.assertEqual(cell, f"{fmt(ratio, 2)}×", rtt)


def check_security(t, md):
    """p50/p99 per configuration (median and min-max of the three repeats) and the in-run
    ed25519-over-HMAC CPU against the microbenchmark at the runs' payload."""
    lat = section(md, "### What signing and TLS add to the latency")
    table = {r["configuration"].split(" ", 1)[0]: r for r in md_table(lat)}
    for config in ("unsigned", "hmac", "ed25519", "plain-new", "tls-keepalive", "tls-new"):
        for i, name in ((0, "p50"), (1, "p99")):
            v = [LATENCY_US[config][i] * factor(k) / 1000.0 for k in (1, 2, 3)]
            t.assertEqual(table[config][f"{name} latency"],
                          f"{fmt(v[1])} ms ({fmt(v[0])}–{fmt(v[2])})", (config, name))
    rec = section(md, "### The in-run signing cost against the microbenchmark")
    for side, op, i in (("producer", "sign", 0), ("consumer", "verify", 1)):
        ed = [FIGURES["ed25519"][i] * factor(k) * 1e6 / DELIVERED for k in (1, 2, 3)]
        hm = [FIGURES["hmac"][i] * factor(k) * 1e6 / DELIVERED for k in (1, 2, 3)]
        run_diff = ed[1] - hm[1]

        def at(scheme, size=256):
            pts = sorted(MICRO_NS[(op, scheme)].items())
            (x0, y0), (x1, y1) = pts[0], pts[1]
            return y0 + (y1 - y0) * (size - x0) / (x1 - x0)
        micro = (at("ed25519") - at("hmac")) / 1000.0
        item = next(ln for ln in rec.splitlines() if ln.startswith(f"- {side} ({op})"))
        t.assertIn(f"ed25519 cost +{fmt(run_diff)} µs of CPU per delivered event", item)
        t.assertIn(f"1 {op} per event accounts for +{fmt(micro)} µs", item)
        within = ed[0] - hm[2] <= micro <= ed[2] - hm[0]
        t.assertEqual("the runs agree with the microbenchmark" in item, within, item)
        t.assertEqual("unexplained" in item, not within, item)


def check_faults(t, md):
    """One row per fault run with its lost, duplicates and out-of-order counts; the sentences
    count the runs that duplicated and reordered."""
    faults = section(md, "### Loss, duplicates and ordering per fault run")
    table = {r["run"]: r for r in md_table(faults)}
    t.assertEqual(set(table), {f[0] for f in FAULT_RUNS})
    for name, _, _, _, lost, _, _, dups, reordered in FAULT_RUNS:
        t.assertEqual((table[name]["lost"], table[name]["duplicates"],
                       table[name]["out of order"]), (str(lost), str(dups), str(reordered)))
    n = len(FAULT_RUNS)
    for what, i in (("lost", 4), ("duplicated", 7), ("reordered", 8)):
        hit = [f for f in FAULT_RUNS if f[i]]
        if hit:
            t.assertIn(f"{len(hit)} of {n} fault runs {what} deliveries", faults)
        else:
            t.assertIn(f"No fault run {what} a delivery", faults)
    t.assertIn("receiver-slow", section(md, "## Faults"))
    t.assertIn("lost 0, 7 duplicates with --retry standard", section(md, "## Faults"))


def check_no_repeats(t, md):
    counts = collections.Counter(s for s in prose_sentences(md) if len(s) >= 30)
    t.assertEqual([s for s, n in counts.items() if n > 1], [])


class ReportConsistency(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="hookbench-consistency-")
        d = cls.dir = cls.tmp.name
        base = fixture.make_fixture(d, failed=False, trace=False)
        rows = add_rtt_rows(d, base)
        for r in rows:  # saturated through the slow link only: the bug the summary had
            if r["run_id"] == SATURATED_RTT_RUN:
                r.update(saturated="true", saturated_reason="7 deliveries queued at the end")
        with open(os.path.join(d, "runs.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(fixture.COLUMNS + RTT_COLUMNS))
            w.writeheader()
            w.writerows(rows)
        cls.rows = rows
        make_security_fixture(d)
        os.makedirs(os.path.join(d, "faults"))
        for name, mode, kind, length, lost, catch, policy, dups, reordered in FAULT_RUNS:
            with open(os.path.join(d, "faults", name + ".json"), "w", encoding="utf-8") as f:
                json.dump(fault_run(mode, kind, length, lost, catch, policy, dups, reordered), f)
        cls.proc = fixture.run_script(REPORT, d)
        cls.md = read(os.path.join(d, "REPORT.md")) if cls.proc.returncode == 0 else ""

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_report_written(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)

    def test_answer_matches_the_data(self):
        check_answer(self, self.md, self.rows)

    def test_loopback_only_sections_say_so(self):
        rtts = sorted({float(r["rtt_ms"] or 0) for r in self.rows})
        self.assertGreater(len(rtts), 1)
        self.assertIn("\n## Mode comparison (loopback)\n", self.md)
        self.assertIn("\n### Best at each rate (loopback)\n", self.md)
        self.assertIn("On loopback only: this folder also measured round trips of "
                      + ", ".join(fmt(r) for r in rtts[1:]) + " ms", self.md)

    def test_counts_match_the_data(self):
        check_counts(self, self.md, self.rows)

    def test_rtt_ratios_match_the_data(self):
        check_rtt_table(self, self.md, self.rows)

    def test_security_latency_and_reconciliation_match_the_runs(self):
        check_security(self, self.md)

    def test_fault_integrity_matches_the_runs(self):
        check_faults(self, self.md)

    def test_no_sentence_repeats(self):
        check_no_repeats(self, self.md)

    def test_each_check_fails_on_a_wrong_report(self):
        """Each check, given the report with one count or verdict changed, fails."""
        md = self.md
        answer = section(md, "## The answer")
        head = next(p.strip() for p in answer.split("\n\n")
                    if p.strip().startswith("**The answer.**"))
        wrong_head = head.replace("poll used", "webhook used", 1)
        self.assertNotEqual(wrong_head, head)
        sat = re.search(r"saturated points \(did not keep up\)\*\* \((\d+) point", md)
        self.assertIsNotNone(sat)
        bad = {
            "answer": (check_answer, md.replace(head, wrong_head), (self.rows,)),
            "counts": (check_counts, md.replace(sat.group(0), sat.group(0).replace(
                f"({sat.group(1)} point", f"({int(sat.group(1)) + 1} point")), (self.rows,)),
            "rtt": (check_rtt_table, re.sub(r"\| (\d[\d.]*)× \|$", "| 999× |", md, count=1,
                                            flags=re.M), (self.rows,)),
            "security": (check_security, md.replace("ed25519 cost +", "ed25519 cost +1", 1),
                         ()),
            "faults": (check_faults, re.sub(r"(\| webhook-receiver-slow-1s-retry-standard \|"
                                            r"(?:[^|]*\|){5}) 7 \|", r"\1 0 |", md), ()),
            "repeats": (check_no_repeats, md.replace(
                "## References", "Every number below is computed from those runs.\n\n"
                "Every number below is computed from those runs.\n\n## References"), ()),
        }
        for name, (check, text, args) in bad.items():
            with self.subTest(check=name):
                self.assertNotEqual(text, md)
                with self.assertRaises(AssertionError):
                    check(self, text, *args)



class AnswerPerSubscriberCount(unittest.TestCase):
    """A folder with two subscriber counts (social's N = 100 and 500): the answer names each N
    and gives its own λT ranges, so that no λT range of one N overlaps another's in one list."""

    def test_each_n_has_its_own_ranges(self):
        with tempfile.TemporaryDirectory(prefix="hookbench-answer-n-") as d:
            fixture.make_fixture(d, failed=False, saturated=False, trace=False)
            path = os.path.join(d, "runs.csv")
            with open(path, newline="", encoding="utf-8") as f:
                reader = csv.DictReader(f)
                header, rows = reader.fieldnames, list(reader)
            more = []
            for r in rows:
                r2 = dict(r, subscribers="8", run_id=r["run_id"] + "-n8")
                if r["mode"] == "webhook" and r["latency_p50_us"]:
                    # Webhooks to 8 subscribers are 40x slower: the latency verdict holds,
                    # the ranges differ only if the code answers each N apart.
                    r2["latency_p50_us"] = str(40 * float(r["latency_p50_us"]))
                more.append(r2)
            with open(path, "w", newline="", encoding="utf-8") as f:
                w = csv.DictWriter(f, fieldnames=header)
                w.writeheader()
                w.writerows(rows + more)
            proc = fixture.run_script(REPORT, d)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            head = next(p.strip() for p in section(read(os.path.join(d, "REPORT.md")),
                                                   "## The answer").split("\n\n")
                        if p.strip().startswith("**The answer.**"))
        parts = re.split(r"(N = \d+): ", head)
        self.assertEqual([p for p in parts if p.startswith("N = ")], ["N = 1", "N = 8"], head)
        for body in (parts[2], parts[4]):
            spans = re.findall(r"at λT(?: = ([\d.]+)|(?: ([\d.]+)–([\d.]+))) \(", body)
            self.assertTrue(spans, body)
            covered = []
            for one, lo, hi in spans:
                a, b = (float(one), float(one)) if one else (float(lo), float(hi))
                self.assertTrue(all(b < c or a > d for c, d in covered), (a, b, covered, body))
                covered.append((a, b))


class AnswerAtOneLambdaT(unittest.TestCase):
    """Two poll intervals reach the same λT (T = 100 ms at 10/s and T = 400 ms at 2.5/s): the
    answer lists that λT once, and a resource the two split says who won it at which T."""

    def test_one_range_per_lambda_t_with_the_split_named(self):
        with tempfile.TemporaryDirectory(prefix="hookbench-answer-split-") as d:
            rows = fixture.make_fixture(d, rates=(2.5, 10.0), intervals=(100.0, 400.0),
                                        failed=False, saturated=False, trace=False)
            for r in rows:  # poll at T = 400 ms, 2.5/s costs 50x its CPU: webhook wins there
                if r["mode"] == "poll" and r["interval_ms"] in ("400", "400.0") and \
                        float(r["rate"]) == 2.5:
                    for side in ("producer", "consumer"):
                        key = f"cpu_us_per_event_net_{side}"
                        r[key] = repr(50 * float(r[key]) + 1000)
            fixture.write_csv(os.path.join(d, "runs.csv"), rows)
            proc = fixture.run_script(REPORT, d)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            md = read(os.path.join(d, "REPORT.md"))
        check_answer(self, md, rows)
        head = next(p.strip() for p in section(md, "## The answer").split("\n\n")
                    if p.strip().startswith("**The answer.**"))
        self.assertEqual(head.count("at λT = 1 ("), 1, head)
        self.assertIn("net CPU went to poll at T = 100 ms and to webhook at T = 400 ms", head)


if __name__ == "__main__":
    unittest.main()
