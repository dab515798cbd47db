"""The policy gradient in trajectory form, REINFORCE and reward-to-go.

log pθ(τ) = log ρ₀(s₀) + Σₜ log πθ(aₜ|sₜ) + Σₜ log P(sₜ₊₁|sₜ,aₜ): the dynamics drop out of
∇θ log pθ(τ) (checked by sympy for a generic policy). The expectation-level steps
(log-derivative trick, REINFORCE, reward-to-go) are checked by exact enumeration of every
trajectory of a tiny MDP with a softmax policy, for every logit, against the gradient of
J(θ) computed by differentiating the Bellman recursion (Williams 1992; Sutton et al. 2000).
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from rlcli.derive.steps import Check, Derivation, Step, verify
from rlcli.derive.tiny_mdp import THETA, Horizon, TrajExpect, Transition, components

IDENTITY_LATEX = (
    r"\nabla_\theta J(\theta) = \mathbb{E}_{\tau \sim p_\theta}\left[\sum_{t} "
    r"\nabla_\theta \log \pi_\theta(a_t \mid s_t) \sum_{t' \geq t} r_{t'}\right]"
)
IDENTITY_TEXT = "∇θ J(θ) = E_τ[Σₜ ∇θ log πθ(aₜ|sₜ) Σ_{t'≥t} r_t']"


def grad(e: Any) -> Any:
    return sp.Derivative(e, THETA)


def score_terms(h: Horizon) -> list[Any]:
    return [grad(sp.log(h.pi(t))) for t in range(h.T)]


def trajectory_steps(h: Horizon) -> list[Step]:
    """∇ log pθ(τ) = Σₜ ∇ log πθ(aₜ|sₜ), for generic ρ₀, π, P (sympy)."""
    logs = [sp.log(sp.Function("rho_0")(h.s[0]))]
    for t in range(h.T):
        logs.append(sp.log(h.pi(t)))
        if t + 1 < h.T:
            logs.append(sp.log(Transition(h.s[t + 1], h.s[t], h.a[t])))
    return [
        Step(
            grad(sp.log(h.p_tau())),
            f"score of a trajectory τ = (s₀, a₀, …, s_{h.T - 1}, a_{h.T - 1}), T = {h.T}",
            start=True,
        ),
        Step(grad(sp.Add(*logs, evaluate=False)), "log of a product (all factors > 0)"),
        Step(
            sp.Add(*score_terms(h), evaluate=False),
            "ρ₀ and P do not depend on θ: the dynamics drop out",
        ),
    ]


def expectation_steps(h: Horizon) -> list[Step]:
    """∇J = E[R ∇ log p] = E[R Σ ∇ log π] = E[Σ ∇ log π · reward-to-go] (enumeration)."""
    check = h.equal()
    method = f"enumeration: tiny MDP, T = {h.T}, every logit"
    scores = score_terms(h)
    reinforce = sp.Mul(h.ret(), sp.Add(*scores, evaluate=False), evaluate=False)
    to_go = sp.Add(
        *[sp.Mul(scores[t], h.ret(t), evaluate=False) for t in range(h.T)], evaluate=False
    )
    return [
        Step(
            grad(TrajExpect(h.ret())),
            "∇θ J(θ), J = expected return R(τ) = Σₜ r(sₜ, aₜ)",
            start=True,
        ),
        Step(
            TrajExpect(sp.Mul(h.ret(), grad(sp.log(h.p_tau())), evaluate=False)),
            "log-derivative trick",
            check=check,
            method=method,
        ),
        Step(
            TrajExpect(reinforce), "the dynamics drop out (REINFORCE)", check=check, method=method
        ),
        Step(
            TrajExpect(to_go),
            "reward-to-go: E[r_t' ∇ log π(a_t|s_t)] = 0 for t' < t",
            check=check,
            method=method,
        ),
    ]


def gradient_check(h: Horizon, estimator: Any, name: str) -> Check:
    """E[estimator] (enumeration) vs ∂J/∂θ from the differentiated Bellman recursion."""
    truth = h.true_gradient()
    got = [h.value(TrajExpect(estimator), c) for c in components()]
    ok = all(a == b for a, b in zip(got, truth, strict=True))
    labels = [f"θ[{s},{a}]" for s, a in components()]
    return Check(
        f"E[{name}] = true gradient (exact)",
        ok,
        "; ".join(f"{lab}: {g} vs {t}" for lab, g, t in zip(labels, got, truth, strict=True))
        + f" (2 states × 2 actions, horizon {h.T}, {4**h.T} trajectories, exact rationals)",
        {lab: str(g) for lab, g in zip(labels, got, strict=True)},
    )


def derive(horizon: int = 2) -> Derivation:
    h = Horizon(horizon)
    steps = trajectory_steps(h) + expectation_steps(h)
    to_go = steps[-1].expr.args[0]
    checks = [gradient_check(h, to_go, "reward-to-go estimator")]
    notes = [
        "tiny MDP: ρ₀ = (1/2, 1/2); P(·|0,0) = (3/4, 1/4), P(·|0,1) = (1/5, 4/5), "
        "P(·|1,0) = (1/2, 1/2), P(·|1,1) = (1/10, 9/10); r = [[3, 1], [4, 2]]; softmax "
        "logits θ[s, a] = log w with w = [[1, 2], [3, 1]]; undiscounted, horizon T",
    ]
    return verify(
        Derivation("policy-gradient", IDENTITY_LATEX, IDENTITY_TEXT, steps, checks, notes)
    )
