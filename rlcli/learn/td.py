"""TD(0) prediction, S&B §6.1."""

from __future__ import annotations

import numpy as np

from rlcli.learn.episodes import Chunk, Episode
from rlcli.learn.steps import Rows
from rlcli.learn.stream import Kinds, stream_chunk


def td0_episode(V: np.ndarray, ep: Episode, rows: Rows, gamma: float) -> None:
    """V(S_t) ← V(S_t) + α[R_{t+1} + γV(S_{t+1}) − V(S_t)] online (S&B eq. 6.2), on one
    episode of every run: ``stream.stream_chunk`` on a chunk of one.

    ``V`` (B, S) is updated in place; terminal states keep the value 0. Where an
    episode was cut by --max-steps the last update still bootstraps from V(S_T).
    """
    stream_chunk(V, Chunk.of(ep), rows, gamma, Kinds.all(len(V), mc=False, first_visit=False))
