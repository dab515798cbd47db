"""Worked steps for exam answers: each Bellman backup with its numbers substituted.

- value iteration: ``V₂(cool) = max{slow: 1 + 0.9·2 = 2.8, fast: 2 + 0.9·(1/2·2 + 1/2·1)
  = 3.35} = 3.35`` (S&B eq. 4.10);
- iterative policy evaluation: ``V₂(s) = 0.25·[up: -1 + 1·-1 = -2] + … = -1.75`` (eq. 4.5);
- policy iteration: the q_π table of each improvement step and the states whose action
  changes (eq. 4.6 and the policy improvement theorem).

Numbers are exact fractions when the solver ran exactly, otherwise floats as in tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rlcli.mdp.model import MDP
from rlcli.render.values import fmt

SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sub(k: int) -> str:
    """2 → ₂ (an iteration index written as a subscript)."""
    return str(k).translate(SUBSCRIPT)


def num(x: Any) -> str:
    """A number as written in a worked step: fractions as p/q, floats as in the tables."""
    if isinstance(x, (float, np.floating)):
        return fmt(x)
    return str(x)


def _factor(x: Any) -> str:
    """A number used as a factor: negative ones in parentheses, 0.9·(-1)."""
    text = num(x)
    return f"({text})" if text.startswith("-") else text


def q_expression(mdp: MDP, k: int, v: list[Any], gamma: Any, probs: Any, rewards: Any) -> str:
    """r + γ·V(s') for one outcome; r + γ·(p·V(s') + …) when every outcome pays the same r;
    p·(r + γ·V(s')) + … otherwise. V of a terminal state is 0."""
    zs = list(mdp.outcomes(k))
    nexts = [v[int(mdp.out_next[z])] for z in zs]
    if len(zs) == 1:
        return f"{num(rewards[zs[0]])} + {num(gamma)}·{_factor(nexts[0])}"
    if len({rewards[z] for z in zs}) == 1:
        mix = " + ".join(f"{num(probs[z])}·{_factor(n)}" for z, n in zip(zs, nexts, strict=True))
        return f"{num(rewards[zs[0]])} + {num(gamma)}·({mix})"
    return " + ".join(
        f"{num(probs[z])}·({num(rewards[z])} + {num(gamma)}·{_factor(n)})"
        for z, n in zip(zs, nexts, strict=True)
    )


def model_numbers(mdp: MDP, exact: bool) -> tuple[Any, Any, Any]:
    """γ, probabilities and rewards: the file's fractions when ``exact``, else floats."""
    if exact and mdp.exact is not None:
        return mdp.exact.rational()
    return mdp.gamma, mdp.out_prob.tolist(), mdp.out_reward.tolist()


def optimality_backups(
    mdp: MDP, k: int, before: list[Any], after: list[Any], exact: bool,
    states: list[int] | None = None,
) -> list[str]:  # fmt: skip
    """Sweep k of value iteration: V_k(s) = max{a: q expression = Q} = V_k(s), from V_{k-1}
    = ``before``."""
    gamma, probs, rewards = model_numbers(mdp, exact)

    def backup(s: int) -> str:
        terms = [_action_backup(mdp, j, before, gamma, probs, rewards) for j in mdp.pairs_of(s)]
        return f"max{{{', '.join(terms)}}} = {num(after[s])}"

    return _sweep_lines(mdp, k, states, backup)


def expectation_backups(
    mdp: MDP, k: int, before: list[Any], after: list[Any], pi: list[Any], exact: bool,
    in_place: bool = False, states: list[int] | None = None,
) -> list[str]:  # fmt: skip
    """Sweep k of iterative policy evaluation: V_k(s) = Σ_a π(a|s)·[a: q expression = q]
    = V_k(s). In-place sweeps use the values already updated in this sweep (file order)."""
    gamma, probs, rewards = model_numbers(mdp, exact)

    def backup(s: int) -> str:
        used = [after[t] if in_place and t < s else before[t] for t in range(mdp.n_states)]
        terms = policy_terms(
            mdp, s, pi, lambda j: _action_backup(mdp, j, used, gamma, probs, rewards)
        )
        single = len(terms) == 1 and not terms[0].endswith("]")  # one action, π = 1
        total = "" if single else f" = {num(after[s])}"  # its value already ends the term
        return " + ".join(terms) + total

    return _sweep_lines(mdp, k, states, backup)


def policy_terms(mdp: MDP, s: int, pi: list[Any], term: Callable[[int], str]) -> list[str]:
    """The terms of Σ_a π(a|s)·[term(a)] as written out: an action with π = 0 left out, the
    weight left out where π = 1."""
    terms = []
    for j in mdp.pairs_of(s):
        if pi[j]:
            terms.append(term(j) if pi[j] == 1 else f"{num(pi[j])}·[{term(j)}]")
    return terms


def _sweep_lines(
    mdp: MDP, k: int, states: list[int] | None, backup: Callable[[int], str]
) -> list[str]:
    """One line per state of sweep k, ``V_k(s) = backup(s)``; a terminal state's is 0."""
    return [
        f"V{sub(k)}({mdp.states[s]}) = " + ("0 (terminal state)" if mdp.terminal[s] else backup(s))
        for s in _states(mdp, states)
    ]


def _action_backup(mdp: MDP, j: int, v: list[Any], gamma: Any, probs: Any, rewards: Any) -> str:
    """One action's backup written out: ``a: Σ p(r + γV(s')) with numbers = q``."""
    expr = q_expression(mdp, j, v, gamma, probs, rewards)
    q = _q_value(mdp, j, v, gamma, probs, rewards)
    return f"{mdp.actions[mdp.pair_action[j]]}: {expr} = {num(q)}"


def _q_value(mdp: MDP, k: int, v: list[Any], gamma: Any, probs: Any, rewards: Any) -> Any:
    """Σ p (r + γ V(s')) in whichever arithmetic the numbers are in."""
    total: Any = 0
    for z in mdp.outcomes(k):
        total = total + probs[z] * (rewards[z] + gamma * v[int(mdp.out_next[z])])
    return total


def improvement_lines(
    mdp: MDP, i: int, q: list[Any], ties: np.ndarray, policy: np.ndarray, new: np.ndarray,
    states: list[int] | None = None,
) -> list[str]:  # fmt: skip
    """Improvement step i of policy iteration: q_{π_i}(s, a) for every action (★ the best),
    and which states switch action: "changes: s: a → b" (or "none: π_i is stable")."""
    lines = []
    changes = []
    for s in _states(mdp, states):
        if mdp.terminal[s]:
            lines.append(f"q_π{sub(i)}({mdp.states[s]}, ·): no actions (terminal state)")
            continue
        cells = [
            f"{mdp.actions[mdp.pair_action[j]]} = {num(q[j])}{' ★' if ties[j] else ''}"
            for j in mdp.pairs_of(s)
        ]
        lines.append(f"q_π{sub(i)}({mdp.states[s]}, ·): " + ", ".join(cells))
        old = [mdp.actions[mdp.pair_action[j]] for j in mdp.pairs_of(s) if policy[j] > 0.5]
        now = [mdp.actions[mdp.pair_action[j]] for j in mdp.pairs_of(s) if new[j] > 0.5]
        if old != now:
            changes.append(f"{mdp.states[s]}: {' | '.join(old) or 'mixed'} → {now[0]}")
    lines.append(
        "changes: " + "; ".join(changes) if changes else f"changes: none, π{sub(i)} is stable"
    )
    return lines


def _states(mdp: MDP, states: list[int] | None) -> list[int]:
    """Every non-terminal state, or the states asked for (each once, terminal ones too:
    their line says V = 0)."""
    if states is None:
        return [s for s in range(mdp.n_states) if not mdp.terminal[s]]
    return list(dict.fromkeys(states))


def value_iteration_work(
    mdp: MDP, steps: list[Any], exact: bool, states: list[int] | None = None
) -> list[dict[str, Any]]:
    """Every sweep's backups, from V₀ = 0: [{"iteration": k, "title", "lines"}]."""
    work = []
    before: list[Any] = [0] * mdp.n_states
    for step in steps:
        after = step.exact_values if exact else step.values.tolist()
        lines = optimality_backups(mdp, step.index, before, after, exact, states)
        work.append({"iteration": step.index, "title": f"sweep {step.index}", "lines": lines})
        before = after
    return work


def policy_iteration_work(
    mdp: MDP, steps: list[Any], exact: bool, states: list[int] | None = None
) -> list[dict[str, Any]]:
    """Every improvement step: q_π of the evaluated policy and the states that change."""
    work = []
    for i, step in enumerate(steps):
        new = steps[i + 1].policy if i + 1 < len(steps) else step.policy
        q = step.exact_q if exact else step.q.tolist()
        lines = improvement_lines(mdp, i, q, step.ties, step.policy, new, states)
        work.append({"iteration": step.index, "title": f"improvement {i + 1}", "lines": lines})
    return work


def evaluation_work(
    mdp: MDP, sweeps: list[list[Any]], pi: list[Any], exact: bool, in_place: bool,
    states: list[int] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Every evaluation sweep's expectation backups, from V₀ = 0."""
    work = []
    before: list[Any] = [0] * mdp.n_states
    for k, after in enumerate(sweeps, start=1):
        lines = expectation_backups(mdp, k, before, after, pi, exact, in_place, states)
        work.append({"sweep": k, "title": f"sweep {k}", "lines": lines})
        before = after
    return work
