"""A Gymnasium toy-text env's transition model ``env.unwrapped.P`` as an exact table.

``P[s][a]`` is a list of ``(prob, next_state, reward, terminated)`` (not part of Gymnasium's
official API). Reading it right takes care:

- the same ``(next_state, reward)`` may be listed more than once (FrozenLake's slippery
  moves off the edge): those entries are summed, p(s', r | s, a) = Σ prob;
- probabilities are floats (``0.3333333333333333``): each becomes the simplest fraction
  that rounds to exactly that float when there is one (1/3), else its decimal value;
- ``terminated`` belongs to the outcome, not to the state: a state entered by a
  terminating outcome is a terminal state (value 0, no transitions; its own ``P`` entries
  are never used by ``step``), and must then never be entered without terminating
  from a non-terminal state that an episode can reach; unreachable states that break
  this (Taxi's states with the passenger already delivered) are left out, and said so;
- the time limit lives in the ``TimeLimit`` wrapper, not in ``P``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from rlcli.errors import UsageError

MAX_OUTCOMES = 2_000_000
ROUNDING_ULPS = 8  # float arithmetic in an env's P: (1 - 0.8)/2 is 2 ulps from 1/10
ACTION_NAMES = {
    "FrozenLakeEnv": ("left", "down", "right", "up"),
    "CliffWalkingEnv": ("up", "right", "down", "left"),
    "TaxiEnv": ("south", "north", "east", "west", "pickup", "dropoff"),
}
TAXI_PLACES = ("R", "G", "Y", "B", "Taxi")  # Taxi's passenger locations 0-4 (4: in the taxi)

Outcome = tuple[str, Fraction, Fraction]  # (next state, p, r)


@dataclass(frozen=True)
class TransitionTable:
    """p(s', r | s, a) of every non-terminal state, exactly, with Gymnasium's names."""

    states: tuple[str, ...]
    actions: tuple[str, ...]
    terminal: frozenset[str]
    start: dict[str, Fraction] | None
    transitions: dict[str, dict[str, list[Outcome]]]  # state -> action -> outcomes
    unreachable_dropped: int = 0  # states of P left out (see ``_unrepresentable``)

    @property
    def n_outcomes(self) -> int:
        return sum(len(outs) for acts in self.transitions.values() for outs in acts.values())


def exact(x: float | int) -> Fraction:
    """The simplest fraction (denominator ≤ 10⁶) within 8 ulps of ``x`` (float rounding,
    as in ``(1 - 0.8)/2``), else x's shortest decimal, which is the same float.

    1/3 for 0.3333333333333333; 1/10 for 0.09999999999999998 (= (1 - 0.8)/2 in floats);
    1234567/10⁷ for 0.1234567 (a fraction 10⁻¹³ away, such as 118383/958903, is not x).
    """
    if isinstance(x, int):
        return Fraction(x)
    if not math.isfinite(x):
        raise UsageError(f"P holds the number {x}; probabilities and rewards must be finite")
    f = Fraction(x).limit_denominator(10**6)
    if abs(float(f) - x) <= ROUNDING_ULPS * math.ulp(x):
        return f
    return Fraction(repr(float(x)))


def state_names(unwrapped: Any, n_states: int) -> list[str]:
    """``r{row}c{col}`` on grids (FrozenLake, CliffWalking), Taxi's decoded
    ``r{row}c{col}_p{passenger}_d{destination}``, else ``s{index}``."""
    kind = type(unwrapped).__name__
    if kind == "FrozenLakeEnv":
        ncol = int(unwrapped.ncol)
        return [f"r{s // ncol}c{s % ncol}" for s in range(n_states)]
    if kind == "CliffWalkingEnv":
        ncol = int(unwrapped.shape[1])
        return [f"r{s // ncol}c{s % ncol}" for s in range(n_states)]
    if kind == "TaxiEnv":
        names = []
        for s in range(n_states):
            row, col, passenger, destination = (int(v) for v in unwrapped.decode(s))
            names.append(f"r{row}c{col}_p{TAXI_PLACES[passenger]}_d{TAXI_PLACES[destination]}")
        return names
    return [f"s{s}" for s in range(n_states)]


def action_names(unwrapped: Any, n_actions: int) -> list[str]:
    names = ACTION_NAMES.get(type(unwrapped).__name__)
    if names is not None and len(names) == n_actions:
        return list(names)
    return [f"a{a}" for a in range(n_actions)]


def transition_model(env_id: str, env: Any) -> TransitionTable:
    """Read ``env.unwrapped.P`` (see the module docstring for the rules).

    Raises ``UsageError`` for an env without ``P`` (Blackjack, Atari, MuJoCo, ...), one
    too big to write out, or a ``P`` that is not a finite MDP with terminal states.
    """
    unwrapped = env.unwrapped
    P = getattr(unwrapped, "P", None)
    if not isinstance(P, dict) or not P:
        extra = ""
        if type(unwrapped).__name__ == "BlackjackEnv":
            extra = (
                " Blackjack's dynamics exist only inside step(); its exact MDP is the "
                "bundled problem 'blackjack' (rlcli problems show blackjack)."
            )
        raise UsageError(
            f"{env_id} has no transition model (env.unwrapped.P): only environments that "
            f"publish one, such as FrozenLake, Taxi and CliffWalking, can be imported.{extra}"
        )
    n_states = len(P)
    n_actions = len(P[next(iter(P))])
    if sorted(P) != list(range(n_states)) or any(sorted(P[s]) != list(range(n_actions)) for s in P):
        raise UsageError(
            f"{env_id}: P is not indexed by states 0..{n_states - 1} and, in every state, "
            f"actions 0..{n_actions - 1}"
        )
    bound = sum(len(outs) for acts in P.values() for outs in acts.values())
    if bound > MAX_OUTCOMES:
        raise UsageError(
            f"{env_id}: P lists {bound:,} outcomes; at most {MAX_OUTCOMES:,} can be imported"
        )
    names = state_names(unwrapped, n_states)
    actions = action_names(unwrapped, n_actions)
    cache: dict[Any, Fraction] = {}

    def q(x: Any) -> Fraction:
        key = (type(x), x)
        if key not in cache:
            cache[key] = exact(x.item() if hasattr(x, "item") else x)
        return cache[key]

    terminal = {
        int(nxt) for acts in P.values() for outs in acts.values()
        for prob, nxt, _, done in outs if done and prob > 0
    }  # fmt: skip
    dropped = _unrepresentable(env_id, P, terminal, names, _start_states(unwrapped, n_states))
    transitions: dict[str, dict[str, list[Outcome]]] = {}
    for s in range(n_states):
        if s in terminal or s in dropped:
            continue
        per_action: dict[str, list[Outcome]] = {}
        for a in range(n_actions):
            merged: dict[tuple[int, Fraction], Fraction] = {}
            for prob, nxt, reward, _ in P[s][a]:
                if prob < 0:
                    raise UsageError(
                        f"{env_id}: P[{s}][{a}] holds the probability {float(prob)!r}; "
                        "probabilities cannot be negative"
                    )
                if prob == 0:
                    continue
                key = (int(nxt), q(reward))
                merged[key] = merged.get(key, Fraction(0)) + q(prob)
            total = sum(merged.values(), Fraction(0))
            if abs(total - 1) > Fraction(1, 10**9):
                raise UsageError(
                    f"{env_id}: the probabilities of P[{s}][{a}] sum to {float(total)}, not 1"
                )
            per_action[actions[a]] = [(names[n], p, r) for (n, r), p in merged.items()]
        transitions[names[s]] = per_action
    return TransitionTable(
        states=tuple(n for s, n in enumerate(names) if s not in dropped),
        actions=tuple(actions),
        terminal=frozenset(names[s] for s in terminal),
        start=_start(unwrapped, names, q),
        transitions=transitions,
        unreachable_dropped=len(dropped),
    )


def _start_states(unwrapped: Any, n_states: int) -> set[int]:
    dist = getattr(unwrapped, "initial_state_distrib", None)
    if dist is None or len(dist) != n_states:
        return set(range(n_states))
    return {s for s, p in enumerate(dist) if p > 0}


def _unrepresentable(
    env_id: str, P: dict, terminal: set[int], names: list[str], starts: set[int]
) -> set[int]:
    """The states to leave out: those whose ``P`` enters a terminal state without
    terminating (Taxi's passenger-already-delivered states), and those whose ``P`` enters
    a state left out. Every one must be unreachable from the start, else ``UsageError``."""
    nonterminal_next = {
        s: {int(nxt) for outs in P[s].values() for prob, nxt, _, _ in outs if prob > 0}
        for s in P if s not in terminal
    }  # fmt: skip
    dropped = {
        s for s in nonterminal_next
        if any(int(nxt) in terminal and not done and prob > 0
               for outs in P[s].values() for prob, nxt, _, done in outs)
    }  # fmt: skip
    reached, frontier = set(starts), list(starts)
    while frontier:
        s = frontier.pop()
        for nxt in nonterminal_next.get(s, ()):
            if nxt not in reached:
                reached.add(nxt)
                frontier.append(nxt)
    conflict = sorted(dropped & reached)
    if conflict:
        raise UsageError(
            f"{env_id}: from state {names[conflict[0]]}, P enters a terminal state without "
            "terminating, and episodes reach that state; such a P has no terminal-state form"
        )
    changed = True
    while changed:
        grown = {s for s, nexts in nonterminal_next.items() if nexts & dropped} - dropped
        changed = bool(grown)
        dropped |= grown
    return dropped


def _start(unwrapped: Any, names: list[str], q: Any) -> dict[str, Fraction] | None:
    dist = getattr(unwrapped, "initial_state_distrib", None)
    if dist is None or len(dist) != len(names):
        return None
    return {names[s]: q(float(p)) for s, p in enumerate(dist) if p > 0}
