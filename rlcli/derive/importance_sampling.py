"""Importance sampling: E_{x∼p}[f(x)] = E_{x∼q}[(p(x)/q(x)) f(x)] when q > 0 wherever p·f ≠ 0.

The identity in three checked steps, the estimator's variance E_q[w²f²] − (E_p f)², and
for user-given p, q (``normal(μ,σ)``, ``exponential(λ)``) and polynomial f: closed forms
(saying when the variance is infinite), the effective sample size, and ordinary vs
weighted (self-normalised) Monte Carlo estimates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from rlcli.derive.numeric import close, infinite_expectation, numeric_equal, numeric_value
from rlcli.derive.parse import parse_call, parse_expr
from rlcli.derive.steps import (
    Check,
    Derivation,
    Expect,
    Step,
    is_zero,
    product,
    ratio,
    tidy,
    verify,
)
from rlcli.errors import FieldError

IDENTITY_LATEX = (
    r"\mathbb{E}_{x \sim p}[f(x)] = \mathbb{E}_{x \sim q}\left[\frac{p(x)}{q(x)} f(x)\right]"
    r"\quad (q > 0 \text{ wherever } p f \neq 0)"
)
IDENTITY_TEXT = "E_{x∼p}[f(x)] = E_{x∼q}[(p(x)/q(x)) f(x)]  (q > 0 wherever p·f ≠ 0)"

X = sp.Symbol("x", real=True)
DEFAULT_P, DEFAULT_Q, DEFAULT_F = "normal(0,1)", "normal(1,2)", "x"


@dataclass
class Dist:
    """A fully specified density on [lo, hi] with numeric parameters."""

    spec: str
    density: Any
    lo: Any
    hi: Any
    params: tuple[float, ...]
    kind: str

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.kind == "normal":
            return rng.normal(self.params[0], self.params[1], n)
        return rng.exponential(1 / self.params[0], n)

    def pdf(self, xs: np.ndarray) -> np.ndarray:
        if self.kind == "normal":
            mu, sigma = self.params
            return np.exp(-((xs - mu) ** 2) / (2 * sigma**2)) / (np.sqrt(2 * np.pi) * sigma)
        lam = self.params[0]
        return np.where(xs >= 0, lam * np.exp(-lam * np.maximum(xs, 0)), 0.0)


def parse_dist(text: str, what: str) -> Dist:
    """``normal(MU, SIGMA)`` or ``exponential(RATE)`` with numeric arguments."""
    name, args = parse_call(text, what)
    if name in ("normal", "gaussian") and len(args) == 2:
        mu, sigma = args
        if not sigma > 0:
            raise FieldError(what, "sigma must be > 0", repr(text))
        dens = sp.exp(-((X - mu) ** 2) / (2 * sigma**2)) / (sp.sqrt(2 * sp.pi) * sigma)
        return Dist(text, dens, -sp.oo, sp.oo, (float(mu), float(sigma)), "normal")
    if name == "exponential" and len(args) == 1:
        (lam,) = args
        if not lam > 0:
            raise FieldError(what, "the rate must be > 0", repr(text))
        return Dist(
            text, lam * sp.exp(-lam * X), sp.Integer(0), sp.oo, (float(lam),), "exponential"
        )
    raise FieldError(what, "expected normal(MU, SIGMA) or exponential(RATE)", repr(text))


def integral_exp_poly(g: Any, log_h: Any, lo: Any, hi: Any) -> Any:
    """∫_lo^hi g(x) e^{log_h(x)} dx for polynomial g and log_h of degree ≤ 2; ``oo`` if it diverges.

    Limits ℝ or [lo, ∞). With log_h = a x² + b x + c, a < 0: √(π/−a) e^{c − b²/4a} times
    E_{N(m,s²)}[g] on ℝ, or times the truncated moments ∫_lo^∞ xⁿ φ_{m,s} on [lo, ∞)
    (m = −b/2a, s² = −1/2a). On [lo, ∞) with a = 0, b < 0: factorial moments. Never
    ``integrate``, so the result does not depend on a time limit. The factor e^{…} is kept
    out of :func:`tidy`: factoring e^{3515625/103} alone takes seconds.
    """
    g = sp.expand(g)
    if g == 0:
        return sp.Integer(0)
    coeffs = sp.Poly(sp.expand(log_h), X).all_coeffs()
    a, b, c = ([sp.Integer(0)] * (3 - len(coeffs)) + coeffs)[-3:]
    grows_up = a > 0 or (a == 0 and b >= 0)
    grows_down = a > 0 or (a == 0 and b <= 0)
    if (hi == sp.oo and grows_up) or (lo == -sp.oo and grows_down):
        return sp.oo
    if lo == -sp.oo and hi == sp.oo:
        m, s = -b / (2 * a), sp.sqrt(-1 / (2 * a))
        # E_{N(m,s²)}[x^n] = Σ_{k even} C(n,k) m^{n-k} s^k (k-1)!!
        moments = {
            n: sum(
                sp.binomial(n, k) * m ** (n - k) * s**k * sp.factorial2(k - 1)
                for k in range(0, n + 1, 2)
            )
            for n in range(sp.Poly(g, X).degree() + 1)
        }
        mean = sum(coef * moments[n] for (n,), coef in sp.Poly(g, X).terms())
        return tidy(sp.sqrt(sp.pi / -a) * mean) * sp.exp(c - b**2 / (4 * a))
    if a == 0 and lo.is_finite and hi == sp.oo:
        # x = lo + u: ∫_0^∞ uⁿ e^{b u} du = n!/(−b)^{n+1} for b < 0
        shifted = sp.Poly(sp.expand(g.subs(X, X + lo)), X)
        total = sum(c * sp.factorial(n) / (-b) ** (n + 1) for (n,), c in shifted.terms())
        return tidy(total) * sp.exp(b * lo + c)
    if not (lo.is_finite and hi == sp.oo):
        raise ValueError(f"integral_exp_poly: limits ({lo}, {hi}) are not ℝ or [lo, ∞)")
    m, s = -b / (2 * a), sp.sqrt(-1 / (2 * a))
    moments = _truncated_moments(m, s, lo, sp.Poly(g, X).degree())
    mean = sum(coef * moments[n] for (n,), coef in sp.Poly(g, X).terms())
    return tidy(sp.sqrt(sp.pi / -a) * mean) * sp.exp(c - b**2 / (4 * a))


def _truncated_moments(m: Any, s: Any, lo: Any, top: int) -> list[Any]:
    """I_n = ∫_lo^∞ xⁿ φ_{m,s}(x) dx for n ≤ top (φ the N(m, s²) density), by parts:
    I_0 = erfc((lo − m)/(s√2))/2, I_n = m I_{n−1} + (n−1) s² I_{n−2} + s² loⁿ⁻¹ φ(lo)."""
    phi_lo = sp.exp(-((lo - m) ** 2) / (2 * s**2)) / (s * sp.sqrt(2 * sp.pi))
    moments = [sp.erfc((lo - m) / (s * sp.sqrt(2))) / 2]
    for n in range(1, top + 1):
        earlier = (n - 1) * s**2 * moments[n - 2] if n >= 2 else 0
        moments.append(sp.expand(m * moments[n - 1] + earlier + s**2 * lo ** (n - 1) * phi_lo))
    return moments


def _log(density: Any) -> Any:
    return sp.expand(sp.expand_log(sp.log(density)))


def generic_steps() -> list[Step]:
    """The identity and the variance formula for generic p, q, f (sympy, integrand level)."""
    x = sp.Symbol("x", real=True)
    p, q, f = (sp.Function(n)(x) for n in ("p", "q", "f"))
    Ep = lambda g: Expect(g, x, p, -sp.oo, sp.oo, False, "p", "p")  # noqa: E731
    Eq = lambda g: Expect(g, x, q, -sp.oo, sp.oo, False, "q", "q")  # noqa: E731
    over = lambda g: sp.Integral(g, (x, -sp.oo, sp.oo))  # noqa: E731
    w = ratio(p, q)
    return [
        Step(Ep(f), "left-hand side", start=True),
        Step(over(product(p, f)), "expectation as an integral"),
        Step(over(product(q, w, f)), "multiply and divide by q(x): needs q > 0 wherever p·f ≠ 0"),
        Step(Eq(product(w, f)), "an expectation under q of the weighted f, w = p/q"),
        Step(
            Eq(product(w, w, f, f)) - Eq(product(w, f)) ** 2,
            "variance of one weighted sample: Var_q[w f] = E_q[w² f²] − E_q[w f]²",
            start=True,
        ),
        Step(over(p**2 * f**2 / q) - Ep(f) ** 2, "E_q[w² f²] = ∫ p² f² / q and E_q[w f] = E_p[f]"),
    ]


def check_reach(dist: Dist, what: str) -> None:
    """Refuse a distribution whose scale numeric quadrature cannot resolve (exit 2)."""
    if why := _beyond_reach(_log(dist.density)):
        raise FieldError(
            what,
            f"too extreme for the numeric cross-check of the closed forms ({why}); rescale x",
            repr(dist.spec),
        )


def derive(
    p_text: str | None, q_text: str | None, f_text: str | None, samples: int = 0, seed: int = 0
) -> Derivation:
    steps = generic_steps()
    checks: list[Check] = []
    notes: list[str] = []
    # no option given means the documented defaults, exactly as if they were typed
    p = parse_dist(DEFAULT_P if p_text is None else p_text, "p")
    q = parse_dist(DEFAULT_Q if q_text is None else q_text, "q")
    f = parse_expr(DEFAULT_F if f_text is None else f_text, {"x": X}, "f")
    if not sp.expand(f).is_polynomial(X):
        raise FieldError("f", "only polynomials in x have closed forms here", repr(f_text))
    check_reach(p, "p")
    check_reach(q, "q")
    s2, c2, n2 = _concrete(p, q, f, checks, notes)
    steps += s2
    if samples:
        checks.append(_monte_carlo(p, q, f, c2, n2, samples, seed))
    return verify(
        Derivation("importance-sampling", IDENTITY_LATEX, IDENTITY_TEXT, steps, checks, notes)
    )


def _concrete(
    p: Dist, q: Dist, f: Any, checks: list[Check], notes: list[str]
) -> tuple[list[Step], Any, Any]:
    """Closed forms for concrete p, q, f: E_p f, E_q[w f], E_q[w² f²], variance, ESS."""
    log_p, log_q = _log(p.density), _log(q.density)
    exact = integral_exp_poly(f, log_p, p.lo, p.hi)
    # the support condition: q > 0 on the whole support of p, or f ≡ 0 (then p·f ≡ 0)
    covered = (bool(q.lo <= p.lo) and bool(q.hi >= p.hi)) or sp.expand(f) == 0
    via_q = integral_exp_poly(f, log_p, max(p.lo, q.lo, key=_key), min(p.hi, q.hi, key=_key))
    checks.append(
        Check(
            "support condition q > 0 wherever p·f ≠ 0",
            covered,
            "holds: q is positive on the whole support of p"
            if covered
            else f"fails: q = 0 on part of p's support, so E_q[w f] = {via_q} ≠ E_p[f] = {exact}",
        )
    )
    # where p > 0 and q > 0: outside it the integrands below are zero
    lo, hi = max(p.lo, q.lo, key=_key), min(p.hi, q.hi, key=_key)
    weight = sp.exp(sp.expand(_log(p.density) - _log(q.density)))  # w = p/q
    Ep = Expect(f, X, p.density, p.lo, p.hi, False, p.spec, p.spec)
    Eq = Expect(product(weight, f), X, q.density, lo, hi, False, q.spec, q.spec)
    # the closed forms share integral_exp_poly: numeric quadrature checks them independently
    closed = numeric_equal([{}], _closed)
    method = "closed form; numeric quadrature check"
    steps = [
        Step(Ep, f"E_p[f] for p = {p.spec}, f = {f}", start=True),
        Step(exact, "closed form (Gaussian/exponential moments)", check=closed, method=method),
        Step(Eq, "importance sampling from q, weight w = p/q", check=closed, method=method),
    ]
    if not covered:
        notes.append("the support condition fails, so the estimator is biased; variance skipped")
        return steps, via_q, sp.nan
    second = integral_exp_poly(sp.expand(f**2), 2 * log_p - log_q, lo, hi)
    w2 = integral_exp_poly(sp.Integer(1), 2 * log_p - log_q, lo, hi)
    if second == sp.oo:
        variance = sp.oo
        # independent of the exponent rule: a numeric tail test on p² f² / q
        tail = infinite_expectation(
            sp.exp(2 * log_p - log_q), f**2, X, lo, hi, False, "p(t)²f(t)²/q(t)"
        )
        checks.append(
            Check(
                "estimator variance",
                bool(tail),
                "INFINITE: E_q[w² f²] = ∫ p² f² / q dx diverges "
                + _why_infinite(p, q)
                + f"; confirmed: {tail or 'NOT confirmed by the numeric tail test'}"
                + "; the ordinary IS estimator has no finite variance (no CLT error bars)",
                {"variance": "inf", "ess_per_sample": 0},
            )
        )
    else:
        variance = sp.expand(second - exact**2)
        ess = 1 / w2
        detail = (
            f"Var_q[w f] = E_q[w² f²] − (E_p f)² = {second} − ({exact})² = {variance} "
            f"≈ {float(variance):.6g}; E_q[w²] = {w2} ≈ {float(w2):.6g}, so the effective "
            f"sample size is N/E_q[w²] ≈ {float(ess):.4g}·N"
        )
        checks.append(
            Check(
                "estimator variance",
                *_check_second_moments(second, w2, 2 * log_p - log_q, f, lo, hi, detail),
                {"variance": float(variance), "ess_per_sample": float(ess)},
            )
        )
    return steps, exact, variance


REACH = 1e3  # numeric.quadrature resolves e^{ax²+bx} (a < 0) with |m| ≤ REACH, width s in
# [max(1, |m|)/REACH, REACH] (measured: it misses narrower or farther peaks, e.g. m = 100, s = 0.01)


def _beyond_reach(log_h: Any) -> str:
    """Why quadrature may not resolve ∫ poly·e^{log_h} (log_h quadratic in x), or ``""``."""
    coeffs = sp.Poly(sp.expand(log_h), X).all_coeffs()
    a, b = ([sp.Integer(0)] * (3 - len(coeffs)) + coeffs)[-3:-1]
    if a < 0:
        m, s = float(-b / (2 * a)), float(sp.sqrt(-1 / (2 * a)))
        if abs(m) <= REACH and max(1.0, abs(m)) / REACH <= s <= REACH:
            return ""
        return (
            f"its mass sits at x ≈ {m:.3g} with width {s:.3g}; quadrature is trusted for "
            f"|centre| ≤ {REACH:g} and max(1, |centre|)/{REACH:g} ≤ width ≤ {REACH:g}"
        )
    if not (a == 0 and b < 0):
        return "it does not decay"
    if 1 / REACH <= float(-1 / b) <= REACH:
        return ""
    return f"its decay length {float(-1 / b):.3g} is outside [{1 / REACH:g}, {REACH:g}]"


def _check_second_moments(
    second: Any, w2: Any, log_h: Any, f: Any, lo: Any, hi: Any, detail: str
) -> tuple[bool | None, str]:
    """E_q[w² f²] and E_q[w²] by quadrature (independent of the closed forms); an infinite
    E_q[w²] (possible when f ≡ 0) by the numeric tail test; ``None`` where quadrature cannot
    resolve the integrand (ok, detail)."""
    why = _beyond_reach(log_h) if w2 != sp.oo else ""
    big = [v for v in (second, w2) if v != sp.oo and not abs(float(v)) < 1e300]
    if why or big:
        why = why or "the values overflow floating point"
        return None, f"{detail}; not checked numerically: p²f²/q: {why}"
    numeric = numeric_value(sp.Integral(f**2 * sp.exp(log_h), (X, lo, hi)), {})
    ok = close(float(second), numeric)
    detail += f"; numeric quadrature gives E_q[w² f²] ≈ {numeric:.10g}"
    if w2 == sp.oo:
        tail = infinite_expectation(sp.exp(log_h), sp.Integer(1), X, lo, hi, False, "p(t)²/q(t)")
        return ok and bool(tail), (
            f"{detail}; E_q[w²] = ∞ confirmed: {tail or 'NOT confirmed by the numeric tail test'}"
        )
    numeric_w2 = numeric_value(sp.Integral(sp.exp(log_h), (X, lo, hi)), {})
    return ok and close(float(w2), numeric_w2), f"{detail}, E_q[w²] ≈ {numeric_w2:.10g}"


def _key(v: Any) -> float:
    return float(v) if v.is_finite else (float("inf") if v > 0 else float("-inf"))


def _why_infinite(p: Dist, q: Dist) -> str:
    if p.kind == q.kind == "normal":
        sp_, sq = p.params[1], q.params[1]
        return (
            f"(Gaussian p and q: finite only if σ_q² > σ_p²/2; here σ_q² = {sq**2:g} ≤ "
            f"σ_p²/2 = {sp_**2 / 2:g})"
        )
    if p.kind == q.kind == "exponential":
        return f"(exponential p, q: finite only if λ_q < 2λ_p; here λ_q = {q.params[0]:g})"
    return "(p²/q does not decay at infinity)"


def _closed(a: Any, b: Any) -> bool:
    """Compare after evaluating expectations exactly with :func:`integral_exp_poly`."""

    def value(e: Any) -> Any:
        if isinstance(e, Expect):
            g, x, dens, lo, hi = e.args[:5]
            factors = sp.Mul.make_args(dens * g)
            # split the integrand into polynomial · exp(quadratic)
            poly_part = sp.Mul(*[t for t in factors if t.is_polynomial(x)])
            rest = sp.Add(*[_log(t) for t in factors if not t.is_polynomial(x)])
            return integral_exp_poly(poly_part, rest, lo, hi)
        return e

    va, vb = value(a), value(b)
    return is_zero(va - vb)


def _monte_carlo(p: Dist, q: Dist, f: Any, exact: Any, variance: Any, n: int, seed: int) -> Check:
    """Ordinary and weighted (self-normalised) IS estimates from n draws of q."""
    rng = np.random.default_rng(seed)
    xs = q.sample(rng, n)
    w = p.pdf(xs) / q.pdf(xs)
    fx = np.broadcast_to(np.asarray(sp.lambdify(X, f, "numpy")(xs), dtype=float), xs.shape)
    ordinary = float(np.mean(w * fx))
    se = float(np.std(w * fx, ddof=1) / np.sqrt(n))
    weighted = float(np.sum(w * fx) / np.sum(w))
    se_w = float(np.sqrt(np.sum(w**2 * (fx - weighted) ** 2)) / np.sum(w))
    ess = float(np.sum(w) ** 2 / np.sum(w**2))
    truth = float(exact)
    z = abs(ordinary - truth) / se if se > 0 else float("inf")
    finite = variance not in (sp.oo, sp.nan)
    detail = (
        f"{n} draws from q (seed {seed}): ordinary {ordinary:.6g} ± {se:.2g}, weighted "
        f"{weighted:.6g} ± {se_w:.2g} (delta-method SE), exact {truth:.6g}; sample ESS "
        f"{ess:.1f} of {n}"
    )
    if finite:
        detail += f"; ordinary error = {z:.2f} SE (pass if ≤ 4)"
    elif variance == sp.nan:
        detail += (
            "; the support condition fails, so both estimators are biased (shown, no pass/fail)"
        )
    else:
        detail += (
            "; variance is infinite, so the SE is not a reliable error bar (shown, no pass/fail)"
        )
    return Check(
        "Monte Carlo: ordinary vs weighted IS",
        z <= 4 if finite else None,
        detail,
        {
            "ordinary": ordinary,
            "ordinary_se": se,
            "weighted": weighted,
            "weighted_se": se_w,
            "exact": truth,
            "ess": ess,
            "samples": n,
        },
    )
