"""The README's calibration blocks: `hookbench advise` on the first screen (its command and its
output, computed by the binary from results/calibration/calibration.json, which it builds in) and
the predictor's coverage per mode (results/calibration/validation.json)."""

import os
import subprocess

from .errors import ResultsError, read_json


# The question on the README's first screen, answered from the committed calibration.
ADVISE_EXAMPLE = ("--rate", "5/s", "--subscribers", "2000", "--rtt", "80ms", "--budget",
                  "p99<=2s")


def hookbench_binary(res):
    path = os.environ.get("HOOKBENCH_BIN") or os.path.join(res.root, "build", "release", "src",
                                                            "hookbench")
    if not os.access(path, os.X_OK):
        raise ResultsError(f"needs the hookbench binary at {path} (./scripts/build.sh release, "
                           "or set HOOKBENCH_BIN)")
    return path


def block_advise(res):
    """`hookbench advise` on the first screen: its command and its output, from the calibration
    built into the binary, results/calibration/calibration.json (deterministic: the simulation
    is seeded)."""
    rel = os.path.join("results", "calibration", "calibration.json")
    if not os.path.isfile(os.path.join(res.root, rel)):
        raise ResultsError(f"{rel} is missing")
    # The binary's built-in calibration is this file (src/CMakeLists.txt embeds it).
    r = subprocess.run([hookbench_binary(res), "advise", *ADVISE_EXAMPLE],
                       capture_output=True, text=True, cwd=res.root, timeout=120,
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise ResultsError(f"hookbench advise failed: {r.stderr.strip()}")
    shown = " ".join(a if "<" not in a else f"'{a}'" for a in ADVISE_EXAMPLE)
    return ["```", f"$ hookbench advise {shown}", *r.stdout.rstrip("\n").split("\n"), "```"]


def coverage_table(v):
    """The Markdown table of a validation's coverage per mode (validation.json's "validated"),
    as the README and VALIDATION.md show it."""
    def pct(k, n):
        return f"{100.0 * k / n:.0f}%" if n else "–"
    lines = ["| mode | points | mean covered | p99 covered | median error of the mean |",
             "|---|---:|---:|---:|---:|"]
    for mode, m in v["by_mode"].items():
        lines.append(f"| {mode} | {m['points']} | {pct(m['mean_covered'], m['points'])} | "
                     f"{pct(m['p99_covered'], m['points'])} | "
                     f"{100 * m.get('median_error', 0):.0f}% |")
    lines.append(f"| **all** | {v['points']} | {pct(v['mean_covered'], v['points'])} | "
                 f"{pct(v['p99_covered'], v['points'])} | |")
    return lines


def block_validation(res):
    """The predictor's coverage per mode, from results/calibration/validation.json."""
    from .readme import fmt  # the README's number format (readme.py imports this module)
    doc = read_json(os.path.join(res.folder("calibration"), "validation.json"))
    v = doc["validated"]
    cal = read_json(os.path.join(res.folder("calibration"), "calibration.json"))
    cal_rev = str(cal.get("environment", {}).get("git_revision", "unknown"))[:7]
    sweep_revs = sorted({str(e.get("git_revision", "unknown"))[:7]
                         for f in ("reference", "network", "social", "ecommerce", "analytics")
                         if os.path.isdir(res.folder(f)) for _, e in res.environments(f)})
    lines = [f"The calibration comes from revision {cal_rev}, the sweeps it predicts from "
             f"{', '.join(sweep_revs)}: a predictor of one revision checked against "
             "measurements of another.",
             f"Every committed measured point ({v['points']} points of {v['sweeps']} sweeps: λ "
             f"{fmt(v['rate'][0])}–{fmt(v['rate'][1])}/s, N {fmt(v['subscribers'][0])}–"
             f"{fmt(v['subscribers'][1])}, RTT {fmt(v['rtt_s'][0] * 1e3)}–"
             f"{fmt(v['rtt_s'][1] * 1e3)} ms) predicted from the reference calibration alone "
             "(`results/calibration/`), without looking at what it measured; covered when the "
             "measured mean over its repeats falls inside the prediction's interval "
             "([VALIDATION.md](results/calibration/VALIDATION.md) lists every miss). In-sample in "
             "one sense: the predictor's parts were shaped while looking at these points, though "
             "no constant was fitted to them; the intervals are wide where µs-level machine "
             "terms dominate, so the median error is the tighter figure:", "",
             *coverage_table(v)]
    return lines
