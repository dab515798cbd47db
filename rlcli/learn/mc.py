"""Monte Carlo prediction: first- or every-visit, sample averages or constant α (S&B §5.1, §6.1)."""

from __future__ import annotations

import numpy as np

from rlcli.learn.episodes import Chunk, Episode
from rlcli.learn.steps import Rows, first_visits, require_complete
from rlcli.learn.visits import Rounds, Written, chunk_visits


def mc_chunk(V: np.ndarray, chunk: Chunk, rows: Rows, first_visit: bool) -> Written:
    """V(S_t) ← V(S_t) + α[G_t − V(S_t)] for every counted step of every episode of the chunk,
    episode after episode, t = 0..T−1 within one (S&B eq. 6.1; α = 1/N(s) gives the sample
    average of returns, first-visit MC of S&B §5.1).

    Each update sees the earlier ones of its state (this matters only for repeated states
    with constant α); updates of different states or rows are independent, so they are
    applied in rounds (``visits``). Returns what each update wrote.
    """
    require_complete(chunk, "Monte Carlo")
    S = V.shape[1]
    live = np.arange(chunk.horizon) < chunk.length[:, None]
    counted = first_visits(chunk.states, chunk.length, S) if first_visit else live
    visits = chunk_visits(chunk, rows.run, counted)
    key = visits.row * S + visits.state
    rounds = Rounds.of(key)
    alpha = rows.alpha[visits.row]
    if rows.sample_average:  # N(s) counts this update: the ones before the chunk, then rank
        counts = rows.visits.reshape(-1)
        alpha = np.where(np.isnan(alpha), 1.0 / (counts[key] + (rounds.rank + 1)), alpha)
        np.add.at(counts, key, 1)
    key_k, g_k, alpha_k = (x[rounds.order] for x in (key, chunk.returns[visits.at], alpha))
    flat_v = V.reshape(-1)
    value_k = np.empty(len(key))
    for k in rounds:
        here = key_k[k]
        v = flat_v[here]
        v = v + alpha_k[k] * (g_k[k] - v)
        flat_v[here] = v
        value_k[k] = v
    value = np.empty(len(key))
    value[rounds.order] = value_k
    return rounds.written(visits.episode, value)


def mc_episode(V: np.ndarray, ep: Episode, rows: Rows, first_visit: bool) -> None:
    """``mc_chunk`` on one episode of every run."""
    mc_chunk(V, Chunk.of(ep), rows, first_visit)
