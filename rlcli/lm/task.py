"""Arithmetic word problems with a verifiable answer, in the spirit of GSM8K (Cobbe et al. 2021).

"Ada has 7 apples and buys 5 more. How many apples does Ada have now?" → "7 + 5 = 12 #### 12".
The answer is the number after the last ``####``, extracted as GSM8K's grader does. Every
problem is enumerable; a fixed, seeded permutation splits them into training and held-out
prompts, so the two sets cannot share a prompt.

The pretraining corpus is noisy the way scraped worked solutions are: for two of the four
wordings ("gives away", "a friend gave ... more"), ``SLIP_RATE`` of the worked solutions use the
wrong operation (a labeller's slip). A model trained on it answers those prompts wrongly more
often than not, yet samples the right habit often enough for RL with a verifier to find it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rlcli.lm.tokenizer import Tokenizer

NAMES = ("Ada", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Ivy")
OBJECTS = ("apples", "pens", "coins", "books", "cards", "shells", "eggs", "stamps")
TEMPLATES = {
    "+": (
        "{n} has {a} {o} and buys {b} more. How many {o} does {n} have now?",
        "{n} had {a} {o}. A friend gave {n} {b} more. How many {o} in all?",
    ),
    "-": (
        "{n} has {a} {o} and gives away {b}. How many {o} are left?",
        "{n} had {a} {o} but lost {b} of them. How many {o} remain?",
    ),
}
SLIPPED_TEMPLATES = (("+", 1), ("-", 0))
SLIP_RATE = 0.6
MAX_OPERAND = 9
HELD_OUT = 256
ANSWER_RE = re.compile(r"####\s*(-?)\s*(\d+)")


@dataclass(frozen=True)
class Problem:
    """One word problem: ``a op b`` told as a story."""

    prompt: str
    a: int
    op: str
    b: int
    template: int = 0

    @property
    def answer(self) -> int:
        return self.a + self.b if self.op == "+" else self.a - self.b

    def solution(self, slip: bool = False) -> str:
        """The worked completion: the equation, then ``#### answer``; ``slip`` uses the other
        operation (the corpus's systematic mistake)."""
        op = {"+": "-", "-": "+"}[self.op] if slip else self.op
        value = self.a + self.b if op == "+" else self.a - self.b
        return f"{self.a} {op} {self.b} = {value} #### {value}"

    @property
    def slippery(self) -> bool:
        """True for the wordings whose corpus solutions are often wrong."""
        return (self.op, self.template) in SLIPPED_TEMPLATES


def facts() -> list[tuple[int, str, int]]:
    """a + b with a, b ∈ 1..9; a − b with b ∈ 1..9 and a − b ∈ 0..9 (additions run backwards)."""
    out = [(a, "+", b) for a in range(1, MAX_OPERAND + 1) for b in range(1, MAX_OPERAND + 1)]
    out += [(b + c, "-", b) for b in range(1, MAX_OPERAND + 1) for c in range(MAX_OPERAND + 1)]
    return out


@lru_cache(maxsize=1)
def all_problems() -> tuple[Problem, ...]:
    """Every problem the templates can tell, in a fixed order."""
    out = []
    for a, op, b in facts():
        for t, tpl in enumerate(TEMPLATES[op]):
            for n in NAMES:
                for o in OBJECTS:
                    out.append(Problem(tpl.format(n=n, a=a, b=b, o=o), a, op, b, t))
    return tuple(out)


@lru_cache(maxsize=1)
def split() -> tuple[tuple[Problem, ...], tuple[Problem, ...]]:
    """(train, held_out): a permutation seeded with 0 puts ``HELD_OUT`` problems aside.

    The held-out prompts are distinct texts from every training prompt (the same arithmetic
    fact may appear in training under another name, object or wording).
    """
    problems = all_problems()
    order = np.random.default_rng(0).permutation(len(problems))
    held = tuple(problems[i] for i in order[:HELD_OUT])
    train = tuple(problems[i] for i in order[HELD_OUT:])
    return train, held


def extract_answer(text: str) -> int | None:
    """The integer after the last ``####`` (GSM8K's convention), or None."""
    found = ANSWER_RE.findall(text)
    if not found:
        return None
    sign, digits = found[-1]
    return -int(digits) if sign else int(digits)


def verify(problem: Problem, completion: str) -> float:
    """The verifier's reward: 1 if the extracted answer is right, else 0."""
    return 1.0 if extract_answer(completion) == problem.answer else 0.0


@lru_cache(maxsize=1)
def tokenizer() -> Tokenizer:
    """The task's vocabulary: every token of every prompt and solution."""
    texts = [p.prompt for p in all_problems()] + ["0 1 2 3 4 5 6 7 8 9 + - = , ####"]
    return Tokenizer.from_texts(texts)


def prompt_length(tok: Tokenizer) -> int:
    """The longest prompt in tokens: every prompt is left-padded to it."""
    return max(len(tok.encode(p.prompt)) for p in all_problems())
