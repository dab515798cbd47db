"""The Bellman equations of an MDP file as sympy equations, one per non-terminal state.

Expectation (S&B eq. 3.14): v_π(s) = Σ_a π(a|s) Σ_{s', r} p(s', r | s, a) [r + γ v_π(s')].
Optimality (S&B eq. 3.19):  v*(s) = max_a Σ_{s', r} p(s', r | s, a) [r + γ v*(s')].
Terminal states have value 0 and are substituted as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rlcli.errors import UsageError
from rlcli.mdp.model import MDP
from rlcli.mdp.solve.exact import rational_policy, symbolic_model

EQUATION_STATE_LIMIT = 500


@dataclass(frozen=True)
class BellmanSystem:
    """``equations[i]`` is the equation of ``states[i]``; ``unknowns`` maps each state
    to its value symbol; ``symbols`` are the kept parameters (and γ); ``choices[i]``
    names the action of each term of state i's max (sympy's Max reorders its terms)."""

    kind: str  # "expectation" or "optimality"
    states: list[str]
    equations: list[Any]  # sympy Eq
    unknowns: dict[str, Any]
    terminal: list[str]
    symbols: dict[str, Any]
    choices: list[list[tuple[str, Any]]]  # per state: (action, its q term) of a max


def value_symbol(state: str, optimal: bool) -> Any:
    import sympy as sp

    return sp.Symbol(f"v*({state})" if optimal else f"v({state})", real=True)


def bellman_equations(
    mdp: MDP, pi: np.ndarray | None = None, keep: set[str] | None = None
) -> BellmanSystem:
    """The expectation equations of ``pi``, or the optimality equations when it is None."""
    import sympy as sp

    live = [s for s in range(mdp.n_states) if not mdp.terminal[s]]
    if len(live) > EQUATION_STATE_LIMIT:
        raise UsageError(
            f"{len(live)} equations are too many to print (limit {EQUATION_STATE_LIMIT}); "
            "use mdp evaluate or mdp solve"
        )
    gamma, probs, rewards, table = symbolic_model(mdp, keep)
    optimal = pi is None
    unknowns = {mdp.states[s]: value_symbol(mdp.states[s], optimal) for s in live}
    value = [unknowns.get(name, sp.Integer(0)) for name in mdp.states]
    policy = None if pi is None else rational_policy(pi)

    def q(k: int) -> Any:  # Σ p (r + γ v(s'))
        return sp.Add(
            *(probs[z] * (rewards[z] + gamma * value[mdp.out_next[z]]) for z in mdp.outcomes(k))
        )

    equations, choices = [], []
    for s in live:
        ks = list(mdp.pairs_of(s))
        if policy is None:
            terms = [q(k) for k in ks]
            rhs = terms[0] if len(terms) == 1 else sp.Max(*terms, evaluate=False)
            names = [mdp.actions[mdp.pair_action[k]] for k in ks]
            choices.append(list(zip(names, terms, strict=True)))
        else:
            choices.append([])
            rhs = sp.Add(
                *(
                    sp.Rational(policy[k].numerator, policy[k].denominator) * q(k)
                    for k in ks
                    if policy[k] != 0
                )
            )
        equations.append(sp.Eq(value[s], rhs, evaluate=False))
    return BellmanSystem(
        "optimality" if optimal else "expectation",
        [mdp.states[s] for s in live],
        equations,
        unknowns,
        [mdp.states[s] for s in range(mdp.n_states) if mdp.terminal[s]],
        table,
        choices,
    )
