"""Formatting for the answer key: fixed rules, so that the output is byte-for-byte reproducible."""

import math


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


def finite(v):
    return isinstance(v, (int, float)) and math.isfinite(v)
