"""One number of an answer against the truth.

- a fraction or an integer against an exact truth: right when equal;
- a fraction against an inexact truth (a float, e.g. a KL): right within 1e-9 relative;
- a decimal with d digits after the point (an integer against an inexact truth: d = 0):
  right when it is the truth correctly rounded to d digits (an exact tie may round half
  away from zero or half to even: 0.125 → 0.13 or 0.12);
- ``tol``: right when |given − truth| ≤ tol, whatever the form.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from rlcli.replay.numbers import Value, number

_DECIMAL = re.compile(r"\s*[-+]?(\d+)?\.(\d+)\s*\Z")


def given_value(text: str, where: str) -> tuple[Fraction | float, int | None]:
    """The student's number and its decimal places (None for a fraction or an integer)."""
    m = _DECIMAL.match(text)
    value = number(text, where)
    return value, (len(m.group(2)) if m else None)


def is_right(text: str, truth: Value, tol: float | None, where: str) -> bool:
    value, digits = given_value(text, where)
    if isinstance(truth, float) and not math.isfinite(truth):
        return False
    exact_truth = Fraction(truth) if not isinstance(truth, Fraction) else truth
    gap = abs(Fraction(value) - exact_truth) if isinstance(value, Fraction) else abs(value - truth)
    if tol is not None:
        return gap <= Fraction(tol)
    if digits is None and isinstance(truth, Fraction):
        return gap == 0
    if "/" in text:
        return gap <= 1e-9 * max(1.0, abs(float(truth)))
    return Fraction(value) in roundings(exact_truth, digits or 0)


def roundings(truth: Fraction, places: int) -> set[Fraction]:
    """The truth correctly rounded to ``places`` decimals (two candidates at an exact tie)."""
    scaled = truth * 10**places
    low = math.floor(scaled)
    rest = scaled - low
    if rest < Fraction(1, 2):
        picks = {low}
    elif rest > Fraction(1, 2):
        picks = {low + 1}
    else:  # half away from zero, or half to even
        picks = {low + 1 if truth > 0 else low, low if low % 2 == 0 else low + 1}
    return {Fraction(k, 10**places) for k in picks}
