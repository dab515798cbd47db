"""One-step TD targets for control, one pure function per method (S&B §6.4–6.7).

Each takes the reward R_{t+1}, the discount γ and what the method reads of the next state
S_{t+1}, and returns the target the update Q(S_t, A_t) += α[target − Q(S_t, A_t)] moves
towards. Arrays run over learning rows; next-state values are (L, max actions) with −∞
where a state has fewer actions. Only rows whose S_{t+1} is not terminal are passed: at a
terminal state the target is R_{t+1} alone.
"""

from __future__ import annotations

import numpy as np


def sarsa_target(r: np.ndarray, gamma: float, q_next_taken: np.ndarray) -> np.ndarray:
    """R_{t+1} + γ Q(S_{t+1}, A_{t+1}), A_{t+1} the action the behaviour takes next (eq. 6.7)."""
    return r + gamma * q_next_taken


def q_learning_target(r: np.ndarray, gamma: float, q_next: np.ndarray) -> np.ndarray:
    """R_{t+1} + γ max_a Q(S_{t+1}, a) (eq. 6.8)."""
    return r + gamma * q_next.max(axis=1)


def expected_sarsa_target(r: np.ndarray, gamma: float, q_next: np.ndarray,
                          pi_next: np.ndarray) -> np.ndarray:  # fmt: skip
    """R_{t+1} + γ Σ_a π(a|S_{t+1}) Q(S_{t+1}, a) (eq. 6.9), π the ε-greedy policy."""
    finite = np.where(np.isfinite(q_next), q_next, 0.0)
    return r + gamma * np.sum(pi_next * finite, axis=1)


def double_q_target(r: np.ndarray, gamma: float, q_other_at_own_best: np.ndarray) -> np.ndarray:
    """R_{t+1} + γ Q₂(S_{t+1}, argmax_a Q₁(S_{t+1}, a)) for the update of Q₁ (§6.7): one table
    picks the action, the other values it."""
    return r + gamma * q_other_at_own_best
