"""Which states episodes can visit, and whether they end: graph search over the transitions
a policy allows."""

from __future__ import annotations

import numpy as np

from rlcli.learn.errors import SettingError
from rlcli.mdp.model import MDP


def reachable(mdp: MDP, pi: np.ndarray, start: np.ndarray) -> np.ndarray:
    """(S,) True for the states reachable with positive probability from the start states
    (``start > 0``) when following the (K,) policy ``pi``."""
    from rlcli.mdp.solve.proper import reachable_states

    return reachable_states(mdp, pi, np.flatnonzero(start > 0))


def never_ending_starts(mdp: MDP, pi: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The start states (``start > 0``) from which episodes under the (K,) policy ``pi`` may
    never reach a terminal state (reach one with probability < 1)."""
    from rlcli.mdp.solve.proper import improper_states

    stuck = np.zeros(mdp.n_states, dtype=bool)
    stuck[improper_states(mdp, pi)] = True  # a mask, not np.intersect1d: that loads numpy.ma
    return np.flatnonzero(stuck & (start > 0))


def episode_limit(
    mdp: MDP, max_steps: int | None, default: int, pi: np.ndarray | None = None,
    start: np.ndarray | None = None,
) -> int:  # fmt: skip
    """The step limit ``max_steps`` of an episode, or ``default`` when episodes surely end.

    Required (no default) when episodes under ``pi`` (every action when None) from the
    start states may never end: no terminal state, or one out of reach.
    """
    if max_steps is not None:
        if max_steps < 1:
            raise SettingError("{max_steps} must be at least 1, got {value}", value=max_steps)
        return max_steps
    if not mdp.terminal.any():
        raise SettingError(
            "{name} has no terminal state, so episodes never end: pass {max_steps} N to cut "
            "them (TD methods bootstrap where an episode is cut)",
            name=mdp.name or "the MDP",
        )
    if start is not None:
        from rlcli.mdp.solve.proper import describe

        stuck = never_ending_starts(mdp, mdp.uniform_policy() if pi is None else pi, start)
        if len(stuck):
            raise SettingError(
                "episodes from {states} may never reach a terminal state under this policy: "
                "pass {max_steps} N to cut them",
                states=describe(mdp, stuck),
            )
    return default
