"""The README's model block: per mode and per sweep folder, the points whose measured mean
latency the model meets (the model inside the point's 95% t-interval over its repeats, or their
mean within ±15% of the model), judged as each folder's report judges them."""

from .report.findings import GOAL_SHARE, GOAL_TOLERANCE, goal_checks, meets_goal
from .report.points import RttSeries

# The folders the model's goal is stated for, in the README's column order.
GOAL_FOLDERS = ("reference", "social", "network")


def goal_counts(runs):
    """{mode: [meets the goal, judged]} over the folder's points at every round trip (saturated
    points left out), the number of points that miss both the interval and the tolerance, and
    (saturated points, of them foreseen by the model)."""
    counts, misses = {}, 0
    judged, saturated = goal_checks(RttSeries(runs))
    for _, s, _, _, check, _ in judged:
        c = counts.setdefault(s.mode, [0, 0])
        ok = meets_goal(check)
        c[0] += ok
        c[1] += 1
        misses += not ok
    return counts, misses, (len(saturated), sum(1 for p in saturated if p[4] is None))


def block_model_goal(res):
    """The table: a row per mode, a column per folder, 'k/n' with those below the goal in bold."""
    per_folder = {name: goal_counts(res.runs(name)) for name in GOAL_FOLDERS}
    modes = sorted({m for name in GOAL_FOLDERS for m in per_folder[name][0]},
                   key=res.runs(GOAL_FOLDERS[0]).modes.order_key)
    lines = [f"The model's mean latency against each point's repeats: the points where it lies "
             f"inside the point's 95% t-interval over its repeats or their mean "
             f"lies within ±{GOAL_TOLERANCE * 100:.0f}% of it, of the points judged (those with two "
             f"repeats or more; the goal: {GOAL_SHARE * 100:.0f}% of every mode's points; **bold** below "
             "it). Each folder's REPORT.md lists every point that misses both, with the miss; "
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
    sat = [(name, per_folder[name][2]) for name in GOAL_FOLDERS if per_folder[name][2][0]]
    if sat:
        lines[-1] += (" Left out as saturated (a repeat did not keep up, so the mean grows with "
                      "the window; judged instead by whether the model foresaw the overload, no "
                      "bound at ρ ≥ 1): " + ", ".join(
                          f"{n} in `{name}` (foreseen at {f})" for name, (n, f) in sat) + ".")
    return lines
