"""AdamW with linear warm-up and cosine decay (GPT-2 conventions, ``/work/shared/LM_RL.md``),
built on ``rlcli.nn.adam``'s Adam and global-norm clipping."""

from __future__ import annotations

import math

import numpy as np

from rlcli.lm.model import Params
from rlcli.nn.adam import Adam, clip_grad_norm


def lr_at(step: int, total: int, lr: float, warmup: int) -> float:
    """lr·(s+1)/warmup during warm-up, then lr·½(1 + cos(π·progress)) down to lr/10."""
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return lr * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress))))


class AdamW:
    """Adam on every parameter; decoupled weight decay θ ← θ(1 − lr·λ) on the matrices only
    (Loshchilov & Hutter 2019); gradients clipped to a global norm first."""

    def __init__(
        self,
        params: Params,
        lr: float,
        total_steps: int,
        warmup: int = 10,
        weight_decay: float = 0.01,
        max_grad_norm: float = 1.0,
    ):
        self.names = list(params)
        self.params = params
        self.adam = Adam([params[k] for k in self.names], lr, betas=(0.9, 0.95), eps=1e-8)
        self.base_lr, self.total, self.warmup = lr, total_steps, warmup
        self.weight_decay, self.max_grad_norm = weight_decay, max_grad_norm
        self.step_count = 0

    def step(self, grads: Params) -> float:
        """One update; returns the gradient norm before clipping."""
        g = [np.asarray(grads[k], dtype=self.params[k].dtype) for k in self.names]
        norm = clip_grad_norm(g, self.max_grad_norm)
        lr = lr_at(self.step_count, self.total, self.base_lr, self.warmup)
        self.adam.lr = lr
        for k in self.names:
            if self.params[k].ndim == 2 and self.weight_decay:
                self.params[k] *= 1.0 - lr * self.weight_decay
        self.adam.step(g)
        self.step_count += 1
        return norm
