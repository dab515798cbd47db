"""A worked answer: the lines of working, result tables and the ``--json`` document.

The library builds a ``Worked``; ``rlcli.render.worked`` writes it as text, Markdown or
LaTeX. Numbers are shown exactly when they are ``Fraction``s, with the decimal beside.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from rlcli.replay.numbers import Value

MAX_SHOWN_BITS = 3000  # a fraction longer than this (~900 digits) is shown as a decimal


def too_long(v: object) -> bool:
    """A fraction too long to print usefully (or at all: Python caps int → str at 4300 digits)."""
    return isinstance(v, Fraction) and (
        v.numerator.bit_length() > MAX_SHOWN_BITS or v.denominator.bit_length() > MAX_SHOWN_BITS
    )


def show(v: Value | int) -> str:
    """A number as a student writes it: ``39/20``, ``-3``, ``0.4142``."""
    if isinstance(v, bool):
        return str(v)
    if too_long(v):
        return f"≈{float(v):.6g}"
    if isinstance(v, (Fraction, int)):
        return str(v)
    return f"{v + 0.0:.6g}"  # + 0.0: no "-0"


def show_dec(v: Value) -> str:
    """``39/20 (1.95)`` for a non-integer fraction, else ``show(v)``."""
    if isinstance(v, Fraction) and v.denominator != 1 and not too_long(v):
        return f"{v} ({float(v):.6g})"
    return show(v)


def paren(v: Value) -> str:
    """``show(v)`` in parentheses when negative or a fraction (inside a product)."""
    s = show(v)
    return f"({s})" if s.startswith("-") or "/" in s else s


def num(v: Any) -> Any:
    """A JSON number (Fractions as floats); containers converted recursively."""
    if isinstance(v, Mapping):
        return {str(k): num(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [num(x) for x in v]
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else float(v)
    return float(v) if not isinstance(v, int) else v


def exact(v: Any) -> Any:
    """Exact strings (``"39/20"``) for Fractions; None where a value is not exact."""
    if isinstance(v, Mapping):
        return {str(k): exact(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [exact(x) for x in v]
    if isinstance(v, (Fraction, int)) and not isinstance(v, bool) and not too_long(v):
        return str(v)
    return None


def all_exact(v: Any) -> bool:
    if isinstance(v, Mapping):
        return all(all_exact(x) for x in v.values())
    if isinstance(v, (list, tuple)):
        return all(all_exact(x) for x in v)
    if too_long(v):
        return False
    return isinstance(v, (Fraction, int)) or v is None or isinstance(v, (str, bool))


@dataclass
class Line:
    """One line of working: a label (``t=2``) and the equation with numbers substituted."""

    label: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)  # operands and results, for --json

    def to_json(self) -> dict[str, Any]:
        numbers = {k: v for k, v in self.data.items() if isinstance(v, (Fraction, Mapping, list))}
        out: dict[str, Any] = {"label": self.label, "formula": self.text}
        out.update({k: (v if isinstance(v, str) else num(v)) for k, v in self.data.items()})
        ex = {k: exact(v) for k, v in numbers.items() if all_exact(v) and exact(v) is not None}
        if ex:
            out["exact"] = ex
        return out


@dataclass
class Table:
    """A result table: a title, column headings and rows of cells (already text)."""

    title: str
    header: list[str]
    rows: list[list[str]]


@dataclass
class Worked:
    """Everything a replay/calc command shows and its JSON document."""

    title: str
    notes: list[str]
    lines: list[Line]
    tables: list[Table]
    json: dict[str, Any]
    sections: dict[int, str] = field(default_factory=dict)  # line index -> heading before it

    def document(self) -> dict[str, Any]:
        return {**self.json, "steps": [ln.to_json() for ln in self.lines], "notes": self.notes}


def value_table(
    title: str, values: Mapping[str, Value], initial: Mapping[str, Value], updated: set[str]
) -> Table:
    """V per state with its decimal; never-updated states flagged."""
    rows = []
    for s, v in values.items():
        flag = "" if s in updated else f"not visited: still V₀ = {show(initial[s])}"
        rows.append([s, show(v), f"{float(v):.6g}", flag])
    return Table(title, ["state", "V", "decimal", ""], rows)


def q_table(
    title: str,
    q: Mapping[tuple[str, str], Value],
    initial: Mapping[tuple[str, str], Value],
    updated: set[tuple[str, str]],
) -> Table:
    rows = []
    for (s, a), v in q.items():
        flag = "" if (s, a) in updated else f"not updated: still Q₀ = {show(initial[(s, a)])}"
        rows.append([s, a, show(v), f"{float(v):.6g}", flag])
    return Table(title, ["state", "action", "Q", "decimal", ""], rows)


def values_json(values: Mapping[str, Value]) -> dict[str, Any]:
    out: dict[str, Any] = {"values": num(dict(values))}
    if all_exact(dict(values)):
        out["exact"] = exact(dict(values))
    return out


def q_json(q: Mapping[tuple[str, str], Value]) -> dict[str, Any]:
    nested: dict[str, dict[str, Value]] = {}
    for (s, a), v in q.items():
        nested.setdefault(s, {})[a] = v
    out: dict[str, Any] = {"q": num(nested)}
    if all_exact(nested):
        out["q_exact"] = exact(nested)
    return out
