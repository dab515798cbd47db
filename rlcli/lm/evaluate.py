"""Held-out evaluation: greedy accuracy, pass@k (Chen et al. 2021), maj@k, best-of-N."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from math import comb

import numpy as np

from rlcli.lm import model as m
from rlcli.lm.data import prompt_batch
from rlcli.lm.sampling import generate
from rlcli.lm.task import Problem, extract_answer
from rlcli.lm.tokenizer import Tokenizer


@dataclass(frozen=True)
class Policy:
    """A language model ready to complete the task's prompts."""

    params: m.Params
    config: m.ModelConfig
    tok: Tokenizer
    prompt_len: int

    @property
    def max_new(self) -> int:
        return self.config.context - self.prompt_len


def complete(
    policy: Policy,
    problems: Sequence[Problem],
    rng: np.random.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    batch: int = 256,
) -> list[str]:
    """One completion (text) per problem."""
    out: list[str] = []
    for i in range(0, len(problems), batch):
        prompts = prompt_batch(problems[i : i + batch], policy.tok, policy.prompt_len)
        ids = generate(
            policy.params, policy.config, prompts, policy.max_new, rng, temperature, top_k
        )
        out += [policy.tok.decode(row) for row in ids]
    return out


def accuracy(problems: Sequence[Problem], completions: Sequence[str]) -> float:
    """Share of completions whose extracted answer is right."""
    right = [extract_answer(c) == p.answer for p, c in zip(problems, completions, strict=True)]
    return float(np.mean(right)) if right else 0.0


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples with c correct: 1 − C(n−c, k)/C(n, k) (Chen et al. 2021)."""
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def majority_correct(answers: Sequence[int | None], truth: int) -> bool:
    """maj@k: the most frequent extracted answer (ties: the first to appear; None never wins
    over a number) is right."""
    counts = Counter(a for a in answers if a is not None)
    if not counts:
        return False
    best = max(counts.values())
    winner = next(a for a in answers if a is not None and counts[a] == best)
    return winner == truth


@dataclass(frozen=True)
class EvalResult:
    greedy_accuracy: float
    pass_at: dict[int, float]
    maj_at: dict[int, float]
    mean_length: float

    def as_json(self) -> dict:
        return {
            "greedy_accuracy": self.greedy_accuracy,
            "pass_at": {str(k): v for k, v in self.pass_at.items()},
            "maj_at": {str(k): v for k, v in self.maj_at.items()},
            "mean_length": self.mean_length,
        }


def evaluate(
    policy: Policy,
    problems: Sequence[Problem],
    rng: np.random.Generator,
    n_samples: int = 8,
    ks: Sequence[int] = (1, 4, 8),
    temperature: float = 1.0,
) -> EvalResult:
    """Greedy accuracy; pass@k and maj@k from ``n_samples`` samples per prompt (k ≤ n).

    maj@k uses the first k samples of each prompt.
    """
    greedy = complete(policy, problems, rng, temperature=0.0)
    repeated = [p for p in problems for _ in range(n_samples)]
    texts = complete(policy, repeated, rng, temperature)
    answers = [extract_answer(t) for t in texts]
    passes = {k: 0.0 for k in ks}
    majs = {k: 0.0 for k in ks}
    for i, p in enumerate(problems):
        mine = answers[i * n_samples : (i + 1) * n_samples]
        c = sum(a == p.answer for a in mine)
        for k in ks:
            passes[k] += pass_at_k(n_samples, c, k) / len(problems)
            majs[k] += majority_correct(mine[:k], p.answer) / len(problems)
    lengths = [len(policy.tok.encode(t, "completion")) + 1 for t in greedy]
    return EvalResult(accuracy(problems, greedy), passes, majs, float(np.mean(lengths)))


def best_of_n(
    policy: Policy, rm, problems: Sequence[Problem], n: int, rng: np.random.Generator
) -> dict[str, float]:
    """Best-of-n: of n samples per prompt keep the one the reward model ``rm`` (a checkpoint)
    scores highest; report the verifier's accuracy of the kept answers."""
    from rlcli.lm.reward_model import encode_answers, rewards

    repeated = [p for p in problems for _ in range(n)]
    texts = complete(policy, repeated, rng)
    p_len = int(rm.info["prompt_len"])
    seq, last = encode_answers(repeated, texts, rm.tokenizer, p_len, rm.config.context - p_len)
    scores = rewards(rm.params, rm.config, seq, last)[0].reshape(len(problems), n)
    best = scores.argmax(1)
    kept = [texts[i * n + j] for i, j in enumerate(best)]
    return {"n": n, "accuracy": accuracy(problems, kept)}
