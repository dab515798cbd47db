"""KL divergence: KL(p‖q) ≥ 0 via u − 1 − log u ≥ 0, closed forms, and the k1/k2/k3 estimators.

With r = q(x)/p(x) and x ∼ p: k1 = −log r, k2 = (log r)²/2, k3 = (r − 1) − log r.
k1 and k3 are unbiased for KL(p‖q); k3 is also ≥ 0 sample by sample (it is h(r) with
h(u) = u − 1 − log u ≥ 0). PPO implementations log k3 as approx-KL; GRPO uses it as its
KL penalty (with p the current policy and q the reference policy).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from rlcli.derive import families
from rlcli.derive.families import Family
from rlcli.derive.importance_sampling import X, integral_exp_poly, parse_dist
from rlcli.derive.log_derivative import family_equal
from rlcli.derive.numeric import close, describe, numeric_equal, numeric_value
from rlcli.derive.steps import Check, Derivation, Expect, Step, normalized, verify

IDENTITY_LATEX = (
    r"\mathrm{KL}(p \,\|\, q) = \mathbb{E}_{x \sim p}\left[\log \frac{p(x)}{q(x)}\right]"
    r" = \mathbb{E}_{x \sim p}\left[r - 1 - \log r\right] \geq 0, \quad r = \frac{q(x)}{p(x)}"
)
IDENTITY_TEXT = "KL(p‖q) = E_p[log p/q] = E_p[r − 1 − log r] ≥ 0,  r = q(x)/p(x)"


def generic_steps() -> list[Step]:
    x = sp.Symbol("x", real=True)
    # densities where p > 0 (log p/q is only defined there): log(p/q) = log p − log q needs it
    p, q = sp.Function("p", positive=True)(x), sp.Function("q", positive=True)(x)
    E = lambda g: Expect(g, x, p, -sp.oo, sp.oo, False, "p", "p")  # noqa: E731
    over = lambda g: sp.Integral(g, (x, -sp.oo, sp.oo))  # noqa: E731
    u = q / p
    h = u - 1 - sp.log(u)
    return [
        Step(E(sp.log(p / q)), "definition of KL(p‖q)", start=True),
        Step(E(-sp.log(q / p)), "log(p/q) = −log(q/p)"),
        Step(E(h) - E(u - 1), "add and subtract u − 1 with u = q/p"),
        Step(E(h) - (over(q) - over(p)), "E_p[q/p − 1] = ∫ q dx − ∫ p dx"),
        Step(
            E(h),
            "∫ q dx = ∫ p dx = 1; the integrand h(u) = u − 1 − log u ≥ 0, so KL ≥ 0",
            check=normalized(p, q),
            method="sympy + normalisation",
        ),
        Step(E(h), "E_p[k3] with k3 = r − 1 − log r, r = q/p: the same expression", start=True),
        Step(E(u - 1) + E(-sp.log(u)), "linearity"),
        Step((over(q) - over(p)) + E(sp.log(p / q)), "E_p[r − 1] = ∫ q − ∫ p"),
        Step(
            E(sp.log(p / q)),
            "∫ q = ∫ p = 1: k3 is unbiased for KL(p‖q)",
            check=normalized(p, q),
            method="sympy + normalisation",
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
            "KL(p‖q) = E_p[h(q/p)] ≥ 0, with equality iff q = p almost everywhere",
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


def estimator_checks(p_text: str, q_text: str, samples: int, seed: int) -> list[Check]:
    """Exact KL and E_p[k2] for the given p, q; with ``samples`` a Monte Carlo comparison."""
    p, q = parse_dist(p_text, "--p"), parse_dist(q_text, "--q")
    log_p = sp.expand(sp.expand_log(sp.log(p.density)))
    log_q = sp.expand(sp.expand_log(sp.log(q.density)))
    if not (bool(q.lo <= p.lo) and bool(q.hi >= p.hi)):
        return [Check("KL(p‖q)", True, "infinite: q = 0 on part of p's support")]
    log_ratio = sp.expand(log_p - log_q)  # log p/q: a polynomial in x for these families
    kl = integral_exp_poly(log_ratio, log_p, p.lo, p.hi)
    k2 = integral_exp_poly(sp.expand(log_ratio**2 / 2), log_p, p.lo, p.hi)
    # independent of the closed forms: the same expectations by numeric quadrature
    num_kl, num_k2 = (
        numeric_value(sp.Integral(g * p.density, (X, p.lo, p.hi)), {})
        for g in (log_ratio, log_ratio**2 / 2)
    )
    checks = [
        Check(
            "exact KL(p‖q)",
            close(float(kl), num_kl),
            f"KL({p.spec} ‖ {q.spec}) = {sp.logcombine(sp.expand(kl), force=True)} "
            f"≈ {float(kl):.6g} (numeric quadrature: {num_kl:.10g})",
            {"kl": float(kl)},
        ),
        Check(
            "k2 is biased",
            close(float(k2), num_k2),
            f"E_p[k2] = E_p[(log r)²/2] = {float(k2):.6g} vs KL {float(kl):.6g} "
            f"(bias {float(k2 - kl):+.3g}; small when p ≈ q; numeric quadrature: {num_k2:.10g})",
            {"k2_mean": float(k2)},
        ),
    ]
    if samples:
        rng = np.random.default_rng(seed)
        xs = p.sample(rng, samples)
        log_r = np.log(q.pdf(xs)) - np.log(p.pdf(xs))
        ks = {"k1": -log_r, "k2": log_r**2 / 2, "k3": np.expm1(log_r) - log_r}
        truth = {"k1": float(kl), "k2": float(k2), "k3": float(kl)}
        for name, k in ks.items():
            mean, se = float(k.mean()), float(k.std(ddof=1) / np.sqrt(samples))
            z = abs(mean - truth[name]) / se if se > 0 else 0.0
            what = "E_p[k2]" if name == "k2" else "KL"
            checks.append(
                Check(
                    f"Monte Carlo {name}",
                    z <= 4,
                    f"{samples} samples (seed {seed}): mean {mean:.6g} ± {se:.2g}, "
                    f"std {k.std():.3g}, min {k.min():.3g}; {what} = {truth[name]:.6g}; "
                    f"|error| = {z:.2f} SE (pass if ≤ 4)",
                    {"mean": mean, "se": se, "std": float(k.std()), "min": float(k.min()), "z": z},
                )
            )
        checks.append(
            Check(
                "k3 ≥ 0 on every sample",
                bool(ks["k3"].min() >= 0),
                f"min k3 = {ks['k3'].min():.3g} (k1 min = {ks['k1'].min():.3g})",
            )
        )
    return checks


def derive(p_text: str | None, q_text: str | None, samples: int = 0, seed: int = 0) -> Derivation:
    steps = generic_steps() + gaussian_steps() + discrete_steps()
    checks = inequality_checks() + estimator_checks(
        "normal(0,1)" if p_text is None else p_text,
        "normal(0.5,1.2)" if q_text is None else q_text,
        samples,
        seed,
    )
    return verify(Derivation("kl", IDENTITY_LATEX, IDENTITY_TEXT, steps, checks))
