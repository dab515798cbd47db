"""Layers with explicit forward/backward: a linear layer with orthogonal init, and tanh.

Each ``forward`` returns ``(y, cache)``; ``backward(cache, dy)`` returns ``(dx, grads)``
with ``grads`` aligned with ``params``. float64 by default (float32 for speed).
"""

from __future__ import annotations

from functools import cache

import numpy as np


def orthogonal(n_in: int, n_out: int, gain: float, rng: np.random.Generator) -> np.ndarray:
    """(n_in, n_out) orthogonal matrix times ``gain`` (Saxe et al. 2014), via QR of a Gaussian."""
    a = rng.standard_normal((max(n_in, n_out), min(n_in, n_out)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))  # make the decomposition unique (uniform over orthogonal)
    w = q if n_in >= n_out else q.T
    return gain * w


class Linear:
    """y = x W + b, W orthogonal with ``gain``, b = 0."""

    def __init__(
        self, n_in: int, n_out: int, gain: float, rng: np.random.Generator, dtype: type = np.float64
    ):
        w = orthogonal(n_in, n_out, gain, rng) if gain > 0 else np.zeros((n_in, n_out))
        self.W = w.astype(dtype)
        self.b = np.zeros(n_out, dtype=dtype)

    @property
    def params(self) -> list[np.ndarray]:
        return [self.W, self.b]

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y = x @ self.W
        y += self.b
        return y, x

    def backward(
        self,
        x: np.ndarray,
        dy: np.ndarray,
        need_dx: bool = True,
        out: list[np.ndarray] | None = None,
    ) -> tuple[np.ndarray | None, list[np.ndarray]]:
        """∂L/∂W = xᵀ dy, ∂L/∂b = Σ_rows dy = 1ᵀ dy (a BLAS product: 4× faster than
        dy.sum(0)), ∂L/∂x = dy Wᵀ. ``out``: arrays [∂W, ∂b] to write the gradients into."""
        d_w, d_b = out if out is not None else (None, None)
        d_b = np.matmul(ones(len(dy), dy.dtype), dy, out=d_b)
        d_w = np.matmul(x.T, dy, out=d_w)
        if not need_dx:
            return None, [d_w, d_b]
        # one output (a value head): dy Wᵀ is an outer product, one multiplication per element,
        # the matmul's very numbers; a K = 1 matmul costs 3× as much as the broadcast product
        dx = dy * self.W.T if self.W.shape[1] == 1 else dy @ self.W.T
        return dx, [d_w, d_b]


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.tanh(x)
    return y, y


def tanh_backward(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
    # d tanh(x)/dx = 1 - tanh(x)²; one new array, worked on in place
    d = np.multiply(y, y, dtype=np.result_type(y, dy))
    np.subtract(1.0, d, out=d)
    d *= dy
    return d


@cache
def ones(n: int, dtype: np.dtype) -> np.ndarray:
    """A read-only vector of n ones (1ᵀdy sums the rows of dy), made once per size."""
    v = np.ones(n, dtype=dtype)
    v.flags.writeable = False
    return v
