"""TD(0) and constant-α / sample-average MC over each run's episodes as one stream of steps.

Row b (a setting × run lane, see ``steps``) reads the episodes of run ``run[b]`` of a chunk
back to back: position i of run r's stream is one time step (S_t, R_{t+1}, S_{t+1}, G_t) of
one of its episodes. Every row advances one position per iteration, so a chunk costs one
Python iteration per step of its longest run stream (≈ episodes × mean length) instead of
one per time step of every episode's longest run.

- TD(0), S&B eq. 6.2: V(S_t) ← V(S_t) + α[R_{t+1} + γV(S_{t+1}) − V(S_t)], as it happens.
- MC, S&B §5.1/eq. 6.1: V(S_t) ← V(S_t) + α[G_t − V(S_t)] forward in time at the end of the
  episode. Applied at stream position t instead: nothing reads V between the steps of an
  episode but these updates, and the error is read only at episode ends, so the values at
  every episode end are the same floats.

TD and MC rows of a sweep learn in the same pass (one Python loop for both).

The error after each episode is taken from the rows whose episode ended at that position,
right after that position's update. Positions past the end of a shorter stream, and steps
that are not counted (later visits, for first-visit MC), point at a scratch column S
(value 0, reward 0): an update there writes 0 again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rlcli.learn.episodes import Chunk
from rlcli.learn.rms import rms_error
from rlcli.learn.steps import Rows, first_visits, require_complete


@dataclass(frozen=True)
class Stream:
    """A chunk's steps laid out per run: (positions, runs) arrays, scratch-padded."""

    here: np.ndarray  # (L, R) S_t, or the scratch column S
    first: np.ndarray | None  # (L, R) S_t at first visits, else S (for first-visit MC)
    ahead: np.ndarray  # (L, R) S_{t+1}, or S
    reward: np.ndarray  # (L, R) R_{t+1}; 0 at scratch steps
    ret: np.ndarray  # (L, R) G_t; 0 at scratch steps
    end_at: np.ndarray  # (N,) the position of chunk row n's last step (offset − 1 if none)

    @classmethod
    def of(cls, chunk: Chunk, n_states: int, first_visit: bool) -> Stream:
        R, count = chunk.runs, chunk.count
        length = chunk.length.reshape(count, R)
        offset = (np.cumsum(length, axis=0) - length).reshape(-1)  # (N,) stream start
        L = max(1, int(length.sum(axis=0).max()))
        n, t = np.nonzero(np.arange(chunk.horizon) < chunk.length[:, None])
        at = (offset[n] + t, n % R)

        def laid_out(values: np.ndarray, fill: float | int) -> np.ndarray:
            out = np.full((L, R), fill, dtype=values.dtype)
            out[at] = values
            return out

        s = chunk.states[n, t]
        first = None
        if first_visit:
            counted = first_visits(chunk.states, chunk.length, n_states)[n, t]
            first = laid_out(np.where(counted, s, n_states), n_states)
        return cls(
            laid_out(s, n_states), first, laid_out(chunk.states[n, t + 1], n_states),
            laid_out(chunk.rewards[n, t], 0.0), laid_out(chunk.returns[n, t], 0.0),
            offset + chunk.length - 1,
        )  # fmt: skip


@dataclass(frozen=True)
class Kinds:
    """What each row learns: TD(0), or MC (every or first visit)."""

    mc: np.ndarray  # (B,) bool
    first_visit: np.ndarray  # (B,) bool, MC rows only

    @classmethod
    def all(cls, rows: int, mc: bool, first_visit: bool) -> Kinds:
        return cls(np.full(rows, mc), np.full(rows, mc and first_visit))


def stream_chunk(
    V: np.ndarray, chunk: Chunk, rows: Rows, gamma: float, kinds: Kinds,
    v_true: np.ndarray | None = None, terminal: np.ndarray | None = None,
    watch: int | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:  # fmt: skip
    """Learn a chunk; ``V`` (B, S) in place, row b = p·R + r reading run r (``Rows``), as
    TD(0) or MC (``kinds``). Returns the RMS error against ``v_true`` of every row after
    each of the chunk's episodes, (count, B), and V(watch) likewise (or None); without
    ``v_true``, nothing is scored and the errors are NaN.

    One update serves both kinds, w = α[X + γV(A) − V(S)]: TD rows read X = R_{t+1} and
    A = S_{t+1}; MC rows X = G_t and A = the scratch column (γ·0 = 0, so X + 0 = G_t and
    the floats are those of α[G_t − V(S_t)])."""
    if kinds.mc.any():
        require_complete(chunk, "Monte Carlo")
    B, S = V.shape
    R, alpha = chunk.runs, rows.alpha
    stream = Stream.of(chunk, S, bool(kinds.first_visit.any()))
    L = stream.here.shape[0]
    wide = np.zeros((B, S + 1))  # V with the scratch column
    wide[:, :S] = V
    flat = wide.reshape(-1)
    counts = None
    if rows.sample_average:
        counts = np.zeros((B, S + 1))
        counts[:, :S] = rows.visits
        counts = counts.reshape(-1)
    # chunk rows (episodes) by the position after which they have ended: bucket j holds
    # those ending at position j − 1; bucket 0 the empty episodes at a stream's start
    after = stream.end_at + 1
    order = np.argsort(after, kind="stable")
    bounds = np.searchsorted(after[order], np.arange(L + 2))
    ends = EpisodeEnds(wide.reshape(-1, R, S + 1), chunk.count, v_true, terminal, watch)
    scored = v_true is not None
    if scored and bounds[0] < bounds[1]:
        ends.score(order[bounds[0] : bounds[1]])
    # per position, per kind present (of TD, every-visit MC, first-visit MC) and run: the
    # flat index of S within a row, that of A, and X; row p·R + r reads kind code[p] of run r
    kind = (kinds.mc.astype(np.int64) + kinds.first_visit).reshape(-1, R)[:, 0]  # (P,)
    present, code = np.unique(kind, return_inverse=True)
    scratch = np.full_like(stream.here, S)
    first = stream.here if stream.first is None else stream.first
    tables = {
        0: (stream.here, stream.ahead, stream.reward),
        1: (stream.here, scratch, stream.ret),
        2: (first, scratch, np.where(first == S, 0.0, stream.ret)),
    }
    column = np.arange(R) * (S + 1)
    here, ahead, target = (np.stack([tables[k][j] for k in present], axis=1) for j in range(3))
    here, ahead = here + column, ahead + column
    offset = (np.arange(len(code)) * R * (S + 1))[:, None]  # (P, 1) start of row p·R
    a = alpha
    for i in range(L):
        h = (here[i][code] + offset).reshape(-1)
        v = flat.take(h)
        if counts is not None:
            counts[h] += 1
            a = np.where(np.isnan(alpha), 1.0 / counts[h], alpha)
        w = flat.take(ahead[i][code] + offset).reshape(-1)  # w = α[X + γV(A) − V(S)]
        w *= gamma
        w += target[i][code].reshape(-1)
        w -= v
        w *= a
        w += v
        flat[h] = w
        if scored and bounds[i + 1] < bounds[i + 2]:
            ends.score(order[bounds[i + 1] : bounds[i + 2]])
    V[:] = wide[:, :S]
    if counts is not None:
        rows.visits[:] = counts.reshape(B, S + 1)[:, :S]
    return ends.errors, ends.watched


class EpisodeEnds:
    """The error (and V(watch)) of the rows whose episode just ended, into (count, B)
    arrays. Row p·R + r reads run r (``Rows``: settings × runs)."""

    def __init__(self, by_run: np.ndarray, count: int, v_true: np.ndarray | None,
                 terminal: np.ndarray | None, watch: int | None) -> None:  # fmt: skip
        self.by_run = by_run  # (P, R, S+1) view of the values with the scratch column
        self.v_true, self.terminal, self.watch = v_true, terminal, watch
        P, R, _ = by_run.shape
        self.rows = np.arange(P)[:, None] * R  # (P, 1) + r: the rows of run r
        self.errors = np.full((count, P * R), np.nan)
        self.watched = None if watch is None else np.empty((count, P * R))

    def score(self, ended: np.ndarray) -> None:
        """Score the rows that read the episodes ``ended`` (chunk rows: episode n // R of
        run n % R), as their values are now."""
        _, R, S1 = self.by_run.shape
        run = ended % R
        rows = self.rows + run  # (P, k)
        values = self.by_run.reshape(-1, S1).take(rows.reshape(-1), axis=0)[:, :-1]
        episode = ended // R
        self.errors[episode, rows] = rms_error(values, self.v_true, self.terminal).reshape(
            rows.shape
        )
        if self.watched is not None:
            self.watched[episode, rows] = values[:, self.watch].reshape(rows.shape)
