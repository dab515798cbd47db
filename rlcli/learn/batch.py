"""Batch updating, S&B §6.3 and Figure 6.2 (right).

Batch updating presents all episodes seen so far again and again with a small α until
the values stop changing. That fixed point is known in closed form, so it is computed
directly after every episode instead of iterated:

- batch TD(0): Σ_{visits of s}[r + γV(s') − V(s)] = 0, i.e. V = r̂ + γP̂V, the values of the
  maximum-likelihood model built from the observed transitions (certainty equivalence);
- batch MC: the average of the returns observed from s (first or every visit).

States not visited yet keep their initial value V0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rlcli.errors import NumericalError
from rlcli.learn.episodes import Episode
from rlcli.learn.steps import first_visits, require_complete

MAX_BATCH_TD_STATES = 400  # the model is kept dense, (runs, S, S)


@dataclass
class BatchData:
    """Everything batch updating needs from the episodes seen so far, per row."""

    visits: np.ndarray  # (B, S) departures from s (TD)
    reward_sum: np.ndarray  # (B, S) Σ R_{t+1} over departures from s
    transitions: np.ndarray  # (B, S, S) counts of s → s'
    return_sum: np.ndarray  # (B, S) Σ G_t over counted visits (MC)
    return_count: np.ndarray  # (B, S)

    @classmethod
    def empty(cls, rows: int, n_states: int, td: bool) -> BatchData:
        if td and n_states > MAX_BATCH_TD_STATES:
            raise NumericalError(
                f"batch TD keeps a dense {n_states}×{n_states} model per run; it is limited "
                f"to {MAX_BATCH_TD_STATES} states"
            )
        size = n_states if td else 0
        return cls(
            np.zeros((rows, n_states)), np.zeros((rows, n_states)),
            np.zeros((rows, size, size)), np.zeros((rows, n_states)), np.zeros((rows, n_states)),
        )  # fmt: skip


def batch_td_episode(
    V: np.ndarray, ep: Episode, data: BatchData, v0: float, gamma: float, terminal: np.ndarray
) -> None:
    """Add the episode's transitions, then V ← the solution of V = r̂ + γP̂V (S&B §6.3)."""
    B, S = V.shape
    b = np.arange(B)[:, None]
    live = np.arange(ep.horizon)[None, :] < ep.length[:, None]
    s, s_next = ep.states[:, :-1], ep.states[:, 1:]
    rb, ss, sn = np.broadcast_to(b, s.shape)[live], s[live], s_next[live]
    np.add.at(data.visits, (rb, ss), 1)
    np.add.at(data.reward_sum, (rb, ss), ep.rewards[live])
    np.add.at(data.transitions, (rb, ss, sn), 1)
    seen = data.visits > 0
    n = np.maximum(data.visits, 1)
    A = np.broadcast_to(np.eye(S), (B, S, S)).copy()
    A -= np.where(seen[:, :, None], gamma * data.transitions / n[:, :, None], 0.0)
    c = np.where(seen, data.reward_sum / n, np.where(terminal, 0.0, v0))
    try:
        V[:] = np.linalg.solve(A, c[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        raise NumericalError(
            "batch TD: the model estimated from the episodes has no way out of a loop "
            "(I − γP̂ is singular); use gamma < 1 or complete episodes"
        ) from None


def batch_mc_episode(V: np.ndarray, ep: Episode, data: BatchData, v0: float, first_visit: bool,
                     terminal: np.ndarray) -> None:  # fmt: skip
    """Add the episode's returns, then V(s) ← mean of the returns from s (S&B §6.3)."""
    require_complete(ep, "batch Monte Carlo")
    B = V.shape[0]
    T = ep.horizon
    live = (
        first_visits(ep.states, ep.length, V.shape[1])
        if first_visit
        else np.arange(T)[None, :] < ep.length[:, None]
    )
    rb = np.broadcast_to(np.arange(B)[:, None], (B, T))[live]
    ss = ep.states[:, :T][live]
    np.add.at(data.return_sum, (rb, ss), ep.returns[:, :T][live])
    np.add.at(data.return_count, (rb, ss), 1)
    seen = data.return_count > 0
    V[:] = np.where(
        seen, data.return_sum / np.maximum(data.return_count, 1), np.where(terminal, 0.0, v0)
    )
