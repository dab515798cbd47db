"""Optimal values and policies: policy iteration and value iteration (S&B §4.3–4.4).

Both return a ``Solution``: V* (S,), Q* (K,), a deterministic optimal policy (K,),
``optimal`` (K,) bool marking every action that ties for the best, the iteration
count and, with ``trace``, one ``Step`` per iteration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rlcli.errors import NumericalError
from rlcli.mdp.evaluate import evaluate_policy
from rlcli.mdp.greedy import greedy_policy, optimal_pairs, q_from_values, state_max
from rlcli.mdp.model import MDP
from rlcli.mdp.proper import describe, improper_states, proper_policy

MAX_POLICY_ITERATIONS = 10_000
MAX_VALUE_ITERATIONS = 1_000_000


@dataclass(frozen=True)
class Step:
    """One iteration: its values, its (greedy) policy and the states whose action changed."""

    values: np.ndarray
    policy: np.ndarray
    changed: np.ndarray  # state indices


@dataclass(frozen=True)
class Solution:
    values: np.ndarray
    q: np.ndarray
    policy: np.ndarray
    optimal: np.ndarray
    iterations: int
    method: str
    trace: list[Step] = field(default_factory=list)
    stopping: str = ""  # the stopping rule, in words
    bound: float | None = None  # value iteration: threshold on ‖V_{k+1} − V_k‖∞
    residual: float = 0.0  # ‖max_a Q(s, a) − V(s)‖∞, the Bellman optimality residual


def _changed(mdp: MDP, old: np.ndarray, new: np.ndarray) -> np.ndarray:
    diff = np.bincount(mdp.pair_state, weights=np.abs(old - new), minlength=mdp.n_states)
    return np.flatnonzero(diff > 0.5)


def initial_policy(mdp: MDP) -> np.ndarray:
    """The first action of every state, or at γ = 1 a proper policy (found by reachability)."""
    if mdp.gamma < 1:
        policy = np.zeros(mdp.n_pairs)
        policy[mdp.pair_ptr[:-1][mdp.n_actions_of > 0]] = 1.0
        return policy
    policy, hopeless = proper_policy(mdp)
    if len(hopeless):
        raise NumericalError(
            f"gamma = 1 and no policy reaches a terminal state with probability 1 from "
            f"{len(hopeless)} state(s): {describe(mdp, hopeless)}. Every policy's return "
            "there is an endless sum, so policy iteration has no proper policy to start "
            "from; use gamma < 1, add a way out, or list an absorbing zero-reward state "
            "under terminal."
        )
    return policy


def policy_iteration(mdp: MDP, pi0: np.ndarray | None = None, trace: bool = False) -> Solution:
    """Policy iteration: evaluate π exactly, improve greedily, stop when π is stable.

    π_{k+1}(s) ∈ argmax_a Σ p (r + γ V_{π_k}(s')); ties keep the current action, so the
    policy changes only on a strict improvement and the loop cannot cycle.
    """
    policy = initial_policy(mdp) if pi0 is None else pi0
    steps: list[Step] = []
    values, hint = None, None
    for it in range(1, MAX_POLICY_ITERATIONS + 1):
        ev = evaluate_policy(mdp, policy, v0=values, hint=hint)
        values, hint = ev.values, ev.method
        new = greedy_policy(mdp, ev.q, current=policy)
        changed = _changed(mdp, policy, new)
        if trace:
            steps.append(Step(values, policy, changed))
        if not len(changed):
            return Solution(
                values, ev.q, policy, optimal_pairs(mdp, ev.q), it, "policy iteration",
                steps, "the greedy policy is stable (no state changes action)",
                residual=float(np.max(np.abs(state_max(mdp, ev.q) - values), initial=0.0)),
            )  # fmt: skip
        if mdp.gamma >= 1:
            bad = improper_states(mdp, new)
            if len(bad):
                raise NumericalError(
                    f"gamma = 1: the improved policy loops forever from {describe(mdp, bad)} "
                    "(a zero- or positive-reward cycle beats terminating), so the optimal "
                    "values are not those of a proper policy; use gamma < 1."
                )
        policy = new
    raise NumericalError(f"policy iteration did not stabilise in {MAX_POLICY_ITERATIONS} steps")


def value_iteration(
    mdp: MDP, epsilon: float = 1e-6, trace: bool = False, max_sweeps: int | None = None
) -> Solution:
    """Value iteration V_{k+1}(s) = max_a Σ p (r + γ V_k(s')) from V₀ = 0.

    γ < 1: stop when ‖V_{k+1} − V_k‖∞ < ε(1−γ)/(2γ); then ‖V_{k+1} − V*‖∞ < ε/2 and the
    greedy policy is ε-optimal (Puterman, Thm 6.3.1). γ = 1 has no contraction factor:
    stop when ‖V_{k+1} − V_k‖∞ < ε (S&B's θ test), which bounds the last change, not the
    error; the proper-policy check of policy iteration is the exact alternative.
    """
    gamma = mdp.gamma
    if gamma < 1:
        bound = epsilon * (1 - gamma) / (2 * gamma) if gamma > 0 else np.inf
        rule = (
            f"sup-norm change < epsilon(1-gamma)/(2 gamma) = {bound:.3g}, "
            f"so V is within {epsilon:g} of V*"
        )
    else:
        initial_policy(mdp)  # explains states from which no policy terminates
        bound = epsilon
        rule = (
            f"gamma = 1: sup-norm change < epsilon = {epsilon:g} "
            "(no contraction, so this bounds the last change, not the error)"
        )
    limit = MAX_VALUE_ITERATIONS if max_sweeps is None else max_sweeps
    v = np.zeros(mdp.n_states)
    steps: list[Step] = []
    policy = greedy_policy(mdp, q_from_values(mdp, v))
    for k in range(1, limit + 1):
        q = q_from_values(mdp, v)
        new = state_max(mdp, q)
        change = float(np.max(np.abs(new - v), initial=0.0))
        if trace:
            q_new = q_from_values(mdp, new)
            greedy = greedy_policy(mdp, q_new, current=policy)
            steps.append(Step(new, greedy, _changed(mdp, policy, greedy)))
            policy = greedy
        v = new
        if not np.all(np.isfinite(v)):
            raise NumericalError("value iteration diverged (values are no longer finite)")
        if change < bound:
            q = q_from_values(mdp, v)
            return Solution(
                v, q, greedy_policy(mdp, q, current=policy), optimal_pairs(mdp, q), k,
                "value iteration", steps, rule, bound,
                float(np.max(np.abs(state_max(mdp, q) - v), initial=0.0)),
            )  # fmt: skip
    raise NumericalError(
        f"value iteration did not meet its stopping rule in {limit} sweeps ({rule})"
    )
