"""A small causal transformer (GPT-2 layout) with hand-written backprop.

token + position embeddings → L pre-LayerNorm blocks [x += Attn(LN(x)); x += MLP(LN(x))] → LN →
heads: next-token logits h W_head, and a scalar head h·w_v + b_v (the critic's V(s_t) of PPO,
or the reward model's r(x, y) read at the last token).

Parameters live in one flat dict {name: array}; gradients come back in a dict of the same names.
Initialisation follows GPT-2: weights N(0, 0.02), residual output projections scaled by
1/√(2L) (``/work/shared/LM_RL.md``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from rlcli.errors import UsageError
from rlcli.lm import layers as ly

Params = dict[str, np.ndarray]


@dataclass(frozen=True)
class ModelConfig:
    """The shape of a transformer (all that is needed to rebuild its parameter arrays)."""

    vocab_size: int
    context: int = 48
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 2

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads:
            raise UsageError(f"d_model {self.d_model} is not a multiple of n_heads {self.n_heads}")
        for name in ("vocab_size", "context", "d_model", "n_layers", "n_heads"):
            if getattr(self, name) < 1:
                raise UsageError(f"{name} must be ≥ 1, got {getattr(self, name)}")

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def param_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Every parameter's name and shape."""
    d, v = cfg.d_model, cfg.vocab_size
    shapes: dict[str, tuple[int, ...]] = {"wte": (v, d), "wpe": (cfg.context, d)}
    for i in range(cfg.n_layers):
        shapes.update(
            {
                f"h{i}.ln1_g": (d,),
                f"h{i}.ln1_b": (d,),
                f"h{i}.w_qkv": (d, 3 * d),
                f"h{i}.b_qkv": (3 * d,),
                f"h{i}.w_o": (d, d),
                f"h{i}.b_o": (d,),
                f"h{i}.ln2_g": (d,),
                f"h{i}.ln2_b": (d,),
                f"h{i}.w_fc": (d, 4 * d),
                f"h{i}.b_fc": (4 * d,),
                f"h{i}.w_proj": (4 * d, d),
                f"h{i}.b_proj": (d,),
            }
        )
    shapes.update({"lnf_g": (d,), "lnf_b": (d,), "w_head": (d, v), "w_v": (d,), "b_v": ()})
    return shapes


def init_params(cfg: ModelConfig, rng: np.random.Generator, dtype: Any = np.float32) -> Params:
    """GPT-2 initialisation: N(0, 0.02) weights, N(0, 0.02/√(2L)) residual projections,
    zero biases, LayerNorm γ = 1, β = 0, a zero scalar head."""
    params: Params = {}
    resid_std = 0.02 / math.sqrt(2 * cfg.n_layers)
    for name, shape in param_shapes(cfg).items():
        short = name.split(".")[-1]
        if short.endswith("_g"):
            p = np.ones(shape)
        elif short in ("w_o", "w_proj"):
            p = rng.normal(0.0, resid_std, shape)
        elif short.startswith("w") and short != "w_v":
            p = rng.normal(0.0, 0.02, shape)
        else:
            p = np.zeros(shape)
        params[name] = p.astype(dtype)
    return params


def _block(params: Params, i: int) -> Params:
    prefix = f"h{i}."
    return {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}


def forward(params: Params, cfg: ModelConfig, idx: np.ndarray) -> tuple[np.ndarray, Any]:
    """Final hidden states h (B, T, D) of token ids ``idx`` (B, T), and the cache for backward."""
    _, t = idx.shape
    if t > cfg.context:
        raise UsageError(f"sequence of {t} tokens is longer than the context ({cfg.context})")
    x = params["wte"][idx] + params["wpe"][:t]
    caches = []
    for i in range(cfg.n_layers):
        p = _block(params, i)
        a_in, ln1 = ly.layernorm_forward(x, p["ln1_g"], p["ln1_b"])
        att, att_c, _ = ly.attention_forward(a_in, p, cfg.n_heads)
        x = x + att
        m_in, ln2 = ly.layernorm_forward(x, p["ln2_g"], p["ln2_b"])
        mlp, mlp_c = ly.mlp_forward(m_in, p)
        x = x + mlp
        caches.append((ln1, att_c, ln2, mlp_c))
    h, lnf = ly.layernorm_forward(x, params["lnf_g"], params["lnf_b"])
    return h, (idx, caches, lnf)


def backward(params: Params, cfg: ModelConfig, cache: Any, dh: np.ndarray) -> Params:
    """∂L/∂θ for every parameter, given ∂L/∂h of the final hidden states."""
    idx, caches, lnf = cache
    grads: Params = {}
    dx, grads["lnf_g"], grads["lnf_b"] = ly.layernorm_backward(dh, lnf)
    for i in reversed(range(cfg.n_layers)):
        p = _block(params, i)
        ln1, att_c, ln2, mlp_c = caches[i]
        dm, g_mlp = ly.mlp_backward(dx, mlp_c, p)
        dm_in, g_ln2, b_ln2 = ly.layernorm_backward(dm, ln2)
        dx = dx + dm_in
        da, g_att = ly.attention_backward(dx, att_c, p)
        da_in, g_ln1, b_ln1 = ly.layernorm_backward(da, ln1)
        dx = dx + da_in
        block = {**g_mlp, **g_att, "ln1_g": g_ln1, "ln1_b": b_ln1, "ln2_g": g_ln2, "ln2_b": b_ln2}
        grads.update({f"h{i}.{k}": v for k, v in block.items()})
    wte = np.zeros_like(params["wte"])
    np.add.at(wte, idx, dx)
    wpe = np.zeros_like(params["wpe"])
    wpe[: idx.shape[1]] = dx.sum(0)
    grads["wte"], grads["wpe"] = wte, wpe
    return grads


def logits_of(params: Params, h: np.ndarray) -> np.ndarray:
    """Next-token logits h W_head, (B, T, V)."""
    return h @ params["w_head"]


def values_of(params: Params, h: np.ndarray) -> np.ndarray:
    """The scalar head h·w_v + b_v, (B, T)."""
    return h @ params["w_v"] + params["b_v"]


def head_backward(
    params: Params, h: np.ndarray, dlogits: np.ndarray | None, dvalues: np.ndarray | None
) -> tuple[np.ndarray, Params]:
    """∂L/∂h and the heads' gradients from ∂L/∂logits and/or ∂L/∂values."""
    dh = np.zeros_like(h)
    grads: Params = {
        "w_head": np.zeros_like(params["w_head"]),
        "w_v": np.zeros_like(params["w_v"]),
        "b_v": np.zeros_like(params["b_v"]),
    }
    if dlogits is not None:
        d = h.shape[-1]
        grads["w_head"] = h.reshape(-1, d).T @ dlogits.reshape(-1, dlogits.shape[-1])
        dh = dh + dlogits @ params["w_head"].T
    if dvalues is not None:
        grads["w_v"] = (h * dvalues[..., None]).reshape(-1, h.shape[-1]).sum(0)
        grads["b_v"] = np.asarray(dvalues.sum(), dtype=h.dtype)
        dh = dh + dvalues[..., None] * params["w_v"]
    return dh, grads


def gradients(
    params: Params,
    cfg: ModelConfig,
    cache: Any,
    h: np.ndarray,
    dlogits: np.ndarray | None = None,
    dvalues: np.ndarray | None = None,
    trunk: bool = True,
) -> Params:
    """All gradients from ∂L/∂logits and ∂L/∂values; ``trunk=False`` stops them at the heads
    (a head trained on frozen features)."""
    dh, head = head_backward(params, h, dlogits, dvalues)
    if not trunk:
        zeros = {k: np.zeros_like(v) for k, v in params.items()}
        return {**zeros, **head}
    return {**backward(params, cfg, cache, dh), **head}


class KVCache:
    """Keys and values of every layer for the positions seen so far (Pope et al. 2022)."""

    def __init__(self, n_layers: int):
        self.kv: list[tuple[np.ndarray, np.ndarray] | None] = [None] * n_layers
        self.length = 0


def forward_cached(params: Params, cfg: ModelConfig, idx: np.ndarray, cache: KVCache) -> np.ndarray:
    """Hidden states of the new tokens ``idx`` (B, t) that follow the ``cache.length`` positions
    already in ``cache``; extends the cache. Each new query attends to the cached keys, so a
    token costs O(prefix), not O(prefix²)."""
    start, t = cache.length, idx.shape[1]
    if start + t > cfg.context:
        raise UsageError(f"{start + t} tokens do not fit in the context ({cfg.context})")
    x = params["wte"][idx] + params["wpe"][start : start + t]
    for i in range(cfg.n_layers):
        p = _block(params, i)
        a_in, _ = ly.layernorm_forward(x, p["ln1_g"], p["ln1_b"])
        att, _, cache.kv[i] = ly.attention_forward(a_in, p, cfg.n_heads, cache.kv[i])
        x = x + att
        m_in, _ = ly.layernorm_forward(x, p["ln2_g"], p["ln2_b"])
        x = x + ly.mlp_forward(m_in, p)[0]
    cache.length = start + t
    return ly.layernorm_forward(x, params["lnf_g"], params["lnf_b"])[0]


def n_params(params: Params) -> int:
    return int(sum(v.size for v in params.values()))
