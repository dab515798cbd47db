"""What ``mdp evaluate`` and ``mdp solve`` compute, from a request to a result.

A request names its settings by field (``method``, ``sweeps``, ``exact``, ``symbolic``,
``keep``, ``epsilon``, ``start``, ``trace``); a setting that does not fit the others
raises ``FieldError`` on the field, which the CLI reports under its flag.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from rlcli.mdp.model import MDP
from rlcli.mdp.solve import limits
from rlcli.mdp.solve.arithmetic import Floats, Fractions
from rlcli.mdp.solve.evaluate import Evaluation, Sweep, evaluate_policy, iterative_evaluation
from rlcli.mdp.solve.limits import (
    FieldError,
    check_exact_size,
    check_exact_sweeps,
    check_sweeps,
)
from rlcli.mdp.solve.optimal import (
    Solution,
    policy_iteration,
    value_iteration,
    value_iteration_sweeps,
)


@dataclass(frozen=True)
class EvaluationRun:
    """V_π in floats, and beside it (``exact``/``symbolic``) the exact values and Q as
    Fractions or sympy expressions; ``exact_trace`` the exact values after each sweep."""

    evaluation: Evaluation
    how: str
    exact_values: list[Any] | None = None
    exact_q: list[Any] | None = None
    exact_trace: list[list[Any]] = field(default_factory=list)
    symbolic: bool = False


def run_evaluation(
    mdp: MDP,
    pi: np.ndarray,
    *,
    iterative: bool = False,
    sweeps: int | None = None,
    in_place: bool = False,
    exact: bool = False,
    symbolic: bool = False,
    keep: set[str] | None = None,
    trace: bool = False,
) -> EvaluationRun:
    """V_π by the linear system or by sweeps, in floats and, if asked, exactly."""
    from rlcli.mdp.solve import exact as exact_solve

    if (sweeps is not None or in_place) and not iterative:
        raise FieldError("sweeps" if sweeps is not None else "in_place", "needs iterative sweeps")
    if exact and symbolic:
        raise FieldError("symbolic", "choose one of exact fractions and symbolic closed forms")
    if keep is not None and not symbolic:
        raise FieldError("keep", "is an option of symbolic closed forms (it chooses their symbols)")
    if iterative and symbolic:
        raise FieldError("symbolic", "closed forms come from the linear system, not sweeps")
    if iterative and exact and sweeps is None:
        raise FieldError("exact", "exact sweeps need a number of sweeps")
    if iterative and exact:
        assert sweeps is not None
        check_sweeps(sweeps, mdp.n_states, mdp.n_outcomes, trace, mdp.n_pairs)
        history = exact_solve.sweeps_exact(mdp, pi, sweeps, in_place)
        ev = _exact_sweeps_evaluation(mdp, pi, history, in_place, trace)
        how = f"{ev.method}: {ev.sweeps} sweep(s) from V0 = 0; exact: rational arithmetic"
        return EvaluationRun(ev, how, history[-1], None, history)
    if iterative:
        ev = iterative_evaluation(mdp, pi, sweeps=sweeps, in_place=in_place, trace=trace)
        return EvaluationRun(ev, f"{ev.method}: {ev.sweeps} sweep(s) from V0 = 0")
    if symbolic:
        with symbolic_budget(mdp, keep):
            closed = exact_solve.evaluate_symbolic(mdp, pi, keep)
        ev = _float_evaluation(mdp, pi, closed.values, closed.q)
        return EvaluationRun(
            ev, "linear solve; exact: sympy closed form", closed.values, closed.q, symbolic=True
        )
    if exact:
        ex = exact_solve.evaluate_exact(mdp, pi)
        ev = _float_evaluation(mdp, pi, ex.values, ex.q)
        return EvaluationRun(ev, "linear solve; exact: rational arithmetic", ex.values, ex.q)
    ev = evaluate_policy(mdp, pi)
    return EvaluationRun(ev, f"linear solve ({ev.method})")


def _exact_sweeps_evaluation(
    mdp: MDP, pi: np.ndarray, history: list[list[Any]], in_place: bool, trace: bool
) -> Evaluation:
    """The float view of exact sweeps (no float arithmetic, so nothing overflows): V_K,
    Q from V_K, the residual ‖Σ_a π(a|s) Q(s, a) − V_K(s)‖∞, and per sweep the greedy
    actions decided exactly."""
    from rlcli.mdp.solve.exact import rational_policy

    field = Fractions(mdp)
    last = history[-1]
    q = field.q_from_values(last)
    policy = rational_policy(pi)
    gaps = [
        abs(sum((policy[k] * q[k] for k in mdp.pairs_of(s)), Fraction(0)) - last[s])
        for s in range(mdp.n_states)
        if not mdp.terminal[s]
    ]
    sweeps = [
        Sweep(k, field.floats(v), field.ties(field.q_from_values(v), 0.0))
        for k, v in enumerate(history, start=1)
    ] if trace else []  # fmt: skip
    method = "in-place sweeps" if in_place else "synchronous sweeps"
    residual = float(field.floats([max(gaps, default=Fraction(0))])[0])
    return Evaluation(field.floats(last), field.floats(q), residual, method, len(history), sweeps)


def _float_evaluation(mdp: MDP, pi: np.ndarray, values: list[Any], q: list[Any]) -> Evaluation:
    """The exact answer's floats when they are numbers (a closed form with symbols falls
    back to the float solve for its table)."""
    from rlcli.mdp.solve.arithmetic import to_float

    try:
        v = np.array([to_float(x) for x in values])
        qs = np.array([to_float(x) for x in q])
    except TypeError:
        return evaluate_policy(mdp, pi)
    return Evaluation(v, qs, 0.0, "exact")


@dataclass(frozen=True)
class SolveRun:
    """The solution, and with ``symbolic`` the closed form of V* and Q* for the policy
    found, with the conditions under which it stays optimal."""

    solution: Solution
    closed_values: list[Any] | None = None
    closed_q: list[Any] | None = None
    conditions: list[Any] = field(default_factory=list)
    region: Any = None  # exact.Region: the one free symbol's values where it stays optimal


def run_solve(
    mdp: MDP,
    *,
    value_iteration_method: bool = False,
    start: np.ndarray | None = None,
    epsilon: float | None = None,
    sweeps: int | None = None,
    exact: bool = False,
    symbolic: bool = False,
    keep: set[str] | None = None,
    trace: bool = False,
) -> SolveRun:
    """Policy iteration (default) or value iteration, to convergence or for ``sweeps``."""
    from rlcli.mdp.solve import exact as exact_solve

    if epsilon is not None and not value_iteration_method:
        raise FieldError("epsilon", "is a value-iteration option")
    if epsilon is not None and not epsilon > 0:
        raise FieldError("epsilon", f"must be positive, got {epsilon:g}")
    if epsilon is not None and sweeps is not None:
        raise FieldError("epsilon", "value iteration stops by epsilon or after K sweeps, not both")
    if sweeps is not None and not value_iteration_method:
        raise FieldError("sweeps", "is a value-iteration option (policy iteration runs to the end)")
    if start is not None and value_iteration_method:
        raise FieldError("start", "is a policy-iteration option")
    if exact and symbolic:
        raise FieldError("symbolic", "choose one of exact fractions and symbolic closed forms")
    if keep is not None and not symbolic:
        raise FieldError("keep", "is an option of symbolic closed forms (it chooses their symbols)")
    if symbolic and value_iteration_method and sweeps is not None:
        raise FieldError(
            "symbolic", "closed forms come from the linear system of v*, not from K sweeps"
        )
    if exact and value_iteration_method and sweeps is None:
        raise FieldError(
            "exact", "value iteration in fractions runs a given number of sweeps; give them"
        )
    if exact and not value_iteration_method:  # before the file's numbers become fractions
        check_exact_size(int(np.count_nonzero(~mdp.terminal)))
    if exact and sweeps is not None:
        check_exact_sweeps(sweeps, mdp.n_outcomes)
    if value_iteration_method and sweeps is not None:
        sol = value_iteration_sweeps(mdp, sweeps, Fractions(mdp) if exact else Floats(mdp))
    elif value_iteration_method:
        sol = value_iteration(mdp, 1e-6 if epsilon is None else epsilon, trace=trace)
    else:
        sol = policy_iteration(mdp, start, trace=trace, field=Fractions(mdp) if exact else None)
    if not symbolic:
        return SolveRun(sol)
    with symbolic_budget(mdp, keep):
        closed = exact_solve.evaluate_symbolic(mdp, sol.policy, keep)
        conditions = exact_solve.optimality_conditions(mdp, sol.policy, closed.q)
        region = exact_solve.optimality_region(mdp, conditions, keep)
    return SolveRun(sol, closed.values, closed.q, conditions, region)


@contextmanager
def symbolic_budget(mdp: MDP, keep: set[str] | None) -> Iterator[None]:
    """Closed forms get ``limits.SYMBOLIC_SECONDS`` of CPU time (the hard limit of ``rlcli
    derive``, with its timer), then a ``FieldError`` on ``symbolic`` says what to do."""
    from rlcli.derive.timelimit import TimeLimitExceeded, time_limit

    seconds = limits.SYMBOLIC_SECONDS
    try:
        with time_limit(seconds):
            yield
    except TimeLimitExceeded:
        live = int((~mdp.terminal).sum())
        kept = sorted(keep) if keep is not None else [*sorted(mdp.exact.parameters), "gamma"]
        symbols = ", ".join(kept) if kept else "none"
        raise FieldError(
            "symbolic",
            f"gave up on the closed form after {seconds:g} s of computation ({live} "
            f"non-terminal states, symbols kept: {symbols}); keep fewer symbols, or use "
            "exact fractions",
            droppable=True,
        ) from None
