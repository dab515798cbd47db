"""``rlcli mdp import``: a Gymnasium env with a transition model -> MDP file text."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from rlcli.errors import UsageError
from rlcli.gym.kwargs import check_kwargs, constructor_defaults
from rlcli.gym.lazy import env_spec, gymnasium, make
from rlcli.gym.mdp_text import explicit_text, grid_form, grid_text
from rlcli.gym.transition_model import TransitionTable, transition_model

REFUSED_KWARGS = {  # arguments whose effect happens in step(), outside P
    "TaxiEnv": {"fickle_passenger": "the passenger changes destination inside step()"},
}


@dataclass(frozen=True)
class ImportedMDP:
    """The file text and what it holds."""

    text: str
    states: int
    actions: int
    outcomes: int
    form: str  # "grid" or "explicit"


def import_env(env_id: str, kwargs: dict[str, Any], gamma: Fraction) -> ImportedMDP:
    """Make ``env_id`` with ``kwargs``, read its ``P`` and write it as an MDP file.

    Grid envs are written in the grid form when its expansion has exactly the outcomes of
    ``P`` on every state an episode can reach (CliffWalking's cliff cells, which ``P``
    lists but no episode visits, disappear); otherwise, and for other envs, in the
    explicit form.
    """
    if env_id.startswith("rlcli/"):
        raise UsageError(
            f"{env_id} is one of rlcli's own tasks wrapped for Gymnasium, with no P to read: "
            "its MDP is already a file (rlcli problems list; rlcli problems copy NAME)"
        )
    gym = gymnasium()
    spec = env_spec(env_id)
    check_kwargs(env_id, spec, kwargs)
    env = make(env_id, kwargs)
    try:
        unwrapped = env.unwrapped
        arguments = {n: p.default for n, p in constructor_defaults(env.spec).items()}
        arguments.update(env.spec.kwargs)
        for key, why in REFUSED_KWARGS.get(type(unwrapped).__name__, {}).items():
            if arguments.get(key):
                raise UsageError(f"kwargs.{key}: not importable: {why}, which P does not describe")
        table = transition_model(env_id, env)
        comments = _comments(env_id, kwargs, arguments, gym.__version__, env.spec, gamma)
        if table.unreachable_dropped:
            comments.append(
                f"{table.unreachable_dropped} states of P are left out: no episode reaches "
                "them, and their P enters a terminal state without terminating."
            )
        name = f"{env_id} (imported from Gymnasium)"
        description = _description(env_id)
        grid = grid_form(unwrapped, arguments)
        if grid is not None:
            text = grid_text(comments, name, description, gamma, grid)
            mdp = _load(text)
            if mdp is not None and agrees(mdp, table):
                return ImportedMDP(text, mdp.n_states, len(mdp.actions), mdp.n_outcomes, "grid")
        text = explicit_text(comments, name, description, gamma, table)
        return ImportedMDP(
            text, len(table.states), len(table.actions), table.n_outcomes, "explicit"
        )
    finally:
        env.close()


def _load(text: str) -> Any:
    from rlcli.errors import MDPFileError
    from rlcli.mdp.read.load import loads_mdp

    try:
        return loads_mdp(text, "<grid form>")
    except MDPFileError:
        return None


def agrees(mdp: Any, table: TransitionTable) -> bool:
    """True if ``mdp`` has exactly the outcomes (next, p, r) of ``table`` in every state it
    has, the same terminal states, and lacks only states that no episode reaches."""
    if set(mdp.states) - set(table.states):
        return False
    missing = set(table.states) - set(mdp.states)
    if missing & _reachable(table):
        return False
    _, probs, rewards = mdp.exact.rational()
    for s, state in enumerate(mdp.states):
        if bool(mdp.terminal[s]) != (state in table.terminal):
            return False
        if mdp.terminal[s]:
            continue
        ours = {
            mdp.actions[mdp.pair_action[k]]: sorted(
                (mdp.states[mdp.out_next[z]], probs[z], rewards[z]) for z in mdp.outcomes(k)
            )
            for k in mdp.pairs_of(s)
        }
        theirs = {a: sorted(outs) for a, outs in table.transitions[state].items()}
        if ours != theirs:
            return False
    if table.start is not None and mdp.start is not None:
        start = {mdp.states[s]: p for s, p in enumerate(mdp.start) if p > 0}
        if set(start) != set(table.start) or not np.allclose(
            [start[s] for s in table.start], [float(p) for p in table.start.values()]
        ):
            return False
    return True


def _reachable(table: TransitionTable) -> set[str]:
    frontier = list(table.start or table.states)
    seen = set(frontier)
    while frontier:
        state = frontier.pop()
        for outcomes in table.transitions.get(state, {}).values():
            for nxt, _, _ in outcomes:
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
    return seen


def _comments(
    env_id: str,
    given: dict[str, Any],
    arguments: dict[str, Any],
    version: str,
    spec: Any,
    gamma: Fraction,
) -> list[str]:
    kw = ",".join(f"{k}={_show(v)}" for k, v in given.items())
    command = f"rlcli mdp import {env_id}" + (f" --kwargs '{kw}'" if kw else "")
    limit = spec.max_episode_steps
    return [
        f"Imported from Gymnasium {version} by: {command}",
        f"env id: {env_id}",
        "constructor arguments (defaults included): "
        + (", ".join(f"{k}={_show(v)}" for k, v in arguments.items()) or "none"),
        (
            f"TimeLimit: gymnasium.make truncates episodes after {limit} steps "
            "(max_episode_steps); that limit is not part of this MDP."
            if limit
            else "TimeLimit: none registered (max_episode_steps is None)."
        ),
        f"gamma: Gymnasium has no discount; {gamma} is this file's choice (--gamma).",
    ]


def _description(env_id: str) -> str:
    return (
        f"Gymnasium's {env_id} transition model env.unwrapped.P, read exactly: duplicate "
        "outcomes summed, probabilities as fractions, the states entered by terminating "
        "outcomes made terminal."
    )


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)
