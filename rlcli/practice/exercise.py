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
    graded and diagnosed report; ``work()``: the worked solution, line by line; ``given``:
    names whose cells the answer may leave out (terminal states: 0 by definition)."""

    topic: str
    question: str
    files: Mapping[str, str]
    command: str
    asked: tuple[str, ...]
    truth: Mapping[str, Any]
    grade: Grader = field(compare=False, repr=False)
    work: Callable[[], list[str]] = field(compare=False, repr=False)
    seed: int = 0
    given: frozenset[str] = frozenset()

    @property
    def solution(self) -> dict[str, Any]:
        return {k: self.truth[k] for k in self.asked}

    def missing(self, report: Report) -> list[str]:
        """The asked cells (``sweeps.2.B``) the graded answer does not give: a drill's
        answer must give every one."""
        answered = {c.path for c in report.cells}
        return [".".join(p) for p in _leaves(self.solution, ())
                if p not in answered and not self.given.intersection(p)]  # fmt: skip


def _leaves(node: Any, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    if isinstance(node, Mapping):
        return [p for k, v in node.items() for p in _leaves(v, (*path, str(k)))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, str(i)))]
    return [path]


def is_short(x: Fraction) -> bool:
    """A hand-computable number: |x| ≤ 100 and denominator ≤ 12 or dividing 100."""
    return abs(x) <= 100 and (x.denominator <= 12 or 100 % x.denominator == 0)
