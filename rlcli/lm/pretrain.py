"""Pretraining (SFT): next-token cross-entropy on a generated corpus of solved word problems."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rlcli.lm import model as m
from rlcli.lm import task
from rlcli.lm.checkpoint import Checkpoint
from rlcli.lm.data import sft_batch
from rlcli.lm.evaluate import Policy, accuracy, complete
from rlcli.lm.losses import cross_entropy
from rlcli.lm.optim import AdamW

SOLUTION_TOKENS = 13  # the longest solution, "18 + 9 = 27 #### 27" (a slip), with <eos>


@dataclass(frozen=True)
class PretrainConfig:
    """Pretraining hyperparameters."""

    seed: int = 0
    steps: int = 600
    """Optimiser steps."""
    batch: int = 32
    """Sequences per step."""
    lr: float = 3e-3
    """Peak learning rate (warm-up 20 steps, then cosine to lr/10)."""
    context: int = 48
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 2
    eval_every: int = 50
    """Steps between held-out evaluations in the curve."""


@dataclass
class PretrainResult:
    checkpoint: Checkpoint
    curve: list[dict[str, Any]]
    greedy_accuracy: float
    sampled_accuracy: float
    wall_seconds: float


def pretrain(
    cfg: PretrainConfig, on_step: Callable[[dict[str, Any]], None] | None = None
) -> PretrainResult:
    """Train a fresh transformer on solved training problems; evaluate on held-out prompts."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(cfg.seed)
    train, held = task.split()
    tok = task.tokenizer()
    p_len = task.prompt_length(tok)
    mcfg = m.ModelConfig(len(tok), cfg.context, cfg.d_model, cfg.n_layers, cfg.n_heads)
    params = m.init_params(mcfg, rng)
    opt = AdamW(params, cfg.lr, cfg.steps, warmup=20)
    policy = Policy(params, mcfg, tok, p_len)
    eval_set = held[:128]
    curve: list[dict[str, Any]] = []
    for step in range(cfg.steps):
        batch = [train[i] for i in rng.integers(0, len(train), cfg.batch)]
        slips = [p.slippery and rng.random() < task.SLIP_RATE for p in batch]
        inputs, targets, mask = sft_batch(batch, tok, p_len, SOLUTION_TOKENS, slips)
        h, cache = m.forward(params, mcfg, inputs)
        loss, dlogits = cross_entropy(m.logits_of(params, h), targets, mask)
        opt.step(m.gradients(params, mcfg, cache, h, dlogits.astype(h.dtype)))
        row: dict[str, Any] = {"step": step + 1, "loss": loss}
        if (step + 1) % cfg.eval_every == 0 or step + 1 == cfg.steps:
            row["greedy_accuracy"] = accuracy(eval_set, complete(policy, eval_set, rng, 0.0))
        curve.append(row)
        if on_step is not None:
            on_step(row)
    greedy = accuracy(held, complete(policy, held, rng, 0.0))
    sampled = accuracy(held, complete(policy, held, rng, 1.0))
    info = {"stage": "pretrain", "seed": cfg.seed, "steps": cfg.steps, "prompt_len": p_len}
    ck = Checkpoint("policy", mcfg, tok.vocab, params, info)
    return PretrainResult(ck, curve, greedy, sampled, time.perf_counter() - t0)
