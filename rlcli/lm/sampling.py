"""Sampling completions: temperature, top-k, greedy, with a KV cache (or without, for comparison).

Prompts arrive left-padded to one length P, so every row's completion starts at position P
and a batch advances one position at a time. After ``<eos>`` a row emits padding.
"""

from __future__ import annotations

import numpy as np

from rlcli.errors import UsageError
from rlcli.lm import model as m
from rlcli.lm.losses import log_softmax


def next_token(
    logits: np.ndarray, rng: np.random.Generator, temperature: float, top_k: int | None
) -> np.ndarray:
    """One token per row from softmax(z/τ) restricted to the k largest logits; τ = 0 is greedy."""
    if temperature == 0:
        return logits.argmax(-1)
    z = logits.astype(np.float64) / temperature
    if top_k is not None and top_k < z.shape[-1]:
        kth = np.partition(z, -top_k, axis=-1)[:, -top_k][:, None]
        z = np.where(z < kth, -np.inf, z)
    p = np.exp(log_softmax(z))
    u = rng.random((len(z), 1))
    return np.minimum((p.cumsum(-1) < u).sum(-1), z.shape[-1] - 1)


def generate(
    params: m.Params,
    cfg: m.ModelConfig,
    prompts: np.ndarray,
    max_new: int,
    rng: np.random.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    eos: int = 1,
    pad: int = 0,
    use_cache: bool = True,
) -> np.ndarray:
    """Completions (B, max_new) of the left-padded ``prompts`` (B, P); after ``<eos>``, padding.

    ``use_cache=False`` recomputes the whole prefix for every token (the slow reference).
    """
    b, p_len = prompts.shape
    if temperature < 0:
        raise UsageError(f"temperature must be ≥ 0, got {temperature}")
    if p_len + max_new > cfg.context:
        raise UsageError(
            f"a prompt of {p_len} tokens plus {max_new} new tokens exceeds the context "
            f"({cfg.context})"
        )
    out = np.full((b, max_new), pad, dtype=np.int64)
    done = np.zeros(b, dtype=bool)
    cache = m.KVCache(cfg.n_layers)
    seq = prompts
    h = m.forward_cached(params, cfg, prompts, cache) if use_cache else None
    for t in range(max_new):
        last = h[:, -1] if use_cache else m.forward(params, cfg, seq)[0][:, -1]
        tok = next_token(m.logits_of(params, last), rng, temperature, top_k)
        tok = np.where(done, pad, tok)
        out[:, t] = tok
        done |= tok == eos
        if done.all():
            break
        if use_cache:
            if t + 1 < max_new:
                h = m.forward_cached(params, cfg, tok[:, None], cache)
        else:
            seq = np.concatenate([seq, tok[:, None]], axis=1)
    return out


def completion_mask(completions: np.ndarray, eos: int = 1) -> np.ndarray:
    """1 on each completion's tokens up to and including the first ``<eos>``, 0 after (padding)."""
    is_eos = completions == eos
    after = np.cumsum(is_eos, axis=1) - is_eos  # eos tokens strictly before t
    return (after == 0).astype(np.float64)
