"""Optimal values and policies: policy iteration and value iteration (S&B §4.3–4.4).

Each returns a ``Solution``: V* (S,), Q* (K,), a deterministic optimal policy (K,),
``optimal`` (K,) bool marking every action that ties for the best, the iteration
count and, with ``trace``, one ``Step`` per iteration. Policy iteration and value
iteration for a given number of sweeps run in floats or in exact fractions (one
algorithm over ``arithmetic.Field``); value iteration to convergence runs in floats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rlcli.errors import NumericalError
from rlcli.mdp.model import MDP
from rlcli.mdp.solve.arithmetic import Field, Floats
from rlcli.mdp.solve.evaluate import check_finite
from rlcli.mdp.solve.greedy import (
    equiprobable,
    greedy_policy,
    improve,
    optimal_pairs,
    q_from_values,
    state_max,
    tie_tolerance,
)
from rlcli.mdp.solve.limits import MAX_SWEEPS, check_exact_sweeps, check_sweeps
from rlcli.mdp.solve.proper import (
    describe,
    improper_states,
    proper_compatible,
    proper_policy,
    trap_states,
)

MAX_POLICY_ITERATIONS = 10_000
MAX_VALUE_ITERATIONS = MAX_SWEEPS
TRACE_CAP = 1000  # value iteration to convergence traces the first 1000 sweeps and the last
DIVERGENCE_CHECK = 64  # gamma = 1 value iteration: look for linear growth every 64 sweeps


@dataclass(frozen=True)
class Step:
    """One iteration: its values, its policy (policy iteration: π_i, evaluated; value
    iteration: greedy with respect to V_k, every tie equiprobable), the states whose
    action changed, and, when the solver keeps them, Q (K,) from these values with its
    ties (K,) bool and the values in the solver's field (fractions when exact)."""

    index: int  # iteration or sweep number, from 1
    values: np.ndarray
    policy: np.ndarray
    changed: np.ndarray  # state indices
    q: np.ndarray | None = None
    ties: np.ndarray | None = None
    exact_values: list[Any] | None = None
    exact_q: list[Any] | None = None


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
    exact_values: list[Any] | None = None  # (S,) fractions, when solved exactly
    exact_q: list[Any] | None = None  # (K,)
    stable_since: int | None = None  # sweeps: the greedy ties have not changed since then


def _optimality_residual(mdp: MDP, q: np.ndarray, values: np.ndarray) -> float:
    """‖max_a Q(s, a) − V(s)‖∞."""
    return float(np.max(np.abs(state_max(mdp, q) - values), initial=0.0))


def changed_states(mdp: MDP, old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Indices of the states whose chosen actions differ between two (K,) policies or
    action sets (deterministic policies, or bool masks)."""
    differ = old.astype(bool) != new.astype(bool)
    return np.flatnonzero(np.bincount(mdp.pair_state, weights=differ, minlength=mdp.n_states))


def initial_policy(mdp: MDP, method: str = "policy iteration") -> np.ndarray:
    """The first action of every state, or at γ = 1 a proper policy (found by reachability);
    ``method`` names the algorithm in the refusal when no proper policy exists."""
    if mdp.gamma < 1:
        policy = np.zeros(mdp.n_pairs)
        policy[mdp.pair_ptr[:-1][mdp.n_actions_of > 0]] = 1.0
        return policy
    policy, hopeless = proper_policy(mdp)
    if len(hopeless):
        why = (
            "policy iteration has no proper policy to start from;"
            if method == "policy iteration"
            else f"{method} need not converge; run a given number of sweeps,"
        )
        raise NumericalError(
            f"gamma = 1 and no policy reaches a terminal state with probability 1 from "
            f"{len(hopeless)} state(s): {describe(mdp, hopeless)}. Every policy's return "
            f"there is an endless sum, so {why} use gamma < 1, add a way out, or list an "
            "absorbing zero-reward state under terminal."
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


@np.errstate(over="ignore", invalid="ignore")  # overflow is diagnosed by check_finite
def policy_iteration(
    mdp: MDP, pi0: np.ndarray | None = None, trace: bool = False, field: Field | None = None
) -> Solution:
    """Policy iteration: evaluate π exactly, improve greedily, stop when π is stable.

    π_{k+1}(s) ∈ argmax_a Σ p (r + γ V_{π_k}(s')); ties keep the current action, so the
    policy changes only on a strict improvement and the loop cannot cycle. ``field`` is
    the arithmetic (floats by default, ``Fractions`` for exact ties and values).
    """
    field = Floats(mdp) if field is None else field
    policy = initial_policy(mdp) if pi0 is None else np.asarray(pi0, dtype=float)
    steps: list[Step] = []
    for it in range(1, MAX_POLICY_ITERATIONS + 1):
        ev = field.evaluate(policy)
        values, q = field.floats(ev.values), field.floats(ev.q)
        tol = field.tolerance(ev.q, ev.error)
        ties = field.ties(ev.q, tol)
        new = improve(mdp, ties, current=policy)
        changed = changed_states(mdp, policy, new)
        if trace:
            exact = field.exact
            steps.append(Step(
                it, values, policy, changed, q, ties,
                list(ev.values) if exact else None, list(ev.q) if exact else None,
            ))  # fmt: skip
        if not len(changed):
            return Solution(
                values, q, policy, check_loops(mdp, values, ties, tol), it, "policy iteration",
                steps, "the greedy policy is stable (no state changes action)",
                residual=0.0 if field.exact else _optimality_residual(mdp, q, values),
                exact_values=list(ev.values) if field.exact else None,
                exact_q=list(ev.q) if field.exact else None,
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


@np.errstate(over="ignore", invalid="ignore")  # overflow is diagnosed by check_finite
def value_iteration_sweeps(mdp: MDP, sweeps: int, field: Field | None = None) -> Solution:
    """Exactly ``sweeps`` sweeps of value iteration from V₀ = 0, as exams ask for them:
    V_{k+1}(s) = max_a Σ p (r + γ V_k(s')) (S&B eq. 4.10), any γ ≤ 1 (a finite number of
    sweeps needs no contraction). After each sweep, the greedy actions with respect to
    V_k, every tie kept; ``stable_since`` is the first sweep (from 1) whose greedy actions
    every later sweep repeats; ``changed`` of sweep 1 compares with the greedy actions of
    V₀ = 0. The result's Q and policy are those greedy with respect to V_K.
    """
    field = Floats(mdp) if field is None else field
    # every sweep's values, Q and greedy ties are kept: the trace is part of the answer
    check_sweeps(sweeps, mdp.n_states, mdp.n_outcomes, True, mdp.n_pairs, "sweeps")
    if field.exact:
        check_exact_sweeps(sweeps, mdp.n_outcomes)
    v = field.zeros()
    steps: list[Step] = []
    previous = optimal_pairs(mdp, q_from_values(mdp, np.zeros(mdp.n_states)))
    stable_since = 1
    for k in range(1, sweeps + 1):
        v = field.best(field.q_from_values(v))
        field.check(v, k)
        q = field.q_from_values(v)
        field.check(q, k, "Q from the values of sweep")  # finite V_k, overflowing Q: no ties
        ties = field.ties(q, field.tolerance(q, 0.0))
        if k > 1 and not np.array_equal(ties, previous):
            stable_since = k
        exact = field.exact
        steps.append(Step(
            k, field.floats(v), equiprobable(mdp, ties), changed_states(mdp, previous, ties),
            field.floats(q), ties, list(v) if exact else None, list(q) if exact else None,
        ))  # fmt: skip
        previous = ties
    last = steps[-1]
    values, q = last.values, last.q
    assert q is not None and last.ties is not None
    return Solution(
        values, q, improve(mdp, last.ties), last.ties, sweeps, "value iteration", steps,
        f"{sweeps} sweep(s), as asked",
        residual=_optimality_residual(mdp, q, values),
        exact_values=last.exact_values, exact_q=last.exact_q, stable_since=stable_since,
    )  # fmt: skip


@np.errstate(over="ignore", invalid="ignore")  # overflow is diagnosed by check_finite
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
        initial_policy(mdp, "value iteration")  # explains states where no policy terminates
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
            step = Step(k, new, greedy, changed_states(mdp, policy, greedy))
            if len(steps) > TRACE_CAP:  # keep the first sweeps and the latest
                steps[-1] = step
            else:
                steps.append(step)
            policy = greedy
        if gamma >= 1 and k % DIVERGENCE_CHECK == 0:
            _check_growth(mdp, new - v, earlier, new)
            earlier = new - v
        v = new
        check_finite(mdp, v, f"at sweep {k}")
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
