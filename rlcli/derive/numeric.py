"""Numeric cross-checks of closed forms: expectations by quadrature (scipy) or direct sums.

A closed-form step is only trusted when a computation that does not share its code agrees:
:func:`numeric_value` evaluates an expression holding ``E[·]``, ``∫`` or ``Σ`` at numeric
parameter values by ``scipy.integrate.quad`` (or by summing terms), independently of the
moment tables and of ``integrate``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sympy as sp

from rlcli.derive.steps import Expect, canonical

TERMS = 400  # terms summed for an infinite discrete support (ample for the bundled families)
RELATIVE = 1e-6  # agreement required between a closed form and its numeric value


def numeric_value(expr: Any, point: Mapping[Any, Any]) -> float:
    """``expr`` at ``point`` with every integral by quadrature and every sum added up."""
    from scipy import integrate

    expr = canonical(expr.replace(lambda e: isinstance(e, Expect), lambda e: e.unfold()))
    expr = expr.subs(point)

    def quad(e: Any) -> Any:
        (x, lo, hi) = e.limits[0]
        body = sp.lambdify(x, e.function, "math")
        a, b = float(lo), float(hi)
        if isinstance(e, sp.Sum):
            top = int(b) if math.isfinite(b) else int(a) + TERMS
            return sp.Float(math.fsum(body(k) for k in range(int(a), top + 1)))
        return sp.Float(integrate.quad(body, a, b, limit=200, epsabs=1e-13, epsrel=1e-11)[0])

    expr = expr.replace(lambda e: isinstance(e, (sp.Integral, sp.Sum)), quad)
    value = complex(sp.N(expr))
    if value.imag != 0:
        raise ValueError("complex value")
    return value.real


def close(a: float, b: float) -> bool:
    return math.isfinite(a) and math.isfinite(b) and abs(a - b) <= RELATIVE * max(1.0, abs(b))


def numeric_equal(
    points: Sequence[Mapping[Any, Any]], symbolic: Callable[[Any, Any], bool] | None = None
) -> Callable[[Any, Any], bool]:
    """A checker: both lines have the same numeric value at each of ``points`` (quadrature or
    sums for expectations), and, if given, ``symbolic`` also holds. A numeric failure of the
    evaluation itself (overflow, a complex value) fails the check."""

    def check(a: Any, b: Any) -> bool:
        if symbolic is not None and not symbolic(a, b):
            return False
        try:
            return all(close(numeric_value(a, pt), numeric_value(b, pt)) for pt in points)
        except (OverflowError, ValueError, ZeroDivisionError, TypeError):
            return False

    return check


def describe(points: Sequence[Mapping[Any, Any]]) -> str:
    """``μ=0.3, σ=1.2; μ=…`` for a method label."""
    from sympy.printing.pretty.pretty_symbology import pretty_symbol

    return "; ".join(
        ", ".join(f"{pretty_symbol(str(k))}={float(v):g}" for k, v in pt.items()) for pt in points
    )
