"""The README's model block: per mode and per sweep folder, the points whose measured mean
latency the model meets (the model inside the point's 95% t-interval over its repeats, or their
mean within ±15% of the model), judged as each folder's report judges them."""

from .report.findings import GOAL_SHARE, GOAL_TOLERANCE, goal_checks, meets_goal
from .report.points import RttSeries

# The folders the model's goal is stated for, in the README's column order.
GOAL_FOLDERS = ("reference", "social", "network")


def goal_counts(runs):
    """{mode: [meets the goal, judged]} over the folder's points at every round trip, and the
    number of points that miss. Where the model gives no bound (ρ ≥ 1) a point meets it when a
    repeat was flagged saturated: the overload it claims."""
    counts, misses = {}, 0
    judged, unbounded = goal_checks(RttSeries(runs))
    verdicts = [(check[1].mode, meets_goal(check[4])) for check in judged]
    verdicts += [(s.mode, saturated) for _, s, _, saturated in unbounded]
    for mode, ok in verdicts:
        c = counts.setdefault(mode, [0, 0])
        c[0] += ok
        c[1] += 1
        misses += not ok
    return counts, misses


def block_model_goal(res):
    """The table: a row per mode, a column per folder, 'k/n' with those below the goal in bold."""
    per_folder = {name: goal_counts(res.runs(name)) for name in GOAL_FOLDERS}
    modes = sorted({m for name in GOAL_FOLDERS for m in per_folder[name][0]},
                   key=res.runs(GOAL_FOLDERS[0]).modes.order_key)
    lines = [f"The model's mean latency against each point's repeats: the points where it lies "
             f"inside the point's 95% t-interval over its repeats or their mean "
             f"lies within ±{GOAL_TOLERANCE * 100:.0f}% of it, of the points judged (those with two "
             f"repeats or more; where the model gives no bound, ρ ≥ 1, a point meets it when "
             f"a repeat saturated; the goal: {GOAL_SHARE * 100:.0f}% of every mode's points; "
             "**bold** below it). Each folder's REPORT.md lists every point that misses both, with the miss; "
             "`hookbench model-check DIR` recomputes the model from each run's recorded "
             "inputs and judges the points with repeats the same way.", "",
             "| mode | " + " | ".join(f"`results/{n}`" for n in GOAL_FOLDERS) + " |",
             "|---|" + "---:|" * len(GOAL_FOLDERS)]
    for mode in modes:
        cells = []
        for name in GOAL_FOLDERS:
            c = per_folder[name][0].get(mode)
            if c is None:
                cells.append("–")
                continue
            text = f"{c[0]}/{c[1]}"
            cells.append(f"**{text}**" if c[0] < GOAL_SHARE * c[1] else text)
        lines.append(f"| `{mode}` | " + " | ".join(cells) + " |")
    judged = {name: sum(c[1] for c in per_folder[name][0].values()) for name in GOAL_FOLDERS}
    lines += ["", "Points that miss both: " + ", ".join(
        f"{per_folder[name][1]} of {judged[name]} in `{name}`" for name in GOAL_FOLDERS) + "."]
    return lines
