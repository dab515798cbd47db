"""Baselines: E_{a∼πθ}[∇θ log πθ(a|s) b(s)] = 0, so subtracting b(s) keeps the gradient unbiased.

The zero-mean score is checked by sympy for a generic policy over finitely many actions
(using Σ_a πθ(a|s) = 1); the unbiasedness of Σₜ ∇ log π (Gₜ − b(sₜ)) and of the advantage
form A = Q − V by exact enumeration of the tiny MDP; the variance drop from the baseline
V(sₜ) is computed exactly there too.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from rlcli.derive.policy_gradient import grad, score_terms
from rlcli.derive.steps import (
    Check,
    Derivation,
    Expect,
    Step,
    conditional_function,
    normalized,
    verify,
)
from rlcli.derive.tiny_mdp import THETA, Horizon, TrajExpect, components

IDENTITY_LATEX = (
    r"\mathbb{E}_{a \sim \pi_\theta(\cdot \mid s)}\left[\nabla_\theta \log \pi_\theta(a \mid s)"
    r"\, b(s)\right] = 0"
)
IDENTITY_TEXT = "E_{a∼πθ(·|s)}[∇θ log πθ(a|s) b(s)] = 0"


def score_steps() -> list[Step]:
    a = sp.Symbol("a", integer=True, nonnegative=True)
    s = sp.Symbol("s")
    n = sp.Symbol("n_A", integer=True, positive=True)
    pi = conditional_function("pi", r"\pi", "π")(a, s, THETA)
    b = sp.Function("b")(s)
    over = lambda g: sp.Sum(g, (a, 0, n - 1))  # noqa: E731
    E = Expect(grad(sp.log(pi)) * b, a, pi, 0, n - 1, True, r"\pi_\theta", "π_θ")
    return [
        Step(E, "expected score times a baseline that does not depend on a", start=True),
        Step(over(pi * grad(sp.log(pi)) * b), "expectation as a sum over actions"),
        Step(over(grad(pi) * b), "π ∇ log π = ∇π"),
        Step(b * grad(over(pi)), "b(s) does not depend on a; a finite sum and ∇ commute"),
        Step(
            b * grad(sp.Integer(1)),
            "Σ_a πθ(a|s) = 1 for every θ",
            check=normalized(pi),
            method="sympy + normalisation",
        ),
        Step(sp.Integer(0), "the gradient of a constant"),
    ]


def estimator(h: Horizon, weights: list[Any]) -> Any:
    scores = score_terms(h)
    return sp.Add(
        *[sp.Mul(scores[t], weights[t], evaluate=False) for t in range(h.T)], evaluate=False
    )


def unbiased_steps(h: Horizon) -> tuple[list[Step], dict[str, Any]]:
    check = h.equal()
    method = f"enumeration: tiny MDP, T = {h.T}, every logit"
    f = sp.Function
    G = [h.ret(t) for t in range(h.T)]
    forms = {
        "G": estimator(h, G),
        "G - b": estimator(h, [G[t] - f("b")(h.s[t]) for t in range(h.T)]),
        "Q - V": estimator(h, [f("Q")(t, h.s[t], h.a[t]) - f("V")(t, h.s[t]) for t in range(h.T)]),
        "A": estimator(h, [f("A")(t, h.s[t], h.a[t]) for t in range(h.T)]),
        "G - V": estimator(h, [G[t] - f("V")(t, h.s[t]) for t in range(h.T)]),
    }
    steps = [
        Step(grad(TrajExpect(h.ret())), "∇θ J(θ)", start=True),
        Step(
            TrajExpect(forms["G"]),
            "reward-to-go form (rlcli derive policy-gradient)",
            check=check,
            method=method,
        ),
        Step(
            TrajExpect(forms["G - b"]),
            "subtract any baseline b(sₜ): its term has mean 0",
            check=check,
            method=method,
        ),
        Step(
            TrajExpect(forms["Q - V"]),
            "E[Gₜ | sₜ, aₜ] = Qₜ(sₜ, aₜ); baseline b = Vₜ(sₜ)",
            check=check,
            method=method,
        ),
        Step(TrajExpect(forms["A"]), "the advantage Aₜ = Qₜ − Vₜ", check=check, method=method),
    ]
    return steps, forms


def variance_check(h: Horizon, forms: dict[str, Any]) -> Check:
    """Exact total variance (sum over logits) of the single-trajectory estimator."""

    def total_variance(g: Any) -> Any:
        out = sp.Integer(0)
        for c in components():
            pairs = h.per_trajectory(g, c)
            mean = sum(sp.Rational(p.numerator, p.denominator) * v for p, v in pairs)
            second = sum(sp.Rational(p.numerator, p.denominator) * v**2 for p, v in pairs)
            out += second - mean**2
        return out

    plain, with_v = total_variance(forms["G"]), total_variance(forms["G - V"])
    return Check(
        "variance drop from the baseline V(sₜ)",
        bool(with_v < plain),
        f"total variance of Σₜ ∇log π · Gₜ: {plain} ≈ {float(plain):.5g}; "
        f"of Σₜ ∇log π · (Gₜ − Vₜ(sₜ)): {with_v} ≈ {float(with_v):.5g} "
        f"({float(with_v / plain):.1%} of it; exact, one trajectory)",
        {"variance_reward_to_go": float(plain), "variance_with_baseline": float(with_v)},
    )


def derive(horizon: int = 2) -> Derivation:
    h = Horizon(horizon)
    steps, forms = unbiased_steps(h)
    checks = [variance_check(h, forms)]
    notes = [
        "b(s) in the enumeration is an arbitrary function (b(0) = 5, b(1) = −2); Vₜ, Qₜ "
        "are the exact finite-horizon values of the tiny MDP (rlcli derive policy-gradient)"
    ]
    return verify(
        Derivation("baseline", IDENTITY_LATEX, IDENTITY_TEXT, score_steps() + steps, checks, notes)
    )
