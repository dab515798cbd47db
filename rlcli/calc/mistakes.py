"""Common mistakes in ``calc`` answers, each a recomputation of the document with the
mistake made (as ``rlcli.replay.mistakes``); ``calc --answer`` and the practice topics
share them.

The grader names a mistake only when its recomputation reproduces every number the student
gave. A mistake is listed only where it can change the numbers (γ^t when γ ≠ 1, the
baseline when one is given, ε when ε ≠ 0, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from rlcli.calc.policy import Table
from rlcli.calc.reinforce import Trajectory
from rlcli.replay.numbers import Value
from rlcli.replay.worked import all_exact, exact, num

Mistakes = dict[str, Callable[[], Mapping[str, Any]]]


def reinforce_mistakes(
    table: Table,
    trajectories: list[Trajectory],
    gamma: Value,
    discount_t: bool,
    baseline: dict[str, Value] | None,
    lr: Value | None,
) -> Mistakes:
    """REINFORCE (S&B eq. 13.8, ĝ = Σ_t γ^t (G_t − b(S_t)) ∇ log π(A_t|S_t)): γ^t put in or
    left out (the other convention), and the baseline not subtracted."""
    from rlcli.calc.reinforce import policy_gradient

    def rerun(t: bool, b: dict[str, Value] | None) -> Callable[[], Mapping[str, Any]]:
        return lambda: policy_gradient(table, trajectories, gamma, t, b, None, lr).document()

    out: Mistakes = {}
    if gamma != 1:
        flip = "γ^t included" if not discount_t else "γ^t left out"
        out[f"{flip} in each term"] = rerun(not discount_t, baseline)
    if baseline is not None:
        out["the baseline not subtracted"] = rerun(discount_t, None)
    return out


def actor_critic_mistakes(
    table: Table,
    trajectories: list[Trajectory],
    gamma: Value,
    discount_t: bool,
    values: dict[str, Value],
    lr: Value | None,
) -> Mistakes:
    """One-step actor-critic (S&B §13.5, δ_t = R_{t+1} + γV(S_{t+1}) − V(S_t), weight γ^t δ_t
    with the book's I): γ left out of δ, V(S_t) not subtracted (the critic's target
    R + γV(S') as the weight), the last state's value not bootstrapped (an episode cut
    there taken as ended: δ = R − V(S)), and γ^t put in or left out. Each is listed only
    where it changes some δ_t or weight."""
    from dataclasses import replace

    from rlcli.calc.reinforce import TDError, policy_gradient

    def rerun(
        trajs: list[Trajectory] = trajectories, t: bool = discount_t, td: TDError = TDError()
    ) -> Callable[[], Mapping[str, Any]]:
        return lambda: policy_gradient(table, trajs, gamma, t, None, values, lr, td).document()

    def v(s: str | None) -> Value:
        return values.get(s, Fraction(0)) if s is not None else Fraction(0)

    nexts = [
        tr.states[t + 1] if t + 1 < len(tr.states) else tr.final
        for tr in trajectories
        for t in range(len(tr.states))
    ]
    out: Mistakes = {}
    if gamma != 1 and any(v(s) != 0 for s in nexts):
        out["γ left out of δ (δ = R + V(S') − V(S))"] = rerun(td=TDError(gamma=False))
    if any(v(s) != 0 for tr in trajectories for s in tr.states):
        out["V(S) not subtracted (δ = R + γV(S'))"] = rerun(td=TDError(subtract_v=False))
    if gamma != 0 and any(v(tr.final) != 0 for tr in trajectories):
        cut = [replace(tr, final=None) for tr in trajectories]
        out["the last state's value not bootstrapped (δ = R − V(S), as if terminal)"] = rerun(
            trajs=cut
        )
    if gamma != 1 and any(len(tr.states) > 1 for tr in trajectories):
        flip = "γ^t included" if not discount_t else "γ^t left out"
        out[f"{flip} in each term"] = rerun(t=not discount_t)
    return out


def gae_mistakes(
    rewards: list[Value], values: list[Value], dones: list[Value], gamma: Value, lam: Value
) -> Mistakes:
    """GAE (Schulman et al. 2016, eq. 16): λ left out (λ = 1: Â = return − V), γ left out
    (γ = 1), the done flags ignored (bootstrapping and carrying across an episode's end)."""
    from rlcli.calc.gae import gae_table

    out: Mistakes = {}
    if lam != 1:
        out["λ left out (λ = 1: return − V)"] = lambda: gae_table(
            rewards, values, dones, gamma, 1
        ).document()
    if gamma != 1:
        out["γ left out (γ = 1)"] = lambda: gae_table(rewards, values, dones, 1, lam).document()
    if any(dones):
        out["the done flags ignored"] = lambda: gae_table(
            rewards, values, [0] * len(rewards), gamma, lam
        ).document()
    return out


CLIP_PRODUCT = "the clip applied to r·A instead of to r: min(rA, clip(rA, 1−ε, 1+ε))"
NO_MIN = "clip(r, 1−ε, 1+ε)·A alone, without the min with r·A"


def ppo_mistakes(
    ratios: list[Value], advs: list[Value], eps: Value, beta: Value | None
) -> Mistakes:
    """PPO-clip (Schulman et al. 2017, eq. 7: L = min(rA, clip(r, 1−ε, 1+ε)A)), two misreadings:

    - the clip applied to the product: L = min(rA, clip(rA, 1−ε, 1+ε)), ∂L/∂r = A where
      rA ≤ 1+ε (the unclipped term is the min), else 0;
    - the clipped term alone: L = clip(r, 1−ε, 1+ε)·A, ∂L/∂r = A where 1−ε ≤ r ≤ 1+ε, else 0.

    None for the KL-penalty form (no clipping)."""
    if beta is not None:
        return {}
    lo, hi = 1 - eps, 1 + eps

    def clip_product() -> Mapping[str, Any]:
        obj = [min(r * a, min(max(r * a, lo), hi)) for r, a in zip(ratios, advs, strict=True)]
        grad = [a if r * a <= hi else 0 * a for r, a in zip(ratios, advs, strict=True)]
        return _ppo_document(obj, grad)

    def no_min() -> Mapping[str, Any]:
        obj = [min(max(r, lo), hi) * a for r, a in zip(ratios, advs, strict=True)]
        grad = [a if lo <= r <= hi else 0 * a for r, a in zip(ratios, advs, strict=True)]
        return _ppo_document(obj, grad)

    return {CLIP_PRODUCT: clip_product, NO_MIN: no_min}


def _ppo_document(objective: list[Value], gradient: list[Value]) -> dict[str, Any]:
    """The graded cells of ``calc ppo-clip``'s document, from per-pair values."""
    mean = sum(objective, Fraction(0)) / len(objective)
    doc: dict[str, Any] = {
        "objective": num(objective),
        "gradient": num(gradient),
        "mean_objective": num(mean),
    }
    if all_exact(objective) and all_exact(gradient):
        doc["exact"] = {"objective": exact(objective), "gradient": exact(gradient)}
    return doc


def grpo_mistakes(
    rewards: list[Value], std_kind: str, eps: Value, dr_grpo: bool, rloo: bool
) -> Mistakes:
    """GRPO (DeepSeekMath eq. 3/4 outcome advantages, Â_i = (r_i − mean r)/(std r + ε)): the
    other std (population ↔ sample), ε left out of the denominator. None for Dr. GRPO and
    RLOO (no std)."""
    from rlcli.calc.grpo import grpo_calc

    if dr_grpo or rloo:
        return {}
    other = "sample" if std_kind == "population" else "population"
    out: Mistakes = {
        f"the {other} std instead of the {std_kind} std": lambda: grpo_calc(
            rewards, other, eps, dr_grpo, rloo
        ).document()
    }
    if eps != 0:
        out["ε left out of the denominator"] = lambda: grpo_calc(
            rewards, std_kind, 0, dr_grpo, rloo
        ).document()
    return out


def kl_mistakes(p: list[Value], q: list[Value], samples: list[int] | None) -> Mistakes:
    """KL(p‖q) = Σ p ln(p/q) and k1/k2/k3 with r = q(x)/p(x): p and q swapped (KL(q‖p), and
    r = p(x)/q(x) on the same samples)."""
    from rlcli.calc.kl import kl_calc

    if p == q:
        return {}
    return {"p and q swapped (KL(q‖p), r = p/q)": lambda: kl_calc(q, p, samples).document()}
