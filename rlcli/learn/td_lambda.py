"""TD(λ) prediction: the offline λ-return (forward view) and eligibility traces (S&B ch. 12).

Variants (``methods.TD_LAMBDA_VARIANTS``):

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


def _longest_first(lengths: np.ndarray) -> np.ndarray:
    """Row order by decreasing episode length: the rows still running at step t are then
    the first ``running(t)`` rows, so each step works on array views, not copies."""
    return np.argsort(-lengths, kind="stable")


def traces_episode(
    V: np.ndarray, ep: Episode, rows: Rows, lam: np.ndarray, gamma: float, replacing: bool
) -> None:
    """Online TD(λ): δ_t = R_{t+1} + γV(S_{t+1}) − V(S_t); e ← γλe, e(S_t) += 1 (or = 1);
    V ← V + αδ_t e (S&B eq. 12.5–12.7, tabular). With α = 1/N(s), each state uses its own."""
    S = V.shape[1]
    order = _longest_first(rows.lengths(ep))
    lengths, run, decay = rows.lengths(ep)[order], rows.run[order], (gamma * lam[order])[:, None]
    W = V[order]  # rows in `order`, written back at the end
    e = np.zeros_like(W)
    for t in range(ep.horizon):
        L = int(np.searchsorted(-lengths, -t, side="left"))  # rows with length > t
        b, pos = order[:L], np.arange(L)
        s, s_next = ep.states[run[:L], t], ep.states[run[:L], t + 1]
        w, z = W[:L], e[:L]
        delta = ep.rewards[run[:L], t] + gamma * w[pos, s_next] - w[pos, s]
        z *= decay[:L]
        z[pos, s] = 1.0 if replacing else z[pos, s] + 1.0
        alpha = step_size(rows, b, b * S + s)[:, None]
        if rows.sample_average:  # every traced state uses its own 1/N(s)
            per_state = 1.0 / np.maximum(rows.visits[b], 1)
            alpha = np.where(np.isnan(rows.alpha[b])[:, None], per_state, alpha)
        w += alpha * delta[:, None] * z
    V[order] = W


def true_online_episode(
    V: np.ndarray, ep: Episode, rows: Rows, lam: np.ndarray, gamma: float
) -> None:
    """True online TD(λ), S&B §12.5 with one-hot features x(s):

    δ = R + γV(S') − V(S);  z ← γλz + (1 − αγλ z(S)) x(S);
    V ← V + α(δ + V(S) − V_old) z − α(V(S) − V_old) x(S);  V_old ← V(S').
    With α = 1/N(s) the step size of the step is 1/N(S_t).
    """
    S = V.shape[1]
    order = _longest_first(rows.lengths(ep))
    lengths, run, gl = rows.lengths(ep)[order], rows.run[order], gamma * lam[order]
    W = V[order]
    z = np.zeros_like(W)
    v_old = np.zeros(len(order))
    for t in range(ep.horizon):
        L = int(np.searchsorted(-lengths, -t, side="left"))
        b, pos = order[:L], np.arange(L)
        s, s_next = ep.states[run[:L], t], ep.states[run[:L], t + 1]
        alpha = step_size(rows, b, b * S + s)
        w, zl, decay = W[:L], z[:L], gl[:L]
        v, v_next = w[pos, s], w[pos, s_next]
        delta = ep.rewards[run[:L], t] + gamma * v_next - v
        z_s = zl[pos, s]
        zl *= decay[:, None]
        zl[pos, s] += 1.0 - alpha * decay * z_s
        w += (alpha * (delta + v - v_old[:L]))[:, None] * zl
        w[pos, s] -= alpha * (v - v_old[:L])
        v_old[:L] = v_next
    V[order] = W
