"""One practice exercise, whatever its topic: the data the student reads, the command that
answers it, the truth, and how to grade and work it.

A topic family (MDP sweeps and solves, replayed transitions and episodes, policy-gradient
numbers) is a module with

- ``TOPICS: dict[str, str]``: topic → one line saying what is asked (and the equation);
- ``draw(topic, rng) -> Exercise | None``: one exercise from the generator's stream, or None
  when this draw's answer is not hand-sized (the caller draws again).

``seed`` is filled in by the caller (``dataclasses.replace``) after a successful draw.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from rlcli.grade.grader import Report

Grader = Callable[[str, "Fraction | None"], Report]


@dataclass(frozen=True)
class Exercise:
    """``files``: data file name → text, shown to the student and written beside a worksheet;
    ``command``: the rlcli command line that answers it, naming those files (the student adds
    ``--answer ANSWER``); ``asked``: the answer document's keys asked for; ``truth``: the full
    answer document (Fractions, ``Choice``s, ``Inexact``s); ``grade(answer_text, tol)``: the
    graded and diagnosed report; ``work()``: the worked solution, line by line."""

    topic: str
    question: str
    files: Mapping[str, str]
    command: str
    asked: tuple[str, ...]
    truth: Mapping[str, Any]
    grade: Grader = field(compare=False, repr=False)
    work: Callable[[], list[str]] = field(compare=False, repr=False)
    seed: int = 0

    @property
    def solution(self) -> dict[str, Any]:
        return {k: self.truth[k] for k in self.asked}


def is_short(x: Fraction) -> bool:
    """A hand-computable number: |x| ≤ 100 and denominator ≤ 12 or dividing 100."""
    return abs(x) <= 100 and (x.denominator <= 12 or 100 % x.denominator == 0)
