"""Token-level log-probabilities and the supervised losses (``/work/shared/LM_RL.md``).

Masks are 1 on tokens that count and 0 on padding and on everything after end-of-sequence;
every sum and every average runs over the unmasked tokens only.
"""

from __future__ import annotations

import numpy as np


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log π(·) = z − logsumexp(z) over the vocabulary axis."""
    z = logits - logits.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def token_logprobs(logits: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log π(y_t | s_t) of the ``targets`` (B, T) and the full log π (B, T, V)."""
    logp_all = log_softmax(logits)
    return np.take_along_axis(logp_all, targets[..., None], -1)[..., 0], logp_all


def dlogits_from_dlogp(dlogp: np.ndarray, logp_all: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Chain rule through log-softmax: ∂L/∂z = ∂L/∂log π(y) · (onehot(y) − π)."""
    d = -np.exp(logp_all) * dlogp[..., None]
    np.put_along_axis(
        d, targets[..., None], np.take_along_axis(d, targets[..., None], -1) + dlogp[..., None], -1
    )
    return d


def entropy(logp_all: np.ndarray) -> np.ndarray:
    """H(π(·|s_t)) = −Σ_a π log π, per position."""
    return -(np.exp(logp_all) * logp_all).sum(-1)


def cross_entropy(
    logits: np.ndarray, targets: np.ndarray, mask: np.ndarray
) -> tuple[float, np.ndarray]:
    """Next-token cross-entropy L = −(1/N) Σ_t m_t log π(y_t | s_t), N = Σ m_t; returns ∂L/∂z."""
    logp, logp_all = token_logprobs(logits, targets)
    n = max(float(mask.sum()), 1.0)
    dlogp = -mask / n
    return float(-(logp * mask).sum() / n), dlogits_from_dlogp(dlogp, logp_all, targets)


def bradley_terry(
    r_chosen: np.ndarray, r_rejected: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """L = −mean log σ(r_c − r_r) (Bradley & Terry 1952; InstructGPT's reward model).

    Returns L, ∂L/∂r_c = −σ(r_r − r_c)/n and ∂L/∂r_r = −∂L/∂r_c.
    """
    n = len(r_chosen)
    diff = r_chosen - r_rejected
    loss = float(np.logaddexp(0.0, -diff).mean())  # −log σ(d) = log(1 + e^{−d})
    d_chosen = -1.0 / (1.0 + np.exp(diff)) / n
    return loss, d_chosen, -d_chosen
