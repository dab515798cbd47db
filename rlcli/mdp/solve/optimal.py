"""Optimal values and policies: policy iteration and value iteration (S&B §4.3–4.4).

Both return a ``Solution``: V* (S,), Q* (K,), a deterministic optimal policy (K,),
``optimal`` (K,) bool marking every action that ties for the best, the iteration
count and, with ``trace``, one ``Step`` per iteration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rlcli.errors import NumericalError
from rlcli.mdp.model import MDP
from rlcli.mdp.solve.evaluate import evaluate_policy
from rlcli.mdp.solve.greedy import (
    greedy_policy,
    optimal_pairs,
    q_from_values,
    state_max,
    tie_tolerance,
    value_error,
)
from rlcli.mdp.solve.proper import (
    describe,
    improper_states,
    proper_compatible,
    proper_policy,
    trap_states,
)

MAX_POLICY_ITERATIONS = 10_000
MAX_VALUE_ITERATIONS = 1_000_000
DIVERGENCE_CHECK = 64  # gamma = 1 value iteration: look for linear growth every 64 sweeps


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


def check_loops(mdp: MDP, values: np.ndarray, optimal: np.ndarray, tol: float) -> np.ndarray:
    """γ = 1: refuse when tied optimal actions can loop forever where V < 0; otherwise
    return ``optimal`` without the tied actions that no proper policy can take.

    If the actions that tie for the best let the agent avoid every terminal state forever
    in a set W, then inside W V(s) = r_μ(s) + (P_μ V)(s) for such a looping policy μ, so
    its n-step return is V(s) − E[V(s_n)] with s_n ∈ W. Where V < 0 the loop (no exit
    cost) can beat every proper policy (zero-reward self-loop versus a −1 exit: V* = 0,
    not −1), so the values of the best proper policy need not be V*. Where V ≥ 0 on W the
    loop earns at most V(s) and the proper policy's values stand; an action that ties
    only by looping (stay forever, earning 0 < V) is then not reported as optimal.
    """
    if mdp.gamma < 1:
        return optimal
    trapped = trap_states(mdp, optimal)
    if not len(trapped):
        return optimal
    if float(np.min(values[trapped])) < -tol:
        raise NumericalError(
            f"gamma = 1: in state(s) {describe(mdp, trapped)}, actions that tie for the best "
            "can loop forever without reaching a terminal state (a cycle whose rewards sum "
            "to 0), while the best proper policy's values there are negative; never "
            "terminating then earns more, so the supremum over policies is not attained by "
            "a proper policy and policy iteration cannot report V*. Use gamma < 1 or make "
            "the loop costly (value iteration shows the supremum when it converges)."
        )
    inside = np.zeros(mdp.n_states, dtype=bool)
    inside[trapped] = True
    pairs = np.flatnonzero(optimal & inside[mdp.pair_state])
    refined = optimal.copy()
    refined[pairs] = proper_compatible(mdp, optimal, pairs)
    return refined


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
        tol = tie_tolerance(ev.q, value_error(mdp, ev.residual))
        new = greedy_policy(mdp, ev.q, current=policy, tol=tol)
        changed = _changed(mdp, policy, new)
        if trace:
            steps.append(Step(values, policy, changed))
        if not len(changed):
            optimal = check_loops(mdp, values, optimal_pairs(mdp, ev.q, tol), tol)
            return Solution(
                values, ev.q, policy, optimal, it, "policy iteration",
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
    stop when ‖V_{k+1} − V_k‖∞ < ε (S&B's θ test). Then the greedy policy is evaluated
    exactly (and improved until stable, if it is not): the reported V, Q and every tied
    action come from that exact evaluation. At γ = 1 a greedy policy that never
    terminates keeps the swept values (the loop's return is the sweeps' limit).
    """
    gamma = mdp.gamma
    if gamma < 1:
        bound = epsilon * (1 - gamma) / (2 * gamma) if gamma > 0 else np.inf
        rule = f"sup-norm change < epsilon(1-gamma)/(2 gamma) = {bound:.3g}"
    else:
        initial_policy(mdp)  # explains states from which no policy terminates
        bound = epsilon
        rule = f"gamma = 1: sup-norm change < epsilon = {epsilon:g}"
    limit = MAX_VALUE_ITERATIONS if max_sweeps is None else max_sweeps
    v = np.zeros(mdp.n_states)
    steps: list[Step] = []
    policy = greedy_policy(mdp, q_from_values(mdp, v))
    earlier: np.ndarray | None = None
    for k in range(1, limit + 1):
        q = q_from_values(mdp, v)
        new = state_max(mdp, q)
        change = float(np.max(np.abs(new - v), initial=0.0))
        if trace:
            q_new = q_from_values(mdp, new)
            greedy = greedy_policy(mdp, q_new, current=policy)
            steps.append(Step(new, greedy, _changed(mdp, policy, greedy)))
            policy = greedy
        if gamma >= 1 and k % DIVERGENCE_CHECK == 0:
            _check_growth(mdp, new - v, earlier, new)
            earlier = new - v
        v = new
        if not np.all(np.isfinite(v)):
            raise NumericalError("value iteration diverged (values are no longer finite)")
        if change < bound:
            return _polish(mdp, v, k, policy, steps, rule, bound)
    raise NumericalError(
        f"value iteration did not meet its stopping rule in {limit} sweeps ({rule})"
    )


def _check_growth(mdp: MDP, step: np.ndarray, earlier: np.ndarray | None, v: np.ndarray) -> None:
    """γ = 1: values that rise by the same positive amount sweep after sweep grow without
    bound (a positive-reward loop: the total reward is +∞). Checked 64 sweeps apart: the
    greedy policy loops forever and the per-sweep rise has not shrunk on its looping states."""
    if earlier is None:
        return
    looping = improper_states(mdp, greedy_policy(mdp, q_from_values(mdp, v)))
    if not len(looping):
        return
    rise = float(np.min(step[looping]))
    if rise > 1e-9 * max(1.0, float(np.max(np.abs(v)))) and rise >= 0.999 * float(
        np.min(earlier[looping])
    ):
        raise NumericalError(
            f"gamma = 1: value iteration diverges: the greedy policy loops forever from "
            f"{describe(mdp, looping)} and the values there rise by {rise:.3g} every sweep "
            "(a positive-reward cycle: its total reward is infinite, so V* is +inf). "
            "Use gamma < 1, or make the loop's rewards non-positive."
        )


def _polish(
    mdp: MDP, v: np.ndarray, sweeps: int, policy: np.ndarray, steps: list[Step], rule: str,
    bound: float,
) -> Solution:  # fmt: skip
    """After the sweeps: evaluate the greedy policy exactly; improve it until stable."""
    q = q_from_values(mdp, v)
    greedy = greedy_policy(mdp, q, current=policy)
    if mdp.gamma >= 1 and len(improper_states(mdp, greedy)):
        tol = tie_tolerance(q, bound)
        return Solution(
            v, q, greedy, optimal_pairs(mdp, q, tol), sweeps, "value iteration", steps,
            rule + "; the greedy policy never terminates, so these are the swept values "
            "(last change below epsilon, not an error bound)", bound,
            float(np.max(np.abs(state_max(mdp, q) - v), initial=0.0)),
        )  # fmt: skip
    exact = policy_iteration(mdp, pi0=greedy)
    extra = exact.iterations - 1
    how = "; then the greedy policy evaluated exactly"
    if extra:
        how += f" and improved {extra} more time(s)"
    how += ": no action improves on it, so V = V* and the ties are exact"
    return Solution(
        exact.values, exact.q, exact.policy, exact.optimal, sweeps, "value iteration",
        steps, rule + how, bound, exact.residual,
    )  # fmt: skip
