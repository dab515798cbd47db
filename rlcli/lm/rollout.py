"""Rollouts: sample completions of training prompts, score them, and record the log-probabilities
of the sampling policy π_old and of the frozen reference π_ref (and the critic's values).

The token-level MDP (``/work/shared/LM_RL.md``): state s_t = (x, y_<t), action y_t, reward 0
except R(x, y) at the last token; tokens after <eos> are padding, masked out everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rlcli.errors import UsageError
from rlcli.lm import model as m
from rlcli.lm.advantages import last_token
from rlcli.lm.data import prompt_batch
from rlcli.lm.evaluate import Policy
from rlcli.lm.losses import token_logprobs
from rlcli.lm.sampling import completion_mask, generate
from rlcli.lm.task import Problem, verify

# R(problems, completion texts, full token sequences, completion mask) -> scores (B,)
RewardFn = Callable[[Sequence[Problem], list[str], np.ndarray, np.ndarray], np.ndarray]


@dataclass
class Rollout:
    """A batch of B completions of T tokens (after trimming), ``group_size`` per prompt."""

    problems: list[Problem]
    seq: np.ndarray  # (B, P + T) prompt then completion ids
    prompt_len: int
    mask: np.ndarray  # (B, T)
    scores: np.ndarray  # (B,) R(x, y)
    texts: list[str]
    logp_old: np.ndarray  # (B, T) log π_old(y_t | s_t)
    logp_ref: np.ndarray  # (B, T) log π_ref(y_t | s_t)
    values: np.ndarray | None  # (B, T) V(s_t) of the critic (PPO)
    entropy: np.ndarray  # (B, T) H(π_old(·|s_t))
    group_size: int

    @property
    def completions(self) -> np.ndarray:
        return self.seq[:, self.prompt_len :]

    @property
    def grouped_scores(self) -> np.ndarray:
        return self.scores.reshape(-1, self.group_size)

    def subset(self, rows: np.ndarray) -> Rollout:
        pick = [self.problems[i] for i in rows]
        return Rollout(
            pick,
            self.seq[rows],
            self.prompt_len,
            self.mask[rows],
            self.scores[rows],
            [self.texts[i] for i in rows],
            self.logp_old[rows],
            self.logp_ref[rows],
            None if self.values is None else self.values[rows],
            self.entropy[rows],
            1,
        )


def completion_forward(
    params: m.Params, cfg: m.ModelConfig, seq: np.ndarray, prompt_len: int, temperature: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """log π(y_t|s_t) (B, T) of the completion tokens, the full log π (B, T, V), the hidden
    states (B, P+T−1, D) and the cache. Logits are divided by the sampling temperature τ:
    the policy being trained is the one that sampled."""
    h, cache = m.forward(params, cfg, seq[:, :-1])
    hc = h[:, prompt_len - 1 :]
    logits = m.logits_of(params, hc) / temperature
    logp, logp_all = token_logprobs(logits, seq[:, prompt_len:])
    return logp, logp_all, h, cache


def verifier_reward(
    problems: Sequence[Problem], texts: list[str], seq: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """1 when the answer after the last #### is right, else 0."""
    return np.array([verify(p, t) for p, t in zip(problems, texts, strict=True)])


def model_reward(rm_params: m.Params, rm_cfg: m.ModelConfig, prompt_len: int) -> RewardFn:
    """r(x, y) of a reward model: its scalar head read at the completion's last token."""

    def score(problems: Sequence[Problem], texts: list[str], seq: np.ndarray, mask: np.ndarray):
        h, _ = m.forward(rm_params, rm_cfg, seq)
        pos = prompt_len + last_token(mask)
        return m.values_of(rm_params, h)[np.arange(len(seq)), pos].astype(np.float64)

    return score


def collect(
    policy: Policy,
    ref_params: m.Params,
    problems: list[Problem],
    group_size: int,
    reward: RewardFn,
    rng: np.random.Generator,
    temperature: float,
    with_values: bool,
) -> Rollout:
    """Sample ``group_size`` completions of each problem from the policy and score them."""
    if temperature <= 0:
        raise UsageError(f"temperature: must be > 0 for sampling, got {temperature}")
    batch = [p for p in problems for _ in range(group_size)]
    prompts = prompt_batch(batch, policy.tok, policy.prompt_len)
    comps = generate(policy.params, policy.config, prompts, policy.max_new, rng, temperature)
    mask = completion_mask(comps, policy.tok.eos)
    width = int(mask.sum(1).max())
    seq = np.concatenate([prompts, comps[:, :width]], axis=1)
    mask = mask[:, :width]
    texts = [policy.tok.decode(row) for row in comps]
    scores = reward(batch, texts, seq, mask)
    p_len = policy.prompt_len
    logp_old, logp_all, h, _ = completion_forward(
        policy.params, policy.config, seq, p_len, temperature
    )
    logp_ref = completion_forward(ref_params, policy.config, seq, p_len, temperature)[0]
    values = m.values_of(policy.params, h[:, p_len - 1 :]) * mask if with_values else None
    ent = -(np.exp(logp_all) * logp_all).sum(-1)
    return Rollout(
        batch,
        seq,
        p_len,
        mask,
        scores,
        texts,
        logp_old * mask,
        logp_ref * mask,
        values,
        ent * mask,
        group_size,
    )
