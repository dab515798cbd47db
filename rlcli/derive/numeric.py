"""Numeric cross-checks of closed forms: expectations by quadrature or direct sums, and a
numeric test for infinite expectations.

A closed-form step is only trusted when a computation that does not share its code agrees:
:func:`numeric_value` evaluates an expression holding ``E[·]``, ``∫`` or ``Σ`` at numeric
parameter values by :func:`quadrature` (mpmath's tanh-sinh rule, scipy's ``quad`` as a
fallback) or by summing terms, independently of the moment tables and of ``integrate``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from typing import Any

import sympy as sp

from rlcli.derive.steps import CouldNotCheck, Expect, canonical

TERMS = 400  # terms summed for an infinite discrete support (ample for the bundled families)
RELATIVE = 1e-6  # agreement required between a closed form and its numeric value
ABSOLUTE = 1e-12  # … where both are 0 (quadrature of an odd moment gives ~1e-17)
MAX_EXP_ARGUMENT = 1e300  # mpmath's exp(z) beyond: e^{e^{1000}} would need ln 2 to 10^434 digits


def _mp_exp(z: Any) -> Any:
    """mpmath's ``exp`` that gives up where it would run for minutes: ``e^z`` for a real
    ``z > 10^300`` is +∞ (for every purpose here), for ``z < −10^300`` it is 0."""
    import mpmath

    if mpmath.im(z) == 0 and abs(z) > MAX_EXP_ARGUMENT:
        return mpmath.inf if z > 0 else mpmath.mpf(0)
    return mpmath.exp(z)


def _mp_periodic(name: str) -> Callable[[Any], Any]:
    """mpmath's ``sin``/``cos`` that give 0, their mean over a period, for a real argument
    beyond 10^300: reducing it mod π would need π to 10^300 digits, and there the function
    oscillates faster than any quadrature or tail test resolves (Riemann–Lebesgue)."""
    import mpmath

    func = getattr(mpmath, name)

    def periodic(z: Any) -> Any:
        if mpmath.im(z) == 0 and abs(z) > MAX_EXP_ARGUMENT:
            return mpmath.mpf(0)
        return func(z)

    return periodic


def _mp_tan(z: Any) -> Any:
    import mpmath

    if mpmath.im(z) == 0 and abs(z) > MAX_EXP_ARGUMENT:
        raise OverflowError("tan of a number above 1e300 (unbounded, not computable)")
    return mpmath.tan(z)


def mp_lambdify(x: Any, expr: Any) -> Callable[[Any], Any]:
    """``expr`` as a function of ``x`` in mpmath (no float overflow), with exp, sin, cos and
    tan that give up on arguments beyond 10^300 rather than run for minutes."""
    safe = {"exp": _mp_exp, "sin": _mp_periodic("sin"), "cos": _mp_periodic("cos"), "tan": _mp_tan}
    return sp.lambdify(x, expr, [safe, "mpmath"])


def numeric_value(expr: Any, point: Mapping[Any, Any]) -> float:
    """``expr`` at ``point`` with every integral by quadrature and every sum added up."""
    expr = canonical(expr.replace(lambda e: isinstance(e, Expect), lambda e: e.unfold()))
    expr = expr.subs(point)

    def quad(e: Any) -> Any:
        (x, lo, hi) = e.limits[0]
        body = sp.lambdify(x, e.function, "math")
        a, b = float(lo), float(hi)
        if isinstance(e, sp.Sum):
            top = int(b) if math.isfinite(b) else int(a) + TERMS
            return sp.Float(math.fsum(body(k) for k in range(int(a), top + 1)))
        return sp.Float(quadrature(e.function, x, a, b))

    expr = expr.replace(lambda e: isinstance(e, (sp.Integral, sp.Sum)), quad)
    value = complex(sp.N(expr))
    if value.imag != 0:
        raise ValueError("complex value")
    return value.real


def quadrature(body: Any, x: Any, a: float, b: float) -> float:
    """∫_a^b body dx: mpmath's tanh-sinh rule (already loaded by sympy, no float overflow);
    scipy's adaptive quad where mpmath's own error estimate is not small."""
    import mpmath

    f = mp_lambdify(x, body)
    cuts = sorted({a, b, *_breakpoints(body, x, a, b)} | ({0.0} if a < 0 < b else set()))
    value, error = mpmath.quad(f, cuts, error=True)
    if abs(mpmath.im(value)) == 0 and error <= 1e-10 * max(1.0, abs(value)):
        return float(mpmath.re(value))
    from scipy import integrate

    g = sp.lambdify(x, body, "math")
    return integrate.quad(g, a, b, limit=200, epsabs=1e-13, epsrel=1e-11)[0]


def _breakpoints(body: Any, x: Any, a: float, b: float) -> list[float]:
    """Where |body| peaks and where its bulk begins and ends (above 10⁻⁸ of the peak), on a
    sinh-spaced grid over ±10⁴: breakpoints, so neither a narrow bump far from 0 nor the
    heavy shoulders of x¹⁶e^{−x²/2} are stepped over."""
    import numpy as np

    grid = np.sinh(np.linspace(-10.0, 10.0, 4001))
    grid = grid[(grid > a) & (grid < b)]
    if grid.size == 0:
        return []
    with np.errstate(all="ignore"):
        values = np.abs(np.broadcast_to(sp.lambdify(x, body, "numpy")(grid), grid.shape))
    values = np.nan_to_num(values.astype(float), nan=0.0)
    bulk = np.flatnonzero(values >= 1e-8 * values.max())
    if not len(bulk):
        return []
    return [float(grid[i]) for i in (bulk[0], int(np.argmax(values)), bulk[-1])]


def close(a: float, b: float) -> bool:
    """|a − b| ≤ 10⁻⁶ of the larger size (plus 10⁻¹² for values that are 0): relative, so a
    wrong moment of size 10⁻⁸ is not "close" to the right one (review)."""
    scale = max(abs(a), abs(b))
    return math.isfinite(a) and math.isfinite(b) and abs(a - b) <= RELATIVE * scale + ABSOLUTE


def numeric_equal(
    points: Sequence[Mapping[Any, Any]], symbolic: Callable[[Any, Any], bool] | None = None
) -> Callable[[Any, Any], bool]:
    """A checker: both lines have the same numeric value at each of ``points`` (quadrature or
    sums for expectations), and, if given, ``symbolic`` also holds. Where the evaluation
    itself fails (overflow, a complex value) it raises :class:`CouldNotCheck`: a true
    identity whose values exceed float range is not reported as false."""

    def check(a: Any, b: Any) -> bool:
        if symbolic is not None and not symbolic(a, b):
            return False
        try:
            values = [(numeric_value(a, pt), numeric_value(b, pt)) for pt in points]
        except (OverflowError, ValueError, ZeroDivisionError, TypeError) as exc:
            raise CouldNotCheck(f"the numeric values could not be computed ({exc})") from None
        if not all(math.isfinite(u) and math.isfinite(v) for u, v in values):
            raise CouldNotCheck("the numeric values are beyond float range")
        return all(close(u, v) for u, v in values)

    return check


def describe(points: Sequence[Mapping[Any, Any]]) -> str:
    """``μ=0.3, σ=1.2; μ=…`` for a method label."""
    from sympy.printing.pretty.pretty_symbology import pretty_symbol

    return "; ".join(
        ", ".join(f"{pretty_symbol(str(k))}={float(v):g}" for k, v in pt.items()) for pt in points
    )


def infinite_expectation(
    density: Any, f: Any, x: Any, lo: Any, hi: Any, discrete: bool, label: str = "|f(t)|·p(t)"
) -> str:
    """Why E|f(x)| = ∞ under ``density`` (numeric parameters), or ``""`` if no sign of it.

    A numeric tail test (mpmath, so e^{x²} does not overflow): the expectation diverges when
    t·|f(t)|·p(t) does not decay as t → ±∞, or d·|f|·p does not as x → a pole c (d = |x − c|).
    Real, finite expectations pass; ``""`` is not a proof of finiteness. ``label`` names
    |f|·density in the message.
    """
    import mpmath

    h = mp_lambdify(x, sp.Abs(f) * density)

    def grows(points: list[Any], scale: Any) -> bool:
        try:
            vals = [abs(scale(t)) * abs(h(t)) for t in points]
        except (ZeroDivisionError, ValueError, OverflowError):
            return True  # f(t)·p(t) is infinite at one of the points
        if any(mpmath.isnan(v) or mpmath.isinf(v) for v in vals):
            return True
        return vals[-1] > 1e-12 and all(b >= a * (1 - 1e-9) for a, b in pairwise(vals))

    for side, bound in ((1, hi), (-1, lo)):
        if bound.is_infinite:
            ts = [mpmath.mpf(side * 10**k) for k in (2, 3, 4, 5, 6)]
            if grows(ts, lambda t: t):
                where = "+∞" if side > 0 else "−∞"
                return f"t·{label} does not decay as t → {where} (numeric tail test)"
    if discrete:
        top = int(hi) if hi.is_finite else int(lo) + 50
        for k in range(int(lo), top + 1):
            if f.subs(x, k).has(sp.zoo, sp.oo, -sp.oo, sp.nan):
                return f"f({k}) is infinite"
        return ""
    from rlcli.derive.timelimit import attempt

    poles = attempt(sp.singularities, 0.3, f, x, sp.Interval(lo, hi))
    for c in poles if isinstance(poles, sp.FiniteSet) else []:
        ds = [mpmath.mpf(10) ** -k for k in (3, 5, 7, 9)]
        for sign in (1, -1):
            if grows([c + sign * d for d in ds], lambda t, c=c: t - c):
                return f"|f| is not integrable at its pole x = {c} (numeric test near the pole)"
    return ""


def not_real_at(f: Any, x: Any, lo: Any, hi: Any, discrete: bool) -> Any | None:
    """A point of the support where f is not real (e.g. sqrt(x) at x = −1), else None."""
    import mpmath

    a = float(lo) if lo.is_finite else -1e3
    b = float(hi) if hi.is_finite else 1e3
    if discrete:
        points = [mpmath.mpf(k) for k in range(int(a), int(min(b, a + 50)) + 1)]
    else:
        points = [mpmath.mpf(a + (b - a) * i / 400) for i in range(1, 400)]
    g = mp_lambdify(x, f)
    for t in sorted(points, key=abs):  # report the point nearest 0
        try:
            value = g(t)
        except (ZeroDivisionError, ValueError, OverflowError):
            continue  # a pole or overflow: the divergence test deals with it
        if getattr(value, "imag", 0) != 0:
            return t
    return None
