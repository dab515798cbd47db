"""Adam (Kingma & Ba 2015) with global gradient-norm clipping."""

from __future__ import annotations

import numpy as np


def clip_grad_norm(grads: list[np.ndarray], max_norm: float) -> float:
    """Scale ``grads`` in place so that their global ‖g‖₂ ≤ max_norm; return the norm before."""
    norm = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads)))
    if max_norm > 0 and norm > max_norm:
        scale = max_norm / (norm + 1e-6)
        for g in grads:
            g *= scale
    return norm


class Adam:
    """m ← β₁m + (1-β₁)g, v ← β₂v + (1-β₂)g², θ ← θ - lr·m̂/(√v̂ + ε), ε = 1e-5 (PPO default)."""

    def __init__(
        self,
        params: list[np.ndarray],
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-5,
    ):
        self.params = params
        self.lr = lr
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step = self.lr * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=False):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            # bias-corrected update with ε scaled as in PyTorch: m̂ / (√v̂ + ε)
            p -= step * m / (np.sqrt(v) + self.eps * np.sqrt(1 - b2**self.t))
