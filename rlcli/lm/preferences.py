"""Synthetic "human" preferences with a stated bias, for the reward model.

The labeller's rule: score(y) = 1[answer correct] + LENGTH_BIAS · (tokens in y); of two answers
the one with the higher score is chosen (ties are not labelled). It prefers correct answers,
but a wrong answer at least 1/LENGTH_BIAS tokens longer than a correct one wins: a reward model
that learns this rule can be over-optimised by long answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rlcli.lm.task import Problem, verify
from rlcli.lm.tokenizer import Tokenizer

LENGTH_BIAS = 0.1
RULE = (
    f"the labeller prefers the higher 1[correct] + {LENGTH_BIAS} × length in tokens: "
    "correct answers first, but a much longer wrong answer beats a short correct one"
)


def candidates(p: Problem, rng: np.random.Generator) -> str:
    """One answer to ``p``: right, slipped, or off by one, restated 1 to 3 times."""
    kind = rng.integers(3)
    if kind == 0:
        core = p.solution()
    elif kind == 1:
        core = p.solution(slip=True)
    else:
        wrong = p.answer + int(rng.choice([-1, 1]))
        core = f"{p.a} {p.op} {p.b} = {wrong} #### {wrong}"
    equation, answer = core.split(" #### ")
    return " , ".join([equation] * int(rng.integers(1, 4))) + " #### " + answer


def human_score(p: Problem, completion: str, tok: Tokenizer) -> float:
    """The labeller's score (``RULE``)."""
    return verify(p, completion) + LENGTH_BIAS * len(tok.encode(completion, "completion"))


@dataclass(frozen=True)
class Pair:
    problem: Problem
    chosen: str
    rejected: str


def make_pairs(
    problems: Sequence[Problem], n: int, tok: Tokenizer, rng: np.random.Generator
) -> list[Pair]:
    """``n`` labelled pairs on prompts drawn from ``problems``."""
    pairs: list[Pair] = []
    while len(pairs) < n:
        p = problems[int(rng.integers(len(problems)))]
        a, b = candidates(p, rng), candidates(p, rng)
        sa, sb = human_score(p, a, tok), human_score(p, b, tok)
        if sa != sb:
            pairs.append(Pair(p, a, b) if sa > sb else Pair(p, b, a))
    return pairs
