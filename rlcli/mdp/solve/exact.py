"""Exact solving: policy evaluation and policy iteration in rational arithmetic, and
closed-form V_π with sympy symbols.

The numbers come from the file's expressions (``mdp.exact``), never from the rounded
floats, so ``9/10`` stays 9/10 and V(high) comes out as a fraction such as 1000/59.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from rlcli.errors import NumericalError, UsageError
from rlcli.mdp.model import MDP
from rlcli.mdp.solve.evaluate import check_proper
from rlcli.mdp.solve.limits import (
    SYMBOLIC_STATE_LIMIT,
    FieldError,
    check_digits,
    check_exact_size,
    check_exact_sweeps,
)

POLICY_DENOMINATOR = 10**6


@dataclass(frozen=True)
class ExactEvaluation:
    values: list[Any]  # (S,) Fractions or sympy expressions
    q: list[Any]  # (K,)


def exact_data(mdp: MDP) -> Any:
    """The file's expressions behind the numbers (exact and symbolic modes need them)."""
    if mdp.exact is None:
        raise UsageError("exact mode needs the file's expressions (load the MDP from a file)")
    return mdp.exact


def rational_policy(pi: np.ndarray) -> list[Fraction]:
    """(K,) policy probabilities as fractions: the simplest fraction (denominator ≤ 10⁶)
    that is the same float, so 1/3 stays 1/3; otherwise the shortest decimal that is the
    same float, so 0.1234567 stays 1234567/10⁷ (never a nearby fraction)."""
    return [_rational(float(p)) for p in pi]


def _rational(p: float) -> Fraction:
    simple = Fraction(p).limit_denominator(POLICY_DENOMINATOR)
    return simple if float(simple) == p else Fraction(repr(p))


def solve_rational(rows: list[dict[int, Any]], rhs: list[Any]) -> list[Any]:
    """Solve Σ_j rows[i][j] x_j = rhs[i] exactly by sparse Gaussian elimination.

    The matrix is I − γP_π for a proper policy, a non-singular M-matrix, so its leading
    pivots are positive and no pivoting is needed; rows stay dicts, so sparse systems
    stay cheap. Works for Fractions and for sympy expressions alike.
    """
    n = len(rows)
    rows = [dict(r) for r in rows]
    rhs = list(rhs)
    holders: list[set[int]] = [set() for _ in range(n)]  # rows below the pivot holding j
    for i, row in enumerate(rows):
        for j in row:
            holders[j].add(i)
    for i in range(n):
        pivot_row = rows[i]
        pivot = pivot_row.get(i, 0)
        if pivot == 0:
            raise NumericalError("the linear system is singular (zero pivot)")
        for r in sorted(holders[i]):
            if r <= i:
                continue
            factor = rows[r].pop(i) / pivot
            for j, a in pivot_row.items():
                if j == i:
                    continue
                new = rows[r].get(j, 0) - factor * a
                if new == 0:
                    rows[r].pop(j, None)
                    holders[j].discard(r)
                else:
                    rows[r][j] = new
                    holders[j].add(r)
            rhs[r] = rhs[r] - factor * rhs[i]
    x: list[Any] = [0] * n
    for i in range(n - 1, -1, -1):
        total = rhs[i] - sum((a * x[j] for j, a in rows[i].items() if j != i), 0)
        x[i] = total / rows[i][i]
    return x


def solve_symbolic(rows: list[dict[int, Any]], rhs: list[Any]) -> list[Any]:
    """Solve the same sparse system with sympy expressions, over the field of rational
    functions in the symbols (``DomainMatrix``), which cancels as it goes instead of
    letting expressions swell."""
    import sympy as sp
    from sympy.polys.matrices import DomainMatrix

    n = len(rows)
    A = sp.zeros(n, n)
    for i, row in enumerate(rows):
        for j, a in row.items():
            A[i, j] = a
    dA, db = DomainMatrix.from_Matrix(A), DomainMatrix.from_Matrix(sp.Matrix(rhs))
    field = dA.domain.unify(db.domain).get_field()
    x = dA.convert_to(field).lu_solve(db.convert_to(field)).to_Matrix()
    return list(x)


def evaluate_in_field(
    mdp: MDP,
    pi: list[Any],
    gamma: Any,
    probs: list[Any],
    rewards: list[Any],
    zero: Any,
    solve: Any = solve_rational,
) -> ExactEvaluation:
    """V = r_π + γ P_π V on the non-terminal states, then Q(s, a) = Σ p (r + γ V(s'))."""
    live = [s for s in range(mdp.n_states) if not mdp.terminal[s]]
    column = {s: i for i, s in enumerate(live)}
    rows: list[dict[int, Any]] = []
    rhs: list[Any] = []
    for s in live:
        row: dict[int, Any] = {column[s]: 1 + zero}
        b = zero
        for k in mdp.pairs_of(s):
            if pi[k] == 0:
                continue
            for z in mdp.outcomes(k):
                b += pi[k] * probs[z] * rewards[z]
                t = int(mdp.out_next[z])
                if not mdp.terminal[t]:
                    row[column[t]] = row.get(column[t], zero) - gamma * pi[k] * probs[z]
        rows.append({j: a for j, a in row.items() if a != 0})
        rhs.append(b)
    x = solve(rows, rhs) if rows else []
    values: list[Any] = [zero] * mdp.n_states
    for s, v in zip(live, x, strict=True):
        values[s] = v
    q = [
        sum(
            (probs[z] * (rewards[z] + gamma * values[mdp.out_next[z]]) for z in mdp.outcomes(k)),
            zero,
        )
        for k in range(mdp.n_pairs)
    ]
    return ExactEvaluation(values, q)


def evaluate_exact(mdp: MDP, pi: np.ndarray) -> ExactEvaluation:
    """V_π and Q_π as Fractions from the file's exact numbers."""
    check_exact_size(int(np.count_nonzero(~mdp.terminal)))  # before the fractions are made
    gamma, probs, rewards = exact_data(mdp).rational()
    check_proper(mdp, pi)
    return evaluate_in_field(mdp, rational_policy(pi), gamma, probs, rewards, Fraction(0))


def sweeps_exact(mdp: MDP, pi: np.ndarray, sweeps: int, in_place: bool = False) -> list[list]:
    """Iterative policy evaluation in fractions from V₀ = 0: the values after each sweep,
    V_{k+1}(s) = Σ_a π(a|s) Σ p (r + γ V_k(s')) (Gauss–Seidel when ``in_place``)."""
    check_exact_sweeps(sweeps, mdp.n_outcomes)
    gamma, probs, rewards = exact_data(mdp).rational()
    policy = rational_policy(pi)
    v = [Fraction(0)] * mdp.n_states
    history = []
    for k in range(1, sweeps + 1):
        new = v if in_place else list(v)
        for s in range(mdp.n_states):
            if mdp.terminal[s]:
                continue
            new[s] = sum(
                (
                    policy[k] * probs[z] * (rewards[z] + gamma * v[mdp.out_next[z]])
                    for k in mdp.pairs_of(s)
                    if policy[k]
                    for z in mdp.outcomes(k)
                ),
                Fraction(0),
            )
            check_digits(new[s], k)
        v = new
        history.append(list(v))
    return history


def symbolic_model(mdp: MDP, keep: set[str] | None = None) -> tuple[Any, list, list, dict]:
    """γ, probabilities and rewards as sympy expressions, keeping the parameters in
    ``keep`` (all, and γ, when None) as symbols. ``gamma`` in ``keep`` makes the
    discount the symbol γ, printed ``gamma``. Returns also {name: Symbol}."""
    import sympy as sp

    data = exact_data(mdp)
    names = set(data.parameters) | {"gamma"} if keep is None else set(keep)
    unknown = names - set(data.parameters) - {"gamma"}
    if unknown:
        known = ", ".join([*data.parameters, "gamma"])
        raise FieldError("keep", f"no parameter named {sorted(unknown)[0]!r} (symbols: {known})")
    want_gamma = "gamma" in names and "gamma" not in data.parameters
    params = names - {"gamma"} if want_gamma else names
    gamma, probs, rewards, table = data.symbolic(params)
    if want_gamma:
        gamma = sp.Symbol("gamma", positive=True)
        table = {**table, "gamma": gamma}
    return gamma, probs, rewards, table


def evaluate_symbolic(mdp: MDP, pi: np.ndarray, keep: set[str] | None = None) -> ExactEvaluation:
    """V_π and Q_π in closed form: sympy expressions in the kept symbols, simplified."""
    import sympy as sp

    gamma, probs, rewards, table = symbolic_model(mdp, keep)
    live = int(np.count_nonzero(~mdp.terminal))
    if live > SYMBOLIC_STATE_LIMIT:
        raise FieldError(
            "symbolic",
            f"closed forms are limited to {SYMBOLIC_STATE_LIMIT} non-terminal states (this MDP "
            f"has {live}): sympy's rational functions grow fast with the number of states; "
            "use rational or floating-point arithmetic instead",
            droppable=True,
        )
    if not table or gamma == 1:
        check_proper(mdp, pi)
    policy = [sp.Rational(p.numerator, p.denominator) for p in rational_policy(pi)]
    ev = evaluate_in_field(mdp, policy, gamma, probs, rewards, sp.Integer(0), solve_symbolic)
    tidy = _simplify if table else sp.nsimplify
    return ExactEvaluation([tidy(v) for v in ev.values], [tidy(v) for v in ev.q])


@dataclass(frozen=True)
class OptimalityCondition:
    """π* stays optimal in ``state`` while ``margin`` = q(s, π*(s)) − q(s, action) ≥ 0."""

    state: str
    chosen: str
    action: str
    margin: Any  # sympy expression in the kept symbols


def optimality_conditions(mdp: MDP, policy: np.ndarray, q: list[Any]) -> list[OptimalityCondition]:
    """Where a deterministic policy stays optimal: q(s, π(s)) − q(s, a) ≥ 0 for every other a.

    ``q`` is the policy's closed-form Q (from ``evaluate_symbolic``). By the policy
    improvement theorem these inequalities are exactly the region of parameter values
    in which the policy is optimal. Margins that are positive constants are left out.
    """
    conditions = []
    for s in range(mdp.n_states):
        pairs = list(mdp.pairs_of(s))
        chosen = [k for k in pairs if policy[k] > 0]
        if len(chosen) != 1:
            continue
        for k in pairs:
            if k == chosen[0]:
                continue
            margin = _simplify(q[chosen[0]] - q[k])
            if margin.is_number and margin > 0:
                continue
            conditions.append(
                OptimalityCondition(
                    mdp.states[s],
                    mdp.actions[mdp.pair_action[chosen[0]]],
                    mdp.actions[mdp.pair_action[k]],
                    margin,
                )
            )
    return conditions


def _simplify(expr: Any) -> Any:
    import sympy as sp

    return sp.factor(sp.cancel(sp.together(expr)))


@dataclass(frozen=True)
class Region:
    """The values of the one free ``symbol`` for which the policy is optimal: ``where``
    (a sympy Interval or Union) inside the symbol's ``domain``."""

    symbol: str
    where: Any
    domain: Any


def optimality_region(mdp: MDP, conditions: list[OptimalityCondition], keep: set[str] | None
                      ) -> Region | None:  # fmt: skip
    """With one free symbol x, reduce every margin(x) ≥ 0 to a set of x: an interval
    such as "γ ∈ [0, 1)", inside the values x can take (``symbol_domain``).
    None when there are several symbols, or sympy cannot solve the inequalities."""
    import sympy as sp

    gamma, probs, _, table = symbolic_model(mdp, keep)
    if len(table) != 1:
        return None
    name, x = next(iter(table.items()))
    try:
        domain = symbol_domain(name, x, gamma, probs, episodic=mdp.gamma >= 1)
        where = domain
        for c in conditions:
            where = where & sp.solve_univariate_inequality(
                sp.Ge(c.margin, 0), x, relational=False, domain=domain
            )
    except (NotImplementedError, ValueError, TypeError):
        return None
    return Region(name, where, domain)


def symbol_domain(name: str, x: Any, gamma: Any, probs: list[Any], episodic: bool) -> Any:
    """The values the symbol x can take: γ ∈ [0, 1), or [0, 1] when the file's γ is 1
    (``episodic``: the policy found then terminates, so its values are finite at γ = 1);
    a parameter, the reals where every probability that uses it lies in [0, 1] (alpha
    and 1 − alpha: [0, 1]) and a discount that uses it in [0, 1)."""
    import sympy as sp

    if name == "gamma":
        domain = sp.Interval(0, 1) if episodic else sp.Interval.Ropen(0, 1)
    else:
        domain = sp.S.Reals
    bounds = [(p, sp.Ge(p, 0), sp.Le(p, 1)) for p in set(probs)]
    if name != "gamma":
        bounds.append((gamma, sp.Ge(gamma, 0), sp.Lt(gamma, 1)))
    for expr, *rules in bounds:
        if x not in getattr(expr, "free_symbols", ()):
            continue
        for rule in rules:
            domain = domain & sp.solve_univariate_inequality(
                rule, x, relational=False, domain=domain
            )
    return domain
