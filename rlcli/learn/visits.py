"""Learning from a whole chunk of episodes at once, for methods with one update per visit.

Monte Carlo and importance sampling change one value V(s) per counted visit of s, using only
what the episode gives (G_t, ρ_{t:T−1}) and that value's own earlier updates. So a chunk of
episodes (``episodes.Chunk``) becomes a list of visits, (learning row b, state s, episode),
and they are applied in *rounds*: round k applies the k-th update of every key (b, s) at
once. Each value sees its updates in exactly the order of the episode-by-episode algorithm,
with the same arithmetic (same floats), and a chunk costs one Python iteration per update
of its most-updated key instead of one per time step of every episode.

What each update wrote is kept (``Written``) so the error after every episode can be
computed afterwards (``rms.errors_after_each_episode``): a value holds until its key's next
update.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rlcli.learn.episodes import Chunk


@dataclass(frozen=True)
class Visits:
    """The counted steps of a chunk as seen by every learning row, in time order per (b, s)."""

    row: np.ndarray  # (U,) learning row b
    state: np.ndarray  # (U,) S_t
    episode: np.ndarray  # (U,) episode of the chunk, 0..count−1, non-decreasing
    at: tuple[np.ndarray, np.ndarray]  # (chunk row, t) of the step: where G_t, ρ_t are read


@dataclass(frozen=True)
class Written:
    """The value each update wrote: V.flat[keys[column[u]]] = value[u] after episode
    ``episode[u]``; ``keys`` are the touched flat indices b·S + s, sorted."""

    keys: np.ndarray  # (C,) sorted
    column: np.ndarray  # (U,) index into keys
    episode: np.ndarray  # (U,) non-decreasing
    value: np.ndarray  # (U,)


def stable_argsort(x: np.ndarray) -> np.ndarray:
    """``np.argsort(x, kind="stable")`` of non-negative integers, in 16 bits when they fit
    (NumPy then sorts by radix, in linear time)."""
    if len(x) and x.min() >= 0 and x.max() < 1 << 16:
        x = x.astype(np.uint16)
    return np.argsort(x, kind="stable")


def chunk_visits(chunk: Chunk, run: np.ndarray, counted: np.ndarray) -> Visits:
    """The steps marked in ``counted`` (N, T), copied to every learning row b that reads run
    ``run[b]``. Chunk row n is episode n // runs of run n % runs; ``np.nonzero`` lists the
    steps by (episode, run, t), so each (b, s) gets its visits in time order."""
    n, t = np.nonzero(counted)
    r = n % chunk.runs
    rows_by_run = np.argsort(run, kind="stable")
    per_run = np.bincount(run, minlength=chunk.runs)
    first_row = np.cumsum(per_run) - per_run
    copies = per_run[r]
    u = np.repeat(np.arange(len(n)), copies)
    within = np.arange(len(u)) - np.repeat(np.cumsum(copies) - copies, copies)
    b = rows_by_run[first_row[r][u] + within]
    n, t = n[u], t[u]
    return Visits(b, chunk.states[n, t], n // chunk.runs, (n, t))


@dataclass(frozen=True)
class Rounds:
    """Updates grouped by their rank among the updates of the same key."""

    keys: np.ndarray  # (C,) the distinct keys, sorted
    column: np.ndarray  # (U,) each update's key as an index into keys
    rank: np.ndarray  # (U,) how many earlier updates of the same key in the chunk
    order: np.ndarray  # (U,) update indices sorted by rank (time order within a rank)
    bounds: np.ndarray  # (K+1,) round k is order[bounds[k]:bounds[k+1]]

    @classmethod
    def of(cls, key: np.ndarray) -> Rounds:
        by_key = stable_argsort(key)
        sorted_key = key[by_key]
        starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
        sizes = np.diff(np.r_[starts, len(key)])
        rank = np.empty(len(key), dtype=np.int64)
        rank[by_key] = np.arange(len(key)) - np.repeat(starts, sizes)
        column = np.empty(len(key), dtype=np.int64)
        column[by_key] = np.repeat(np.arange(len(starts)), sizes)
        order = stable_argsort(rank)
        bounds = np.r_[0, np.cumsum(np.bincount(rank))]
        return cls(sorted_key[starts], column, rank, order, bounds)

    def __iter__(self) -> Iterator[slice]:
        """Round k as a slice of arrays already permuted by ``order``: at most one update per
        key, and every key's earlier updates in earlier rounds."""
        for k in range(len(self.bounds) - 1):
            yield slice(self.bounds[k], self.bounds[k + 1])

    def written(self, episode: np.ndarray, value: np.ndarray) -> Written:
        """What the updates wrote, each update's ``value`` in its original position."""
        return Written(self.keys, self.column, episode, value)
