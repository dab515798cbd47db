"""The reward model: the pretrained transformer with its scalar head read at the last token,
trained with the Bradley–Terry loss −log σ(r(x, y_c) − r(x, y_r)) (InstructGPT)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rlcli.lm import model as m
from rlcli.lm import task
from rlcli.lm.checkpoint import Checkpoint
from rlcli.lm.data import append_completions, prompt_batch
from rlcli.lm.losses import bradley_terry
from rlcli.lm.optim import AdamW
from rlcli.lm.preferences import RULE, Pair, make_pairs
from rlcli.lm.tokenizer import Tokenizer


@dataclass(frozen=True)
class RewardModelConfig:
    seed: int = 0
    steps: int = 150
    batch: int = 32
    """Pairs per step."""
    lr: float = 1e-3
    train_pairs: int = 4000
    held_out_pairs: int = 500


def encode_answers(
    problems: Sequence[task.Problem],
    answers: Sequence[str],
    tok: Tokenizer,
    prompt_len: int,
    max_len: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Token ids of prompt + answer + <eos> (B, L), and the position of each answer's last
    token. An answer cut at the length limit (no <eos>) is kept at ``max_len`` tokens."""
    ids = [[*tok.encode(a, "answer"), tok.eos][:max_len] for a in answers]
    width = max(len(i) for i in ids)
    seq = append_completions(prompt_batch(problems, tok, prompt_len), ids, width, tok.pad)
    return seq, prompt_len + np.array([len(i) - 1 for i in ids])


def rewards(
    params: m.Params, cfg: m.ModelConfig, seq: np.ndarray, last: np.ndarray
) -> tuple[np.ndarray, np.ndarray, Any]:
    """r(x, y) = the scalar head at the last token, with the hidden states and cache."""
    h, cache = m.forward(params, cfg, seq)
    return m.values_of(params, h)[np.arange(len(seq)), last], h, cache


def pair_loss_and_grads(
    params: m.Params, cfg: m.ModelConfig, pairs: Sequence[Pair], tok: Tokenizer, prompt_len: int
) -> tuple[float, m.Params, float]:
    """Bradley–Terry loss over ``pairs``, its gradient, and the pairwise accuracy."""
    probs = [p.problem for p in pairs] * 2
    answers = [p.chosen for p in pairs] + [p.rejected for p in pairs]
    seq, last = encode_answers(probs, answers, tok, prompt_len)
    r, h, cache = rewards(params, cfg, seq, last)
    n = len(pairs)
    loss, dc, dr = bradley_terry(r[:n].astype(np.float64), r[n:].astype(np.float64))
    dv = np.zeros(seq.shape, dtype=h.dtype)
    dv[np.arange(2 * n), last] = np.concatenate([dc, dr])
    return loss, m.gradients(params, cfg, cache, h, None, dv), float(np.mean(r[:n] > r[n:]))


def pairwise_accuracy(
    params: m.Params, cfg: m.ModelConfig, pairs: Sequence[Pair], tok: Tokenizer, prompt_len: int
) -> float:
    """Share of pairs with r(chosen) > r(rejected)."""
    return pair_loss_and_grads(params, cfg, pairs, tok, prompt_len)[2]


@dataclass
class RewardModelResult:
    checkpoint: Checkpoint
    curve: list[dict[str, Any]]
    held_out_accuracy: float
    wall_seconds: float


def train_reward_model(
    base: Checkpoint,
    cfg: RewardModelConfig,
    on_step: Callable[[dict[str, Any]], None] | None = None,
) -> RewardModelResult:
    """Initialise from the pretrained policy (as InstructGPT does from SFT) and fit the pairs."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(cfg.seed)
    tok = base.tokenizer
    p_len = int(base.info["prompt_len"])
    train, held = task.split()
    train_pairs = make_pairs(train, cfg.train_pairs, tok, rng)
    held_pairs = make_pairs(held, cfg.held_out_pairs, tok, rng)
    params = {k: v.copy() for k, v in base.params.items()}
    params["w_v"][:] = 0.0
    params["b_v"][...] = 0.0
    opt = AdamW(params, cfg.lr, cfg.steps, warmup=10, weight_decay=0.0)
    curve = []
    for step in range(cfg.steps):
        batch = [train_pairs[i] for i in rng.integers(0, len(train_pairs), cfg.batch)]
        loss, grads, acc = pair_loss_and_grads(params, base.config, batch, tok, p_len)
        opt.step(grads)
        row = {"step": step + 1, "loss": loss, "batch_accuracy": acc}
        curve.append(row)
        if on_step is not None:
            on_step(row)
    acc = float(
        np.mean(
            [
                pairwise_accuracy(params, base.config, held_pairs[i : i + 100], tok, p_len)
                for i in range(0, len(held_pairs), 100)
            ]
        )
    )
    info = {
        "stage": "reward-model",
        "seed": cfg.seed,
        "prompt_len": p_len,
        "rule": RULE,
        "held_out_pairwise_accuracy": acc,
    }
    ck = Checkpoint("reward-model", base.config, base.vocab, params, info)
    return RewardModelResult(ck, curve, acc, time.perf_counter() - t0)
