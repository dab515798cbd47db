"""KL divergence: KL(p‖q) ≥ 0 via u − 1 − log u ≥ 0, closed forms, and the k1/k2/k3 estimators.

With r = q(x)/p(x) and x ∼ p: k1 = −log r, k2 = (log r)²/2, k3 = (r − 1) − log r.
Every expectation under p runs over S = supp p only, so E_p[r] = ∫_S q = Q(S), which is 1
only when q puts no mass outside S. k1 is unbiased for KL(p‖q); E_p[k3] = KL + Q(S) − 1,
so k3 is unbiased when q's support lies inside p's (always for same-support families) and
biased low by 1 − Q(S) otherwise; k3 is ≥ 0 sample by sample (it is h(r) with
h(u) = u − 1 − log u ≥ 0). PPO implementations log k3 as approx-KL; GRPO uses it as its
KL penalty (with p the current policy and q the reference policy).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp

from rlcli.derive import families
from rlcli.derive.families import Family
from rlcli.derive.importance_sampling import (
    Dist,
    X,
    check_reach,
    integral_exp_poly,
    parse_dist,
)
from rlcli.derive.log_derivative import family_equal
from rlcli.derive.numeric import close, describe, numeric_equal, numeric_value
from rlcli.derive.steps import Check, Derivation, Expect, Step, normalized, verify

IDENTITY_LATEX = (
    r"\mathrm{KL}(p \,\|\, q) = \mathbb{E}_{x \sim p}\left[\log \frac{p(x)}{q(x)}\right]"
    r" = \mathbb{E}_{x \sim p}\left[r - 1 - \log r\right] + 1 - Q(S) \geq 0,"
    r" \quad r = \frac{q(x)}{p(x)},\ Q(S) = \int_{S} q\,dx \leq 1,\ S = \operatorname{supp} p"
)
IDENTITY_TEXT = (
    "KL(p‖q) = E_p[log p/q] = E_p[r − 1 − log r] + 1 − Q(S) ≥ 0,  r = q(x)/p(x),  "
    "Q(S) = ∫_S q ≤ 1 over S = supp p (Q(S) = 1 when q's support is inside p's)"
)


def generic_steps() -> list[Step]:
    x = sp.Symbol("x", real=True)
    # densities where p > 0 (log p/q is only defined there): log(p/q) = log p − log q needs it
    p, q = sp.Function("p", positive=True)(x), sp.Function("q", positive=True)(x)
    a, b = sp.Symbol("a"), sp.Symbol("b")  # S = supp p = [a, b]: x ∼ p never leaves it
    E = lambda g: Expect(g, x, p, a, b, False, "p", "p")  # noqa: E731
    over = lambda g: sp.Integral(g, (x, a, b))  # noqa: E731
    u = q / p
    h = u - 1 - sp.log(u)
    return [
        Step(
            E(sp.log(p / q)),
            "definition of KL(p‖q); x ∼ p ranges over S = supp p = [a, b], where p > 0",
            start=True,
        ),
        Step(E(-sp.log(q / p)), "log(p/q) = −log(q/p)"),
        Step(E(h) - E(u - 1), "add and subtract u − 1 with u = q/p"),
        Step(
            E(h) - (over(q) - over(p)),
            "E_p[q/p − 1] = ∫_S q dx − ∫_S p dx: the integrals run over S = supp p only",
        ),
        Step(
            E(h) + 1 - over(q),
            "∫_S p = 1. Q(S) = ∫_S q ≤ 1 and h(u) = u − 1 − log u ≥ 0: both E_p[h] and "
            "1 − Q(S) are ≥ 0, so KL ≥ 0",
            check=normalized(p),
            method="sympy + normalisation of p",
        ),
        Step(E(h), "E_p[k3] with k3 = r − 1 − log r, r = q/p", start=True),
        Step(E(u - 1) + E(-sp.log(u)), "linearity"),
        Step((over(q) - over(p)) + E(sp.log(p / q)), "E_p[r − 1] = ∫_S q − ∫_S p (S = supp p)"),
        Step(
            E(sp.log(p / q)) + over(q) - 1,
            "∫_S p = 1: E_p[k3] = KL(p‖q) + Q(S) − 1. E_p[r] = Q(S) is 1 only when q puts no "
            "mass outside p's support: then k3 is unbiased, otherwise biased by Q(S) − 1 < 0",
            check=normalized(p),
            method="sympy + normalisation of p",
        ),
    ]


def inequality_checks() -> list[Check]:
    """h(u) = u − 1 − log u ≥ 0 on u > 0: h(1) = 0, h'(u) = 0 only at 1, h'' = 1/u² > 0."""
    u = sp.Symbol("u", positive=True)
    h = u - 1 - sp.log(u)
    h1 = sp.diff(h, u)
    h2 = sp.diff(h, u, 2)
    roots = sorted(sp.roots(sp.Poly(sp.numer(sp.together(h1)), u)))  # zeros of h' on u > 0
    ok = h.subs(u, 1) == 0 and roots == [1] and bool(h2.is_positive)
    return [
        Check(
            "u − 1 − log u ≥ 0 for u > 0",
            ok,
            f"h(1) = {h.subs(u, 1)}; h'(u) = {h1} vanishes only at u = {roots}; h''(u) = {h2} > 0 "
            "(sympy, u positive): h is convex with minimum 0 at u = 1. So k3 ≥ 0 per sample and "
            "KL(p‖q) = E_p[h(q/p)] + 1 − Q(supp p) ≥ 0 (Q(supp p) ≤ 1), with equality iff "
            "q = p almost everywhere",
        )
    ]


def gaussian_steps() -> list[Step]:
    fam = families.gaussian()
    x, mu, sigma = fam.x, *fam.params
    mu2, sigma2 = sp.Symbol("mu_2", real=True), sp.Symbol("sigma_2", positive=True)
    q = fam.density.subs({mu: mu2, sigma: sigma2})
    # the moment table (symbolic) and numeric quadrature at two parameter points (independent)
    points = [
        {mu: 0.3, sigma: 1.2, mu2: -0.4, sigma2: 0.8},
        {mu: -1.0, sigma: 0.6, mu2: 0.5, sigma2: 1.5},
    ]
    check = numeric_equal(points, family_equal(fam))
    closed = (
        sp.log(sigma2 / sigma) + (sigma**2 + (mu - mu2) ** 2) / (2 * sigma2**2) - sp.Rational(1, 2)
    )
    log_ratio = (
        sp.log(sigma2 / sigma) - (x - mu) ** 2 / (2 * sigma**2) + (x - mu2) ** 2 / (2 * sigma2**2)
    )
    return [
        Step(fam.expectation(sp.log(fam.density / q)), "KL(N(μ,σ²) ‖ N(μ₂,σ₂²))", start=True),
        Step(fam.expectation(log_ratio), "log of the Gaussian ratio"),
        Step(
            closed,
            "E[(x−μ)²] = σ², E[(x−μ₂)²] = σ² + (μ−μ₂)²",
            check=check,
            method=f"closed form; numeric quadrature at {describe(points)}",
        ),
    ]


def _finite_family(name: str, probs: list[Any], label: str, text: str, dens: Any = None) -> Family:
    x = sp.Symbol("x", integer=True, nonnegative=True)
    if dens is None:
        pieces = [(p, sp.Eq(x, i)) for i, p in enumerate(probs[:-1])]
        dens = sp.Piecewise(*pieces, (probs[-1], True))
    else:
        dens = dens(x)
    last = sp.Integer(len(probs) - 1)
    return Family(name, x, probs[0], dens, sp.Integer(0), last, True, label, text, {}, "x")


def discrete_steps() -> list[Step]:
    a, b = sp.Symbol("a", positive=True), sp.Symbol("b", positive=True)
    bern_p = _finite_family(
        "bernoulli",
        [1 - a, a],
        r"\mathrm{Bernoulli}(a)",
        "Bernoulli(a)",
        lambda x: a**x * (1 - a) ** (1 - x),
    )
    bern_q = bern_p.density.subs(a, b)
    steps = [
        Step(
            bern_p.expectation(sp.log(bern_p.density / bern_q)),
            "KL(Bernoulli(a) ‖ Bernoulli(b))",
            start=True,
        ),
        Step(
            a * sp.log(a / b) + (1 - a) * sp.log((1 - a) / (1 - b)),
            "sum over x ∈ {0, 1}",
            check=family_equal(bern_p),
            method="exact sum over the support",
        ),
    ]
    ps = [sp.Symbol(f"p_{i}", positive=True) for i in range(3)]
    qs = [sp.Symbol(f"q_{i}", positive=True) for i in range(3)]
    cat = _finite_family("categorical", ps, r"\mathrm{Cat}(p)", "Cat(p)")
    cat_q = cat.density.subs(dict(zip(ps, qs, strict=True)))
    steps += [
        Step(
            cat.expectation(sp.log(cat.density / cat_q)),
            "KL(Cat(p) ‖ Cat(q)), 3 categories",
            start=True,
        ),
        Step(
            sum(p * sp.log(p / q) for p, q in zip(ps, qs, strict=True)),
            "sum over categories",
            check=family_equal(cat),
            method="exact sum over the support",
        ),
    ]
    return steps


def mass(d: Dist, lo: Any, hi: Any) -> float:
    """D([lo, hi]) = CDF(hi) − CDF(lo) for d = normal(μ, σ) or exponential(λ) (erfc: no
    cancellation in the upper tail)."""
    a, b = float(lo), float(hi)
    if d.kind == "normal":
        mu, sigma = d.params
        s = sigma * math.sqrt(2)
        return (math.erfc((a - mu) / s) - math.erfc((b - mu) / s)) / 2
    (lam,) = d.params
    a = max(a, 0.0)
    return math.exp(-lam * a) - math.exp(-lam * b) if b > a else 0.0


def outside(p: Dist, q: Dist) -> tuple[Any, Any] | None:
    """An interval of p's support where q = 0 (then KL(p‖q) = ∞), or None."""
    if bool(q.lo > p.lo):
        return p.lo, q.lo
    if bool(q.hi < p.hi):
        return q.hi, p.hi
    return None


def _interval(lo: Any, hi: Any, closed: bool = True) -> str:
    """(−∞, ∞), [0, ∞), (−∞, 0): a printed support (closed) or gap (open)."""
    left = "(−∞" if lo == -sp.oo else f"{'[' if closed else '('}{lo}"
    right = "∞)" if hi == sp.oo else f"{hi}{']' if closed else ')'}"
    return f"{left}, {right}"


def _finite_exp_poly(log_h: Any, lo: Any, hi: Any) -> bool:
    """∫_lo^hi e^{log_h(x)} dx < ∞ for log_h = a x² + b x + c (the tails decide)."""
    coeffs = sp.Poly(sp.expand(log_h), X).all_coeffs()
    a, b = ([sp.Integer(0)] * (3 - len(coeffs)) + coeffs)[-3:-1]
    up = hi != sp.oo or a < 0 or (a == 0 and b < 0)
    down = lo != -sp.oo or a < 0 or (a == 0 and b > 0)
    return bool(up and down)


def estimator_checks(p_text: str, q_text: str, samples: int, seed: int) -> list[Check]:
    """Exact KL, E_p[k2] and E_p[k3] for the given p, q; with ``samples`` a Monte Carlo
    comparison."""
    p, q = parse_dist(p_text, "p"), parse_dist(q_text, "q")
    log_p = sp.expand(sp.expand_log(sp.log(p.density)))
    log_q = sp.expand(sp.expand_log(sp.log(q.density)))
    gap = outside(p, q)
    if gap is not None:
        return [_infinite_check(p, q, gap)]
    log_ratio = sp.expand(log_p - log_q)  # log p/q: a polynomial in x for these families
    kl = integral_exp_poly(log_ratio, log_p, p.lo, p.hi)
    k2 = integral_exp_poly(sp.expand(log_ratio**2 / 2), log_p, p.lo, p.hi)
    q_mass = mass(q, p.lo, p.hi)  # Q(S), S = supp p: E_p[r] (last step of the k3 chain)
    k3_bias = -(mass(q, -sp.oo, p.lo) + mass(q, p.hi, sp.oo))  # Q(S) − 1, no cancellation
    q_inside = bool(q.lo >= p.lo) and bool(q.hi <= p.hi)
    # independent of the closed forms: the same expectations by numeric quadrature
    num_kl, num_k2 = (
        numeric_value(sp.Integral(g * p.density, (X, p.lo, p.hi)), {})
        for g in (log_ratio, log_ratio**2 / 2)
    )
    # Q(S) = 1 when q's support lies in S (q is normalised): the CDF must agree; else quadrature
    num_q = 1.0 if q_inside else numeric_value(sp.Integral(q.density, (X, p.lo, p.hi)), {})
    k2_bias, num_k2_bias = float(k2 - kl), num_k2 - num_kl
    biased = not close(float(k2), float(kl))
    k3_mean = float(kl) + k3_bias
    checks = [
        Check(
            "exact KL(p‖q)",
            close(float(kl), num_kl),
            f"KL({p.spec} ‖ {q.spec}) = {sp.logcombine(sp.expand(kl), force=True)} "
            f"≈ {float(kl):.6g} (numeric quadrature: {num_kl:.10g})",
            {"kl": float(kl)},
        ),
        Check(
            "k2 is biased" if biased else "k2 is unbiased here",
            close(float(k2), num_k2) and biased != close(num_k2, num_kl),
            f"k2's bias E_p[k2] − KL = E_p[(log r)²/2] − KL = {float(k2):.6g} − "
            f"{float(kl):.6g} = {k2_bias:+.3g}"
            + ("" if biased else ": unbiased here")
            + f" (small when p ≈ q; numeric quadrature: {num_k2:.10g} − {num_kl:.10g} = "
            f"{num_k2_bias:+.3g})",
            {"k2_mean": float(k2), "bias": k2_bias},
        ),
        Check(
            "k3 is unbiased here" if q_inside else "k3 is biased",
            close(q_mass, num_q),
            f"k3's bias E_p[k3] − KL = Q(S) − 1, Q(S) = ∫_S q over S = supp p = "
            f"{_interval(p.lo, p.hi)}: Q(S) = {q_mass:.10g} (q's CDF; "
            + (
                f"∫ q = {num_q:.10g} as q's support lies inside S)"
                if q_inside
                else f"numeric quadrature: {num_q:.10g})"
            )
            + (
                ": unbiased here"
                if q_inside
                else f", bias {k3_bias:+.3g}: E_p[k3] = {k3_mean:.6g} vs KL {float(kl):.6g}"
            ),
            {"k3_mean": k3_mean, "q_mass": q_mass, "bias": k3_bias},
        ),
    ]
    if samples:
        k3_finite = _finite_exp_poly(2 * log_q - log_p, p.lo, p.hi)  # E_p[r²] = ∫_S q²/p
        truth = {"k1": float(kl), "k2": float(k2), "k3": k3_mean}
        sigma = _exact_std(p, log_ratio, truth, k3_finite)
        checks += _monte_carlo(p, q, truth, sigma, samples, seed)
    return checks


CHEBYSHEV_K = 1000**0.5  # P(|mean − E k| ≥ k·σ/√N) ≤ 1/k² = 0.001 for any distribution of k


def _exact_std(
    p: Dist, log_ratio: Any, truth: dict[str, float], k3_finite: bool
) -> dict[str, float | str]:
    """The exact standard deviation of k1, k2, k3 under p: √(E_p[k²] − (E_p k)²), E_p[k²] by
    numeric quadrature; where there is none, the reason instead.

    With u = log(p/q): k1 = u, k2 = u²/2, k3 = e^{−u} − 1 + u.
    """
    u = log_ratio
    forms = {"k1": u, "k2": u**2 / 2, "k3": sp.exp(-u) - 1 + u}
    sigma: dict[str, float | str] = {}
    for name, k in forms.items():
        if name == "k3" and not k3_finite:
            sigma[name] = "Var_p[k3] = ∞ (E_p[r²] = ∫_S q²/p diverges), so no error bar exists"
            continue
        try:
            second = numeric_value(sp.Integral(sp.expand(k**2) * p.density, (X, p.lo, p.hi)), {})
        except (OverflowError, ValueError, ZeroDivisionError, TypeError):
            second = math.inf
        variance = second - truth[name] ** 2
        sigma[name] = (
            math.sqrt(max(variance, 0.0))
            if math.isfinite(variance)
            else f"Var_p[{name}] is beyond float range, so the sample cannot test its mean"
        )
    return sigma


def _monte_carlo(
    p: Dist,
    q: Dist,
    truth: dict[str, float],
    sigma: dict[str, float | str],
    samples: int,
    seed: int,
) -> list[Check]:
    """k1, k2, k3 on ``samples`` draws of p against their exact means; log r from the
    log-densities (q/p itself underflows to 0 far from q's mass).

    The error bar is the exact σ/√N (``sigma``), not the sample SE: k2 and k3 have heavy
    right tails, so at small N the sample misses them and its SE is far too small (a 4-SE
    test on it failed 3 seeds in 10 at N = 100). The pass rule is Chebyshev's inequality,
    |mean − E k| ≤ √1000·σ/√N, so a correct identity fails with probability ≤ 0.1% at
    every N, whatever the distribution of k.
    """
    rng = np.random.default_rng(seed)
    xs = p.sample(rng, samples)
    checks = []
    with np.errstate(all="ignore"):  # overflow to ±inf is caught below as "not checkable"
        log_r = _logpdf(q, xs) - _logpdf(p, xs)
        ks = {"k1": -log_r, "k2": log_r**2 / 2, "k3": np.expm1(log_r) - log_r}
        for name, k in ks.items():
            mean, std = float(k.mean()), float(k.std())
            what = {"k1": "KL", "k2": "E_p[k2]", "k3": "E_p[k3]"}[name]
            detail = (
                f"{samples} samples (seed {seed}): mean {mean:.6g}, sample std {std:.3g}, "
                f"min {k.min():.3g}; {what} = {truth[name]:.6g}"
            )
            values = {"mean": mean, "std": std, "min": float(k.min())}
            exact_std = sigma[name]
            if not np.isfinite(mean):
                ok, detail = None, detail + "; not checkable: the sample mean is not finite"
            elif isinstance(exact_std, str):
                ok = None
                detail += f"; not checkable: {exact_std} (shown, no pass/fail)"
            else:
                se = exact_std / math.sqrt(samples)
                z = abs(mean - truth[name]) / se if se > 0 else 0.0
                # agreement to rounding is a pass even where σ is 0 or rounding noise
                ok = z <= CHEBYSHEV_K or close(mean, truth[name])
                detail += (
                    f"; exact σ/√N = {se:.2g}, |error| = {z:.2f} σ/√N "
                    f"(pass if ≤ {CHEBYSHEV_K:.1f}: Chebyshev, false ✗ ≤ 0.1%)"
                )
                values.update({"se": se, "z": z})
            checks.append(Check(f"Monte Carlo {name}", ok, detail, values))
        k3_min, k1_min = float(ks["k3"].min()), float(ks["k1"].min())
    checks.append(
        Check(
            "k3 ≥ 0 on every sample",
            bool(k3_min >= 0) if np.isfinite(k3_min) else None,
            f"min k3 = {k3_min:.3g} (k1 min = {k1_min:.3g})",
        )
    )
    return checks


def _logpdf(d: Dist, xs: np.ndarray) -> np.ndarray:
    """log N(x; μ, σ²) = −z²/2 − log σ − ½ log 2π with z = (x − μ)/σ; log λ − λx on x ≥ 0."""
    if d.kind == "normal":
        mu, sigma = d.params
        z = (xs - mu) / sigma
        return -(z**2) / 2 - math.log(sigma) - math.log(2 * math.pi) / 2
    (lam,) = d.params
    return np.where(xs >= 0, math.log(lam) - lam * xs, -np.inf)


def _infinite_check(p: Dist, q: Dist, gap: tuple[Any, Any]) -> Check:
    """KL(p‖q) = ∞: q = 0 on an interval where p has positive mass."""
    p_mass = mass(p, *gap)
    num = numeric_value(sp.Integral(p.density, (X, *gap)), {})
    return Check(
        "KL(p‖q) = ∞",
        p_mass > 0 and close(p_mass, num),
        f"q = 0 on {_interval(*gap, closed=False)} (outside q's support "
        f"{_interval(q.lo, q.hi)}) where p has mass "
        f"{p_mass:.6g} > 0 (p's CDF; numeric quadrature: {num:.6g}): log p/q = +∞ there, so "
        "KL(p‖q) = E_p[log p/q] = ∞",
        {"kl": math.inf, "p_mass_outside": p_mass},
    )


def notes(p_text: str, q_text: str, samples: int) -> list[str]:
    """What is not computed and why (KL = ∞: no E_p[k2], no Monte Carlo)."""
    p, q = parse_dist(p_text, "p"), parse_dist(q_text, "q")
    if outside(p, q) is None:
        return []
    skipped = f" (the {samples} samples asked for are not drawn)" if samples else ""
    return [
        f"KL({p.spec} ‖ {q.spec}) = ∞: E_p[k2] and the k1/k2/k3 Monte Carlo checks are "
        f"skipped{skipped}: log r = −∞ on the samples where q = 0, so k1, k2, k3 are +∞ there"
    ]


def derive(p_text: str | None, q_text: str | None, samples: int = 0, seed: int = 0) -> Derivation:
    steps = generic_steps() + gaussian_steps() + discrete_steps()
    p_text = "normal(0,1)" if p_text is None else p_text
    q_text = "normal(0.5,1.2)" if q_text is None else q_text
    check_reach(parse_dist(p_text, "p"), "p")
    check_reach(parse_dist(q_text, "q"), "q")
    checks = inequality_checks() + estimator_checks(p_text, q_text, samples, seed)
    derivation = Derivation("kl", IDENTITY_LATEX, IDENTITY_TEXT, steps, checks)
    derivation.notes = notes(p_text, q_text, samples)
    return verify(derivation)
