"""Returns of one given episode: G_t, the n-step returns G_{t:t+n} and the λ-return.

G_t = R_{t+1} + γG_{t+1} (S&B eq. 3.9); G_{t:t+n} = Σ_{i<n} γ^i R_{t+i+1} + γ^n V(S_{t+n})
(eq. 7.1), the plain return once t+n ≥ T; G^λ_t = R_{t+1} + γ[(1−λ)V(S_{t+1}) + λG^λ_{t+1}]
(eq. 12.2–12.3 recursively), with G^λ_{T−1} = R_T + γV(S_T) and V(terminal) = 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rlcli.replay.numbers import Value
from rlcli.replay.worked import paren, show


def discounted_returns(rewards: Sequence[Value], gamma: Value, tail: Value = 0) -> list[Value]:
    """[G_0, …, G_{T−1}] with G_t = R_{t+1} + γG_{t+1}, G_T = ``tail`` (0 when terminal)."""
    out: list[Value] = []
    g = tail
    for r in reversed(rewards):
        g = r + gamma * g
        out.append(g)
    return out[::-1]


def nstep_return(
    rewards: Sequence[Value], v_at: Callable[[int], Value], gamma: Value, t: int, n: int
) -> Value:
    """G_{t:t+n} = R_{t+1} + γR_{t+2} + … + γ^{h−t−1}R_h + γ^{h−t}V(S_h), h = min(t+n, T)
    (eq. 7.1); ``v_at(h)`` is V(S_h), 0 for a terminal state."""
    T = len(rewards)
    h = min(t + n, T)
    g = v_at(h)
    for i in range(h - 1, t - 1, -1):
        g = rewards[i] + gamma * g
    return g


def nstep_returns_from(
    rewards: Sequence[Value], v_at: Callable[[int], Value], gamma: Value, t: int = 0
) -> list[Value]:
    """[G_{t:t+1}, …, G_{t:T}] in one pass (eq. 7.1): a running discounted reward sum plus
    γ^n V(S_{t+n})."""
    out: list[Value] = []
    partial: Value = 0
    discount: Value = 1
    for i in range(t, len(rewards)):
        partial = partial + discount * rewards[i]
        discount = discount * gamma
        out.append(partial + discount * v_at(i + 1))
    return out


def lambda_returns(
    rewards: Sequence[Value], v_at: Callable[[int], Value], gamma: Value, lam: Value
) -> list[Value]:
    """[G^λ_0, …, G^λ_{T−1}] by G^λ_t = R_{t+1} + γ[(1−λ)V(S_{t+1}) + λG^λ_{t+1}]."""
    T = len(rewards)
    out: list[Value] = [0] * T
    ahead: Value = 0
    for t in range(T - 1, -1, -1):
        v_next = v_at(t + 1)
        mix = v_next if t == T - 1 else (1 - lam) * v_next + lam * ahead
        out[t] = rewards[t] + gamma * mix
        ahead = out[t]
    return out


MAX_TERMS = 8  # longer sums are written with "…" before the last term


def return_text(
    rewards: Sequence[Value], gamma: Value, start: int = 0, stop: int | None = None
) -> str:
    """R_{t+1} + γR_{t+2} + γ²R_{t+3} over ``rewards[start:stop]`` with the numbers:
    ``1 + (1/2)·2 + (1/2)²·3``; long sums keep their first and last terms around "…"."""
    stop = len(rewards) if stop is None else stop
    count = stop - start
    shown = range(count) if count <= MAX_TERMS else [*range(MAX_TERMS - 2), count - 1]
    parts = []
    for i in shown:
        if count > MAX_TERMS and i == count - 1:
            parts.append("…")
        r = rewards[start + i]
        parts.append(show(r) if i == 0 else f"{power(gamma, i)}{paren(r)}")
    return " + ".join(parts)


def nstep_text(
    rewards: Sequence[Value],
    gamma: Value,
    boot: tuple[str, Value] | None,
    start: int = 0,
    stop: int | None = None,
) -> str:
    """``1 + (1/2)·2 + (1/2)²·V(C) = 1 + (1/2)·2 + (1/2)²·4`` over ``rewards[start:stop]``
    (no ``boot``: the plain sum)."""
    stop = len(rewards) if stop is None else stop
    terms = return_text(rewards, gamma, start, stop)
    if boot is None:
        return terms
    k = stop - start
    sep = " + " if terms else ""
    return (
        f"{terms}{sep}{power(gamma, k)}V({boot[0]}) = {terms}{sep}{power(gamma, k)}{paren(boot[1])}"
    )


def power(gamma: Value, i: int) -> str:
    """``γ^i·`` with the number: ``(1/2)²·``; nothing when γ = 1."""
    if gamma == 1:
        return ""
    sup = "" if i == 1 else "".join("⁰¹²³⁴⁵⁶⁷⁸⁹"[int(c)] for c in str(i))
    return f"{paren(gamma)}{sup}·"
