"""Off-policy Monte Carlo estimates by importance sampling (S&B §5.5, §5.9).

With ratios ρ_i and returns G_i of the n counted visits:
ordinary V = Σ ρ_i G_i / n (eq. 5.5); weighted V = Σ ρ_i G_i / Σ ρ_i (eq. 5.6), 0 when
Σ ρ_i = 0. From episodes: ρ_{t:T−1} = Π_{k=t}^{T−1} π(A_k|S_k)/b(A_k|S_k) (eq. 5.3).
Per-decision (§5.9): G̃_t = ρ_t(R_{t+1} + γG̃_{t+1}), each reward weighted only by the
ratios before it, averaged ordinarily (eq. 5.15 with 5.14).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from rlcli.errors import UsageError
from rlcli.replay.experience import Episode
from rlcli.replay.numbers import Value
from rlcli.replay.policy import PolicyTable, prob
from rlcli.replay.returns import discounted_returns


@dataclass(frozen=True)
class Estimates:
    ordinary: Value
    weighted: Value


def estimates(returns: Sequence[Value], ratios: Sequence[Value]) -> Estimates:
    """Ordinary Σρ_iG_i/n and weighted Σρ_iG_i/Σρ_i (0 if Σρ_i = 0), eq. 5.5–5.6."""
    if len(returns) != len(ratios):
        raise UsageError(f"returns: {len(returns)} values but ratios: {len(ratios)}")
    if not returns:
        raise UsageError("returns: no values")
    if any(r < 0 for r in ratios):
        raise UsageError("ratios: an importance ratio cannot be negative")
    weighted_sum = sum((r * g for r, g in zip(ratios, returns, strict=False)), Fraction(0))
    total = sum(ratios, Fraction(0))
    return Estimates(
        weighted_sum / len(returns), weighted_sum / total if total != 0 else Fraction(0)
    )


@dataclass(frozen=True)
class Visit:
    """One counted visit: where, the ratio ρ_{t:T−1}, the return G_t (and per-decision G̃_t)."""

    episode: str
    t: int
    state: str
    step_ratios: tuple[Value, ...]  # π/b at t..T−1
    ratio: Value
    ret: Value
    per_decision: Value


def visits(
    episodes: Sequence[Episode],
    gamma: Value,
    target: PolicyTable,
    behaviour: PolicyTable,
    first_visit: bool,
) -> list[Visit]:
    out: list[Visit] = []
    for ep in episodes:
        if not ep.complete:
            raise UsageError(f"importance-sampling: {ep.label} does not end in a terminal state")
        steps = []
        for st in ep.steps:
            if st.action is None:
                raise UsageError(
                    f"importance-sampling: {ep.label} has no actions (write it as S A R S ...)"
                )
            b = prob(behaviour, st.state, st.action, "behaviour")
            if b == 0:
                raise UsageError(
                    f"importance-sampling: {ep.label}: the behaviour policy gives "
                    f"{st.action} in {st.state} probability 0, yet it was taken"
                )
            steps.append(prob(target, st.state, st.action, "target") / b)
        G = discounted_returns(ep.rewards, gamma)
        T = len(steps)
        rho_tail: list[Value] = [Fraction(1)] * (T + 1)
        pd: list[Value] = [Fraction(0)] * (T + 1)
        for t in range(T - 1, -1, -1):
            rho_tail[t] = steps[t] * rho_tail[t + 1]
            pd[t] = steps[t] * (ep.rewards[t] + gamma * pd[t + 1])
        for t, st in ep.visits(first_visit):
            out.append(Visit(ep.label, t, st.state, tuple(steps[t:]), rho_tail[t], G[t], pd[t]))
    return out
