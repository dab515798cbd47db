"""Policy and value losses, each returning the loss and its gradient.

Policy losses take per-sample log π(a|s) and return ∂L/∂log π (per sample), which
``rlcli.nn.categorical.grad_log_prob`` turns into ∂L/∂logits.
"""

from __future__ import annotations

import numpy as np


def pg_loss(logp: np.ndarray, adv: np.ndarray) -> tuple[float, np.ndarray]:
    """Vanilla policy gradient (REINFORCE, A2C): L = −mean(Â · log π(a|s))."""
    n = len(logp)
    return float(-(adv * logp).mean()), -adv / n


def clipped_surrogate(
    logp: np.ndarray,
    old_logp: np.ndarray,
    adv: np.ndarray,
    clip: float,
    weights: np.ndarray | None = None,
) -> tuple[float, np.ndarray, np.ndarray]:
    """PPO-clip (Schulman et al. 2017): L = −Σ w·min(ρÂ, clip(ρ, 1−ε, 1+ε)Â), ρ = π/π_old.

    ``weights`` default to 1/n (the mean). Returns the loss, ∂L/∂log π and the ratios ρ.
    """
    w = np.full(len(logp), 1.0 / len(logp)) if weights is None else weights
    ratio = np.exp(logp - old_logp)
    pg_loss1 = -adv * ratio
    pg_loss2 = -adv * np.clip(ratio, 1 - clip, 1 + clip)
    # the max picks the unclipped term, or the clipped one (gradient 0 when ρ is outside)
    use1 = pg_loss1 >= pg_loss2
    inside = (ratio >= 1 - clip) & (ratio <= 1 + clip)
    dlogp = np.where(use1 | inside, -adv * ratio, 0.0) * w
    return float((np.maximum(pg_loss1, pg_loss2) * w).sum()), dlogp, ratio


def importance_weighted(
    logp: np.ndarray, old_logp: np.ndarray, adv: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """The unclipped surrogate of PPO's KL-penalty variant: L = −mean(ρÂ)."""
    n = len(logp)
    ratio = np.exp(logp - old_logp)
    return float(-(adv * ratio).mean()), -adv * ratio / n, ratio


def value_loss(
    v: np.ndarray, returns: np.ndarray, old_v: np.ndarray | None = None, clip: float | None = None
) -> tuple[float, np.ndarray]:
    """L = ½ mean (V − R)²; with ``clip``: ½ mean max((V−R)², (V_old + clip(V−V_old, ±ε) − R)²)."""
    n = len(v)
    err = v - returns
    if clip is None or old_v is None:
        return float(0.5 * (err**2).mean()), err / n
    v_clipped = old_v + np.clip(v - old_v, -clip, clip)
    err_c = v_clipped - returns
    use_unclipped = err**2 >= err_c**2
    inside = np.abs(v - old_v) <= clip
    dv = np.where(use_unclipped, err, np.where(inside, err_c, 0.0)) / n
    return float(0.5 * np.maximum(err**2, err_c**2).mean()), dv


def k3(logp: np.ndarray, ref_logp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Schulman's k3 estimator of KL(π ‖ π_ref) from samples a ~ π: k3 = e^{Δ} − Δ − 1,
    Δ = log π_ref(a|s) − log π(a|s); returns k3 and ∂k3/∂log π = 1 − e^{Δ}."""
    delta = ref_logp - logp
    e = np.exp(delta)
    return e - delta - 1.0, 1.0 - e


def approx_kl(logp: np.ndarray, old_logp: np.ndarray) -> float:
    """k3 estimate of KL(π_old ‖ π) from samples of π_old: mean((ρ−1) − log ρ)."""
    log_ratio = logp - old_logp
    return float((np.expm1(log_ratio) - log_ratio).mean())


def group_advantages(rewards: np.ndarray, eps: float = 1e-4) -> np.ndarray:
    """GRPO (Shao et al. 2024): Â_i = (r_i − mean_group r) / (std_group r + ε) over (P, G) groups.

    std is the population standard deviation (ddof 0) of the G rewards of a prompt.
    """
    mean = rewards.mean(axis=1, keepdims=True)
    std = rewards.std(axis=1, keepdims=True)
    return (rewards - mean) / (std + eps)


def normalize(adv: np.ndarray) -> np.ndarray:
    """(Â − mean Â) / (std Â + 1e-8), per minibatch."""
    return (adv - adv.mean()) / (adv.std() + 1e-8)
