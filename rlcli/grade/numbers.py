"""A number as a student writes it, and the rule that says whether it is right.

- ``3/4``, ``-2``: an exact fraction, right only when it equals the truth exactly;
- ``-1.75``, ``0.3``: a decimal with d digits after the point, right when it is a correct
  rounding of the truth to d digits: |given − truth| ≤ ½·10⁻ᵈ (at an exact tie, such as
  −1.75 to one digit, both −1.7 and −1.8 are correct roundings);
- a tolerance (``--tol``) overrides both: |given − truth| ≤ tol.

A truth known only as a float (``Inexact``: a KL with logarithms, a ``--json`` number with
no exact form) is the float's exact value, graded the same way except that a fraction is
right within 1e-9 relative (no fraction equals ln 2) and an integer is a 0-digit decimal.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

_FRACTION = re.compile(r"^[+-]?\d+(?:\s*/\s*\d+)?$")
_DECIMAL = re.compile(r"^[+-]?(?:\d+\.(\d*)|\.(\d+))$")
MAX_DIGITS = 30  # a given number longer than this is not a hand-worked answer


@dataclass(frozen=True)
class Given:
    """A number from an answer: its value, and the digits after the point (None: exact)."""

    text: str
    value: Fraction
    digits: int | None = None


@dataclass(frozen=True)
class Inexact:
    """A truth known only as a float (no exact form): graded by the module docstring's rule."""

    value: float


FRACTION_REL_TOL = Fraction(1, 10**9)  # a fraction against an Inexact truth


def parse_given(text: str) -> Given | None:
    """``"3/4"`` → 3/4 exact; ``"-1.70"`` → −17/10 with 2 digits (the minus sign may be
    U+2212, as printed); None if not a number."""
    text = text.strip().replace("\u2212", "-")
    if len(text) > 2 * MAX_DIGITS:
        return None
    if _FRACTION.match(text):
        num, _, den = text.replace(" ", "").partition("/")
        if den and int(den) == 0:
            return None
        return Given(text, Fraction(int(num), int(den) if den else 1))
    decimal = _DECIMAL.match(text)
    if decimal:
        digits = decimal.group(1) if decimal.group(1) is not None else decimal.group(2)
        return Given(text, Fraction(text), len(digits))
    return None


def is_right(given: Given, truth: Fraction | Inexact, tol: Fraction | None = None) -> bool:
    """The tolerance rule of the module docstring."""
    if isinstance(truth, Inexact):
        return _is_right_inexact(given, truth.value, tol)
    if tol is not None:
        return abs(given.value - truth) <= tol
    if given.digits is None:
        return given.value == truth
    return abs(given.value - truth) <= Fraction(1, 2 * 10**given.digits)


def _is_right_inexact(given: Given, truth: float, tol: Fraction | None) -> bool:
    if not math.isfinite(truth):
        return False
    exact = Fraction(truth)
    if tol is not None:
        return abs(given.value - exact) <= tol
    if given.digits is None and "/" in given.text:
        return abs(given.value - exact) <= FRACTION_REL_TOL * max(1, abs(exact))
    digits = given.digits or 0
    return abs(given.value - exact) <= Fraction(1, 2 * 10**digits)


def show(x: Fraction | Inexact) -> str:
    """A truth value as written beside a wrong answer: 3/4 (= 0.75), -7/3 (≈ -2.333),
    0.0305 (an ``Inexact`` as its float)."""
    if isinstance(x, Inexact):
        return f"{x.value:.10g}"
    if x.denominator == 1:
        return str(x.numerator)
    decimal = x.numerator / x.denominator
    den = x.denominator
    while den % 2 == 0:
        den //= 2
    while den % 5 == 0:
        den //= 5
    sign = "=" if den == 1 and len(repr(decimal)) <= 12 else "≈"
    return f"{x} ({sign} {decimal:.6g})" if sign == "≈" else f"{x} (= {decimal!r})"
