"""Policies given on the command line: a name from the file, ``uniform``, or inline text.

A policy is a (K,) array: ``pi[k]`` is the probability of pair k's action in its state.
Inline text names an action per state, ``high=search,low=recharge``; a distribution
as ``high=search:0.5|wait:0.5``; ``*=right`` gives every (other) state the action
``right``.

Errors are ``FieldError``s on the field ``policy``; the command line names its option
(``--policy``, ``--behavior``...) instead.
"""

from __future__ import annotations

import math

import numpy as np

from rlcli.errors import FieldError
from rlcli.mdp.model import MDP
from rlcli.mdp.read.expr import ExprError, parse, to_float


def resolve_policy(mdp: MDP, spec: str) -> np.ndarray:
    """The (K,) policy that ``-p/--policy SPEC`` names."""
    spec = spec.strip()
    if spec in mdp.policies:
        return np.array(mdp.policies[spec], dtype=float)
    if spec == "uniform":
        return mdp.uniform_policy()
    if "=" in spec:
        return _inline(mdp, spec)
    named = ", ".join(mdp.policies) or "none"
    raise FieldError(
        "policy",
        f"no policy named {spec!r} in {mdp.source or 'the file'} (named policies: {named}); "
        "use 'uniform' or inline 'state=action,...'",
    )


def _inline(mdp: MDP, spec: str) -> np.ndarray:
    pi = np.zeros(mdp.n_pairs)
    given: set[int] = set()
    default: dict[str, float] | None = None
    for item in spec.split(","):
        state, sep, choice = item.partition("=")
        state, choice = state.strip(), choice.strip()
        if not sep or not state or not choice:
            raise FieldError("policy", f"expected state=action, got {item.strip()!r}")
        dist = _choice(choice, item)
        if state == "*":
            default = dist
            continue
        if state not in mdp.state_index:
            raise FieldError("policy", f"unknown state {state!r}")
        s = mdp.state_index[state]
        if s in given:
            raise FieldError("policy", f"state {state!r} is given twice")
        _assign(mdp, pi, s, dist, item)
        given.add(s)
    missing = [s for s in range(mdp.n_states) if mdp.n_actions_of[s] > 0 and s not in given]
    if default is not None:
        for s in missing:
            _assign(mdp, pi, s, default, "*=" + "|".join(default))
    elif missing:
        names = ", ".join(mdp.states[s] for s in missing[:6])
        more = f" and {len(missing) - 6} more" if len(missing) > 6 else ""
        raise FieldError(
            "policy", f"no action for state(s) {names}{more} (add them, or '*=ACTION')"
        )
    return pi


def _choice(choice: str, item: str) -> dict[str, float]:
    """``a`` -> {a: 1}; ``a:0.5|b:1/2`` -> {a: 0.5, b: 0.5} (must sum to 1)."""
    dist: dict[str, float] = {}
    for part in choice.split("|"):
        action, sep, prob = part.partition(":")
        action = action.strip()
        try:
            p = to_float(parse(prob).evaluate({})) if sep else 1.0
        except ExprError as exc:
            raise FieldError("policy", f"{item.strip()!r}: {exc}") from None
        if not action or p < 0 or p > 1:
            raise FieldError("policy", f"{item.strip()!r}: expected action or action:probability")
        dist[action] = dist.get(action, 0.0) + p
    total = math.fsum(dist.values())
    if abs(total - 1) > 1e-9:
        raise FieldError("policy", f"{item.strip()!r}: probabilities sum to {total:g}, not 1")
    return dist


def _assign(mdp: MDP, pi: np.ndarray, s: int, dist: dict[str, float], item: str) -> None:
    if mdp.n_actions_of[s] == 0:
        raise FieldError("policy", f"{mdp.states[s]!r} is terminal and takes no action")
    available = {mdp.actions[mdp.pair_action[k]]: k for k in mdp.pairs_of(s)}
    for action, p in dist.items():
        if action not in available:
            raise FieldError(
                "policy",
                f"state {mdp.states[s]!r} has no action {action!r} "
                f"(it has: {', '.join(available)}) in {item.strip()!r}",
            )
        pi[available[action]] = p
