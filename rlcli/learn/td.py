"""TD(0) prediction, S&B §6.1."""

from __future__ import annotations

import numpy as np

from rlcli.learn.episodes import Episode
from rlcli.learn.steps import Rows, step_size, still_running


def td0_episode(V: np.ndarray, ep: Episode, rows: Rows, gamma: float) -> None:
    """V(S_t) ← V(S_t) + α[R_{t+1} + γV(S_{t+1}) − V(S_t)] online (S&B eq. 6.2).

    ``V`` (B, S) is updated in place; terminal states keep the value 0. Where an
    episode was cut by --max-steps the last update still bootstraps from V(S_T).
    """
    S = V.shape[1]
    flat_v = V.reshape(-1)
    lengths = rows.lengths(ep)
    live = np.arange(len(V))
    for t in range(ep.horizon):
        live = still_running(live, lengths, t)
        run, base = rows.run[live], live * S
        here, ahead = base + ep.states[run, t], base + ep.states[run, t + 1]
        delta = ep.rewards[run, t] + gamma * flat_v[ahead] - flat_v[here]
        flat_v[here] += step_size(rows, live, here) * delta
