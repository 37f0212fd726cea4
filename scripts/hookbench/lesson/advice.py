"""Reading `hookbench advise --json`: a mode's row, its setting and latency, the table of every
mode, the recommendation, and what advise says for each of an exercise's variations."""

from .commands import LessonError
from .text import conns, finite, fmt_bytes_s, fmt_interval, fmt_rate, fmt_s, fmt_us, sig


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


def projection_note(advice):
    reason = advice["calibration"].get("projection")
    return ["", f"*A projection: {reason}.*"] if reason else []


def variation_lines(variations, advice_of, base, pull):
    """What advise says for each variation: the pick, the pull reference's (`pull`) setting and
    cost, and why the exercise's own pick lost, when it did."""
    lines = []
    base_pick = base["recommendation"].get("mode")
    for label, _ in variations:
        a = advice_of[label]
        rec = a["recommendation"]
        pick = rec.get("mode") or "none"
        poll = row(a, pull, f"variation {label}")
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
