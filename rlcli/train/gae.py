"""Generalised advantage estimation (Schulman et al. 2016) and discounted reward-to-go."""

from __future__ import annotations

import numpy as np


def gae(
    r_t: np.ndarray,
    v_t: np.ndarray,
    v_last: np.ndarray,
    done_t: np.ndarray,
    gamma: float,
    lam: float,
) -> np.ndarray:
    """Â_t = δ_t + γλ(1−d_t) Â_{t+1},  δ_t = r_t + γ(1−d_t) V(s_{t+1}) − V(s_t).

    ``r_t, v_t, done_t`` are (T, N) — ``done_t`` marks that the episode ended at step t
    (so s_{t+1} belongs to a new episode); ``v_last`` (N,) is V(s_T) for the step after
    the rollout. Time-limit truncation is bootstrapped by the caller, who adds γV(s_final)
    to r_t and then marks the step done. Object arrays of ``Fraction``s (with exact γ, λ)
    give exact advantages, as ``rlcli calc gae`` shows them.
    """
    T = len(r_t)
    not_done = 1 - done_t
    v_next = np.concatenate([v_t[1:], np.reshape(v_last, (1, *v_t.shape[1:]))])  # V(s_{t+1})
    delta = r_t + gamma * v_next * not_done - v_t  # every δ_t at once
    decay = gamma * lam * not_done
    adv = np.zeros_like(v_t)
    lastgaelam = np.zeros_like(v_last)
    for t in range(T - 1, -1, -1):
        lastgaelam = delta[t] + decay[t] * lastgaelam
        adv[t] = lastgaelam
    return adv


def reward_to_go(r_t: np.ndarray, done_t: np.ndarray, gamma: float) -> np.ndarray:
    """G_t = r_t + γ(1−d_t) G_{t+1} over (T, N) arrays, 0 after the last step."""
    g = np.zeros_like(r_t)
    running = np.zeros(r_t.shape[1:])
    for t in range(len(r_t) - 1, -1, -1):
        running = r_t[t] + gamma * (1.0 - done_t[t]) * running
        g[t] = running
    return g
