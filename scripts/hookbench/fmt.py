"""Numbers and lists as the charts and the report write them: one definition of each, so a
caption and a sentence about the same value print it alike."""

import math


def fmt_number(x, digits=3, keep_zeros=False):
    """About `digits` significant digits: 48.1, 0.249, 317, 12300, 1 (1.0 with keep_zeros);
    an exponent only for the very small: 2.6e-07."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if x == 0:
        return "0"
    if abs(x) < 1e-4:
        return f"{x:.{max(digits - 1, 0)}e}"
    x = float(f"{x:.{digits}g}")  # 0.99999 -> 1.0, so the decimals below are 1.0's
    decimals = digits - 1 - math.floor(math.log10(abs(x)))
    if decimals <= 0:
        return f"{round(x, decimals):.0f}"
    text = f"{x:.{decimals}f}"
    if keep_zeros:
        return text
    return text.rstrip("0").rstrip(".") if "." in text else text


fmt = fmt_number


def fmt_ms(us):
    return "-" if us is None else fmt_number(us / 1000.0)


def fmt_percent(fraction, digits=3):
    if fraction is None:
        return "-"
    if 0 < abs(fraction) < 1e-4:
        return "<0.01%"
    return fmt_number(fraction * 100.0, digits) + "%"


def plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def counted(n, one, many):
    return f"{n} {one if n == 1 else many}"


def fmt_list(values, unit=""):
    """'1, 2.5, 10' (+ unit): whole numbers as written, others to three digits."""
    return ", ".join(fmt(v) if isinstance(v, float) else str(v) for v in values) + unit


def fmt_range(values, unit=""):
    values = sorted(set(values))
    if not values:
        return "-"
    if len(values) == 1:
        return fmt(values[0]) + unit
    return f"{fmt(values[0])}–{fmt(values[-1])}{unit}"


def fmt_ratio_range(ratios):
    """'2.1×' when the ratios agree within 5%, else '2.1–3.4×'."""
    ratios = list(ratios)
    lo, hi = min(ratios), max(ratios)
    return f"{fmt(lo, 2)}×" if math.isclose(lo, hi, rel_tol=0.05) else \
        f"{fmt(lo, 2)}–{fmt(hi, 2)}×"
