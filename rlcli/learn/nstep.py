"""n-step TD prediction, S&B §7.1."""

from __future__ import annotations

import numpy as np

from rlcli.learn.episodes import Episode
from rlcli.learn.steps import Rows, step_size, still_running


def nstep_episode(V: np.ndarray, ep: Episode, rows: Rows, n: np.ndarray, gamma: float) -> None:
    """V(S_τ) ← V(S_τ) + α[G_{τ:τ+n} − V(S_τ)] for τ = 0..T−1 (S&B eq. 7.2).

    G_{τ:τ+n} = Σ_{i=τ}^{h−1} γ^{i−τ}R_{i+1} + γ^{h−τ}V(S_h), h = min(τ+n, T), with
    V(terminal) = 0. The reward sum is G_τ − γ^{h−τ}G_h from the episode's returns. The
    update of S_τ happens at time τ+n−1, after those of S_0..S_{τ−1}, so doing them in
    τ order with the current V is the book's algorithm exactly. ``n`` is (B,).
    """
    S = V.shape[1]
    flat_v = V.reshape(-1)
    lengths = rows.lengths(ep)
    live = np.arange(len(V))
    for tau in range(ep.horizon):
        live = still_running(live, lengths, tau)
        run = rows.run[live]
        h = np.minimum(tau + n[live], lengths[live])
        discount = gamma ** (h - tau).astype(float)
        target = ep.returns[run, tau] + discount * (
            flat_v[live * S + ep.states[run, h]] - ep.returns[run, h]
        )
        here = live * S + ep.states[run, tau]
        flat_v[here] += step_size(rows, live, here) * (target - flat_v[here])
