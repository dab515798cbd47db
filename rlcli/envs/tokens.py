"""A toy language-model task: answer "a+b=" one token at a time, rewarded only at the end.

Description: the setting of RL fine-tuning in miniature. A prompt "a+b=" (a, b uniform in
0..max_operand) is followed by tokens the policy emits; the episode is the completion.
Actions: the digits 0–9 (actions 0–9) and the end-of-sequence token <eos> (action 10).
Observations: code(a) ‖ code(b) ‖ for each answer position, one-hot of the token emitted
there (digit, <eos>) or of "not yet" — the prompt plus the tokens so far. code(d) is
one-hot, or with ``unary=True`` d ones then zeros (an embedding that knows 3 < 4, as a
pretrained language model's number embeddings do).
Prompts: drawn like a fine-tuning dataset, in shuffled passes over all (a, b) pairs, so every
prompt comes up equally often (measured: with i.i.d. draws a prompt missing from a few
batches lost its answer to its neighbours' updates more often).
Rewards: 1 at the last step if the digits emitted before <eos> spell a + b in decimal,
else 0; 0 at every other step.
Episode end: terminated on <eos> or when ``max_len`` tokens are out (the longest answer
plus its <eos>; reaching the limit without <eos> is a wrong answer).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcli.envs.vector import SettingError, group_starts, unit_box

EOS = 10


class TokensEnv:
    n_actions = 11

    def __init__(self, num_envs: int, max_operand: int = 9, unary: bool = False):
        self.unary = unary
        if not 1 <= max_operand <= 99:
            raise SettingError("max_operand", f"max_operand must be in 1..99, got {max_operand}")
        self.num_envs = num_envs
        self.max_operand = max_operand
        self.max_len = len(str(2 * max_operand)) + 1  # the longest answer and its <eos>
        self.max_episode_steps = self.max_len
        n = max_operand + 1
        self.obs_dim = 2 * n + self.max_len * (self.n_actions + 1)
        self.rng = np.random.default_rng()
        self.a = np.zeros(num_envs, dtype=np.int64)
        self.b = np.zeros(num_envs, dtype=np.int64)
        self.tokens = np.full((num_envs, self.max_len), -1, dtype=np.int64)
        self.pos = np.zeros(num_envs, dtype=np.int64)
        self.failed = np.zeros(num_envs, dtype=bool)
        self.answer = np.zeros((num_envs, self.max_len), dtype=np.int64)  # digits, then EOS
        self.deck = np.empty(0, dtype=np.int64)  # the rest of the current pass over prompts
        self.autoreset = True  # False: an ended copy restarts its own prompt (see vector.py)

    def _new_prompts(self, idx: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        self.a[idx], self.b[idx] = a, b
        self.tokens[idx] = -1
        self.pos[idx] = 0
        self.failed[idx] = False
        self.answer[idx] = [self._spell(int(s)) for s in a + b]

    def _draw(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The next k prompts of the shuffled passes over all (max_operand + 1)² pairs."""
        n = self.max_operand + 1
        while len(self.deck) < k:
            self.deck = np.concatenate([self.deck, self.rng.permutation(n * n)])
        take, self.deck = self.deck[:k], self.deck[k:]
        return take // n, take % n

    def _spell(self, s: int) -> list[int]:
        digits = [int(c) for c in str(s)]
        return (digits + [EOS] * self.max_len)[: self.max_len]

    def _obs(self) -> np.ndarray:
        n = self.max_operand + 1
        obs = np.zeros((self.num_envs, self.obs_dim))
        rows = np.arange(self.num_envs)
        if self.unary:
            obs[:, :n] = np.arange(n)[None, :] < self.a[:, None]
            obs[:, n : 2 * n] = np.arange(n)[None, :] < self.b[:, None]
        else:
            obs[rows, self.a] = 1.0
            obs[rows, n + self.b] = 1.0
        slot = 2 * n + np.arange(self.max_len) * (self.n_actions + 1)
        idx = slot[None, :] + np.where(self.tokens < 0, self.n_actions, self.tokens)
        obs[rows[:, None], idx] = 1.0
        return obs

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """``options={"prompts": (a, b)}`` sets the prompts; ``{"group_size": G}`` repeats each."""
        if seed is not None:
            self.rng = np.random.default_rng(seed)
            self.deck = np.empty(0, dtype=np.int64)
        options = options or {}
        self.autoreset = bool(options.get("autoreset", True))
        if "prompts" in options:
            a, b = (np.asarray(v, dtype=np.int64) for v in options["prompts"])
        else:
            starts = group_starts(self.num_envs, options)
            a, b = self._draw(starts[-1] + 1)
            a, b = a[starts], b[starts]
        self._new_prompts(np.arange(self.num_envs), a, b)
        return self._obs(), {}

    def step(self, actions: np.ndarray):
        rows = np.arange(self.num_envs)
        self.tokens[rows, self.pos] = actions
        wrong = actions != self.answer[rows, self.pos]
        self.pos += 1
        self.failed |= wrong
        terminated = (actions == EOS) | (self.pos >= self.max_len)
        # correct = it ended and every token matched the answer (digits, then <eos> if short)
        reward = (terminated & ~self.failed).astype(float)
        final_obs = self._obs()
        if terminated.any():
            idx = np.flatnonzero(terminated)
            if self.autoreset:
                self._new_prompts(idx, *self._draw(len(idx)))
            else:
                self._new_prompts(idx, self.a[idx], self.b[idx])
        truncated = np.zeros(self.num_envs, dtype=bool)
        return self._obs(), reward, terminated, truncated, {"final_obs": final_obs}

    def action_mask(self) -> None:
        return None

    def observation_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return unit_box(self.obs_dim)
