"""Monte Carlo prediction: first- or every-visit, sample averages or constant α (S&B §5.1, §6.1)."""

from __future__ import annotations

import numpy as np

from rlcli.learn.episodes import Episode
from rlcli.learn.steps import Rows, first_visits, require_complete, step_size, still_running


def mc_episode(V: np.ndarray, ep: Episode, rows: Rows, first_visit: bool) -> None:
    """V(S_t) ← V(S_t) + α[G_t − V(S_t)] for t = 0..T−1 at the episode's end (S&B eq. 6.1).

    Updates go forward in time, each seeing the earlier ones (this matters only for
    repeated states with constant α). α = 1/N(s) gives the sample average of returns.
    """
    require_complete(ep, "Monte Carlo")
    S = V.shape[1]
    flat_v = V.reshape(-1)
    counted = first_visits(ep.states, ep.length, S) if first_visit else None
    lengths = rows.lengths(ep)
    live = np.arange(len(V))
    for t in range(ep.horizon):
        live = still_running(live, lengths, t)
        b = live if counted is None else live[counted[rows.run[live], t]]
        run = rows.run[b]
        here = b * S + ep.states[run, t]
        flat_v[here] += step_size(rows, b, here) * (ep.returns[run, t] - flat_v[here])
