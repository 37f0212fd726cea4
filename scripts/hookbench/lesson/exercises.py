"""The answers to exercises 1 to 4: a poll's latency and requests, where polling wins, choosing
T for a budget, and what a round trip does to push and to poll. Each writer takes the parsed
command, advise's answers and the model, and returns the section's lines."""

import math

from .advice import (advice_table, input_text, projection_note, recommendation_lines, row,
                     setting_text, stat_of)
from .commands import count, duration_s, rate_per_s
from .text import conns, fmt_bytes_s, fmt_interval, fmt_rate, fmt_s, fmt_us, sig


def exercise_1(cmd, model):
    cmd.expect("run", model.roles.fixed_interval_polls())
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
    pull, push = model.roles.pull, model.roles.push
    poll = row(advice, pull, "exercise 2")
    hook = row(advice, push, "exercise 2")
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
        f"{push if lam1 * t1 < 1 else pull} |",
    ]
    if t > 0:
        lines.append(f"| 2 | {fmt_rate(lam)}/s | {fmt_s(t)} | {sig(lam * t)} | "
                     f"{sig(1 / (lam * t))} | 1 | {push if lam * t < 1 else pull} |")
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
    poll = row(advice, model.roles.pull, "exercise 3")
    hook = row(advice, model.roles.push, "exercise 3")
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
    push = cmd.expect("run", (model.roles.push,)).get("--mode")
    lam = rate_per_s(cmd.need("--rate"), "exercise 4 --rate")
    rtt = duration_s(cmd.need("--rtt"), "exercise 4 --rtt")
    t1 = duration_s(first.need("--interval"), "exercise 1 --interval")
    hook = row(advice_rtt, push, "exercise 4", latency=True)
    hook0 = row(advice_loop, push, "exercise 4", latency=True)
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
