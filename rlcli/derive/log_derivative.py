"""The log-derivative (score-function) trick: ∇θ E_{x∼pθ}[f(x)] = E_{x∼pθ}[f(x) ∇θ log pθ(x)].

Seven steps with a generic density pθ and a generic f, each checked by sympy at the
integrand level; then, for a concrete family and f, both sides in closed form; then,
optionally, a Monte Carlo check of the score-function estimator.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp

from rlcli.derive.families import Family
from rlcli.derive.numeric import close, infinite_expectation, not_real_at, quadrature
from rlcli.derive.steps import (
    Check,
    CouldNotCheck,
    Derivation,
    Expect,
    GaveUp,
    Step,
    is_zero,
    param_function,
    product,
    ratio,
    tidy,
    verify,
)
from rlcli.errors import FieldError

IDENTITY_LATEX = (
    r"\nabla_\theta \mathbb{E}_{x \sim p_\theta}[f(x)]"
    r" = \mathbb{E}_{x \sim p_\theta}[f(x) \nabla_\theta \log p_\theta(x)]"
)
IDENTITY_TEXT = "∇θ E_{x∼pθ}[f(x)] = E_{x∼pθ}[f(x) ∇θ log pθ(x)]"


def generic_steps(discrete: bool) -> list[Step]:
    """The textbook chain for a generic pθ and f (a sum instead of an integral if ``discrete``)."""
    x = sp.Symbol("x", integer=True) if discrete else sp.Symbol("x", real=True)
    theta = sp.Symbol("theta", real=True)
    p = param_function("p", "p", "p")(x, theta)
    f = sp.Function("f")(x)
    lo, hi = (sp.Integer(0), sp.oo) if discrete else (-sp.oo, sp.oo)
    E = Expect(f, x, p, lo, hi, discrete, r"p_{\theta}", "p_θ")

    def over_x(body: Any) -> Any:
        return sp.Sum(body, (x, lo, hi)) if discrete else sp.Integral(body, (x, lo, hi))

    grad = lambda e: sp.Derivative(e, theta)  # noqa: E731
    word = "sum" if discrete else "integral"
    return [
        Step(grad(E), "left-hand side", start=True),
        Step(
            grad(over_x(product(p, f))),
            f"expectation as {'an' if word == 'integral' else 'a'} {word}",
        ),
        Step(
            over_x(grad(product(p, f))),
            f"move ∇θ inside the {word} (Leibniz rule; needs p smooth in θ, dominated)",
        ),
        Step(
            over_x(sp.Add(product(f, grad(p)), product(p, grad(f)), evaluate=False)), "product rule"
        ),
        Step(over_x(product(f, grad(p))), "f does not depend on θ, so ∇θ f = 0"),
        Step(over_x(product(p, ratio(grad(p), p), f)), "multiply and divide by pθ(x) (where > 0)"),
        Step(over_x(product(p, f, grad(sp.log(p)))), "∇θ p / p = ∇θ log p (chain rule)"),
        Step(E.with_integrand(product(f, grad(sp.log(p)))), "back to an expectation"),
    ]


def family_equal(fam: Family) -> Any:
    """A checker: evaluate every expectation under ``fam`` in closed form, then compare."""

    def evaluate(expr: Any) -> Any:
        def closed(e: Expect) -> Any:
            value = fam.expect(e.integrand)
            if value is None:
                raise _NoClosedForm
            return value

        return expr.replace(lambda e: isinstance(e, Expect), closed).doit()

    def check(a: Any, b: Any) -> bool:
        try:
            return is_zero(evaluate(a) - evaluate(b))
        except _NoClosedForm:  # not computed in time: neither proved nor refuted
            raise GaveUp from None

    return check


class QuadratureCheck:
    """A checker independent of the closed form: E[f] by numeric quadrature (or summation)
    of f·pθ at three values of θ, compared with ``mean`` there (relative error < 1e-6), on
    top of the symbolic comparison of the two lines. If sympy runs out of time on the
    symbolic side, the numeric comparison decides alone and ``symbolic_gave_up`` says so."""

    def __init__(self, fam: Family, f: Any, mean: Any) -> None:
        self.fam, self.f, self.mean = fam, f, mean
        self.symbolic = family_equal(fam)
        self.symbolic_gave_up = False

    def __call__(self, a: Any, b: Any) -> bool:
        # symbolic: the two lines match once E[·] is evaluated (catches a wrong line);
        # numeric: that evaluation itself is right (catches a wrong moment table)
        try:
            if not self.symbolic(a, b):
                return False
        except GaveUp:
            self.symbolic_gave_up = True
        matches = matches_quadrature(self.fam, self.f, self.mean)
        if matches is None:
            raise CouldNotCheck("E[f] or its quadrature is beyond float range at these values")
        return matches


def quadrature_equal(fam: Family, f: Any, mean: Any) -> QuadratureCheck:
    return QuadratureCheck(fam, f, mean)


def matches_quadrature(fam: Family, f: Any, mean: Any) -> bool | None:
    """``mean`` equals E[f] by quadrature (scipy; mpmath where floats overflow) or by
    summation at θ, 0.7θ and 1.3θ (other parameters at their defaults); ``None`` if the
    values are beyond float range, so neither agreement nor disagreement can be seen."""
    key = ("quadrature", f, mean)
    if key not in fam.cache:
        fam.cache[key] = _matches_quadrature(fam, f, mean)
    return fam.cache[key]


def _matches_quadrature(fam: Family, f: Any, mean: Any) -> bool | None:
    base = {s: float(v) for s, v in fam.values.items()}
    for scale in (1.0, 0.7, 1.3):
        point = {**base, fam.theta: base[fam.theta] * scale}
        try:
            numeric, exact = _quadrature(fam, f, point), complex(sp.N(mean.subs(point)))
        except (OverflowError, ValueError, ZeroDivisionError, TypeError):
            return None  # no independent value: could not check
        if not (math.isfinite(numeric) and math.isfinite(abs(exact))):
            return None
        if abs(exact.imag) > 1e-9 * max(1.0, abs(exact)) or not close(exact.real, numeric):
            return False
    return True


def _quadrature(fam: Family, f: Any, point: dict[Any, float]) -> float:
    body_expr = (f * fam.density).subs(point)
    lo, hi = float(fam.lo.subs(point)), float(fam.hi.subs(point))
    if fam.discrete:  # terms beyond 150 are negligible for the bundled families
        body = sp.lambdify(fam.x, body_expr, "math")
        return math.fsum(body(k) for k in range(int(lo), int(min(hi, lo + 150)) + 1))
    return quadrature(body_expr, fam.x, lo, hi)


class _NoClosedForm(Exception):
    pass


def family_steps(
    fam: Family, f: Any, values: dict[Any, float]
) -> tuple[list[Step], list[str], Any]:
    """Both sides in closed form for ``fam`` and ``f``; notes say where sympy gave up and
    where E[f] is infinite (numeric tail test at ``values``). Also returns the closed form
    of E[f] shown (``None`` if none, ``sp.oo`` if infinite)."""
    theta = fam.theta
    lhs = sp.Derivative(fam.expectation(f), theta)
    title = f"left-hand side for {fam.label_text}, f = {f}"
    at = ", ".join(f"{k}={v:g}" for k, v in values.items())
    where = not_real_at(f, fam.x, fam.lo, fam.hi, fam.discrete)
    if where is not None:
        raise FieldError("f", f"not real at x = {float(where):g}, inside the support", str(f))
    why = infinite_expectation(fam.density.subs(values), f, fam.x, fam.lo, fam.hi, fam.discrete)
    if why:
        reason = f"{title}: E[|f|] is infinite at {at}, so there is no gradient to derive ({why})"
        note = f"E[{f}] is infinite at {at}: {why}"
        return [Step(lhs, reason, start=True, method="infinite")], [note], sp.oo
    mean = fam.expect(f)
    if mean is not None and fam.by_integrate(f) and matches_quadrature(fam, f, mean) is False:
        # integrate() drops validity conditions: its form can be wrong at these values
        note = (
            f"sympy's integrate gave a form of E[{f}] that does not match numeric quadrature "
            "at these parameter values: not shown (not a failure)"
        )
        reason = f"{title}: no valid closed form (gave up)"
        return [Step(lhs, reason, start=True, method="gave up")], [note], None
    if mean is None:
        reason = f"{title}: no closed form for E[f] within the time limit (gave up)"
        note = f"sympy found no closed form for E[{f}] within the time limit (not a failure)"
        return [Step(lhs, reason, start=True, method="gave up")], [note], None
    grad = tidy(sp.diff(mean, theta))
    steps = [
        Step(lhs, title, start=True),
        Step(
            sp.Derivative(mean, theta),
            "the expectation in closed form",
            check=quadrature_equal(fam, f, mean),
            method="closed form, and numeric quadrature at 3 parameter values",
        ),
        Step(grad, "differentiate"),
        Step(
            fam.expectation(product(f, sp.Derivative(sp.log(fam.density), theta))),
            "log-derivative trick",
            check=quadrature_equal(fam, f * fam.score(), grad),
            method="closed form, and numeric quadrature at 3 parameter values",
        ),
        Step(
            fam.expectation(product(f, fam.score())),
            "substitute the score ∇θ log pθ(x) of the family",
        ),
    ]
    return steps, [], mean


def monte_carlo(
    fam: Family, f: Any, values: dict[Any, float], samples: int, seed: int, mean: Any
) -> Check:
    """Score-function estimate of ∇θ E[f] from ``samples`` draws vs the exact gradient (from
    the closed form ``mean``; without one, a central difference of quadratures)."""
    if fam.sampler is None:
        return Check("Monte Carlo", False, "no sampler for this family (user density)")
    rng = np.random.default_rng(seed)
    xs = fam.sampler(rng, {str(k): v for k, v in values.items()}, samples)
    g = sp.lambdify(fam.x, (f * fam.score()).subs(values), "numpy")
    terms = np.broadcast_to(np.asarray(g(xs), dtype=float), xs.shape)
    est, se = float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(samples))
    if mean is not None:
        exact, what = float(sp.diff(mean, fam.theta).subs(values)), "exact"
    else:  # ∇θ E[f] ≈ (E_{θ+h}[f] − E_{θ−h}[f]) / 2h, each E by quadrature
        h = 1e-4 * max(1.0, abs(values[fam.theta]))
        up, down = ({**values, fam.theta: values[fam.theta] + d} for d in (h, -h))
        exact = (_quadrature(fam, f, up) - _quadrature(fam, f, down)) / (2 * h)
        what = "numeric (central difference of quadratures; no closed form)"
    z = abs(est - exact) / se if se > 0 else (0.0 if est == exact else float("inf"))
    at = ", ".join(f"{k}={v:g}" for k, v in values.items())
    return Check(
        "Monte Carlo score-function estimate",
        z <= 4,
        f"{samples} samples (seed {seed}) at {at}: {est:.6g} ± {se:.2g} (1 SE) vs {what} "
        f"{exact:.6g}; |error| = {z:.2f} SE (pass if ≤ 4)",
        {"estimate": est, "standard_error": se, "exact": exact, "z": z, "samples": samples},
    )


def derive(
    fam: Family | None = None,
    f: Any = None,
    samples: int = 0,
    seed: int = 0,
    at: dict[str, float] | None = None,
) -> Derivation:
    """The whole derivation; with ``fam`` the closed-form chain, with ``samples`` an MC check."""
    steps = generic_steps(discrete=bool(fam and fam.discrete))
    notes: list[str] = []
    checks: list[Check] = []
    if fam is not None:
        values = fam.numeric(at or {})
        fsteps, fnotes, mean = family_steps(fam, f, values)
        steps += fsteps
        notes += fam.notes + fnotes
        if samples and mean == sp.oo:
            notes.append("Monte Carlo check skipped: the expectation is infinite")
        elif samples:
            checks.append(monte_carlo(fam, f, values, samples, seed, mean))
    derivation = verify(
        Derivation("log-derivative", IDENTITY_LATEX, IDENTITY_TEXT, steps, checks, notes)
    )
    for step in derivation.steps:  # say which ✓ rest on the numeric comparison alone
        if isinstance(step.check, QuadratureCheck) and step.check.symbolic_gave_up:
            step.method = "numeric quadrature at 3 parameter values only (sympy gave up)"
    return derivation
