"""Policy and value losses, each returning the loss and its gradient.

Policy losses take per-sample log π(a|s) and return ∂L/∂log π (per sample), which
``rlcli.nn.categorical.grad_log_prob`` turns into ∂L/∂logits.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np


def pg_loss(logp: np.ndarray, adv: np.ndarray) -> tuple[float, np.ndarray]:
    """Vanilla policy gradient (REINFORCE, A2C): L = −mean(Â · log π(a|s))."""
    n = len(logp)
    return float(-(adv * logp).mean()), -adv / n


def clipped_objective(
    ratio: np.ndarray, adv: np.ndarray, clip: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per sample L^CLIP = min(ρÂ, clip(ρ, 1−ε, 1+ε)Â) (Schulman et al. 2017, eq. 7), its
    derivative ∂L/∂ρ (Â on the unclipped branch or inside the range, else 0) and whether the
    unclipped branch is the one taken. Exact on object arrays of ``Fraction``s.
    """
    unclipped = adv * ratio
    clipped_ratio = np.clip(ratio, 1 - clip, 1 + clip)
    clipped = adv * clipped_ratio
    # the min picks the unclipped term, or the clipped one (gradient 0 when ρ is outside)
    use_unclipped = unclipped <= clipped
    inside = clipped_ratio == ratio  # 1−ε ≤ ρ ≤ 1+ε
    d_ratio = np.where(use_unclipped | inside, adv, 0 * adv)
    return np.minimum(unclipped, clipped), d_ratio, use_unclipped


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
    w = 1.0 / len(logp) if weights is None else weights
    ratio = np.exp(logp - old_logp)
    objective, d_ratio, _ = clipped_objective(ratio, adv, clip)
    dlogp = -d_ratio * ratio * w  # ∂ρ/∂log π = ρ
    return float(-(objective * w).sum()), dlogp, ratio


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
        return 0.5 * float(err @ err) / n, err / n
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
    return float((np.expm1(log_ratio) - log_ratio).sum()) / len(log_ratio)


def group_advantages(
    rewards: np.ndarray, eps: float = 1e-4, ddof: int = 0, scale: bool = True
) -> np.ndarray:
    """GRPO (Shao et al. 2024): Â_i = (r_i − mean_group r) / (std_group r + ε) over (P, G) groups.

    std is the population standard deviation (``ddof`` 0) of the G rewards of a prompt;
    ``ddof=1`` gives the sample std (torch's ``.std()``, TRL). ``scale=False`` is Dr. GRPO
    (Liu et al. 2025): Â_i = r_i − mean, no division. Object arrays of ``Fraction``s stay
    exact wherever the std is rational.
    """
    mean = rewards.mean(axis=1, keepdims=True)
    if not scale:
        return rewards - mean
    return (rewards - mean) / (group_std(rewards, ddof) + eps)


def group_std(rewards: np.ndarray, ddof: int = 0) -> np.ndarray:
    """(P, 1) std of each group's rewards; exact (a Fraction) for object arrays when the
    variance is the square of a rational, else a float."""
    if rewards.dtype != object:
        return rewards.std(axis=1, ddof=ddof, keepdims=True)
    centred = rewards - rewards.mean(axis=1, keepdims=True)
    var = (centred * centred).sum(axis=1, keepdims=True) / (rewards.shape[1] - ddof)
    return np.vectorize(_sqrt, otypes=[object])(var)


def _sqrt(x: Any) -> Any:
    """√x exactly for a Fraction that is a rational square, else as a float."""
    if isinstance(x, Fraction):
        n, d = math.isqrt(x.numerator), math.isqrt(x.denominator)
        if n * n == x.numerator and d * d == x.denominator:
            return Fraction(n, d)
    return math.sqrt(x)


def normalize(adv: np.ndarray) -> np.ndarray:
    """(Â − mean Â) / (std Â + 1e-8), per minibatch (std: the population one, ddof 0)."""
    centred = adv - adv.sum() / len(adv)
    return centred / (np.sqrt(centred @ centred / len(adv)) + 1e-8)
