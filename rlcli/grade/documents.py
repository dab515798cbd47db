"""``replay`` and ``calc`` answers: a command's ``--json`` document as the grader's truth,
and the command's named mistakes (each a recomputation of the document) as its catalogue.

The truth of a cell is its exact string when the document has one (``exact`` for
``values``, ``q_exact`` for ``q``, ``exact.KEY`` for any other key) as a Fraction, else the
document's number as an ``Inexact`` (a KL, a return with no exact form). Keys that are not
results (``steps``, ``notes``, ``exact``, ``q_exact``, the command's name) and text or
true/false leaves are not graded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from rlcli.errors import RlcliError
from rlcli.grade.answer import parse_answer, read_answer
from rlcli.grade.grader import Mistake, Recompute, Report, Step, Worked, grade
from rlcli.grade.numbers import Inexact

NOT_GRADED = frozenset({"steps", "notes", "exact", "q_exact", "method", "calc"})
LABELS = {"values": ("state",), "q": ("state", "action")}
Document = Mapping[str, Any]
NamedMistakes = Mapping[str, Callable[[], Document]]


def grade_document(
    doc: Document,
    answer: str,
    tol: Fraction | None,
    mistakes: NamedMistakes | None = None,
    *,
    text: bool = False,
) -> Report:
    """Grade ``answer`` (a file, inline YAML or ``A=3/4``; with ``text`` always the
    answer's text) against a command's document, diagnosing wrong numbers with the
    command's named mistakes."""
    every_number = "calc" in doc  # a calc working: every row's numbers are steps
    truth = worked_document(doc, every_number)
    if text:
        entries = parse_answer(answer, "answer", truth.doc, LABELS)
    else:
        entries = read_answer(answer, truth.doc, LABELS)
    catalogue, recompute = document_mistakes(mistakes or {}, every_number)
    return grade(entries, truth, tol, catalogue, recompute)


def worked_document(doc: Document, every_number: bool | None = None) -> Worked:
    """The truth tree of ``doc`` and its steps, for the first difference between the right
    document and a mistaken one: the rows of its working (``update_steps``), then one step
    holding every graded cell. ``every_number`` (default: ``doc`` is a ``calc`` document)
    as in ``update_steps``."""
    tree: dict[str, Any] = {}
    for key, node in doc.items():
        if key in NOT_GRADED:
            continue
        home = {"values": doc.get("exact"), "q": doc.get("q_exact")}.get(
            key, _child(doc.get("exact"), key)
        )
        sub = _tree(node, home)
        if sub is not None:
            tree[str(key)] = sub
    cells = dict(_flatten(tree, ()))
    if every_number is None:
        every_number = "calc" in doc
    steps = update_steps(doc.get("steps"), every_number)
    return Worked(tree, [*steps, Step("in the results", cells, symbol="")])


def update_steps(rows: Any, every_number: bool = False) -> list[Step]:
    """The working's rows as steps, matched between workings by the row's own label
    (``episode 1 t=2``, ``Â_1``): a row that changes a value, by its ``update`` (``V(B)``,
    ``Q(A,left)``) and ``new`` value, or the ``values`` a trace row leaves, labelled
    ``update k, ROW (S→S')``; with ``every_number`` (a ``calc`` working) any other row by
    every number it shows, labelled ``step k, ROW``."""
    steps: list[Step] = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, Mapping) or not isinstance(row.get("label"), str):
            continue
        exact = row.get("exact") if isinstance(row.get("exact"), Mapping) else {}
        kind = "update"
        if isinstance(row.get("update"), str) and "new" in row:
            values = {row["update"]: _tree(row["new"], exact.get("new"))}
        elif isinstance(row.get("values"), Mapping):
            found = _tree(row["values"], exact.get("values")) or {}
            values = {f"V({s})": v for s, v in found.items()}
        elif every_number:
            shown = {k: v for k, v in row.items() if k not in ("label", "exact")}
            values, kind = dict(_flatten(_tree(shown, exact) or {}, ())), "step"
        else:
            continue
        values = {k: v for k, v in values.items() if v is not None}
        if not values:
            continue
        where = row["label"]
        if isinstance(row.get("state"), str) and isinstance(row.get("next_state"), str):
            where += f" ({row['state']}→{row['next_state']})"
        label = f"{kind} {len(steps) + 1}, {where}"
        steps.append(Step(label, values, symbol="", key=row["label"]))
    return steps


def document_mistakes(
    named: NamedMistakes, every_number: bool = False
) -> tuple[list[Mistake], Recompute]:
    """The command's mistakes as a catalogue, and the recomputation of one of them (its
    steps read as the truth's are: ``every_number``). They are whole recomputations that do
    not combine, so they share one group (no pairs tried)."""
    catalogue = [Mistake(_key(name), name, "recomputation") for name in named]

    def recompute(mistakes: tuple[Mistake, ...]) -> Worked | None:
        if len(mistakes) != 1:
            return None
        try:
            return worked_document(named[mistakes[0].name](), every_number)
        except (RlcliError, ArithmeticError):  # the mistake cannot be worked on these inputs
            return None

    return catalogue, recompute


def _key(name: str) -> str:
    """``"batch MC instead of batch TD"`` → ``"batch-mc-instead-of-batch-td"``."""
    return "-".join(re.findall(r"\w+", name.lower()))


def _child(node: Any, key: Any) -> Any:
    if isinstance(node, Mapping):
        return node.get(str(key))
    if isinstance(node, list) and isinstance(key, int) and key < len(node):
        return node[key]
    return None


def _tree(node: Any, exact: Any) -> Any:
    """A document node → its truth subtree (None: nothing gradable in it). A list is kept
    only whole, as answers index it by position."""
    if isinstance(node, Mapping):
        out = {str(k): _tree(v, _child(exact, str(k))) for k, v in node.items()}
        out = {k: v for k, v in out.items() if v is not None}
        return out or None
    if isinstance(node, list):
        items = [_tree(v, _child(exact, i)) for i, v in enumerate(node)]
        return items if items and all(v is not None for v in items) else None
    if isinstance(node, bool) or not isinstance(node, (int, float, Fraction)):
        return None
    if isinstance(exact, str):
        try:
            return Fraction(exact)
        except (ValueError, ZeroDivisionError):
            pass
    if isinstance(node, (int, Fraction)):
        return Fraction(node)
    return Inexact(node)


def _flatten(tree: Any, path: tuple[str, ...]) -> list[tuple[str, Fraction | Inexact]]:
    if isinstance(tree, Mapping):
        return [c for k, v in tree.items() for c in _flatten(v, (*path, k))]
    if isinstance(tree, list):
        return [c for i, v in enumerate(tree) for c in _flatten(v, (*path, str(i)))]
    return [(".".join(path), tree)]
