"""Grading an answer against the truth, and diagnosing wrong ones by recomputation.

Generic over commands: a command supplies the truth document, its catalogue of
``Mistake``s, and ``recompute(mistakes)``, the exercise worked again with those mistakes
made (None where they do not apply). A mistake is named only when its recomputation
reproduces every given number (under the same tolerance rule) and the answer is not right:
a measurement, never a guess. Single mistakes are tried first, then pairs from different
groups (in-place sweeps *and* γ forgotten).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations
from typing import Any

from rlcli.grade.answer import Choice, Entry
from rlcli.grade.numbers import Given, Inexact, is_right, show


@dataclass(frozen=True)
class Mistake:
    """A common mistake: ``key`` (for JSON and tests), what the student did, its group
    (two mistakes of one group, such as one sweep too many and one too few, never combine)."""

    key: str
    name: str
    group: str


@dataclass(frozen=True)
class Step:
    """One step of a worked computation (a sweep, a solve): its label and the values it
    produced, keyed by name, with a formatter for a value (``V₂(B)``)."""

    label: str
    values: Mapping[str, Fraction | Inexact]
    symbol: str = "V"  # V₂(B) written as f"{symbol}({name})"; "" writes the name alone
    key: str | None = None  # matches a step of another working (default: the label)

    @property
    def match(self) -> str:
        return self.label if self.key is None else self.key

    def what(self, name: str) -> str:
        return f"{self.symbol}({name})" if self.symbol else name


@dataclass(frozen=True)
class Worked:
    """A computation's answer document and its steps, for finding the first difference."""

    doc: Mapping[str, Any]
    steps: Sequence[Step] = ()


@dataclass(frozen=True)
class Cell:
    path: tuple[str, ...]
    given: Given | frozenset[str]
    expected: Fraction | Inexact | Choice
    ok: bool
    line: int | None = None


@dataclass(frozen=True)
class Diagnosis:
    mistakes: tuple[Mistake, ...]
    first_difference: str


@dataclass(frozen=True)
class Report:
    cells: list[Cell]
    diagnoses: list[Diagnosis] = field(default_factory=list)

    @property
    def all_right(self) -> bool:
        return all(c.ok for c in self.cells)


Recompute = Callable[[tuple[Mistake, ...]], Worked | None]


def lookup(doc: Any, path: Sequence[str]) -> Any:
    """The leaf of ``doc`` at ``path`` (list levels are indexed by position), or None."""
    for key in path:
        if isinstance(doc, list):
            doc = doc[int(key)] if key.isdigit() and int(key) < len(doc) else None
        elif isinstance(doc, Mapping):
            doc = doc.get(key)
        else:
            return None
        if doc is None:
            return None
    return doc


def cell_right(given: Given | frozenset[str], expected: Any, tol: Fraction | None) -> bool:
    """A number by the tolerance rule; a set of names when every one is among the right ones."""
    if isinstance(expected, Choice):
        return isinstance(given, frozenset) and bool(given) and given <= expected.right
    if isinstance(expected, (Fraction, Inexact)) and isinstance(given, Given):
        return is_right(given, expected, tol)
    return False


def grade(
    entries: Sequence[Entry],
    truth: Worked,
    tol: Fraction | None = None,
    catalogue: Sequence[Mistake] = (),
    recompute: Recompute | None = None,
) -> Report:
    """Mark every entry right or wrong; if any is wrong, name the mistakes that reproduce it."""
    cells = [
        Cell(
            e.path,
            e.given,
            lookup(truth.doc, e.path),
            cell_right(e.given, lookup(truth.doc, e.path), tol),
            e.line,
        )
        for e in entries
    ]
    report = Report(cells)
    if report.all_right or recompute is None:
        return report
    return Report(cells, diagnose(entries, truth, tol, catalogue, recompute))


def diagnose(
    entries: Sequence[Entry], truth: Worked, tol: Fraction | None,
    catalogue: Sequence[Mistake], recompute: Recompute,
) -> list[Diagnosis]:  # fmt: skip
    """The single mistakes whose recomputation reproduces every given entry; if none, pairs."""
    singles = [(m,) for m in catalogue]
    found = _reproducing(entries, truth, tol, singles, recompute)
    if found:
        return found
    pairs = [(a, b) for a, b in combinations(catalogue, 2) if a.group != b.group]
    return _reproducing(entries, truth, tol, pairs, recompute)


def _reproducing(
    entries: Sequence[Entry], truth: Worked, tol: Fraction | None,
    candidates: Sequence[tuple[Mistake, ...]], recompute: Recompute,
) -> list[Diagnosis]:  # fmt: skip
    found = []
    for mistakes in candidates:
        worked = recompute(mistakes)
        if worked is None:
            continue
        if all(cell_right(e.given, lookup(worked.doc, e.path), tol) for e in entries):
            found.append(Diagnosis(mistakes, first_difference(truth, worked)))
    return found


def first_difference(truth: Worked, worked: Worked) -> str:
    """Where the mistaken computation first leaves the right one: the first step, in the
    right working's order, whose value differs, or that one working makes and the other
    does not (steps are matched by ``Step.match``, so an update left out or added is named
    where it happens). Steps found in one working only are compared only when both
    workings have more than one step (a batch solution has none to match an online run's)."""
    right_steps = {s.match: s for s in truth.steps}
    wrong_steps = {s.match: s for s in worked.steps}
    stepwise = len(truth.steps) > 1 and len(worked.steps) > 1
    for step in _merged(truth.steps, worked.steps):
        right, wrong = right_steps.get(step.match), wrong_steps.get(step.match)
        if right is not None and wrong is not None:
            for name, value in wrong.values.items():
                if name in right.values and right.values[name] != value:
                    return (f"{wrong.label}: {right.what(name)} = {show(value)} instead of "
                            f"{show(right.values[name])}")  # fmt: skip
        elif stepwise and right is not None:
            return f"{right.label}: {_made(right)} in the right working, left out in yours"
        elif stepwise and wrong is not None:
            return f"{wrong.label}: {_made(wrong)} in yours, not in the right working"
    if len(truth.steps) != len(worked.steps):
        return f"{len(worked.steps)} step(s) instead of {len(truth.steps)}"
    return "the same steps, read differently"


def _made(step: Step) -> str:
    return ", ".join(f"{step.what(n)} = {show(v)}" for n, v in step.values.items())


def _merged(right: Sequence[Step], wrong: Sequence[Step]) -> list[Step]:
    """Both workings' steps in order: the right one's, each step only in the mistaken one
    placed after the step it follows there."""
    out = list(right)
    keys = {s.match for s in right}
    at = 0
    for step in wrong:
        if step.match in keys:
            at = next(i for i, s in enumerate(out) if s.match == step.match) + 1
        else:
            out.insert(at, step)
            at += 1
    return out
