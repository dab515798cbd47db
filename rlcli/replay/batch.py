"""Batch updating to its fixed point, exactly (S&B §6.3, Example 6.4).

Repeating the given episodes with a small α until nothing changes converges to:

- batch TD(0): the values of the certainty-equivalence model, V = r̂ + γP̂V, where
  p̂(s'|s) = N(s→s')/N(s) and r̂(s) is the mean reward on leaving s;
- batch MC: V(s) = the mean of the returns observed from s (first or every visit).

Both are computed directly, not iterated: batch TD by Gaussian elimination on Fractions up
to ``EXACT_STATES`` visited states (exam sizes), beyond that in floating point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from rlcli.errors import NumericalError, UsageError
from rlcli.replay.experience import Episode
from rlcli.replay.numbers import Value
from rlcli.replay.returns import discounted_returns
from rlcli.replay.setup import Setup

EXACT_STATES = 40  # exact elimination costs O(S³) Fraction operations: 60 states take seconds
MAX_STATES = 500  # the model is kept as a dense S×S table


@dataclass
class Model:
    """The maximum-likelihood model of the given transitions."""

    visits: dict[str, int]  # departures from s
    mean_reward: dict[str, Value]
    next_prob: dict[str, dict[str, Fraction]]  # p̂(s'|s)


def certainty_equivalence(episodes: Sequence[Episode]) -> Model:
    visits: dict[str, int] = {}
    reward_sum: dict[str, Value] = {}
    counts: dict[str, dict[str, int]] = {}
    for ep in episodes:
        for st in ep.steps:
            visits[st.state] = visits.get(st.state, 0) + 1
            reward_sum[st.state] = reward_sum.get(st.state, Fraction(0)) + st.reward
            row = counts.setdefault(st.state, {})
            row[st.next_state] = row.get(st.next_state, 0) + 1
    return Model(
        visits,
        {s: reward_sum[s] / visits[s] for s in visits},
        {s: {s2: Fraction(c, visits[s]) for s2, c in row.items()} for s, row in counts.items()},
    )


def batch_td(model: Model, setup: Setup, v0: dict[str, Value]) -> dict[str, Value]:
    """Solve V(s) = r̂(s) + γ Σ p̂(s'|s) V(s') for the visited states; others keep V0."""
    unknown = list(model.visits)
    if len(unknown) > MAX_STATES:
        raise UsageError(
            f"batch TD: {len(unknown)} states; the dense solve is limited to {MAX_STATES}"
        )
    col = {s: i for i, s in enumerate(unknown)}
    n = len(unknown)
    A: list[list[Value]] = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
    b: list[Value] = [model.mean_reward[s] for s in unknown]
    for i, s in enumerate(unknown):
        for s2, p in model.next_prob[s].items():
            if setup.is_terminal(s2):
                continue
            if s2 in col:
                A[i][col[s2]] -= setup.gamma * p
            else:  # a state never left: its value stays V0
                b[i] += setup.gamma * p * v0[s2]
    x = _solve(A, b) if n <= EXACT_STATES else _solve_float(A, b)
    out = dict(v0)
    out.update({s: x[i] for i, s in enumerate(unknown)})
    return out


def _solve_float(A: list[list[Value]], b: list[Value]) -> list[Value]:
    import numpy as np

    try:
        x = np.linalg.solve(np.array(A, dtype=float), np.array(b, dtype=float))
    except np.linalg.LinAlgError:
        raise NumericalError(
            "batch TD: the estimated model never leaves a loop (I − γP̂ is singular); "
            "use gamma < 1 or complete episodes"
        ) from None
    return [float(v) for v in x]


def _solve(A: list[list[Value]], b: list[Value]) -> list[Value]:
    """Gauss–Jordan elimination with partial pivoting on nonzero entries."""
    n = len(b)
    M = [[*row[:], b[i]] for i, row in enumerate(A)]
    for c in range(n):
        pivot = next((r for r in range(c, n) if M[r][c] != 0), None)
        if pivot is None:
            raise NumericalError(
                "batch TD: the estimated model never leaves a loop (I − γP̂ is singular); "
                "use gamma < 1 or complete episodes"
            )
        M[c], M[pivot] = M[pivot], M[c]
        inv = 1 / M[c][c]
        M[c] = [x * inv for x in M[c]]
        for r in range(n):
            if r != c and M[r][c] != 0:
                f = M[r][c]
                M[r] = [x - f * y for x, y in zip(M[r], M[c], strict=False)]
    return [M[i][n] for i in range(n)]


def batch_mc(
    episodes: Sequence[Episode], setup: Setup, v0: dict[str, Value], first_visit: bool
) -> tuple[dict[str, Value], dict[str, list[Value]]]:
    """V(s) = mean of the returns from s; also returns the returns per state."""
    returns: dict[str, list[Value]] = {}
    for ep in episodes:
        if not ep.complete:
            raise UsageError(f"batch mc: {ep.label} does not end in a terminal state")
        G = discounted_returns(ep.rewards, setup.gamma)
        for t, st in ep.visits(first_visit):
            returns.setdefault(st.state, []).append(G[t])
    out = dict(v0)
    out.update({s: sum(g, Fraction(0)) / len(g) for s, g in returns.items()})
    return out, returns
