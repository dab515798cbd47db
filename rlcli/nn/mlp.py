"""A multilayer perceptron with tanh hidden layers and manual backprop."""

from __future__ import annotations

import math

import numpy as np

from rlcli.nn.layers import Linear, tanh_backward


class MLP:
    """x → [Linear → tanh] × len(hidden) → Linear.

    Hidden layers get orthogonal init with gain √2, the output layer ``out_gain``
    (0.01 for policy logits, 1 for values: the CleanRL/SB3 convention). ``out_gain=0``
    zeroes the output layer; with ``hidden=()`` and one-hot inputs this is exactly the
    tabular softmax policy θ[s, a] started uniform.
    """

    def __init__(
        self,
        n_in: int,
        hidden: tuple[int, ...],
        n_out: int,
        rng: np.random.Generator,
        out_gain: float = 1.0,
        dtype: type = np.float64,
    ):
        sizes = [n_in, *hidden, n_out]
        gains = [math.sqrt(2.0)] * len(hidden) + [out_gain]
        self.layers = [
            Linear(a, b, g, rng, dtype) for a, b, g in zip(sizes, sizes[1:], gains, strict=False)
        ]
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads: list[np.ndarray] | None = None  # where ``backward`` writes, if shared

    def share(self, flat: np.ndarray, offset: int, grad: np.ndarray | None = None) -> int:
        """Move the weights into ``flat[offset:]`` (views), so one optimizer step updates all;
        with ``grad`` (shaped as ``flat``), ``backward`` writes each gradient into the same
        place of ``grad``: the flat gradient vector without a copy."""
        grads = []
        for layer in self.layers:
            for name in ("W", "b"):
                p = getattr(layer, name)
                view = flat[offset : offset + p.size].reshape(p.shape)
                view[...] = p
                setattr(layer, name, view)
                if grad is not None:
                    grads.append(grad[offset : offset + p.size].reshape(p.shape))
                offset += p.size
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = grads if grad is not None else None
        return offset

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        cache = []
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            z, x_in = layer.forward(x)
            x = np.tanh(z, out=z) if i < last else z  # z is the layer's own fresh array
            cache.append((x_in, x))
        return x, cache

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)[0]

    def backward(self, cache: list, dy: np.ndarray) -> list[np.ndarray]:
        """Gradients of the loss w.r.t. ``params`` given ∂L/∂output = ``dy`` (written into
        the shared gradient vector's views after ``share(..., grad)``: the next call
        overwrites them)."""
        grads: list[np.ndarray] = []
        for i in range(len(self.layers) - 1, -1, -1):
            x_in, y = cache[i]
            if i < len(self.layers) - 1:
                dy = tanh_backward(y, dy)
            out = None if self.grads is None else self.grads[2 * i : 2 * i + 2]
            dy, g = self.layers[i].backward(x_in, dy, i > 0, out)
            grads = g + grads
        return grads

    def input_grad(self, cache: list, dy: np.ndarray) -> np.ndarray:
        """∂L/∂x (for gradient checks)."""
        for i in range(len(self.layers) - 1, -1, -1):
            x_in, y = cache[i]
            if i < len(self.layers) - 1:
                dy = tanh_backward(y, dy)
            dy, _ = self.layers[i].backward(x_in, dy)
        return dy
