"""Closed forms against numeric integration (scipy.integrate.quad / direct sums)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

from rlcli.derive import importance_sampling as isx
from rlcli.derive import kl, ppo_clip
from rlcli.derive.families import FAMILIES, family
from rlcli.derive.tiny_mdp import Horizon, components


def _numeric_expectation(fam, values, g):
    """E[g(x)] by quadrature (continuous) or a truncated sum (discrete), independent of sympy."""
    dens = sp.lambdify(fam.x, fam.density.subs(values), "math")
    gx = sp.lambdify(fam.x, g, "math")
    if fam.discrete:
        hi = int(fam.hi) if fam.hi.is_finite else 100
        return math.fsum(dens(k) * gx(k) for k in range(int(fam.lo), hi + 1))
    lo = -math.inf if fam.lo == -sp.oo else float(fam.lo)
    return integrate.quad(lambda t: dens(t) * gx(t), lo, math.inf, epsabs=1e-12)[0]


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_family_gradient_matches_quadrature_and_finite_differences(name: str) -> None:
    fam = family(name)
    values = {s: float(v) for s, v in fam.values.items()}
    f = fam.x**2
    mean = fam.expect(f)
    grad = sp.diff(mean, fam.theta)
    assert float(mean.subs(values)) == pytest.approx(_numeric_expectation(fam, values, f), 1e-8)
    # right-hand side E[f · score] by quadrature
    score = fam.score().subs({k: v for k, v in values.items() if k != fam.x})
    rhs = _numeric_expectation(fam, values, f * score)
    assert float(grad.subs(values)) == pytest.approx(rhs, rel=1e-7, abs=1e-10)
    # left-hand side by a central difference of quadratures
    h = 1e-5
    up = {**values, fam.theta: values[fam.theta] + h}
    down = {**values, fam.theta: values[fam.theta] - h}
    fd = (_numeric_expectation(fam, up, f) - _numeric_expectation(fam, down, f)) / (2 * h)
    assert float(grad.subs(values)) == pytest.approx(fd, rel=1e-5, abs=1e-7)


def test_gaussian_closed_forms_by_hand() -> None:
    # N(μ, σ²): E[x²] = μ² + σ², ∂/∂μ = 2μ, ∂/∂σ = 2σ
    fam = family("gaussian")
    mu, sigma = fam.params
    assert sp.simplify(fam.expect(fam.x**2) - (mu**2 + sigma**2)) == 0
    assert sp.simplify(fam.expect(fam.x**3) - (mu**3 + 3 * mu * sigma**2)) == 0


def test_importance_sampling_second_moment_matches_quadrature() -> None:
    p, q = isx.parse_dist("normal(0,1)", "--p"), isx.parse_dist("normal(1,2)", "--q")
    log_p, log_q = isx._log(p.density), isx._log(q.density)
    second = isx.integral_exp_poly(isx.X**4, 2 * log_p - log_q, -sp.oo, sp.oo)
    log_ratio = lambda t: 2 * stats.norm.logpdf(t, 0, 1) - stats.norm.logpdf(t, 1, 2)  # noqa: E731
    num = integrate.quad(lambda t: t**4 * np.exp(log_ratio(t)), -40, 40, epsabs=1e-13)[0]
    assert float(second) == pytest.approx(num, rel=1e-9)
    w2 = isx.integral_exp_poly(sp.Integer(1), 2 * log_p - log_q, -sp.oo, sp.oo)
    num_w2 = integrate.quad(lambda t: np.exp(log_ratio(t)), -40, 40, epsabs=1e-13)[0]
    assert float(w2) == pytest.approx(num_w2, rel=1e-9)


def test_importance_sampling_variance_infinite_when_q_too_narrow() -> None:
    # Gaussian p = N(0,1), q = N(0, σ²): ∫ p²/q is finite iff σ² > 1/2
    p = isx.parse_dist("normal(0,1)", "--p")
    for sigma, finite in (("0.7", False), ("0.75", True), ("0.5", False)):
        q = isx.parse_dist(f"normal(0,{sigma})", "--q")
        w2 = isx.integral_exp_poly(
            sp.Integer(1), 2 * isx._log(p.density) - isx._log(q.density), -sp.oo, sp.oo
        )
        assert (w2 != sp.oo) is finite, sigma
    # and the closed form for σ = 0.75 against quadrature: σ_q / sqrt(2σ_q² - 1) (σ_p = 1)
    q = isx.parse_dist("normal(0,0.75)", "--q")
    w2 = isx.integral_exp_poly(
        sp.Integer(1), 2 * isx._log(p.density) - isx._log(q.density), -sp.oo, sp.oo
    )
    assert float(w2) == pytest.approx(0.75**2 / math.sqrt(2 * 0.75**2 - 1), rel=1e-12)


def test_kl_gaussian_closed_form_matches_quadrature() -> None:
    closed = kl.gaussian_steps()[-1].expr
    syms = {s.name: s for s in closed.free_symbols}
    vals = {"mu": 0.3, "sigma": 1.1, "mu_2": -0.4, "sigma_2": 0.8}
    value = float(closed.subs({syms[k]: v for k, v in vals.items()}))
    num = integrate.quad(
        lambda t: (
            stats.norm.pdf(t, 0.3, 1.1)
            * (stats.norm.logpdf(t, 0.3, 1.1) - stats.norm.logpdf(t, -0.4, 0.8))
        ),
        -np.inf,
        np.inf,
    )[0]
    assert value == pytest.approx(num, rel=1e-10)


def test_kl_discrete_closed_forms_match_direct_sums() -> None:
    steps = kl.discrete_steps()
    bern, cat = steps[1].expr, steps[3].expr
    a, b = sorted(bern.free_symbols, key=str)
    # KL(Bern(0.3) ‖ Bern(0.6)) = 0.3 log(0.3/0.6) + 0.7 log(0.7/0.4)
    assert float(bern.subs({a: 0.3, b: 0.6})) == pytest.approx(
        0.3 * math.log(0.5) + 0.7 * math.log(0.7 / 0.4), rel=1e-12
    )
    ps, qs = [0.2, 0.5, 0.3], [0.4, 0.4, 0.2]
    subs = {s: (ps if s.name.startswith("p") else qs)[int(s.name[-1])] for s in cat.free_symbols}
    assert float(cat.subs(subs)) == pytest.approx(
        sum(p * math.log(p / q) for p, q in zip(ps, qs, strict=True)), rel=1e-12
    )


def test_kl_estimator_exact_values_match_quadrature() -> None:
    checks = kl.estimator_checks("normal(0,1)", "normal(0.5,1.2)", 0, 0)
    exact_kl, k2 = checks[0].values["kl"], checks[1].values["k2_mean"]
    logr = lambda t: stats.norm.logpdf(t, 0.5, 1.2) - stats.norm.logpdf(t, 0, 1)  # noqa: E731
    num_kl = integrate.quad(lambda t: -stats.norm.pdf(t) * logr(t), -30, 30)[0]
    num_k3 = integrate.quad(lambda t: stats.norm.pdf(t) * (np.expm1(logr(t)) - logr(t)), -30, 30)[0]
    num_k2 = integrate.quad(lambda t: stats.norm.pdf(t) * logr(t) ** 2 / 2, -30, 30)[0]
    assert exact_kl == pytest.approx(num_kl, rel=1e-9)
    assert exact_kl == pytest.approx(num_k3, rel=1e-7)  # k3 is unbiased
    assert k2 == pytest.approx(num_k2, rel=1e-9)
    assert abs(k2 - exact_kl) > 1e-3  # k2 is biased here


def test_ppo_regions_match_a_numeric_grid() -> None:
    table, _ = ppo_clip.regions()
    eps = 0.2
    A = sp.Symbol("A", real=True)
    r = sp.Symbol("r", positive=True)
    e = sp.Symbol("epsilon", positive=True)
    where = {"r < 1−ε": 0.5, "1−ε ≤ r ≤ 1+ε": 1.1, "r > 1+ε": 1.6}
    for sign_name, place, L, dL, _ in table.rows:
        adv = 2.0 if sign_name == "A > 0" else -2.0
        ratio = where[place]
        direct = min(ratio * adv, float(np.clip(ratio, 1 - eps, 1 + eps)) * adv)
        assert float(L.subs({A: adv, r: ratio, e: eps})) == pytest.approx(direct)
        h = 1e-6
        num = (
            min((ratio + h) * adv, float(np.clip(ratio + h, 1 - eps, 1 + eps)) * adv) - direct
        ) / h
        assert float(sp.sympify(dL).subs({A: adv, e: eps})) == pytest.approx(num, abs=1e-6)


def test_tiny_mdp_true_gradient_matches_finite_differences() -> None:
    """∂J/∂θ from sympy vs a central difference of J computed by plain enumeration."""
    import itertools

    from rlcli.derive import tiny_mdp as m

    h = Horizon(3)
    truth = [float(v) for v in h.true_gradient()]
    theta0 = np.log(np.array(m.W, dtype=float))

    def J(theta: np.ndarray) -> float:
        pol = np.exp(theta) / np.exp(theta).sum(axis=1, keepdims=True)
        total = 0.0
        for combo in itertools.product(range(2), repeat=2 * h.T):
            ss, aa = combo[0::2], combo[1::2]
            prob = float(m.RHO[ss[0]])
            for t in range(h.T):
                prob *= pol[ss[t], aa[t]]
                if t + 1 < h.T:
                    prob *= float(m.P[ss[t]][aa[t]][ss[t + 1]])
            total += prob * sum(float(m.R[ss[t]][aa[t]]) for t in range(h.T))
        return total

    for (s, a), want in zip(components(), truth, strict=True):
        d = np.zeros_like(theta0)
        d[s, a] = 1e-6
        assert (J(theta0 + d) - J(theta0 - d)) / 2e-6 == pytest.approx(want, rel=1e-6)
