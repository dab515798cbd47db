"""Policy evaluation: V_π from the linear system or from sweeps, and Q_π beside it.

V_π solves the Bellman expectation equation V = r_π + γ P_π V on the non-terminal
states (terminal states have value 0), S&B eq. (4.4)–(4.5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rlcli.errors import NumericalError
from rlcli.mdp.model import MDP
from rlcli.mdp.solve.greedy import optimal_pairs, q_from_values
from rlcli.mdp.solve.limits import MAX_SWEEPS, check_sweeps
from rlcli.mdp.solve.linsolve import solve_system
from rlcli.mdp.solve.proper import describe, improper_states


@dataclass(frozen=True)
class Sweep:
    """The values after sweep ``k`` and the greedy actions with respect to them: (K,) bool,
    every action whose Q ties for its state's best (S&B Figure 4.1's right column)."""

    k: int
    values: np.ndarray
    greedy: np.ndarray


@dataclass(frozen=True)
class Evaluation:
    """V_π (S,), Q_π (K,), the Bellman residual ‖r_π + γP_πV − V‖∞ and how it was solved.

    ``trace`` holds one ``Sweep`` per sweep (iterative method with tracing).
    """

    values: np.ndarray
    q: np.ndarray
    residual: float
    method: str
    sweeps: int = 0
    trace: list[Sweep] = field(default_factory=list)


def policy_model(mdp: MDP, pi: np.ndarray) -> tuple[Any, np.ndarray]:
    """(P_π (S×S), r_π (S,)): P_π = Π P, r_π = Π r; zero rows for terminal states.

    P_π is a dense array for small models (``mdp.small``), a SciPy CSR matrix otherwise.
    """
    if mdp.small:
        S = mdp.n_states
        weights = pi[mdp.out_pair] * mdp.out_prob
        cell = mdp.pair_state[mdp.out_pair] * S + mdp.out_next
        P_pi = np.bincount(cell, weights=weights, minlength=S * S).reshape(S, S)
        return P_pi, np.bincount(mdp.pair_state, weights=pi * mdp.expected_reward, minlength=S)
    Pi = mdp.policy_matrix(pi)
    return (Pi @ mdp.P).tocsr(), Pi @ mdp.expected_reward


def _system(mdp: MDP, pi: np.ndarray, live: np.ndarray, gamma: float) -> tuple[Any, np.ndarray]:
    """(A, r_π on ``live``) with A = I − γ P_π restricted to the ``live`` states: a dense
    array for small models, CSR otherwise (terminal states' values are 0, so their columns go).
    """
    if mdp.small:
        P_pi, r_pi = policy_model(mdp, pi)
        return np.eye(len(live)) - gamma * P_pi[np.ix_(live, live)], r_pi[live]
    import scipy.sparse as sparse

    chosen = np.flatnonzero(pi > 0)
    deterministic = len(chosen) == len(live) and bool(np.all(pi[chosen] == 1.0))
    if deterministic:  # P_π and r_π are rows of P and r
        M, r_pi = mdp.P[chosen], mdp.expected_reward[chosen]
    else:
        Pi = mdp.policy_matrix(pi)[live]
        M, r_pi = (Pi @ mdp.P).tocsr(), Pi @ mdp.expected_reward
    if len(live) < mdp.n_states:
        M = M[:, live]
    return (sparse.identity(len(live), format="csr") - gamma * M).tocsr(), r_pi


def bellman_residual(mdp: MDP, P_pi: Any, r_pi: np.ndarray, v: np.ndarray) -> float:
    """‖r_π + γ P_π V − V‖∞ over the non-terminal states."""
    gap = r_pi + mdp.gamma * (P_pi @ v) - v
    gap[mdp.terminal] = 0.0
    return float(np.max(np.abs(gap))) if len(gap) else 0.0


def check_finite(mdp: MDP, values: np.ndarray, when: str) -> None:
    """Values beyond the float range (rewards near 1e308, or γ near 1 on large rewards):
    say so, instead of reporting the NaN/inf that follow as a failed solve."""
    if np.all(np.isfinite(values)):
        return
    largest = float(np.max(np.abs(mdp.out_reward), initial=0.0))
    raise NumericalError(
        f"the values overflow the float range {when} (largest |reward| {largest:.3g}, "
        f"gamma = {mdp.gamma:g}; floats end at 1.8e308); exact rational arithmetic has "
        "no such limit, or rescale the rewards"
    )


def check_proper(mdp: MDP, pi: np.ndarray, sweeps: bool = False) -> None:
    """γ = 1: raise NumericalError naming the states that never terminate under π (the
    linear system is singular there; ``sweeps``: sweeping to a tolerance need not stop)."""
    if mdp.gamma < 1:
        return
    bad = improper_states(mdp, pi)
    if len(bad):
        why = (
            "sweeps need not converge there; run a given number of sweeps,"
            if sweeps
            else "(I - P_pi) V = r_pi is singular there;"
        )
        raise NumericalError(
            f"gamma = 1 and the policy does not reach a terminal state with probability 1 "
            f"from {len(bad)} state(s): {describe(mdp, bad)}. Their return is an endless "
            f"sum, so {why} change the policy, use gamma < 1, "
            "or list an absorbing zero-reward state under terminal."
        )


@np.errstate(over="ignore", invalid="ignore")  # overflow is diagnosed by check_finite
def evaluate_policy(
    mdp: MDP, pi: np.ndarray, v0: np.ndarray | None = None, hint: str | None = None
) -> Evaluation:
    """V_π = (I − γ P_π)⁻¹ r_π on the non-terminal states, and Q_π from it.

    ``v0`` warm-starts the iterative solver; ``hint`` is the solver that worked last time.
    """
    check_proper(mdp, pi)
    live = np.flatnonzero(mdp.n_actions_of > 0)
    A, r_pi = _system(mdp, pi, live, mdp.gamma)
    x, method = solve_system(A, r_pi, None if v0 is None else v0[live], hint)
    values = np.zeros(mdp.n_states)
    values[live] = x
    q = q_from_values(mdp, values)
    # Bellman residual ‖Σ_a π(a|s) Q(s, a) − V(s)‖∞
    backup = np.bincount(mdp.pair_state, weights=pi * q, minlength=mdp.n_states)
    check_finite(mdp, np.concatenate([values, q]), "in the linear solve")
    residual = float(np.max(np.abs(backup - values)[live], initial=0.0))
    if not np.isfinite(residual):
        check_finite(mdp, backup, "in the Bellman residual")
    if residual > 1e-6 * max(1.0, np.max(np.abs(values))):
        raise NumericalError(
            f"the linear solve did not converge (Bellman residual {residual:.3g}); "
            "iterative evaluation (sweeps) may still work"
        )
    return Evaluation(values, q, residual, method)


def expected_episode_length(mdp: MDP, pi: np.ndarray, start: np.ndarray) -> float:
    """E[T] from the start distribution: t = 1 + P_π t on the non-terminal states (the value
    of reward 1 per step, γ = 1); inf if π may never reach a terminal state."""
    if len(improper_states(mdp, pi)):
        return float("inf")
    live = np.flatnonzero(mdp.n_actions_of > 0)
    A, _ = _system(mdp, pi, live, 1.0)
    t = np.zeros(mdp.n_states)
    t[live], _ = solve_system(A, np.ones(len(live)))
    return float(start @ t)


@np.errstate(over="ignore", invalid="ignore")  # overflow is diagnosed by check_finite
def iterative_evaluation(
    mdp: MDP,
    pi: np.ndarray,
    sweeps: int | None = None,
    in_place: bool = False,
    tol: float = 1e-10,
    trace: bool = False,
    trace_cap: int = 1000,
) -> Evaluation:
    """Iterative policy evaluation from V₀ = 0 (S&B §4.1).

    Synchronous sweeps V_{k+1} = r_π + γ P_π V_k, or Gauss–Seidel (``in_place``: each
    state's new value is used at once, states in file order). Runs ``sweeps`` sweeps, or
    until the largest change is below ``tol`` when ``sweeps`` is None; stops at the first
    sweep whose values leave the float range. ``trace`` keeps every asked-for sweep; run to
    convergence it keeps the first ``trace_cap`` sweeps and the last.
    """
    if sweeps is not None:  # K sweeps are K finite sums: no proper policy needed
        check_sweeps(sweeps, mdp.n_states, mdp.n_outcomes, trace, mdp.n_pairs)
    else:
        check_proper(mdp, pi, sweeps=True)
    P_pi, r_pi = policy_model(mdp, pi)
    v = np.zeros(mdp.n_states)
    history: list[Sweep] = []
    limit = MAX_SWEEPS if sweeps is None else sweeps
    k = 0
    while k < limit:
        new = _gauss_seidel(mdp, P_pi, r_pi, v) if in_place else r_pi + mdp.gamma * (P_pi @ v)
        check_finite(mdp, new, f"at sweep {k + 1}")
        change = float(np.max(np.abs(new - v))) if len(v) else 0.0
        v = new
        k += 1
        if trace and (sweeps is not None or k <= trace_cap):
            history.append(Sweep(k, v.copy(), optimal_pairs(mdp, _finite_q(mdp, v, k))))
        if sweeps is None and change < tol:
            break
    else:
        if sweeps is None:
            raise NumericalError(f"iterative evaluation did not converge in {limit} sweeps")
    residual = bellman_residual(mdp, P_pi, r_pi, v)
    method = "in-place sweeps" if in_place else "synchronous sweeps"
    q = _finite_q(mdp, v, k)
    if trace and sweeps is None and k > trace_cap:  # the first sweeps and the last
        history.append(Sweep(k, v.copy(), optimal_pairs(mdp, q)))
    return Evaluation(v, q, residual, method, k, history)


def _finite_q(mdp: MDP, v: np.ndarray, k: int) -> np.ndarray:
    """Q from the values of sweep k, refused when it leaves the float range (V_k finite,
    r + γ V_k not: the greedy ties would compare infinities)."""
    q = q_from_values(mdp, v)
    check_finite(mdp, q, f"in Q from the values of sweep {k}")
    return q


def _gauss_seidel(mdp: MDP, P_pi: Any, r_pi: np.ndarray, v: np.ndarray) -> np.ndarray:
    """One in-place sweep: V(s) ← r_π(s) + γ Σ_s' P_π(s, s') V(s'), s in order."""
    v = v.copy()
    gamma = mdp.gamma
    if isinstance(P_pi, np.ndarray):
        for s in np.flatnonzero(~mdp.terminal):
            v[s] = r_pi[s] + gamma * float(P_pi[s] @ v)
        return v
    ptr, idx, val = P_pi.indptr, P_pi.indices, P_pi.data
    for s in np.flatnonzero(~mdp.terminal):
        lo, hi = ptr[s], ptr[s + 1]
        v[s] = r_pi[s] + gamma * float(val[lo:hi] @ v[idx[lo:hi]])
    return v
