"""Grading an answer against a command's ``--json`` document, cell by cell.

The truth of a cell is its exact form when the document has one (``exact``, ``q_exact``),
else its number. A mistake is diagnosed only when the command, recomputed with that
mistake, reproduces every number the student gave.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from rlcli.errors import RlcliError
from rlcli.grade.answer import AnswerError
from rlcli.grade.compare import is_right

EXACT_HOME = {"values": ("exact",), "q": ("q_exact",)}
NOT_GRADED = {"steps", "notes", "exact", "q_exact", "method", "calc"}


@dataclass
class Cell:
    path: str
    given: str
    expected: Any  # Fraction or float
    ok: bool


@dataclass
class Report:
    cells: list[Cell]
    diagnoses: list[str] = field(default_factory=list)

    @property
    def all_right(self) -> bool:
        return all(c.ok for c in self.cells)


def truth_at(doc: Mapping[str, Any], path: list[str]) -> Any:
    """The exact value at ``path`` if the document has it, else its number (KeyError if none)."""
    head, rest = path[0], path[1:]
    homes = [(*EXACT_HOME.get(head, ()), *rest)] if head in EXACT_HOME else [("exact", *path)]
    for home in homes:
        node: Any = doc
        try:
            for key in home:
                node = _child(node, key)
        except KeyError:
            continue
        if isinstance(node, str):
            try:
                return Fraction(node)
            except ValueError:
                pass
    node = doc
    for key in path:
        node = _child(node, key)
    return node


def _child(node: Any, key: str) -> Any:
    if isinstance(node, Mapping):
        if key in node:
            return node[key]
        raise KeyError(key)
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return node[int(key)]
    raise KeyError(key)


def _leaves(answer: Any, prefix: list[str]) -> list[tuple[list[str], str]]:
    if isinstance(answer, Mapping):
        out = []
        for k, v in answer.items():
            out += _leaves(v, [*prefix, str(k)])
        return out
    if isinstance(answer, list):
        out = []
        for i, v in enumerate(answer):
            out += _leaves(v, [*prefix, str(i)])
        return out
    return [(prefix, str(answer))]


def grade(
    doc: Mapping[str, Any],
    answer: Mapping[str, Any],
    tol: float | None,
    mistakes: Mapping[str, Callable[[], Mapping[str, Any]]] | None = None,
) -> Report:
    """One cell per number in ``answer``; ``mistakes`` recompute the document with a named
    mistake, for the diagnoses."""
    leaves = _leaves(answer, [])
    if not leaves:
        raise AnswerError("--answer: no numbers given")
    cells = []
    for path, given in leaves:
        if path[0] in NOT_GRADED:
            raise AnswerError(f"--answer: {path[0]}: not gradable; give computed keys")
        try:
            truth = truth_at(doc, path)
        except KeyError:
            known = ", ".join(k for k in doc if k not in NOT_GRADED)
            raise AnswerError(
                f"--answer: {'.'.join(path)}: the command computes no such value (keys: {known})"
            ) from None
        if isinstance(truth, (Mapping, list)):
            raise AnswerError(f"--answer: {'.'.join(path)}: give the numbers inside it")
        if isinstance(truth, bool) or not isinstance(truth, (int, float, Fraction)):
            raise AnswerError(f"--answer: {'.'.join(path)}: not a number ({truth!r})")
        try:
            ok = is_right(given, truth, tol, f"--answer: {'.'.join(path)}")
        except RlcliError as exc:
            raise AnswerError(str(exc)) from None
        cells.append(Cell(".".join(path), given, truth, ok))
    report = Report(cells)
    if not report.all_right:
        for name, recompute in (mistakes or {}).items():
            try:
                other = recompute()
            except RlcliError:
                continue
            try:
                if all(
                    is_right(c.given, truth_at(other, c.path.split(".")), tol, "") for c in cells
                ):
                    report.diagnoses.append(name)
            except (KeyError, RlcliError):
                continue
    return report
