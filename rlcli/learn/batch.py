"""Batch updating, S&B §6.3 and Figure 6.2 (right).

Batch updating presents all episodes seen so far again and again with a small α until
the values stop changing. That fixed point is known in closed form, so it is computed
directly after every episode instead of iterated:

- batch TD(0): Σ_{visits of s}[r + γV(s') − V(s)] = 0, i.e. V = r̂ + γP̂V, the values of the
  maximum-likelihood model built from the observed transitions (certainty equivalence);
- batch MC: the average of the returns observed from s (first or every visit).

States not visited yet keep their initial value V0.

A chunk of episodes is learned at once: the statistics after each episode are cumulative
sums over the chunk's episodes (``np.bincount`` per episode, then ``np.cumsum``), and the
fixed points after all of them come from one batched solve, in blocks of episodes that bound
the memory of the (episodes, runs, S, S) models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rlcli.errors import NumericalError
from rlcli.learn.episodes import Chunk, Episode
from rlcli.learn.errors import IncompleteEpisodes
from rlcli.learn.steps import first_visits, require_complete

MAX_BATCH_TD_STATES = 400  # the model is kept dense, (runs, S, S)
BLOCK_ELEMENTS = 1 << 22  # model entries (episodes × runs × S × S) solved at once


@dataclass
class BatchData:
    """Everything batch updating needs from the episodes seen so far, per run."""

    visits: np.ndarray  # (R, S) departures from s (TD)
    reward_sum: np.ndarray  # (R, S) Σ R_{t+1} over departures from s
    transitions: np.ndarray  # (R, S, S) counts of s → s'
    return_sum: np.ndarray  # (R, S) Σ G_t over counted visits (MC)
    return_count: np.ndarray  # (R, S)

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


def batch_td_chunk(chunk: Chunk, data: BatchData, v0: float, gamma: float,
                   terminal: np.ndarray) -> np.ndarray:  # fmt: skip
    """(count, R, S) the values after each episode of the chunk, per run: the solution of
    V = r̂ + γP̂V from all transitions so far (S&B §6.3); ``data`` is advanced."""
    R, S = chunk.runs, data.visits.shape[1]
    n, t = np.nonzero(np.arange(chunk.horizon) < chunk.length[:, None])
    s, s_next, reward = chunk.states[n, t], chunk.states[n, t + 1], chunk.rewards[n, t]
    out = np.empty((chunk.count, R, S))
    for e0, e1, here in _blocks(n, chunk, R * S * S):
        k = e1 - e0
        cell = n[here] - e0 * R  # (episode − e0)·R + run
        visits = _cumulative(data.visits, cell * S + s[here], None, k)
        reward_sum = _cumulative(data.reward_sum, cell * S + s[here], reward[here], k)
        transitions = _cumulative(data.transitions, (cell * S + s[here]) * S + s_next[here],
                                  None, k)  # fmt: skip
        seen = visits > 0
        count = np.maximum(visits, 1)
        # A = I − γP̂ built in place in ``transitions`` (fresh from _cumulative): at 213
        # states × 100 runs each temporary is 36 MB per episode, and allocating four of them
        # per solve cost more (in page faults) than the solve
        A = transitions
        A *= gamma  # (γ·T)/N as before, then negated: the same floats
        A /= count[..., None]
        np.negative(A, out=A)
        A[~seen] = 0.0  # a state never left: V(s) = c(s), the identity row
        A.reshape(*A.shape[:-2], S * S)[..., :: S + 1] += 1.0
        c = np.where(seen, reward_sum / count, np.where(terminal, 0.0, v0))
        try:
            out[e0:e1] = np.linalg.solve(A, c[..., None])[..., 0]
        except np.linalg.LinAlgError:  # γ = 1: only cut episodes leave a closed loop
            raise IncompleteEpisodes(
                "batch TD: the model estimated from the episodes has a loop with no way out "
                "(I − γP̂ is singular), as episodes cut at {max_steps} never left it; raise "
                "{max_steps}, use gamma < 1, or use TD(0) (it bootstraps where an episode is "
                "cut)"
            ) from None
    return out


def batch_mc_chunk(chunk: Chunk, data: BatchData, v0: float, first_visit: bool,
                   terminal: np.ndarray) -> np.ndarray:  # fmt: skip
    """(count, R, S) the values after each episode of the chunk, per run: the mean of the
    returns observed from each state so far (S&B §6.3); ``data`` is advanced."""
    require_complete(chunk, "batch Monte Carlo")
    R, S = chunk.runs, data.return_sum.shape[1]
    counted = (
        first_visits(chunk.states, chunk.length, S)
        if first_visit
        else np.arange(chunk.horizon) < chunk.length[:, None]
    )
    n, t = np.nonzero(counted)
    s, g = chunk.states[n, t], chunk.returns[n, t]
    out = np.empty((chunk.count, R, S))
    for e0, e1, here in _blocks(n, chunk, R * S):
        cell = (n[here] - e0 * R) * S + s[here]
        total = _cumulative(data.return_sum, cell, g[here], e1 - e0)
        count = _cumulative(data.return_count, cell, None, e1 - e0)
        out[e0:e1] = np.where(count > 0, total / np.maximum(count, 1),
                              np.where(terminal, 0.0, v0))  # fmt: skip
    return out


def _blocks(n: np.ndarray, chunk: Chunk, per_episode: int):
    """Episodes e0..e1−1 of the chunk in blocks of at most ``BLOCK_ELEMENTS`` model entries
    (one episode at least), with the steps (indices into ``n``, sorted) that belong to them."""
    step = max(1, BLOCK_ELEMENTS // per_episode)
    for e0 in range(0, chunk.count, step):
        e1 = min(chunk.count, e0 + step)
        lo, hi = np.searchsorted(n, [e0 * chunk.runs, e1 * chunk.runs])
        yield e0, e1, slice(lo, hi)


def _cumulative(total: np.ndarray, cell: np.ndarray, weight: np.ndarray | None,
                episodes: int) -> np.ndarray:  # fmt: skip
    """(episodes, *total.shape): ``total`` plus the sums of ``weight`` (1 each if None) by
    flat cell index over the episodes up to each; ``total`` becomes the last of them."""
    size = episodes * total.size
    sums = np.bincount(cell, weights=weight, minlength=size).astype(float, copy=False)
    out = np.cumsum(sums.reshape(episodes, *total.shape), axis=0)
    out += total
    total[...] = out[-1]
    return out


def batch_td_episode(
    V: np.ndarray, ep: Episode, data: BatchData, v0: float, gamma: float, terminal: np.ndarray
) -> None:
    """Add the episode's transitions, then V ← the solution of V = r̂ + γP̂V (S&B §6.3):
    ``batch_td_chunk`` on one episode of every row."""
    V[:] = batch_td_chunk(Chunk.of(ep), data, v0, gamma, terminal)[-1]


def batch_mc_episode(V: np.ndarray, ep: Episode, data: BatchData, v0: float, first_visit: bool,
                     terminal: np.ndarray) -> None:  # fmt: skip
    """Add the episode's returns, then V(s) ← mean of the returns from s (S&B §6.3):
    ``batch_mc_chunk`` on one episode of every row."""
    V[:] = batch_mc_chunk(Chunk.of(ep), data, v0, first_visit, terminal)[-1]
