"""Evaluating a trained tokens policy: greedy decoding of every prompt."""

from __future__ import annotations

import numpy as np

from rlcli.envs.tokens import EOS, TokensEnv
from rlcli.train.agent import ActorCritic


def greedy_answers(agent: ActorCritic, task: TokensEnv) -> list[tuple[str, str, bool]]:
    """For every prompt "a+b=" of ``task``, the argmax completion and whether it is right."""
    n = task.max_operand + 1
    a, b = (x.ravel() for x in np.meshgrid(np.arange(n), np.arange(n), indexing="ij"))
    env = TokensEnv(len(a), task.max_operand, task.unary)
    obs, _ = env.reset(options={"prompts": (a, b)})
    text = [""] * len(a)
    right = np.zeros(len(a), dtype=bool)
    alive = np.ones(len(a), dtype=bool)
    for _ in range(env.max_len):
        logp_all, _ = agent.log_probs(obs, None)
        actions = logp_all.argmax(axis=1)
        obs, reward, terminated, _, _ = env.step(actions)
        for i in np.flatnonzero(alive):
            text[i] += "<eos>" if actions[i] == EOS else str(actions[i])
        right |= alive & (reward > 0)
        alive &= ~terminated
    return [(f"{x}+{y}=", t, bool(r)) for x, y, t, r in zip(a, b, text, right, strict=True)]


def greedy_accuracy(agent: ActorCritic, task: TokensEnv) -> float:
    """Fraction of all prompts whose argmax completion is right (LM evaluation's accuracy)."""
    answers = greedy_answers(agent, task)
    return sum(ok for *_, ok in answers) / len(answers)
