"""Adam (Kingma & Ba 2015) with global gradient-norm clipping."""

from __future__ import annotations

import math

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
        self._scratch = [(np.empty_like(p), np.empty_like(p)) for p in params]

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step = self.lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        # bias-corrected update with ε scaled as in PyTorch: m̂ / (√v̂ + ε)
        eps = self.eps * math.sqrt(1 - b2**self.t)
        for p, g, m, v, (s, u) in zip(
            self.params, grads, self.m, self.v, self._scratch, strict=False
        ):
            m *= b1
            m += np.multiply(g, 1 - b1, out=s)
            v *= b2
            v += np.multiply(np.multiply(g, g, out=s), 1 - b2, out=s)
            np.sqrt(v, out=s)
            s += eps
            np.multiply(m, step, out=u)
            u /= s
            p -= u  # θ ← θ − step·m / (√v + ε̂), in scratch arrays: no allocation
