"""TD(λ) prediction: the offline λ-return (forward view) and eligibility traces (S&B ch. 12).

Variants:

- ``offline``: the offline λ-return algorithm (§12.1, eq. 12.4). After the episode,
  V(S_t) ← V(S_t) + α[G^λ_t − V(S_t)] for t = 0..T−1 in time order. The λ-returns
  G^λ_t are computed from the values at the *start of the episode* (the values the
  episode was played with); the error term uses the running V(S_t), as in eq. 12.4.
  (The book's reference code computes each G^λ_t from the running values instead.)
  With λ = 1 this is constant-α every-visit MC exactly.
- ``accumulating`` / ``replacing``: online TD(λ) with the trace of the visited state
  incremented by 1 or set to 1 (§12.2).
- ``true-online``: true online TD(λ) with dutch traces (§12.5), tabular features.
"""

from __future__ import annotations

import numpy as np

from rlcli.learn.episodes import Episode
from rlcli.learn.steps import Rows, step_size, still_running

VARIANTS = ("offline", "accumulating", "replacing", "true-online")


def lambda_returns(
    V: np.ndarray, ep: Episode, rows: Rows, lam: np.ndarray, gamma: float
) -> np.ndarray:
    """(B, T) G^λ_t = R_{t+1} + γ[(1−λ)V(S_{t+1}) + λG^λ_{t+1}], G^λ_{T−1} = R_T + γV(S_T)
    (S&B eq. 12.2–12.3 recursively), with V(terminal) = 0; a cut episode bootstraps."""
    B, S = V.shape
    flat_v = V.reshape(-1)
    lengths = rows.lengths(ep)
    out = np.zeros((B, ep.horizon))
    ahead = np.zeros(B)  # G^λ_{t+1}
    for t in range(ep.horizon - 1, -1, -1):
        live = np.flatnonzero(lengths > t)
        run = rows.run[live]
        v_next = flat_v[live * S + ep.states[run, t + 1]]
        last = lengths[live] == t + 1
        mix = np.where(last, v_next, (1 - lam[live]) * v_next + lam[live] * ahead[live])
        out[live, t] = ep.rewards[run, t] + gamma * mix
        ahead[live] = out[live, t]
    return out


def offline_lambda_return_episode(
    V: np.ndarray, ep: Episode, rows: Rows, lam: np.ndarray, gamma: float
) -> None:
    """V(S_t) ← V(S_t) + α[G^λ_t − V(S_t)], t = 0..T−1, at the episode's end (S&B eq. 12.4)."""
    targets = lambda_returns(V, ep, rows, lam, gamma)
    S = V.shape[1]
    flat_v = V.reshape(-1)
    lengths = rows.lengths(ep)
    live = np.arange(len(V))
    for t in range(ep.horizon):
        live = still_running(live, lengths, t)
        here = live * S + ep.states[rows.run[live], t]
        flat_v[here] += step_size(rows, live, here) * (targets[live, t] - flat_v[here])


def traces_episode(
    V: np.ndarray, ep: Episode, rows: Rows, lam: np.ndarray, gamma: float, replacing: bool
) -> None:
    """Online TD(λ): δ_t = R_{t+1} + γV(S_{t+1}) − V(S_t); e ← γλe, e(S_t) += 1 (or = 1);
    V ← V + αδ_t e (S&B eq. 12.5–12.7, tabular). With α = 1/N(s), each state uses its own."""
    B, S = V.shape
    e = np.zeros_like(V)
    lengths = rows.lengths(ep)
    live = np.arange(B)
    for t in range(ep.horizon):
        live = still_running(live, lengths, t)
        run, rowpos = rows.run[live], np.arange(len(live))
        s, s_next = ep.states[run, t], ep.states[run, t + 1]
        v = V[live]
        delta = ep.rewards[run, t] + gamma * v[rowpos, s_next] - v[rowpos, s]
        e_live = e[live] * (gamma * lam[live])[:, None]
        e_live[rowpos, s] = 1.0 if replacing else e_live[rowpos, s] + 1.0
        e[live] = e_live
        alpha = step_size(rows, live, live * S + s)[:, None]
        if rows.sample_average:  # every traced state uses its own 1/N(s)
            per_state = 1.0 / np.maximum(rows.visits[live], 1)
            alpha = np.where(np.isnan(rows.alpha[live])[:, None], per_state, alpha)
        V[live] = v + alpha * delta[:, None] * e_live


def true_online_episode(
    V: np.ndarray, ep: Episode, rows: Rows, lam: np.ndarray, gamma: float
) -> None:
    """True online TD(λ), S&B §12.5 with one-hot features x(s):

    δ = R + γV(S') − V(S);  z ← γλz + (1 − αγλ z(S)) x(S);
    V ← V + α(δ + V(S) − V_old) z − α(V(S) − V_old) x(S);  V_old ← V(S').
    With α = 1/N(s) the step size of the step is 1/N(S_t).
    """
    B, S = V.shape
    z = np.zeros_like(V)
    v_old = np.zeros(B)
    lengths = rows.lengths(ep)
    live = np.arange(B)
    for t in range(ep.horizon):
        live = still_running(live, lengths, t)
        run, rowpos = rows.run[live], np.arange(len(live))
        s, s_next = ep.states[run, t], ep.states[run, t + 1]
        alpha = step_size(rows, live, live * S + s)
        decay = gamma * lam[live]
        w = V[live]
        v, v_next = w[rowpos, s], w[rowpos, s_next]
        delta = ep.rewards[run, t] + gamma * v_next - v
        z_live = z[live]
        z_s = z_live[rowpos, s]
        z_live *= decay[:, None]
        z_live[rowpos, s] += 1.0 - alpha * decay * z_s
        z[live] = z_live
        w += (alpha * (delta + v - v_old[live]))[:, None] * z_live
        w[rowpos, s] -= alpha * (v - v_old[live])
        V[live] = w
        v_old[live] = v_next
