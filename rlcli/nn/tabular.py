"""The tabular softmax policy π(a|s) = exp θ[s,a] / Σ_b exp θ[s,b], for small exercises."""

from __future__ import annotations

import numpy as np

from rlcli.nn.categorical import log_softmax


class TabularSoftmax:
    """θ is an (S, A) table started at 0 (uniform policy); ``mask`` marks the legal actions."""

    def __init__(self, n_states: int, n_actions: int, mask: np.ndarray | None = None):
        self.theta = np.zeros((n_states, n_actions))
        self.mask = mask
        self.params = [self.theta]

    def log_probs(self, states: np.ndarray) -> np.ndarray:
        """(N, A) log π(·|s) for integer states."""
        mask = None if self.mask is None else self.mask[states]
        return log_softmax(self.theta[states], mask)

    def grad_log_prob(self, states: np.ndarray, actions: np.ndarray, g: np.ndarray) -> np.ndarray:
        """∂L/∂θ given ∂L/∂log π(a_i|s_i) = g_i, using ∇_θ[s,·] log π(a|s) = onehot(a) − π(·|s)."""
        p = np.exp(self.log_probs(states))
        d = -p * g[:, None]
        d[np.arange(len(actions)), actions] += g
        grad = np.zeros_like(self.theta)
        np.add.at(grad, states, d)
        return grad
