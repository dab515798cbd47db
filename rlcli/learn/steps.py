"""Learning rows, step sizes and visit masks shared by the prediction methods.

A learning row is one (setting, run) pair: the B = settings × runs rows learn side
by side, row b reading the episodes of run ``run[b]``. Values are a (B, S) array; the
time-step loops touch only the rows whose episode is still running (``live``), through
flat indices b·S + s. ``alpha[b]`` is a constant step size, or NaN for the
sample-average step size 1/N(s) (N counts the updates of s).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rlcli.learn.episodes import Episode
from rlcli.learn.errors import IncompleteEpisodes


@dataclass(frozen=True)
class Rows:
    """What each learning row needs besides its values: run index and step size."""

    run: np.ndarray  # (B,) int
    alpha: np.ndarray  # (B,) float, NaN = 1/N(s)
    visits: np.ndarray  # (B, S) update counts, for 1/N(s)
    sample_average: bool = field(init=False)  # some row uses 1/N(s)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sample_average", bool(np.isnan(self.alpha).any()))

    def lengths(self, ep: Episode) -> np.ndarray:
        """(B,) each row's episode length."""
        return ep.length[self.run]


def step_size(rows: Rows, b: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """α for the update of V at flat index b·S + s in rows b; counts it for 1/N(s)."""
    alpha = rows.alpha[b]
    if not rows.sample_average:
        return alpha
    visits = rows.visits.reshape(-1)
    visits[flat] += 1  # one update per row per call: no repeated indices
    return np.where(np.isnan(alpha), 1.0 / visits[flat], alpha)


def still_running(live: np.ndarray, lengths: np.ndarray, t: int) -> np.ndarray:
    """The rows of ``live`` whose episode has a step t."""
    return live[lengths[live] > t]


def first_visits(states: np.ndarray, length: np.ndarray, n_states: int) -> np.ndarray:
    """(R, T) mask: t < T and S_t does not occur earlier in the episode."""
    R, T = states.shape[0], states.shape[1] - 1
    live = np.arange(T) < length[:, None]
    keys = np.where(live, np.arange(R)[:, None] * n_states + states[:, :T], -1).ravel()
    _, first = np.unique(keys, return_index=True)
    mask = np.zeros(R * T, dtype=bool)
    mask[first] = True
    return mask.reshape(R, T) & live


def require_complete(ep: Episode, method: str) -> None:
    """Monte Carlo needs episodes that end; cut episodes have no true return."""
    if ep.cut.any():
        raise IncompleteEpisodes(
            "{method} needs complete episodes, but {cut} episode(s) hit {max_steps} without "
            "reaching a terminal state; raise {max_steps}, or use a TD method (they bootstrap "
            "where an episode is cut)",
            method=method,
            cut=int(ep.cut.sum()),
        )
