"""Transformer layers as pure forward/backward function pairs (NumPy, hand-written backprop).

Each ``*_forward`` returns its output and a cache; the matching ``*_backward`` takes the
cache and ∂L/∂output and returns ∂L/∂input and the parameter gradients. Shapes: B batch,
T positions, D model width, H heads of width d = D/H. Formulas: ``/work/shared/LM_RL.md``
("The transformer, with hand-written backprop"), Vaswani et al. 2017, GPT-2 (Radford et al. 2019).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

LN_EPS = 1e-5
GELU_C = math.sqrt(2.0 / math.pi)


def layernorm_forward(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, Any]:
    """y = γ ⊙ x̂ + β, x̂ = (x − μ)/σ, σ = √(var + ε), over the last axis (Ba et al. 2016)."""
    mu = x.mean(-1, keepdims=True)
    xc = x - mu
    rstd = 1.0 / np.sqrt((xc * xc).mean(-1, keepdims=True) + LN_EPS)
    xhat = xc * rstd
    return xhat * g + b, (xhat, rstd, g)


def layernorm_backward(dy: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """With ĝ = dy ⊙ γ: dx = (ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)) / σ; dγ = Σ dy ⊙ x̂; dβ = Σ dy."""
    xhat, rstd, g = cache
    axes = tuple(range(dy.ndim - 1))
    dg = (dy * xhat).sum(axes)
    db = dy.sum(axes)
    gg = dy * g
    dx = (gg - gg.mean(-1, keepdims=True) - xhat * (gg * xhat).mean(-1, keepdims=True)) * rstd
    return dx, dg, db


def gelu_forward(x: np.ndarray) -> np.ndarray:
    """GELU, tanh form (GPT-2): ½x(1 + tanh(√(2/π)(x + 0.044715x³)))."""
    return 0.5 * x * (1.0 + np.tanh(GELU_C * (x + 0.044715 * (x * x * x))))


def gelu_backward(dy: np.ndarray, x: np.ndarray) -> np.ndarray:
    """d GELU/dx = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²), t = tanh(·)."""
    t = np.tanh(GELU_C * (x + 0.044715 * (x * x * x)))
    return dy * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_C * (1.0 + 3 * 0.044715 * x * x))


def linear_backward(
    dy: np.ndarray, x: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """y = x W + b: dx = dy Wᵀ, dW = xᵀ dy (summed over every leading axis), db = Σ dy."""
    d_in, d_out = w.shape
    dw = x.reshape(-1, d_in).T @ dy.reshape(-1, d_out)
    return dy @ w.T, dw, dy.reshape(-1, d_out).sum(0)


def mlp_forward(x: np.ndarray, p: dict[str, np.ndarray]) -> tuple[np.ndarray, Any]:
    """y = GELU(x W_fc + b_fc) W_proj + b_proj."""
    h = x @ p["w_fc"] + p["b_fc"]
    a = gelu_forward(h)
    return a @ p["w_proj"] + p["b_proj"], (x, h, a)


def mlp_backward(dy: np.ndarray, cache: Any, p: dict[str, np.ndarray]) -> tuple[np.ndarray, dict]:
    x, h, a = cache
    da, dw_proj, db_proj = linear_backward(dy, a, p["w_proj"])
    dh = gelu_backward(da, h)
    dx, dw_fc, db_fc = linear_backward(dh, x, p["w_fc"])
    return dx, {"w_fc": dw_fc, "b_fc": db_fc, "w_proj": dw_proj, "b_proj": db_proj}


def causal_mask(t_new: int, t_total: int) -> np.ndarray:
    """M with 0 where query i (the last ``t_new`` of ``t_total`` positions) may see key j ≤ i,
    −∞ above the diagonal."""
    q_pos = np.arange(t_total - t_new, t_total)[:, None]
    return np.where(np.arange(t_total)[None, :] <= q_pos, 0.0, -np.inf)


def softmax(s: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum."""
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _split_heads(x: np.ndarray, n_heads: int) -> np.ndarray:
    b, t, d = x.shape
    return x.reshape(b, t, n_heads, d // n_heads).transpose(0, 2, 1, 3)


def _merge_heads(x: np.ndarray) -> np.ndarray:
    b, h, t, dh = x.shape
    return x.transpose(0, 2, 1, 3).reshape(b, t, h * dh)


def attention_forward(
    x: np.ndarray,
    p: dict[str, np.ndarray],
    n_heads: int,
    kv: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, Any, tuple[np.ndarray, np.ndarray]]:
    """Multi-head causal self-attention: A = softmax(QKᵀ/√d + M), y = concat_h(A V) W_o + b_o.

    ``kv`` holds the keys and values (B, H, T_past, d) of earlier positions (the KV cache):
    the new queries attend to them and to themselves. Returns y, the cache for backward,
    and the keys and values of all positions so far.
    """
    qkv = x @ p["w_qkv"] + p["b_qkv"]
    q, k, v = (_split_heads(part, n_heads) for part in np.split(qkv, 3, axis=-1))
    if kv is not None:
        k = np.concatenate([kv[0], k], axis=2)
        v = np.concatenate([kv[1], v], axis=2)
    scale = 1.0 / math.sqrt(q.shape[-1])
    s = (q @ k.transpose(0, 1, 3, 2)) * scale + causal_mask(q.shape[2], k.shape[2])
    a = softmax(s).astype(x.dtype, copy=False)
    o = _merge_heads(a @ v)
    return o @ p["w_o"] + p["b_o"], (x, q, k, v, a, o, scale), (k, v)


def attention_backward(dy: np.ndarray, cache: Any, p: dict[str, np.ndarray]) -> tuple:
    """Backward of ``attention_forward`` without a KV cache (training).

    Softmax row-wise: dS = A ⊙ (dA − rowsum(dA ⊙ A)); masked entries have A = 0, so get 0.
    """
    x, q, k, v, a, o, scale = cache
    do, dw_o, db_o = linear_backward(dy, o, p["w_o"])
    n_heads = q.shape[1]
    do_h = _split_heads(do, n_heads)
    da = do_h @ v.transpose(0, 1, 3, 2)
    dv = a.transpose(0, 1, 3, 2) @ do_h
    ds = a * (da - (da * a).sum(-1, keepdims=True)) * scale
    dq = ds @ k
    dk = ds.transpose(0, 1, 3, 2) @ q
    dqkv = np.concatenate([_merge_heads(dq), _merge_heads(dk), _merge_heads(dv)], axis=-1)
    dx, dw_qkv, db_qkv = linear_backward(dqkv, x, p["w_qkv"])
    return dx, {"w_qkv": dw_qkv, "b_qkv": db_qkv, "w_o": dw_o, "b_o": db_o}
