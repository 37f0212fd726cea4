"""The answers to exercises 5 to 8: fan-out to many subscribers, an outage with and without
retries, what signing stops, and a social fan-out's pick."""

import re

from .advice import (advice_table, input_text, projection_note, recommendation_lines, row,
                     setting_text, stat_of)
from .commands import LessonError, count, duration_s, rate_per_s
from .text import conns, fmt_interval, fmt_rate, fmt_s, sig


def exercise_5(cmd, advice, model, snippets=()):
    cmd.expect("run", model.roles.push_side())
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
    cmd.expect("run", model.roles.receivers())
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
    cmd.expect("run", model.roles.receivers())
    lam = rate_per_s(cmd.need("--rate"), "exercise 7 --rate")
    frac = float(cmd.need("--attack"))
    window = duration_s(cmd.get("--duration", "10s"), "exercise 7 --duration")
    signed = cmd.get("--unsigned") is None and cmd.get("--signature", "hmac") != "none"
    total = frac * lam * window
    push = model.roles.push  # the cost of a plain POST: the push reference's
    per_post = (model.k(push, "producer_us_per_request") +
                model.k(push, "consumer_us_per_request"))
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
    poll = row(advice, model.roles.pull, "exercise 8")
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
