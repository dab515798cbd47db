"""Batches of token ids for the task: left-padded prompts, and whole sequences for pretraining."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rlcli.lm.task import Problem
from rlcli.lm.tokenizer import Tokenizer


def prompt_batch(problems: Sequence[Problem], tok: Tokenizer, length: int) -> np.ndarray:
    """(B, length) prompt ids, left-padded so that every answer starts at position ``length``."""
    return tok.pad_left([tok.encode(p.prompt) for p in problems], length)


def append_completions(
    prompts: np.ndarray, completions: Sequence[Sequence[int]], width: int, pad: int = 0
) -> np.ndarray:
    """(B, P + width): each prompt row followed by its completion ids, then padding."""
    out = np.full((len(prompts), prompts.shape[1] + width), pad, dtype=np.int64)
    out[:, : prompts.shape[1]] = prompts
    for r, c in enumerate(completions):
        out[r, prompts.shape[1] : prompts.shape[1] + len(c)] = c
    return out


def sft_batch(
    problems: Sequence[Problem],
    tok: Tokenizer,
    prompt_len: int,
    width: int,
    slips: Sequence[bool] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs, targets and loss mask for next-token prediction on prompt + solution + <eos>
    (``slips[i]``: problem i's solution carries the corpus's wrong-operation slip).

    The mask is 1 on every real token to be predicted (prompt words after the first, the
    solution, the <eos>) and 0 on padding.
    """
    prompts = prompt_batch(problems, tok, prompt_len)
    slips = slips or [False] * len(problems)
    sols = [
        [*tok.encode(p.solution(s), "solution"), tok.eos]
        for p, s in zip(problems, slips, strict=False)
    ]
    seq = append_completions(prompts, sols, width, tok.pad)
    inputs, targets = seq[:, :-1], seq[:, 1:]
    return inputs, targets, (targets != tok.pad).astype(np.float64)
