"""The number fields the solvers run in: floats (NumPy arrays) and exact fractions.

Policy iteration and value-iteration sweeps (``optimal.py``) are written once over this
interface; only the arithmetic differs:

- ``evaluate(pi)``: V_π and Q_π (S&B eq. 4.4–4.5), with a bound on their error;
- ``q_from_values(v)``: Q(s, a) = Σ_{s', r} p(s', r | s, a) [r + γ V(s')];
- ``best(q)``: max_a Q(s, a) (0 for terminal states);
- ``ties(q, tol)``: (K,) bool, every action within ``tol`` of its state's best
  (``tol`` is 0 for fractions: ties are exact);
- ``floats(x)``: the numbers as a float array, for tables (±inf beyond the float range).

Floats evaluate with a sparse linear solve; fractions with exact elimination on the
file's own numbers (``9/10`` stays 9/10).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

import numpy as np

from rlcli.mdp.model import MDP
from rlcli.mdp.solve.evaluate import check_finite, check_proper, evaluate_policy
from rlcli.mdp.solve.exact import evaluate_in_field, exact_data, rational_policy
from rlcli.mdp.solve.greedy import (
    optimal_pairs,
    q_from_values,
    state_max,
    tie_tolerance,
    value_error,
)
from rlcli.mdp.solve.limits import check_digits, check_exact_size


@dataclass(frozen=True)
class PolicyValues:
    """V_π (S,) and Q_π (K,) in the field, and a bound on the error of Q (0 when exact)."""

    values: Any
    q: Any
    error: float = 0.0


class Field(Protocol):
    exact: bool

    def evaluate(self, pi: np.ndarray) -> PolicyValues: ...
    def zeros(self) -> Any: ...
    def q_from_values(self, v: Any) -> Any: ...
    def best(self, q: Any) -> Any: ...
    def tolerance(self, q: Any, error: float) -> float: ...
    def ties(self, q: Any, tol: float) -> np.ndarray: ...
    def floats(self, x: Any) -> np.ndarray: ...
    def check(self, v: Any, sweep: int, what: str = "sweep") -> None: ...


class Floats:
    """Float64 arrays; ties within 1e-12 × max|Q| plus the error bound of the evaluation."""

    exact = False

    def __init__(self, mdp: MDP):
        self.mdp = mdp
        self._warm: np.ndarray | None = None  # previous V_π warm-starts the next solve
        self._hint: str | None = None

    def evaluate(self, pi: np.ndarray) -> PolicyValues:
        ev = evaluate_policy(self.mdp, pi, v0=self._warm, hint=self._hint)
        self._warm, self._hint = ev.values, ev.method
        return PolicyValues(ev.values, ev.q, value_error(self.mdp, ev.residual))

    def zeros(self) -> np.ndarray:
        return np.zeros(self.mdp.n_states)

    def q_from_values(self, v: np.ndarray) -> np.ndarray:
        return q_from_values(self.mdp, v)

    def best(self, q: np.ndarray) -> np.ndarray:
        return state_max(self.mdp, q)

    def tolerance(self, q: np.ndarray, error: float) -> float:
        return tie_tolerance(q, error)

    def ties(self, q: np.ndarray, tol: float) -> np.ndarray:
        return optimal_pairs(self.mdp, q, tol)

    def floats(self, x: np.ndarray) -> np.ndarray:
        return x

    def check(self, v: np.ndarray, sweep: int, what: str = "sweep") -> None:
        """Numbers beyond the float range after ``sweep`` (in V, or in ``what``: Q)."""
        where = f"after sweep {sweep}" if what == "sweep" else f"in {what} {sweep}"
        check_finite(self.mdp, v, where)


class Fractions:
    """Python Fractions from the file's exact numbers; ties are equalities."""

    exact = True

    def __init__(self, mdp: MDP):
        self.mdp = mdp
        self.gamma, self.probs, self.rewards = exact_data(mdp).rational()

    def evaluate(self, pi: np.ndarray) -> PolicyValues:
        mdp = self.mdp
        check_exact_size(int(np.count_nonzero(~mdp.terminal)))
        check_proper(mdp, pi)
        ev = evaluate_in_field(
            mdp, rational_policy(pi), self.gamma, self.probs, self.rewards, Fraction(0)
        )
        return PolicyValues(ev.values, ev.q)

    def zeros(self) -> list[Fraction]:
        return [Fraction(0)] * self.mdp.n_states

    def q_from_values(self, v: list[Fraction]) -> list[Fraction]:
        mdp, g, p, r = self.mdp, self.gamma, self.probs, self.rewards
        return [
            sum((p[z] * (r[z] + g * v[mdp.out_next[z]]) for z in mdp.outcomes(k)), Fraction(0))
            for k in range(mdp.n_pairs)
        ]

    def best(self, q: list[Fraction]) -> list[Fraction]:
        mdp = self.mdp
        return [
            max((q[k] for k in mdp.pairs_of(s)), default=Fraction(0)) for s in range(mdp.n_states)
        ]

    def tolerance(self, q: list[Fraction], error: float) -> float:
        return 0.0

    def ties(self, q: list[Fraction], tol: float) -> np.ndarray:
        best = self.best(q)
        return np.array(
            [q[k] == best[s] for k, s in enumerate(self.mdp.pair_state.tolist())], dtype=bool
        )

    def floats(self, x: list[Fraction]) -> np.ndarray:
        return np.array([to_float(v) for v in x])

    def check(self, v: list[Fraction], sweep: int, what: str = "sweep") -> None:
        for x in v:
            check_digits(x, sweep)


def to_float(x: Fraction) -> float:
    """The nearest float, or ±inf beyond the float range (a Fraction of 10³⁰⁹ is exact,
    its float is not)."""
    try:
        return float(x)
    except OverflowError:
        return float("inf") if x > 0 else float("-inf")


def field_of(mdp: MDP, exact: bool) -> Field:
    """Fractions when ``exact``, else floats."""
    return Fractions(mdp) if exact else Floats(mdp)
